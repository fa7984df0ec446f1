//===- HMoEEnums.td - hmoe enumerations ---------------------*- tablegen -*-===//

#ifndef HMOE_DIALECT_HMOE_IR_HMOEENUMS_TD
#define HMOE_DIALECT_HMOE_IR_HMOEENUMS_TD

include "hmoe/Dialect/HMoE/IR/HMoEDialect.td"
include "mlir/IR/EnumAttr.td"

class HMoE_I32Enum<string name, string summary, list<I32EnumAttrCase> cases>
    : I32EnumAttr<name, summary, cases> {
  let cppNamespace = "::mlir::hmoe";
  // The dialect attributes below wrap these; no IntegerAttr form is needed.
  let genSpecializedAttr = 0;
}

class HMoE_EnumAttr<EnumAttrInfo enumInfo, string mnemonic>
    : EnumAttr<HMoE_Dialect, enumInfo, mnemonic>;

def HMoE_ScoreKind : HMoE_I32Enum<"ScoreKind", "gate score function", [
  // s_c = W_c . x + b_c
  I32EnumAttrCase<"Linear", 0, "linear">,
  // s_c = -||x - W_c||_2 + b_c
  I32EnumAttrCase<"Laplace", 1, "laplace">,
  // s_c = -||x - W_c||_2^2 + b_c
  I32EnumAttrCase<"Gaussian", 2, "gaussian">,
  // s_c = f(W_c . x + b_c)
  I32EnumAttrCase<"Activation", 3, "activation">
]>;
def HMoE_ScoreKindAttr : HMoE_EnumAttr<HMoE_ScoreKind, "score_kind">;

def HMoE_Activation : HMoE_I32Enum<"Activation", "element-wise activation", [
  I32EnumAttrCase<"Tanh", 0, "tanh">,
  I32EnumAttrCase<"Sigmoid", 1, "sigmoid">,
  I32EnumAttrCase<"Relu", 2, "relu">,
  I32EnumAttrCase<"Gelu", 3, "gelu">,
  I32EnumAttrCase<"Silu", 4, "silu">
]>;
def HMoE_ActivationAttr : HMoE_EnumAttr<HMoE_Activation, "activation">;

def HMoE_Normalization : HMoE_I32Enum<"Normalization",
    "how gate logits become probabilities", [
  I32EnumAttrCase<"Softmax", 0, "softmax">,
  I32EnumAttrCase<"Sigmoid", 1, "sigmoid">
]>;

def HMoE_StrategyKind : HMoE_I32Enum<"StrategyKind",
    "hierarchical dispatch strategy", [
  I32EnumAttrCase<"Nested", 0, "nested">,
  I32EnumAttrCase<"GroupLimited", 1, "group_limited">,
  I32EnumAttrCase<"PerGroup", 2, "per_group">
]>;

def HMoE_GroupScore : HMoE_I32Enum<"GroupScore",
    "score of an expert group in group-limited routing", [
  I32EnumAttrCase<"Max", 0, "max">,
  I32EnumAttrCase<"SumTop", 1, "sum_top">
]>;

def HMoE_ExpertKind : HMoE_I32Enum<"ExpertKind", "expert network", [
  I32EnumAttrCase<"FFN", 0, "ffn">,
  I32EnumAttrCase<"SwiGLU", 1, "swiglu">,
  I32EnumAttrCase<"Linear", 2, "linear">
]>;

def HMoE_FillOrder : HMoE_I32Enum<"FillOrder",
    "which choices an expert keeps under a capacity limit", [
  // Token 0's choices in selection order, then token 1's, ...
  I32EnumAttrCase<"TokenOrder", 0, "token_order">,
  // Every token's first choice (in token order), then every second, ...
  I32EnumAttrCase<"ChoiceRank", 1, "choice_rank">,
  // Decreasing routing weight; ties to the lower token.
  I32EnumAttrCase<"Score", 2, "score">
]>;
def HMoE_FillOrderAttr : HMoE_EnumAttr<HMoE_FillOrder, "fill_order"> {
  let assemblyFormat = "$value";
}

def HMoE_CapacityRounding : HMoE_I32Enum<"CapacityRounding",
    "how an expert's capacity is rounded", [
  // ceil(c * T * K / E)
  I32EnumAttrCase<"Ceil", 0, "ceil">,
  // floor(c * T * K / E), then up to an even number, at least 4 (Hi-MoE)
  I32EnumAttrCase<"HiMoE", 1, "hi_moe">
]>;
def HMoE_CapacityRoundingAttr
    : HMoE_EnumAttr<HMoE_CapacityRounding, "capacity_rounding"> {
  let assemblyFormat = "$value";
}

def HMoE_StatKind : HMoE_I32Enum<"StatKind",
    "routing statistic or auxiliary loss", [
  I32EnumAttrCase<"Load", 0, "load">,
  I32EnumAttrCase<"Importance", 1, "importance">,
  I32EnumAttrCase<"GroupLoad", 2, "group_load">,
  I32EnumAttrCase<"GroupImportance", 3, "group_importance">,
  I32EnumAttrCase<"Dropped", 4, "dropped">,
  I32EnumAttrCase<"BalanceLoss", 5, "balance_loss">,
  I32EnumAttrCase<"CV2Loss", 6, "cv2_loss">,
  I32EnumAttrCase<"ZLoss", 7, "z_loss">,
  I32EnumAttrCase<"RIntra", 8, "r_intra">,
  I32EnumAttrCase<"RInter", 9, "r_inter">
]>;
def HMoE_StatKindAttr : HMoE_EnumAttr<HMoE_StatKind, "stat">;
def HMoE_StatKindArrayAttr
    : TypedArrayAttrBase<HMoE_StatKindAttr, "array of routing statistics">;

#endif // HMOE_DIALECT_HMOE_IR_HMOEENUMS_TD
