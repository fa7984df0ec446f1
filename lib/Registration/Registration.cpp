//===- Registration.cpp - hmoe's dialect, pass and pipeline registration --===//

#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Codegen/Passes.h"
#include "hmoe/Conversion/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/Transforms/BufferizableOpInterfaceImpl.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"
#include "hmoe/Dialect/HMoE/Transforms/RuntimeOpVerification.h"
#include "hmoe/Dialect/HMoE/Transforms/TilingInterfaceImpl.h"
#include "hmoe/InitAllDialects.h"
#include "hmoe/InitAllPasses.h"
#include "hmoe/Pipelines/Pipelines.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;

void hmoe::registerAllDialects(DialectRegistry &registry) {
  // experts_on layers name a shard.grid.
  registry.insert<HMoEDialect, shard::ShardDialect>();
  registerBufferizableOpInterfaceExternalModels(registry);
  registerRuntimeVerifiableOpInterfaceExternalModels(registry);
  registerTilingInterfaceExternalModels(registry);
}

void hmoe::registerPipelineDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerHMoEPipelineDependencies(registry);
}

void hmoe::registerAllPasses() {
  registerHMoEPasses();
  registerHMoEConversionPasses();
  registerHMoECodegenPasses();
  registerHMoEGPUCodegenPasses();
}

void hmoe::registerAllPipelines() { registerHMoEPipelines(); }
