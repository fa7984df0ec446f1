//===- HMoEOps.td - hmoe operations -------------------------*- tablegen -*-===//
//
// The layer op (hmoe.moe) and its stages. Value-semantics ops (moe, score,
// experts, combine) are converted to linalg on tensors; the routing ops
// (route, dispatch, stats) are destination-passing and work on tensors or
// memrefs, like linalg's, so they bufferize (BufferizableOpInterface) and
// reach code generation as hmoe ops; route tiles over tokens
// (TilingInterface). The interfaces are external models in
// Dialect/HMoE/Transforms.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_DIALECT_HMOE_IR_HMOEOPS_TD
#define HMOE_DIALECT_HMOE_IR_HMOEOPS_TD

include "hmoe/Dialect/HMoE/IR/HMoEAttrs.td"
include "hmoe/Dialect/HMoE/IR/HMoEDialect.td"
include "hmoe/Dialect/HMoE/IR/HMoEEnums.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

// Ranked tensors and memrefs without an encoding or layout the lowering
// cannot carry, whose static dims multiply to at most 2^62 elements (no size
// arithmetic overflows); a dynamic dim (T) is checked at run time.
def HMoE_PlainTensorPred : CPred<"::mlir::hmoe::isPlainTensor($_self)">;
def HMoE_PlainMemRefPred : CPred<"::mlir::hmoe::isPlainMemRef($_self)">;
class HMoE_TensorOf<list<Type> allowed>
    : ConfinedType<RankedTensorOf<allowed>, [HMoE_PlainTensorPred],
                   RankedTensorOf<allowed>.summary #
                   " without encoding, at most 2^62 elements">;
class HMoE_MemRefOf<list<Type> allowed>
    : ConfinedType<MemRefOf<allowed>, [HMoE_PlainMemRefPred],
                   MemRefOf<allowed>.summary # ", at most 2^62 elements">;
// What a destination-passing routing op reads and writes.
class HMoE_ShapedOf<list<Type> allowed>
    : AnyTypeOf<[HMoE_TensorOf<allowed>, HMoE_MemRefOf<allowed>]>;

def HMoE_FloatTensor : HMoE_TensorOf<[F32, F16, BF16]>;
def HMoE_F32Tensor : HMoE_TensorOf<[F32]>;
def HMoE_I32Tensor : HMoE_TensorOf<[I32]>;
def HMoE_F32Shaped : HMoE_ShapedOf<[F32]>;
def HMoE_I32Shaped : HMoE_ShapedOf<[I32]>;
def HMoE_StatShaped : HMoE_ShapedOf<[F32, I64]>;

// The ranks and static widths a verifier needs before it compares dims
// across operands (which stays in C++: it names the dims' meaning). The
// summary leads with the shape's meaning, so the generated diagnostic
// ("operand #2 must be [T, K] ...") says what the operand is.
defvar HMoE_Shaped = "::llvm::cast<::mlir::ShapedType>($_self)";
def HMoE_Rank1Pred : CPred<HMoE_Shaped # ".getRank() == 1">;
def HMoE_Rank2Pred : CPred<HMoE_Shaped # ".getRank() == 2">;
def HMoE_StaticWidthPred : CPred<!strconcat("!", HMoE_Shaped, ".isDynamicDim(1)")>;
def HMoE_NonEmptyWidthPred : CPred<HMoE_Shaped # ".getDimSize(1) >= 1">;
// `[rows, width]`: rank 2 with a static width (>= 1 when `nonEmpty`).
class HMoE_Rows<Type base, string shape, bit nonEmpty = 1>
    : ConfinedType<base,
        !if(nonEmpty,
            [HMoE_Rank2Pred, HMoE_StaticWidthPred, HMoE_NonEmptyWidthPred],
            [HMoE_Rank2Pred, HMoE_StaticWidthPred]),
        shape # " (rank 2, static width" # !if(nonEmpty, " >= 1", "") #
        "): " # base.summary>;
class HMoE_Vector<Type base, string shape>
    : ConfinedType<base, [HMoE_Rank1Pred],
                   shape # " (rank 1): " # base.summary>;

