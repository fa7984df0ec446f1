//===- HMoEAttrs.td - hmoe attributes -----------------------*- tablegen -*-===//

#ifndef HMOE_DIALECT_HMOE_IR_HMOEATTRS_TD
#define HMOE_DIALECT_HMOE_IR_HMOEATTRS_TD

include "hmoe/Dialect/HMoE/IR/HMoEDialect.td"
include "hmoe/Dialect/HMoE/IR/HMoEEnums.td"
include "mlir/IR/AttrTypeBase.td"

class HMoE_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<HMoE_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def HMoE_GateAttr : HMoE_Attr<"Gate", "gate"> {
  let summary = "One routing level's gate: score, normalisation, top-k";
  let description = [{
    Configures one gate (one level of the routing tree):

    ```
    #hmoe.gate<laplace, softmax, k = 2>
    #hmoe.gate<activation<tanh>, softmax, k = 1, temperature = 0.5>
    #hmoe.gate<linear, sigmoid, k = 8, scale = 2.5>
    #hmoe.gate<gaussian, softmax, k = 2, renormalize = false>
    ```

    * score: `linear` (`W_c . x + b_c`), `laplace` (`-||x - W_c|| + b_c`),
      `gaussian` (`-||x - W_c||^2 + b_c`) or `activation<f>`
      (`f(W_c . x + b_c)`, `f` in tanh, sigmoid, relu, gelu, silu).
    * normalisation: `softmax` (`exp(s_c / tau) / sum_j exp(s_j / tau)`,
      computed stably) or `sigmoid` (`1 / (1 + exp(-s_c / tau))`, per child).
    * `k`: how many children are chosen, `1 <= k <= N`; `k = N` is dense.
      In the `per_group` strategy, `k` is the number chosen inside each
      group.
    * `temperature` (`tau > 0`, default 1).
    * `renormalize` (default `true`): the chosen weights are divided by their
      sum; with `false` they are the probabilities themselves.
    * `scale` (default 1): a constant factor on the final weights
      (DeepSeek's `routed_scaling_factor`).

    Selection: the chosen set is the top-k of `p + beta` (`beta` the
    optional selection bias, weights always use `p`). Ties go to the lower
    index. NaN keys are never chosen over a number; when fewer than `k`
    candidates are numbers, the remaining slots take the NaN candidates in
    index order, so the result always names `k` distinct children and their
    weights are NaN.
  }];
  let parameters = (ins
    EnumParameter<HMoE_ScoreKind>:$score,
    OptionalParameter<"std::optional<::mlir::hmoe::Activation>">:$activation,
    EnumParameter<HMoE_Normalization>:$normalization,
    "int64_t":$k,
    APFloatParameter<"temperature tau > 0">:$temperature,
    "bool":$renormalize,
    APFloatParameter<"constant factor on the final weights">:$scale
  );
  let builders = [
    AttrBuilder<(ins "ScoreKind":$score, "Normalization":$normalization,
                     "int64_t":$k,
                     CArg<"std::optional<Activation>", "std::nullopt">:$activation,
                     CArg<"double", "1.0">:$temperature,
                     CArg<"bool", "true">:$renormalize,
                     CArg<"double", "1.0">:$scale)>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    double getTemperatureValue() const {
      return getTemperature().convertToDouble();
    }
    double getScaleValue() const { return getScale().convertToDouble(); }
    /// Returns a copy with `k` replaced.
    GateAttr withK(int64_t newK) const;
  }];
}

def HMoE_GateArrayAttr
    : TypedArrayAttrBase<HMoE_GateAttr, "array of gates, one per level">;

def HMoE_StrategyAttr : HMoE_Attr<"Strategy", "strategy"> {
  let summary = "Hierarchical dispatch strategy";
  let description = [{
    ```
    #hmoe.strategy<nested>
    #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = max>
    #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
    #hmoe.strategy<per_group, groups = 4>
    ```

    * `nested` (the HMoE paper): one gate per level; level `l` picks `k_l`
      children inside every node chosen at level `l - 1`. A token uses
      `k_1 * ... * k_L` experts, and the weight of an expert is the product
      of its ancestors' weights. One level is a flat MoE.
    * `group_limited` (DeepSeek-V2/V3): one gate over all `E` experts, cut
      into `groups` equal groups. A group's score is the max of its
      selection-biased expert probabilities (`max`) or the sum of its top
      `m` (`sum_top<m>`); the best `k_groups` groups are kept and the gate's
      top-`k` experts are chosen among the kept groups only.
    * `per_group` (Hi-MoE): one gate over all `E` experts, cut into
      `groups` groups; the gate's top-`k` is taken inside every group, so a
      token uses `groups * k` experts. Weights are renormalised over all
      the chosen experts when the gate renormalises.
  }];
  let parameters = (ins
    EnumParameter<HMoE_StrategyKind>:$kind,
    DefaultValuedParameter<"int64_t", "0">:$groups,
    DefaultValuedParameter<"int64_t", "0">:$k_groups,
    DefaultValuedParameter<"::mlir::hmoe::GroupScore",
                           "::mlir::hmoe::GroupScore::Max">:$group_score,
    DefaultValuedParameter<"int64_t", "0">:$top_m
  );
  let builders = [
    AttrBuilder<(ins "StrategyKind":$kind), [{
      return $_get($_ctxt, kind, 0, 0, GroupScore::Max, 0);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool isNested() const { return getKind() == StrategyKind::Nested; }
  }];
}

def HMoE_ExpertAttr : HMoE_Attr<"Expert", "expert"> {
  let summary = "Expert network kind and size";
  let description = [{
    ```
    #hmoe.expert<ffn, activation = gelu, hidden = 1024>
    #hmoe.expert<swiglu, hidden = 256>
    #hmoe.expert<linear>
    ```

    * `ffn`: `W2_e . f(W1_e . x + b1_e) + b2_e` with `W1: [E, H, D]`,
      `W2: [E, D_out, H]`, optional biases `b1: [E, H]`, `b2: [E, D_out]`.
    * `swiglu`: `W2_e . (silu(Wg_e . x) * (Wu_e . x))` with `Wg, Wu: [E, H, D]`,
      `W2: [E, D_out, H]`, no biases.
    * `linear`: `A_e . x + c_e` with `A: [E, D_out, D]`, optional `c: [E, D_out]`
      (the Gaussian-expert mean of the theory papers); it has no hidden size.
  }];
  let parameters = (ins
    EnumParameter<HMoE_ExpertKind>:$kind,
    OptionalParameter<"std::optional<::mlir::hmoe::Activation>">:$activation,
    DefaultValuedParameter<"int64_t", "0">:$hidden
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // HMOE_DIALECT_HMOE_IR_HMOEATTRS_TD
