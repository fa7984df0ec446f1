/*===- hmoe-c/Layer.h - C API: build and compile a layer -----------------===*\
|*                                                                            *|
|* A layer described by plain C structs becomes a func.func holding one       *|
|* hmoe.moe (hmoe::buildLayerFunction); hmoe's passes and pipelines are       *|
|* registered for mlirParsePassPipeline, and hmoeLowerToCPU compiles a module *|
|* to the LLVM dialect.                                                       *|
\*===----------------------------------------------------------------------===*/

#ifndef HMOE_C_LAYER_H
#define HMOE_C_LAYER_H

#include "hmoe-c/Dialect.h"
#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One routing level (see hmoe::LevelSpec). */
typedef struct HMoELevelSpec {
  MlirAttribute gate; /* #hmoe.gate */
  int64_t fanout;     /* N_l (nested) or E (group_limited, per_group) */
  bool sharedGate;    /* nested levels > 1: one gate for the whole level */
  bool gateBias;
  bool selectionBias;
  bool penalty; /* Hi-MoE's load penalty (one-level layers) */
} HMoELevelSpec;

/* A layer (see hmoe::LayerSpec for the function's argument order). */
typedef struct HMoELayerSpec {
  MlirStringRef name;
  MlirType elementType; /* f32, bf16 or f16; null: f32 */
  int64_t tokens;       /* T, or a negative number for a dynamic T */
  int64_t dim;          /* D */
  MlirAttribute strategy;
  intptr_t numLevels;
  const HMoELevelSpec *levels;
  MlirAttribute expert;
  bool b1, b2, routerScale;
  MlirAttribute sharedExpert; /* null: no shared experts */
  int64_t sharedCount;        /* shared experts (0: 1; negative: error) */
  bool sharedGate;            /* Qwen2-MoE's sigmoid(u . x) gate */
  bool hasCapacityFactor;
  double capacityFactor;
  HMoEFillOrder fillOrder;               /* 0: token_order */
  HMoECapacityRounding capacityRounding; /* 0: ceil */
  intptr_t numStats;
  const HMoEStatKind *stats;
  double lambdaIntra, lambdaInter; /* 0 means the default, 1 */
  /* Expert parallelism: the routed experts spread over this many MPI
   * processes (experts_on shard.grid @experts_<R>, made in `module` unless
   * it has one); the expert weights are then one process's E / R experts.
   * 0 or 1: one process. */
  int64_t expertProcesses;
} HMoELayerSpec;

/* Appends the layer's function to `module` and verifies it. Returns the
 * func.func, or a null operation after emitting the errors at `loc`. */
MLIR_CAPI_EXPORTED MlirOperation hmoeLayerBuild(MlirModule module,
                                                MlirLocation loc,
                                                const HMoELayerSpec *spec);

/* Registers every hmoe pass with the global registry. */
MLIR_CAPI_EXPORTED void hmoeRegisterPasses(void);

/* Registers the named pipelines (hmoe-lower-to-cpu, ...). */
MLIR_CAPI_EXPORTED void hmoeRegisterPipelines(void);

/* Runs hmoe-lower-to-cpu with `options` (the pipeline's option string, e.g.
 * "target-cpu=znver3 openmp=false"; empty for the defaults) on `module`.
 * The context must have hmoeRegisterPipelineDialects' dialects. Failures
 * are reported through the context's diagnostic handlers. */
MLIR_CAPI_EXPORTED MlirLogicalResult hmoeLowerToCPU(MlirModule module,
                                                    MlirStringRef options);

#ifdef __cplusplus
}
#endif

#endif /* HMOE_C_LAYER_H */
