//===- Layer.cpp - C API: build and compile a layer -----------------------===//

#include "hmoe-c/Layer.h"
#include "CEnum.h"
#include "hmoe/Dialect/HMoE/Utils/LayerBuilder.h"
#include "hmoe/InitAllPasses.h"
#include "hmoe/Pipelines/Pipelines.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::hmoe;

template <typename AttrT> static AttrT attrOrNull(MlirAttribute attr) {
  return mlirAttributeIsNull(attr) ? AttrT() : dyn_cast<AttrT>(unwrap(attr));
}

MlirOperation hmoeLayerBuild(MlirModule module, MlirLocation loc,
                             const HMoELayerSpec *spec) {
  ModuleOp moduleOp = unwrap(module);
  Location location = unwrap(loc);
  MLIRContext *ctx = moduleOp.getContext();
  ctx->getOrLoadDialect<func::FuncDialect>();
  ctx->getOrLoadDialect<HMoEDialect>();

  LayerSpec layer;
  layer.name = unwrap(spec->name).str();
  if (layer.name.empty())
    layer.name = "layer";
  if (!mlirTypeIsNull(spec->elementType))
    layer.elementType = unwrap(spec->elementType);
  layer.tokens = spec->tokens < 0 ? ShapedType::kDynamic : spec->tokens;
  layer.dim = spec->dim;
  layer.strategy = attrOrNull<StrategyAttr>(spec->strategy);
  layer.expert = attrOrNull<ExpertAttr>(spec->expert);
  for (intptr_t l = 0; l < spec->numLevels; ++l) {
    const HMoELevelSpec &level = spec->levels[l];
    layer.levels.push_back({attrOrNull<GateAttr>(level.gate), level.fanout,
                            level.sharedGate, level.gateBias,
                            level.selectionBias, level.penalty});
  }
  layer.sharedExpert = attrOrNull<ExpertAttr>(spec->sharedExpert);
  // (Null means none; another attribute is a mistake, not none.)
  if (!mlirAttributeIsNull(spec->sharedExpert) && !layer.sharedExpert) {
    emitError(location) << "layer '" << layer.name << "': sharedExpert is "
                        << unwrap(spec->sharedExpert)
                        << "; expected an #hmoe.expert (or null: none)";
    return MlirOperation{nullptr};
  }
  // (A zero-initialised spec means the defaults: one shared expert.)
  layer.sharedCount = spec->sharedCount == 0 ? 1 : spec->sharedCount;
  layer.sharedGate = spec->sharedGate;
  layer.b1 = spec->b1;
  layer.b2 = spec->b2;
  layer.routerScale = spec->routerScale;
  if (spec->hasCapacityFactor)
    layer.capacityFactor = spec->capacityFactor;
  std::optional<FillOrder> order =
      symbolizeFillOrder(rawValue(spec->fillOrder));
  std::optional<CapacityRounding> rounding =
      symbolizeCapacityRounding(rawValue(spec->capacityRounding));
  if (!order || !rounding) {
    emitError(location) << "layer '" << layer.name
                        << "': " << (order ? "capacityRounding" : "fillOrder")
                        << " is "
                        << (order ? rawValue(spec->capacityRounding)
                                  : rawValue(spec->fillOrder))
                        << ", not one of the HMoE"
                        << (order ? "CapacityRounding" : "FillOrder")
                        << " values";
    return MlirOperation{nullptr};
  }
  if (spec->numStats < 0) {
    emitError(location) << "layer '" << layer.name << "': numStats is "
                        << static_cast<int64_t>(spec->numStats)
                        << "; expected 0 or more";
    return MlirOperation{nullptr};
  }
  layer.fillOrder = *order;
  layer.capacityRounding = *rounding;
  for (intptr_t s = 0; s < spec->numStats; ++s)
    layer.stats.push_back(static_cast<StatKind>(rawValue(spec->stats[s])));
  if (spec->lambdaIntra != 0.0)
    layer.lambdaIntra = spec->lambdaIntra;
  if (spec->lambdaInter != 0.0)
    layer.lambdaInter = spec->lambdaInter;
  if (spec->expertProcesses != 0)
    layer.expertProcesses = spec->expertProcesses;

  OpBuilder builder = OpBuilder::atBlockEnd(moduleOp.getBody());
  FailureOr<func::FuncOp> func = buildLayerFunction(builder, location, layer);
  if (failed(func))
    return MlirOperation{nullptr};
  return wrap(func->getOperation());
}

void hmoeRegisterPasses(void) { registerAllPasses(); }

void hmoeRegisterPipelines(void) { registerAllPipelines(); }

MlirLogicalResult hmoeLowerToCPU(MlirModule module, MlirStringRef options) {
  ModuleOp moduleOp = unwrap(module);
  std::unique_ptr<LowerToCPUOptions> parsed =
      LowerToCPUOptions::createFromString(unwrap(options));
  if (!parsed) {
    emitError(moduleOp.getLoc())
        << "invalid hmoe-lower-to-cpu options: '" << unwrap(options) << "'";
    return mlirLogicalResultFailure();
  }
  PassManager pm(moduleOp->getName());
  buildLowerToCPUPipeline(pm, *parsed);
  return wrap(pm.run(moduleOp));
}
