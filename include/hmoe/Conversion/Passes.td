//===- Passes.td - hmoe conversions ------------------------*- tablegen -*-===//

#ifndef HMOE_CONVERSION_PASSES_TD
#define HMOE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertHMoEToLinalg : Pass<"convert-hmoe-to-linalg"> {
  let summary = "Lower every hmoe op to linalg, tensor, scf and memref";
  let description = [{
    Decomposes whole `hmoe.moe` layers (as `hmoe-decompose` does) and lowers
    each stage to upstream dialects, computing SPEC.md exactly:

    * `hmoe.score`: a `linalg.generic` contraction over D (dot products, or
      squared differences for distance scores) and an element-wise epilogue
      (square root, negation, bias, activation).
    * `hmoe.experts`: a loop over experts; each gathers its tokens and runs
      its network as contractions on `[n_e, D]`, with no padding to the
      largest load.
    * `hmoe.combine`: a gather per output element over `slot_of`, summing
      in selection order (deterministic, no atomics).
    * `hmoe.route`: an `scf.parallel` loop over tokens with per-token stack
      scratch: normalisation, top-k by repeated argmax in the order of
      `#hmoe.gate`'s docs, group masks, nested levels unrolled at compile
      time.
    * `hmoe.dispatch`: a stable two-pass counting sort with the capacity
      limit.
    * `hmoe.stats`: loops accumulating in `f64`.

    Routing ops read their operands through `bufferization.to_buffer` and
    return new buffers through `bufferization.to_tensor`, so the output is
    ready for One-Shot Bufferize. An op the pass cannot lower is reported
    at the op and fails the pass.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def HMoEFuseDistance : Pass<"hmoe-fuse-distance"> {
  let summary = "Laplace and Gaussian scores as a GEMM plus norms";
  let description = [{
    Lowers every `laplace` and `gaussian` `hmoe.score` (decomposing whole
    `hmoe.moe` layers first) to the GEMM form of the squared distance,

    `||x - w||^2 = max(||x||^2 - 2 x.w + ||w||^2, 0)`,

    as one `linalg.generic` contraction `x . W^T` (the matmul that
    `hmoe-vectorize-contractions` tiles and vectorises), a row reduction
    for `||x||^2`, and one for `||w||^2` computed once per call, or folded
    to a constant (summed in f64) when the weights are constants. One
    element-wise epilogue then clamps at 0 (SPEC.md), takes the square root
    for Laplace, negates and adds the bias, so the `[T, N]` distances are
    written once. Other scores and stages are left for
    `convert-hmoe-to-linalg`, which uses the direct form
    `sum_k (x_k - w_k)^2` for distance scores that reach it.

    The GEMM form is only as good as `||x||^2 + ||w||^2` is a normal,
    finite f32: past ~3.4e38 (|x| ~ 1e19) it overflows, giving
    `inf - inf = NaN` or an infinite distance that is in fact finite, and
    below 2^-100 the squares underflow. A second, scalar pass over the
    `[T, N]` scores recomputes exactly those (token, row) pairs, and any
    with NaN or inf, in the direct form summed in f64, so both forms give
    the same scores on every input (README, "Numerical edge cases").
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // HMOE_CONVERSION_PASSES_TD
