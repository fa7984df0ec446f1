//===- HMoEDialect.td - hmoe dialect definition ------------*- tablegen -*-===//
//
// The hmoe dialect: hierarchical mixture-of-experts layers.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_DIALECT_HMOE_IR_HMOEDIALECT_TD
#define HMOE_DIALECT_HMOE_IR_HMOEDIALECT_TD

include "mlir/IR/OpBase.td"

def HMoE_Dialect : Dialect {
  let name = "hmoe";
  let cppNamespace = "::mlir::hmoe";
  let summary = "Hierarchical mixture-of-experts layers: gates, routing, "
                "dispatch, experts and combine";
  let description = [{
    The `hmoe` dialect describes mixture-of-experts (MoE) layers whose routing
    is hierarchical: a token is routed level by level through a tree of
    gates, and the leaves of the tree are the experts. The numerical contract
    of every op is the project's docs/numerics.md; the op descriptions below
    restate the parts each op owns.

    Two layers of ops:

    * `hmoe.moe` is a whole layer in one op: the dispatch strategy, one gate
      per routing level, the experts, capacity and the requested routing
      statistics. It is what a frontend emits.
    * `hmoe.score`, `hmoe.route`, `hmoe.dispatch`, `hmoe.experts`,
      `hmoe.combine` and `hmoe.stats` are the stages of a layer.
      `--hmoe-decompose` rewrites `hmoe.moe` into them; fusion and lowering
      passes work on them.

    Values are ranked tensors; the routing ops (`hmoe.route`,
    `hmoe.dispatch`, `hmoe.stats`) are destination-passing and also take
    memrefs, their form after bufferization. The token count `T` (the leading
    dimension) may be dynamic and may be 0; every other size (model width
    `D`, fan-outs, expert sizes) is static. Gate logits, probabilities and
    routing weights are always `f32`; tokens and weights may be `f32`, `f16`
    or `bf16` (the low-precision forms compute scores and accumulate in
    `f32`). Expert indices are `i32`, counts `i64`.

    Experts are the leaves of the routing tree, numbered group-major: with
    fan-outs `N_1, ..., N_L` the expert at path `(i_1, ..., i_L)` has flat
    index `((i_1 * N_2 + i_2) * N_3 + ...)`.

    Non-finite and extreme inputs follow IEEE arithmetic on the definition,
    as a float64 evaluation rounded to f32 would: a NaN or infinite token
    gives that token NaN weights and a NaN output row and leaves the others
    alone; an infinite gate row is a child at infinite distance (score
    `-inf`, probability 0); distances are exact for any finite f32 inputs
    (no overflow of `||x||^2` at `|x| ~ 1e20`, no underflow at `1e-25`); a
    renormalised sigmoid gate keeps the ratios of its probabilities when
    they all underflow f32. The project README's "Numerical edge cases"
    lists each case and its test.

    Discardable attributes (verified wherever they appear):

    * `hmoe.abi = <function type>` on a function: the signature of a layer
      function as its caller sees it (tensors), recorded by
      `hmoe-record-abi` before lowering changes it; runners call the lowered
      function through it.
    * `hmoe.into_abi = <function type>` on a function: it is the
      destination-passing entry of the layer of that signature
      (`@<layer>_into`, `hmoe-add-into-entries`): its arguments are the
      layer's inputs, then one buffer per result for it to write; it
      returns nothing.
    * `hmoe.shapes_of = <function type>` on a function: it writes the
      result sizes of the layer of that signature
      (`@<layer>_result_shapes`, `hmoe-add-into-entries`): its arguments
      are the layer's inputs, then a `memref<N x i64>` (N the sum of the
      results' ranks); it returns nothing.
    * `hmoe.target_cpu = "<name>"` and `hmoe.target_features = "<+f,...>"`
      on a module: the CPU the module is compiled for
      (`hmoe-set-cpu-target`).
    * `hmoe.dynamic_tasks` (unit) on an `scf.parallel`: its iterations are
      coarse tasks whose cost differs (register-tiled GEMM blocks, experts
      of different sizes), to be handed to threads as they free up rather
      than split in equal halves in advance
      (`hmoe-convert-task-loops-to-openmp`).
    * `hmoe.read_only_args` (unit) on a GPU kernel (`gpu.func`, then the
      `llvm.func` it becomes): its `llvm.readonly` arguments point to memory
      that no thread writes during the launch, through any argument
      (`hmoe-mark-read-only-kernel-args`), so they may also be `noalias`
      (`hmoe-carry-llvm-attributes`).
  }];
  let discardableAttrs = (ins
    "::mlir::TypeAttr":$abi,
    "::mlir::TypeAttr":$into_abi,
    "::mlir::TypeAttr":$shapes_of,
    "::mlir::StringAttr":$target_cpu,
    "::mlir::StringAttr":$target_features,
    "::mlir::UnitAttr":$dynamic_tasks,
    "::mlir::UnitAttr":$read_only_args
  );
  let extraClassDeclaration = [{
    /// Adds the attributes (HMoEAttrs.cpp, which has their storage).
    void registerAttributes();
  }];
  let hasOperationAttrVerify = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

class HMoE_Op<string mnemonic, list<Trait> traits = []>
    : Op<HMoE_Dialect, mnemonic, traits>;

#endif // HMOE_DIALECT_HMOE_IR_HMOEDIALECT_TD