// Tokens, [T, D] with a static model width D >= 1.
def HMoE_TokensTensor : HMoE_Rows<HMoE_FloatTensor, "[T, D] tokens">;
// A stack of gates, [P..., N, D], all dims static.
def HMoE_GateWeightTensor
    : ConfinedType<HMoE_FloatTensor,
        [CPred<HMoE_Shaped # ".getRank() >= 2">,
         CPred<HMoE_Shaped # ".hasStaticShape()">],
        !strconcat("[..., N, D] gate weights (rank >= 2, static dims): ",
                   HMoE_FloatTensor.summary)>;

// Destination-passing routing ops: `outs` are the inits. Tiling and
// bufferization are attached as external models (Dialect/HMoE/Transforms).
defvar HMoE_RoutingOpDecl = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutsMutable();
    }
}];
class HMoE_RoutingOp<string mnemonic, list<Trait> traits = []>
    : HMoE_Op<mnemonic, traits # [
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let extraClassDeclaration = HMoE_RoutingOpDecl;
}

//===----------------------------------------------------------------------===//
// Whole layer
//===----------------------------------------------------------------------===//

def HMoE_MoEOp : HMoE_Op<"moe", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "A whole (hierarchical) mixture-of-experts layer";
  let description = [{
    Computes `y[t] = sum over chosen experts e of weight[t, e] * expert_e(x[t])`
    for every token `t` of `input: [T, D]`, with the routing given by
    `strategy` and one gate per level, as in docs/numerics.md.

    ```mlir
    // Nested two-level HMoE, Laplace gates at both levels ("LL"):
    // 4 groups of 8 experts, top-2 groups, top-2 experts in each.
    %y = hmoe.moe %x : tensor<?x512xf32>, #hmoe.strategy<nested>
        level(#hmoe.gate<laplace, softmax, k = 2>, weight %g1 : tensor<4x512xf32>)
        level(#hmoe.gate<laplace, softmax, k = 2>, weight %g2 : tensor<4x8x512xf32>)
        experts(#hmoe.expert<ffn, activation = gelu, hidden = 1024>,
                w1 %w1 : tensor<32x1024x512xf32>, w2 %w2 : tensor<32x512x1024xf32>)
        -> tensor<?x512xf32>
    ```

    Per level (one `level(...)` clause each, outermost first):
    * `weight`: the gate weights. For `nested` level `l` (1-based) either one
      gate per node, `[N_1, ..., N_l, D]`, or one gate shared by all nodes
      of the level, `[N_l, D]`. For `group_limited` and `per_group` there is
      exactly one level with weights `[E, D]`.
    * `bias` (optional): the score bias `b`, shaped like the weights
      without `D`.
    * `selection_bias` (optional, `f32`): added to the probabilities for
      choosing only, shaped like `bias`.

    * `penalty` (optional, `f32`, shaped like `bias`; Hi-MoE's load
      penalty, `tau` times the caller's moving average of past logits):
      subtracted from the level's logits before the temperature for
      choosing *and* weighting, while the statistics (importance, the
      losses, `R_intra`, `R_inter`, the z-loss) use the unpenalised
      logits and probabilities. Only on a layer with one level.

    `router_scale` (optional, `f32`, `[E]`) multiplies each chosen expert's
    weight (Hi-MoE's learnable router scale).

    `experts(...)` gives the expert kind and its weights: `w1` (`W1`, the
    SwiGLU gate projection `Wg`, or the linear expert's `A`), `w_up` (SwiGLU
    only), `b1` (`b1` or the linear expert's `c`), `w2`, `b2`; see
    `#hmoe.expert`.

    `shared(...)` (optional) adds shared experts (DeepSeek-V2/V3, Qwen-MoE):
    `S` experts of the kind it names that every token uses, never dropped
    by capacity, with weights shaped like the routed ones over `S`
    (`w1: [S, H_s, D]`, ...). Their sum is added to the routed output,
    scaled by `sigmoid(u . x)` when a `gate u: [D]` is given (Qwen2-MoE's
    `shared_expert_gate`): `y = routed + g * sum_s shared_s(x)`.

    `capacity_factor c` (optional; absent = dropless): expert `e` takes at
    most `C = ceil(c * T * K / E)` choices (`K` the experts a token uses;
    `capacity_rounding hi_moe`: `floor(c * T * K / E)` rounded up to an
    even number, at least 4, as Hi-MoE computes it). Which choices an
    expert keeps is `fill_order`:

    * `token_order` (default): token 0's choices in selection order, then
      token 1's, and so on: first come, first served, so a token's
      choices never depend on later tokens (streaming, causal batches),
      and what hmoe did first;
    * `choice_rank` (GShard, Switch, Hi-MoE): every token's first choice,
      in token order, before any token's second choice, and so on;
    * `score` (batch-prioritised routing, V-MoE): decreasing routing
      weight (the combine weight), ties to the lower token; NaN weights
      last.

    Dropped choices contribute nothing; a token whose choices are all
    dropped gets zeros. `fill_order` and `capacity_rounding` need a
    `capacity_factor`.

    `stats [...]` asks for routing statistics, returned as extra results
    in the order named (see `hmoe.stats` for their definitions).

    `experts_on @grid` (optional; expert parallelism) spreads the routed
    experts over the `R` processes of a one-dimensional `shard.grid`, one
    MPI process each (the grid's size must be the MPI world's, checked at
    run time). The op is then written as one process sees it (SPMD, as
    `shard-partition` writes its output): its expert weights are the
    process's `E / R` experts, process `r` holding experts `r * E / R` to
    `(r + 1) * E / R - 1`, while the gates, the input and the results are
    the whole layer's, the same on every process. Every process routes
    all tokens (so capacity and the statistics are the layer's), runs its
    own experts on the tokens sent to them, and the output is the sum of
    the processes' partial outputs (`shard.all_reduce`, f32): the layer's
    output, on every process. Shared experts' weights are whole on every
    process, each running its share of their hidden units (or, for linear
    ones and R not dividing H, of the tokens). The tokens,
    routing parameters and shared experts must be the same on every process
    (checked at run time but for the shared experts' weights:
    `hmoe-decompose{process-checks}`, the pipelines' `runtime-checks`).

    `capacity_factor`, `fill_order`, `capacity_rounding`, `experts_on` and
    `stats` may be written in any order, each at most once. The
    Hi-MoE coefficients are `lambda_intra` and `lambda_inter` (default 1).

    Element types: `input`, gate and expert weights and biases share one
    element type (`f32`, `f16` or `bf16`); the output has it too. Scores,
    probabilities and accumulation are `f32`.
  }];
  let arguments = (ins
    HMoE_TokensTensor:$input,
    Variadic<HMoE_FloatTensor>:$gate_weights,
    Variadic<HMoE_FloatTensor>:$gate_biases,
    Variadic<HMoE_F32Tensor>:$selection_biases,
    Variadic<HMoE_F32Tensor>:$penalties,
    Optional<HMoE_F32Tensor>:$router_scale,
    HMoE_FloatTensor:$w1,
    Optional<HMoE_FloatTensor>:$w_up,
    Optional<HMoE_FloatTensor>:$b1,
    Optional<HMoE_FloatTensor>:$w2,
    Optional<HMoE_FloatTensor>:$b2,
    Optional<HMoE_FloatTensor>:$shared_w1,
    Optional<HMoE_FloatTensor>:$shared_w_up,
    Optional<HMoE_FloatTensor>:$shared_b1,
    Optional<HMoE_FloatTensor>:$shared_w2,
    Optional<HMoE_FloatTensor>:$shared_b2,
    Optional<HMoE_FloatTensor>:$shared_gate,
    HMoE_StrategyAttr:$strategy,
    HMoE_GateArrayAttr:$gates,
    DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$gate_bias_levels,
    DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$selection_bias_levels,
    DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$penalty_levels,
    HMoE_ExpertAttr:$expert,
    OptionalAttr<HMoE_ExpertAttr>:$shared_expert,
    OptionalAttr<F64Attr>:$capacity_factor,
    DefaultValuedAttr<HMoE_FillOrderAttr,
                      "::mlir::hmoe::FillOrder::TokenOrder">:$fill_order,
    DefaultValuedAttr<HMoE_CapacityRoundingAttr,
                      "::mlir::hmoe::CapacityRounding::Ceil">:$capacity_rounding,
    DefaultValuedAttr<HMoE_StatKindArrayAttr, "{}">:$stats,
    DefaultValuedAttr<F64Attr, "1.0">:$lambda_intra,
    DefaultValuedAttr<F64Attr, "1.0">:$lambda_inter,
    OptionalAttr<FlatSymbolRefAttr>:$expert_grid
  );
  let results = (outs HMoE_FloatTensor:$output,
                      Variadic<HMoE_TensorOf<[F32, I64]>>:$statistics);
  let assemblyFormat = [{
    $input `:` type($input) `,` qualified($strategy)
    `` custom<Levels>("\"weight\"", $gates, $gate_weights, type($gate_weights),
                   $gate_biases, type($gate_biases), $gate_bias_levels,
                   $selection_biases, type($selection_biases),
                   $selection_bias_levels, $penalties, type($penalties),
                   $penalty_levels)
    (`router_scale` $router_scale^ `:` type($router_scale))?
    `` custom<ExpertClause>($expert, $w1, type($w1), $w_up, type($w_up), $b1,
                            type($b1), $w2, type($w2), $b2, type($b2))
    `` custom<SharedExperts>($shared_expert, $shared_w1, type($shared_w1),
                             $shared_w_up, type($shared_w_up), $shared_b1,
                             type($shared_b1), $shared_w2, type($shared_w2),
                             $shared_b2, type($shared_b2), $shared_gate,
                             type($shared_gate))
    oilist(`capacity_factor` custom<FloatParameter>($capacity_factor)
         | `fill_order` custom<FillOrder>($fill_order)
         | `capacity_rounding` custom<CapacityRounding>($capacity_rounding)
         | `experts_on` $expert_grid
         | `stats` custom<StatList>($stats))
    attr-dict `->` type(results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The gate bias of `level`, or null.
    ::mlir::Value getGateBias(int64_t level);
    /// The selection bias of `level`, or null.
    ::mlir::Value getSelectionBias(int64_t level);
    /// The load penalty of `level`, or null.
    ::mlir::Value getPenalty(int64_t level);
    ::llvm::SmallVector<GateAttr> getGateList();
    /// The layer's routing tree, or failure (no diagnostic) when the op
    /// does not verify.
    ::mlir::FailureOr<RoutingTree> getRoutingTree();
  }];
}

//===----------------------------------------------------------------------===//
// Stages
//===----------------------------------------------------------------------===//

def HMoE_ScoreOp : HMoE_Op<"score", [Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Gate logits of every token for every child of a node";
  let description = [{
    For `input: [T, D]` and `weight: [P..., N, D]` (a batch `P...` of gates,
    e.g. one per group), computes `logits: [T, P..., N]` in `f32`:

    * `linear`: `W_c . x + b_c`
    * `laplace`: `-||x - W_c||_2 + b_c`
    * `gaussian`: `-||x - W_c||_2^2 + b_c`
    * `activation<f>`: `f(W_c . x + b_c)`

    `bias` is shaped `[P..., N]`. Distances are computed in at least `f32`;
    any lowering that uses `||x||^2 - 2 x.w + ||w||^2` clamps at 0 before
    the square root.

    ```mlir
    %s = hmoe.score laplace %x : tensor<?x512xf32>, %w : tensor<4x512xf32>
        -> tensor<?x4xf32>
    ```
  }];
  let arguments = (ins
    HMoE_ScoreKindAttr:$kind,
    OptionalAttr<HMoE_ActivationAttr>:$activation,
    HMoE_TokensTensor:$input,
    HMoE_GateWeightTensor:$weight,
    Optional<HMoE_FloatTensor>:$bias
  );
  let results = (outs HMoE_F32Tensor:$logits);
  let assemblyFormat = [{
    custom<ScoreFunction>($kind, $activation)
    $input `:` type($input) `,` $weight `:` type($weight)
    (`,` `bias` $bias^ `:` type($bias))? attr-dict `->` type($logits)
  }];
  let hasVerifier = 1;
}

def HMoE_RouteOp : HMoE_RoutingOp<"route", [AttrSizedOperandSegments]> {
  let summary = "Normalise, select and weight: the routing of every token";
  let description = [{
    From the gate logits of every level, computes for each token the experts
    it uses and their weights, following `strategy` (docs/numerics.md, "Hierarchical
    dispatch strategies"):

    * `weights: [T, K]` (`f32`): the final weights (renormalised, scaled,
      times the router scale), in selection order.
    * `experts: [T, K]` (`i32`): flat expert indices, distinct per token.
      For `nested`, the slots are ordered by level-1 choice, then level-2
      choice, and so on; for `group_limited` by selection key, descending;
      for `per_group` group by group, each by selection key.
    * `probs: [T, E]` (`f32`): the probability `p_e(t)` of every expert
      (before selection bias and renormalisation): the gate's probability
      for single-gate strategies, the product of the ancestors'
      probabilities for `nested`. Used by `hmoe.stats`.

    `K` is `k_1 * ... * k_L` for `nested`, the gate's `k` for
    `group_limited` and `groups * k` for `per_group`.

    Level `l`'s logits are `[T, N_1, ..., N_l]`, or `[T, N_l]` when the
    level's gate is shared by all nodes (for `nested`); single-gate
    strategies take `[T, E]`. Selection biases are shaped like the logits
    without `T`. The levels' token counts must agree: static ones are
    compared by the verifier, and the results' `T` is the static one if any
    level has one; dynamic ones are checked at run time
    (`RuntimeVerifiableOpInterface`).

    Destination-passing: the results are written into `outs` (weights,
    experts, probs). On tensors the op returns them; on memrefs (after
    bufferization) it writes the buffers and has no results. Tokens are
    independent: the op implements `TilingInterface` with the token
    dimension parallel, and its scalar implementation routes one token.

    ```mlir
    %w, %e, %p = hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<laplace, softmax, k = 2>, logits %l1 : tensor<?x4xf32>)
        level(#hmoe.gate<laplace, softmax, k = 2>, logits %l2 : tensor<?x4x8xf32>)
        outs(%w0, %e0, %p0 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>)
        -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>
    ```
  }];
  let arguments = (ins
    Variadic<HMoE_F32Shaped>:$logits,
    Variadic<HMoE_F32Shaped>:$selection_biases,
    Optional<HMoE_F32Shaped>:$router_scale,
    Variadic<AnyTypeOf<[HMoE_F32Shaped, HMoE_I32Shaped]>>:$outs,
    HMoE_StrategyAttr:$strategy,
    HMoE_GateArrayAttr:$gates,
    DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$selection_bias_levels
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    qualified($strategy)
    `` custom<Levels>("\"logits\"", $gates, $logits, type($logits),
                   $selection_biases, type($selection_biases),
                   $selection_bias_levels)
    (`router_scale` $router_scale^ `:` type($router_scale))?
    `outs` `(` $outs `:` type($outs) `)`
    attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = HMoE_RoutingOpDecl # [{
    /// The selection bias of `level`, or null.
    ::mlir::Value getSelectionBias(int64_t level);
    ::llvm::SmallVector<GateAttr> getGateList();
    /// The routing tree of the levels, or failure (no diagnostic).
    ::mlir::FailureOr<RoutingTree> getRoutingTree();
    /// The destinations: [T, K] weights, [T, K] experts, [T, E] probs.
    ::mlir::Value getWeightsInit() { return getOuts()[0]; }
    ::mlir::Value getExpertsInit() { return getOuts()[1]; }
    ::mlir::Value getProbsInit() { return getOuts()[2]; }
    /// The tensor results (null on memrefs).
    ::mlir::Value getWeights() { return getResults().empty() ? nullptr : getResults()[0]; }
    ::mlir::Value getExperts() { return getResults().empty() ? nullptr : getResults()[1]; }
    ::mlir::Value getProbs() { return getResults().empty() ? nullptr : getResults()[2]; }
  }];
}

def HMoE_DispatchOp : HMoE_RoutingOp<"dispatch", [AttrSizedOperandSegments]> {
  let summary = "Group the token-expert assignments by expert";
  let description = [{
    Sorts the `T * K` assignments of `experts: [T, K]` by expert (a stable
    counting sort: token order, then selection order), applying the
    capacity limit:

    * `slot_token: [T * K]`: for each slot in expert order, the token it
      holds. Slots `offsets[E]` and beyond are unused.
    * `slot_of: [T, K]`: the slot of each assignment, or -1 if it was
      dropped by capacity.
    * `offsets: [E + 1]`: expert `e` owns slots `offsets[e]` to
      `offsets[e + 1] - 1`; `offsets[E]` is the number of kept
      assignments.

    With `capacity_factor c`, expert `e` keeps at most
    `C = ceil(c * T * K / num_experts)` assignments (`capacity_rounding
    hi_moe`: Hi-MoE's rounding, see `hmoe.moe`), chosen in `fill_order`
    (`token_order`, `choice_rank`, or `score`, which needs the routing
    `weights: [T, K]`); the rest are dropped (`T * K - offsets[E]` of
    them). Within an expert, kept slots are in token order whatever the
    fill order.

    Expert indices must be in `[0, num_experts)`; unless they come from an
    `hmoe.route` over at most `num_experts` experts they are checked at run
    time (an out-of-range index is otherwise undefined behaviour). Slot
    indices are `i32`: a static `T * K` must be at most 2^31 - 1.

    Destination-passing (results written into `outs`; on memrefs the op has
    no results). The counting sort runs over the tokens in order, so the
    op is not tiled.

    ```mlir
    %slot_token, %slot_of, %offsets = hmoe.dispatch %e : tensor<?x4xi32>
        num_experts = 32
        outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x4xi32>, tensor<33xi32>)
        -> tensor<?xi32>, tensor<?x4xi32>, tensor<33xi32>
    ```
  }];
  let arguments = (ins
    HMoE_Rows<HMoE_I32Shaped, "[T, K] expert choices">:$experts,
    Optional<HMoE_Rows<HMoE_F32Shaped, "[T, K] routing weights">>:$weights,
    Variadic<HMoE_I32Shaped>:$outs,
    ConfinedAttr<I64Attr, [IntMinValue<1>, IntMaxValue<2147483647>]>:$num_experts,
    OptionalAttr<F64Attr>:$capacity_factor,
    DefaultValuedAttr<HMoE_FillOrderAttr,
                      "::mlir::hmoe::FillOrder::TokenOrder">:$fill_order,
    DefaultValuedAttr<HMoE_CapacityRoundingAttr,
                      "::mlir::hmoe::CapacityRounding::Ceil">:$capacity_rounding
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    $experts `:` type($experts)
    (`weights` $weights^ `:` type($weights))?
    `num_experts` `=` $num_experts
    oilist(`capacity_factor` custom<FloatParameter>($capacity_factor)
         | `fill_order` custom<FillOrder>($fill_order)
         | `capacity_rounding` custom<CapacityRounding>($capacity_rounding))
    `outs` `(` $outs `:` type($outs) `)`
    attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = HMoE_RoutingOpDecl # [{
    /// The destinations: [T * K] slot_token, [T, K] slot_of, [E + 1]
    /// offsets.
    ::mlir::Value getSlotTokenInit() { return getOuts()[0]; }
    ::mlir::Value getSlotOfInit() { return getOuts()[1]; }
    ::mlir::Value getOffsetsInit() { return getOuts()[2]; }
    /// The tensor results (null on memrefs).
    ::mlir::Value getSlotToken() { return getResults().empty() ? nullptr : getResults()[0]; }
    ::mlir::Value getSlotOf() { return getResults().empty() ? nullptr : getResults()[1]; }
    ::mlir::Value getOffsets() { return getResults().empty() ? nullptr : getResults()[2]; }
  }];
}

def HMoE_ExpertsOp : HMoE_Op<"experts", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Run every expert on the tokens dispatched to it";
  let description = [{
    For every used slot `s` of expert `e` (`offsets[e] <= s < offsets[e+1]`),
    computes `output[s] = expert_e(input[slot_token[s]])` in `f32`. Unused
    slots (from `offsets[E]` on) are zero.

    The plan must be valid: `offsets` non-decreasing from 0 to at most the
    number of slots, and every used slot naming a row of `input`. A plan
    built by one `hmoe.dispatch` is valid for that dispatch's tokens (only
    `T` is compared); any other is checked at run time
    (`RuntimeVerifiableOpInterface`) unless the op says `in_range`: its
    producer vouches for the plan (the decomposition's dense plan of the
    shared experts). Unchecked, an invalid plan is undefined behaviour, as
    for StableHLO's gather.

    Weights as for `hmoe.moe`'s `experts(...)` clause: `w1` is `W1` (ffn),
    `Wg` (swiglu) or `A` (linear); `w_up` is SwiGLU's `Wu`; `b1` is `b1`
    (ffn) or `c` (linear); `w2` and `b2` are the output projection.

    The `experts(...)` clause is spelled as `hmoe.moe`'s.

    ```mlir
    %o = hmoe.experts %x : tensor<?x1024xf32>, %st : tensor<?xi32>,
        %off : tensor<65xi32>
        experts(#hmoe.expert<swiglu, hidden = 256>,
                w1 %wg : tensor<64x256x1024xf32>, w_up %wu : tensor<64x256x1024xf32>,
                w2 %w2 : tensor<64x1024x256xf32>)
        -> tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins
    HMoE_TokensTensor:$input,
    HMoE_Vector<HMoE_I32Tensor, "[slots] slot tokens">:$slot_token,
    HMoE_Vector<HMoE_I32Tensor, "[E + 1] expert offsets">:$offsets,
    HMoE_ExpertAttr:$expert,
    HMoE_FloatTensor:$w1,
    Optional<HMoE_FloatTensor>:$w_up,
    Optional<HMoE_FloatTensor>:$b1,
    Optional<HMoE_FloatTensor>:$w2,
    Optional<HMoE_FloatTensor>:$b2,
    UnitAttr:$in_range
  );
  let results = (outs HMoE_F32Tensor:$output);
  let assemblyFormat = [{
    $input `:` type($input) `,` $slot_token `:` type($slot_token) `,`
    $offsets `:` type($offsets)
    `` custom<ExpertClause>($expert, $w1, type($w1), $w_up, type($w_up), $b1,
                         type($b1), $w2, type($w2), $b2, type($b2))
    (`in_range` $in_range^)? attr-dict `->` type($output)
  }];
  let hasVerifier = 1;
}

def HMoE_CombineOp : HMoE_Op<"combine", [Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Weighted sum of each token's expert outputs";
  let description = [{
    `output[t] = sum_j weights[t, j] * expert_output[slot_of[t, j]]` over the
    assignments `j` of token `t` that were kept (`slot_of[t, j] >= 0`);
    a token with none gets zeros. Accumulates in `f32` and converts to the
    output element type.

    Each `slot_of` entry must be -1 or a row of `expert_output`, and
    `slot_of` and `weights` must have the same `T`. Entries from the
    `hmoe.dispatch` whose plan made `expert_output` are in range; others
    are checked at run time unless the op says `in_range` (its producer
    vouches for `slot_of`, as the decomposition does for the shared
    experts'); dynamic token counts are always checked. Unchecked, an
    out-of-range slot is undefined behaviour.

    ```mlir
    %y = hmoe.combine %o, %slot_of, %w
        : tensor<?x512xf32>, tensor<?x4xi32>, tensor<?x4xf32> -> tensor<?x512xf32>
    ```
  }];
  let arguments = (ins
    HMoE_Rows<HMoE_F32Tensor, "[slots, D_out] expert outputs", 0>:$expert_output,
    HMoE_Rows<HMoE_I32Tensor, "[T, K] slots">:$slot_of,
    HMoE_Rows<HMoE_F32Tensor, "[T, K] routing weights">:$weights,
    UnitAttr:$in_range
  );
  let results = (outs HMoE_Rows<HMoE_FloatTensor, "[T, D_out] tokens", 0>:$output);
  let assemblyFormat = [{
    $expert_output `,` $slot_of `,` $weights (`in_range` $in_range^)? attr-dict `:`
    type($expert_output) `,` type($slot_of) `,` type($weights) `->`
    type($output)
  }];
  let hasVerifier = 1;
}

def HMoE_StatsOp : HMoE_RoutingOp<"stats", [AttrSizedOperandSegments]> {
  let summary = "Routing statistics and auxiliary losses";
  let description = [{
    Computes the statistics named in `stats`, one result each, in order,
    from the expert probabilities `probs: [T, E]` and choices
    `experts: [T, K]` of one layer call. Groups are `groups` equal,
    contiguous ranges of experts.

    | stat | result | definition |
    |------|--------|------------|
    | `load` | `[E] i64` | assignments per expert, before capacity drops |
    | `importance` | `[E] f32` | `sum_t p_e(t)` |
    | `group_load` | `[G] i64` | `load` summed per group |
    | `group_importance` | `[G] f32` | `importance` summed per group |
    | `dropped` | `[] i64` | assignments with `slot_of < 0` (needs `slot_of`) |
    | `balance_loss` | `[] f32` | `E * sum_e f_e * P_e`, `f_e = load_e / (T K)`, `P_e = mean_t p_e(t)` |
    | `cv2_loss` | `[] f32` | `cv(importance)^2 + cv(load)^2`, `cv = std / mean` (population) |
    | `z_loss` | `[] f32` | `mean_t (logsumexp_c logits[t, c])^2` (needs `logits`) |
    | `r_intra` | `[] f32` | `-lambda_intra * mean_t sum_e p_e(t)^2` |
    | `r_inter` | `[] f32` | `lambda_inter * mean_t sum_g (sum_{e in g} p_e(t))^2` |

    The operands' token counts must agree (dynamic ones are checked at run
    time), and `experts` must hold indices in `[0, E)` (checked at run time
    unless they come from an `hmoe.route` over `E` experts).

    With `T = 0`, means over tokens are 0 and so is every loss; a `cv`
    whose mean is 0 is 0. When lowered from `hmoe.moe`, `logits` are the
    top-level gate's logits (`[T, N_1]` for `nested`, `[T, E]` otherwise)
    and `groups` is `N_1` for `nested`, the strategy's `groups` otherwise.

    Destination-passing: one `outs` operand per statistic (on memrefs the
    op has no results). Statistics are sums over all tokens, so the op is
    not tiled.

    ```mlir
    %load, %bal = hmoe.stats [load, balance_loss]
        probs %p : tensor<?x32xf32>, experts %e : tensor<?x4xi32>
        outs(%l0, %b0 : tensor<32xi64>, tensor<f32>)
        -> tensor<32xi64>, tensor<f32>
    ```
  }];
  let arguments = (ins
    HMoE_Rows<HMoE_F32Shaped, "[T, E] expert probabilities">:$probs,
    HMoE_Rows<HMoE_I32Shaped, "[T, K] expert choices">:$experts,
    Optional<HMoE_Rows<HMoE_F32Shaped, "[T, N] top-level logits">>:$logits,
    Optional<HMoE_Rows<HMoE_I32Shaped, "[T, K] slots">>:$slot_of,
    Variadic<HMoE_StatShaped>:$outs,
    HMoE_StatKindArrayAttr:$stats,
    DefaultValuedAttr<ConfinedAttr<I64Attr, [IntMinValue<1>]>, "1">:$groups,
    DefaultValuedAttr<F64Attr, "1.0">:$lambda_intra,
    DefaultValuedAttr<F64Attr, "1.0">:$lambda_inter
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = [{
    custom<StatList>($stats)
    `probs` $probs `:` type($probs) `,` `experts` $experts `:` type($experts)
    (`logits` $logits^ `:` type($logits))?
    (`slot_of` $slot_of^ `:` type($slot_of))?
    `outs` `(` $outs `:` type($outs) `)`
    attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
}

#endif // HMOE_DIALECT_HMOE_IR_HMOEOPS_TD
