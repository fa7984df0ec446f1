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
    centred on the mean gate row `m`:

    `||x - w||^2 = ||x - m||^2 - 2 x.w' + ||w'||^2 + 2 m.w'`, `w' = w - m`,

    as one `linalg.generic` contraction `x . W'^T` (the matmul that
    `hmoe-vectorize-contractions` tiles and vectorises), a row reduction for
    `||x - m||^2`, and the per-row `m`, `W'`, `||w'||^2` and `m.w'`
    computed once per call, or folded to constants (in f64) when the weights
    are constants. One element-wise epilogue then forms the distance, takes
    the square root for Laplace, negates and adds the bias, so the `[T, N]`
    scores are written once.

    Centring matters: the terms of the uncentred form are `~||x||^2`, and
    they cancel down to `d^2` when a token is near a centre (Laplace training
    pulls centres to the tokens), so at `D = 512` a token 0.3 from a centre
    was off by 1.5e-4. Centred, they are the size of the cluster. Where the
    distance is still under 1/16 of the magnitude of its terms, where those
    overflow (`|x| ~ 1e19`) or underflow (below 2^-100), or where anything is
    NaN, the epilogue writes NaN instead, and a second pass recomputes those
    (token, row) pairs in the direct form summed in f64 (8 lanes at a time),
    so both forms agree with a float64 evaluation on every input (README,
    "Numerical edge cases"; test/Integration/matrix-precision.test).
    Other scores and stages are left for `convert-hmoe-to-linalg`, which
    uses the direct form `sum_k (x_k - w_k)^2` for distance scores that
    reach it.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // HMOE_CONVERSION_PASSES_TD
