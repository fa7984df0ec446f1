//===- Passes.td - hmoe dialect transformations ------------*- tablegen -*-===//

#ifndef HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_TD
#define HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def HMoEDecompose : Pass<"hmoe-decompose"> {
  let summary = "Split whole hmoe.moe layers into their stages";
  let description = [{
    Rewrites every `hmoe.moe` into `hmoe.score` (one per level), one
    `hmoe.route`, `hmoe.dispatch`, `hmoe.experts`, `hmoe.combine` and, when
    statistics are requested, `hmoe.stats`. Works for every strategy; the
    result computes the same values as the layer (docs/numerics.md).

    ```mlir
    %y = hmoe.moe %x : tensor<?x64xf32>, #hmoe.strategy<nested>
        level(#hmoe.gate<laplace, softmax, k = 2>, weight %g : tensor<8x64xf32>)
        experts(#hmoe.expert<linear>, w1 %a : tensor<8x64x64xf32>)
        -> tensor<?x64xf32>
    ```
    becomes
    ```mlir
    %s = hmoe.score laplace %x : tensor<?x64xf32>, %g : tensor<8x64xf32>
        -> tensor<?x8xf32>
    %w0 = tensor.empty(%t) : tensor<?x2xf32>
    ...
    %w, %e, %p = hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<laplace, softmax, k = 2>, logits %s : tensor<?x8xf32>)
        outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>)
        -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
    %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8
        outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>)
        -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
    %o = hmoe.experts %x : tensor<?x64xf32>, %st : tensor<?xi32>,
        %off : tensor<9xi32>
        experts(#hmoe.expert<linear>, w1 %a : tensor<8x64x64xf32>)
        -> tensor<?x64xf32>
    %y = hmoe.combine %o, %so, %w
        : tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x64xf32>
    ```

    An `experts_on` layer (expert parallelism) runs this process's experts
    on its segment of the plan (`tensor.extract_slice`, offsets rebased),
    combines them into a partial f32 output and sums that over the grid
    (`shard.process_linear_index`, `shard.all_reduce`; lowered by
    `hmoe-convert-shard-to-mpi`).

    Shared experts keep their whole weights on every process; each process
    runs its share of their hidden units, `[r H / R, (r + 1) H / R)` (those
    rows of W1 / W_up and b1, columns of W2; b2 on process 0), on every
    token: the partial outputs sum to the experts' and each process reads
    1 / R of their weights. Linear shared experts, and those whose H is not
    a multiple of R, run whole on the process's share of the tokens,
    `[r T / R, (r + 1) T / R)`.

    With `process-checks`, such a layer first checks that every process was
    given the same token count, tokens and routing parameters (gate weights
    and biases, selection biases, penalties, router scale, the shared
    experts' gate; not the shared experts' weights, which a per-call check
    would read whole): a process given other tokens would add its experts'
    outputs for them into everyone's sum, a silent wrong answer, and
    different token counts would make the all-reduce erroneous. Each process
    fingerprints them (the sum, wrapping in i64, of each element's bits
    times an odd hash of its tensor and linear index: any one changed
    element changes it, and swapped elements do but by a chance of about
    2^-32 per pair or less; a check against mistakes, not an adversary),
    the fingerprints `v` and their complements `~v` are all-reduced by `max`
    (so `max(v) == ~max(~v)` exactly when every process has the same `v`),
    and a `cf.assert` names what differs. It reads the tokens and gate
    weights once per call and costs one more all-reduce of six integers,
    after the rank's one-time world-size check.
  }];
  let options = [
    Option<"processChecks", "process-checks", "bool", /*default=*/"true",
           "Check at run time that an experts_on layer's processes agree on "
           "the token count, the tokens and the routing parameters">,
  ];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect",
                           "::mlir::hmoe::HMoEDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::shard::ShardDialect",
                           "::mlir::tensor::TensorDialect"];
}

def HMoEGenerateSizeChecks : Pass<"hmoe-generate-size-checks"> {
  let summary = "Run-time checks of the hmoe ops' sizes only, none that "
                "reads a tensor's elements";
  let description = [{
    Inserts, in front of each hmoe stage op on tensors, the run-time checks
    of `generate-runtime-verification` that read sizes only: dynamic token
    counts that must agree, a dispatch's `slot_token` destination of T x K
    slots, slot counts within the i32 slot indices. Not the checks of
    index operands' values (expert, slot and offset indices from outside
    the layer), which read the tensors: on the NVIDIA GPU the tensors are
    device memory and the checks run on the host (`hmoe-lower-to-nvvm`
    runs this where `hmoe-lower-to-cpu` runs every check). The size checks
    are hoisted to the top of the function, ahead of every kernel.

    With `device-checks`, the index operands' checks too, on the device:
    in front of the op, an `scf.forall` mapped to GPU blocks of 256 threads
    (`hmoe-map-forall-to-gpu` makes it a kernel), each thread asserting one
    element. On NVIDIA GPUs the `cf.assert` becomes `__assertfail`: the
    kernel traps, the message is printed, and the next CUDA call of the
    layer fails with CUDA_ERROR_ASSERT. The same loops run on the CPU under
    `hmoe-lower-to-cpu{gpu-mapped}`.
  }];
  let options = [
    Option<"deviceChecks", "device-checks", "bool", /*default=*/"false",
           "Also check index operands' values, in GPU block loops (kernels) "
           "in front of the op">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def HMoERecordABI : Pass<"hmoe-record-abi", "::mlir::ModuleOp"> {
  let summary = "Record each public function's signature as `hmoe.abi`; "
                "refuse function names the lowered code cannot have";
  let description = [{
    Sets `hmoe.abi = <function type>` (a discardable attribute the dialect
    declares and verifies) on every public function with a body and a
    builtin signature (any `FunctionOpInterface` op: `func.func` or another
    compiler's), unless it already has one. Lowering to LLVM turns tensors into
    memref descriptors that no longer say their element type or which
    dimensions were dynamic; the attribute survives `convert-to-llvm`, so
    `hmoe-run` can bind and check `.npy` files against a module that was
    lowered ahead of time. `hmoe-lower-to-cpu` runs this first.

    A function is a C symbol of the compiled module, and the generated code
    calls C library and runtime functions by name (`malloc`, `memset`,
    `expf`, `puts`, `memrefCopy`, `hmoe_check_failed`, OpenMP's `__kmpc_*`,
    ...): a module that defined `@memset` would call itself. So a symbol
    definition (function with a body, global with a value) named like a C
    library or runtime function, or like a function `hmoe-compile`'s
    libraries define (`hmoe_free`, `hmoe_<layer>_signature`, ...), or
    starting with `_` (reserved to the C implementation), is an error at the
    definition. So is an `llvm.func` that carries `hmoe.abi`: a layer
    lowered already (a module is lowered once).

    Each tensor argument of those functions is also marked
    `bufferization.writable = false` (unless it says otherwise): arguments
    are the caller's inputs, so a tensor updated in place
    (`tensor.insert %v into %x`) is bufferized into a copy instead of the
    caller's buffer.
  }];
  let dependentDialects = ["::mlir::hmoe::HMoEDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

#endif // HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_TD
