//===- Dialect.cpp - C API: the hmoe dialect and its attributes -----------===//

#include "hmoe-c/Dialect.h"
#include "CEnum.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/InitAllDialects.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::hmoe;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(HMoE, hmoe, mlir::hmoe::HMoEDialect)

void hmoeRegisterDialects(MlirDialectRegistry registry) {
  registerAllDialects(*unwrap(registry));
}

void hmoeRegisterPipelineDialects(MlirDialectRegistry registry) {
  registerPipelineDialects(*unwrap(registry));
}

/// (By reference: a copy would load the C enum as such; see rawValue.)
static std::optional<Activation>
activationOf(const HMoEActivation &activation) {
  if (rawValue(activation) == HMoEActivationNone)
    return std::nullopt;
  return static_cast<Activation>(rawValue(activation));
}

/// Errors of getChecked go to the context's handlers, at an unknown location
/// (a C caller has no op to point at yet).
static auto emitterFor(MLIRContext *ctx) {
  return [ctx] { return emitError(UnknownLoc::get(ctx)); };
}

MlirAttribute hmoeGateAttrGet(MlirContext ctx, HMoEScoreKind score,
                              HMoEActivation activation,
                              HMoENormalization normalization, int64_t k,
                              double temperature, bool renormalize,
                              double scale) {
  MLIRContext *context = unwrap(ctx);
  context->getOrLoadDialect<HMoEDialect>();
  return wrap(GateAttr::getChecked(
      emitterFor(context), context, static_cast<ScoreKind>(rawValue(score)),
      activationOf(activation),
      static_cast<Normalization>(rawValue(normalization)), k,
      APFloat(temperature), renormalize, APFloat(scale)));
}

MlirAttribute hmoeStrategyAttrGet(MlirContext ctx, HMoEStrategyKind kind,
                                  int64_t groups, int64_t kGroups,
                                  HMoEGroupScore groupScore, int64_t topM) {
  MLIRContext *context = unwrap(ctx);
  context->getOrLoadDialect<HMoEDialect>();
  return wrap(StrategyAttr::getChecked(
      emitterFor(context), context, static_cast<StrategyKind>(rawValue(kind)),
      groups, kGroups, static_cast<GroupScore>(rawValue(groupScore)), topM));
}

MlirAttribute hmoeExpertAttrGet(MlirContext ctx, HMoEExpertKind kind,
                                HMoEActivation activation, int64_t hidden) {
  MLIRContext *context = unwrap(ctx);
  context->getOrLoadDialect<HMoEDialect>();
  return wrap(ExpertAttr::getChecked(emitterFor(context), context,
                                     static_cast<ExpertKind>(rawValue(kind)),
                                     activationOf(activation), hidden));
}

bool hmoeAttributeIsAGate(MlirAttribute attr) {
  return isa<GateAttr>(unwrap(attr));
}
bool hmoeAttributeIsAStrategy(MlirAttribute attr) {
  return isa<StrategyAttr>(unwrap(attr));
}
bool hmoeAttributeIsAnExpert(MlirAttribute attr) {
  return isa<ExpertAttr>(unwrap(attr));
}

int64_t hmoeGateAttrGetK(MlirAttribute gate) {
  return cast<GateAttr>(unwrap(gate)).getK();
}
