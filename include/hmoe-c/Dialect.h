/*===- hmoe-c/Dialect.h - C API: the hmoe dialect and its attributes -----===*\
|*                                                                            *|
|* Registration of the dialect (and of the upstream dialects its pipelines    *|
|* need) and builders for its attributes. Works with MLIR's own C API         *|
|* (mlir-c/IR.h); every function here is in libHMoE-C.so.                   *|
\*===----------------------------------------------------------------------===*/

#ifndef HMOE_C_DIALECT_H
#define HMOE_C_DIALECT_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mlirGetDialectHandle__hmoe__(): the dialect alone. */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(HMoE, hmoe);

/* Adds the hmoe dialect and the external models of its ops (bufferization,
 * tiling, run-time verification): enough to parse, verify and transform. */
MLIR_CAPI_EXPORTED void hmoeRegisterDialects(MlirDialectRegistry registry);

/* Adds, beyond hmoeRegisterDialects, the upstream dialects and interface
 * models that hmoe's pipelines create (needed to run hmoe-lower-to-cpu in a
 * context that has nothing else registered). */
MLIR_CAPI_EXPORTED void
hmoeRegisterPipelineDialects(MlirDialectRegistry registry);

/* Enumerations (same values as the dialect's C++ enums). */
typedef enum HMoEScoreKind {
  HMoEScoreLinear = 0,
  HMoEScoreLaplace = 1,
  HMoEScoreGaussian = 2,
  HMoEScoreActivation = 3
} HMoEScoreKind;

typedef enum HMoEActivation {
  HMoEActivationNone = -1,
  HMoEActivationTanh = 0,
  HMoEActivationSigmoid = 1,
  HMoEActivationRelu = 2,
  HMoEActivationGelu = 3,
  HMoEActivationSilu = 4
} HMoEActivation;

typedef enum HMoENormalization {
  HMoENormalizationSoftmax = 0,
  HMoENormalizationSigmoid = 1
} HMoENormalization;

typedef enum HMoEStrategyKind {
  HMoEStrategyNested = 0,
  HMoEStrategyGroupLimited = 1,
  HMoEStrategyPerGroup = 2
} HMoEStrategyKind;

typedef enum HMoEGroupScore {
  HMoEGroupScoreMax = 0,
  HMoEGroupScoreSumTop = 1
} HMoEGroupScore;

typedef enum HMoEExpertKind {
  HMoEExpertFFN = 0,
  HMoEExpertSwiGLU = 1,
  HMoEExpertLinear = 2
} HMoEExpertKind;

typedef enum HMoEFillOrder {
  HMoEFillTokenOrder = 0,
  HMoEFillChoiceRank = 1,
  HMoEFillScore = 2
} HMoEFillOrder;

typedef enum HMoECapacityRounding {
  HMoECapacityCeil = 0,
  HMoECapacityHiMoE = 1
} HMoECapacityRounding;

typedef enum HMoEStatKind {
  HMoEStatLoad = 0,
  HMoEStatImportance = 1,
  HMoEStatGroupLoad = 2,
  HMoEStatGroupImportance = 3,
  HMoEStatDropped = 4,
  HMoEStatBalanceLoss = 5,
  HMoEStatCV2Loss = 6,
  HMoEStatZLoss = 7,
  HMoEStatRIntra = 8,
  HMoEStatRInter = 9
} HMoEStatKind;

/* #hmoe.gate<score, normalization, k = k, ...>. Invalid parameters (k < 1,
 * a temperature that is not a normal f32, ...) emit an error through the
 * context's diagnostic handlers and return a null attribute. */
MLIR_CAPI_EXPORTED MlirAttribute
hmoeGateAttrGet(MlirContext ctx, HMoEScoreKind score, HMoEActivation activation,
                HMoENormalization normalization, int64_t k, double temperature,
                bool renormalize, double scale);

/* #hmoe.strategy<...>: groups, kGroups and topM are 0 where the strategy
 * takes none; null (with an error) when invalid. */
MLIR_CAPI_EXPORTED MlirAttribute
hmoeStrategyAttrGet(MlirContext ctx, HMoEStrategyKind kind, int64_t groups,
                    int64_t kGroups, HMoEGroupScore groupScore, int64_t topM);

/* #hmoe.expert<kind, activation = ..., hidden = ...>: activation only for
 * ffn, hidden 0 for linear; null (with an error) when invalid. */
MLIR_CAPI_EXPORTED MlirAttribute hmoeExpertAttrGet(MlirContext ctx,
                                                   HMoEExpertKind kind,
                                                   HMoEActivation activation,
                                                   int64_t hidden);

MLIR_CAPI_EXPORTED bool hmoeAttributeIsAGate(MlirAttribute attr);
MLIR_CAPI_EXPORTED bool hmoeAttributeIsAStrategy(MlirAttribute attr);
MLIR_CAPI_EXPORTED bool hmoeAttributeIsAnExpert(MlirAttribute attr);

/* The number of children a gate chooses. */
MLIR_CAPI_EXPORTED int64_t hmoeGateAttrGetK(MlirAttribute gate);

#ifdef __cplusplus
}
#endif

#endif /* HMOE_C_DIALECT_H */
