/*===- layer.c - C API test: build, verify, parse and compile a layer ----===*/
/* RUN: hmoe-capi-test 2>&1 | FileCheck %s
 */

#include "hmoe-c/Layer.h"
#include "hmoe-c/Dialect.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void printToFile(MlirStringRef str, void *file) {
  fwrite(str.data, 1, str.length, (FILE *)file);
}

/* Appends printed text to a growing buffer. */
typedef struct Buffer {
  char *data;
  size_t size;
} Buffer;

static void printToBuffer(MlirStringRef str, void *userData) {
  Buffer *buffer = (Buffer *)userData;
  buffer->data = realloc(buffer->data, buffer->size + str.length + 1);
  memcpy(buffer->data + buffer->size, str.data, str.length);
  buffer->size += str.length;
  buffer->data[buffer->size] = 0;
}

static MlirLogicalResult printDiagnostic(MlirDiagnostic diagnostic,
                                         void *userData) {
  (void)userData;
  fprintf(stderr, "diagnostic: ");
  mlirDiagnosticPrint(diagnostic, printToFile, stderr);
  fprintf(stderr, "\n");
  return mlirLogicalResultSuccess();
}

static void printAttr(const char *what, MlirAttribute attr) {
  fprintf(stderr, "%s: ", what);
  if (mlirAttributeIsNull(attr))
    fprintf(stderr, "<null>");
  else
    mlirAttributePrint(attr, printToFile, stderr);
  fprintf(stderr, "\n");
}

/* A two-level nested layer: 2 groups of 4 experts, one gate per group at
 * level 2, Laplace at level 1, statistics. */
static HMoELayerSpec nestedLayer(MlirContext ctx, HMoELevelSpec levels[2],
                                 const HMoEStatKind *stats, int64_t k2) {
  levels[0] = (HMoELevelSpec){
      hmoeGateAttrGet(ctx, HMoEScoreLaplace, HMoEActivationNone,
                      HMoENormalizationSoftmax, 1, 1.0, true, 1.0),
      2, false, true, false, false};
  levels[1] = (HMoELevelSpec){
      hmoeGateAttrGet(ctx, HMoEScoreLinear, HMoEActivationNone,
                      HMoENormalizationSoftmax, k2, 0.5, true, 1.0),
      4, false, false, true, false};
  HMoELayerSpec spec;
  memset(&spec, 0, sizeof(spec));
  spec.name = mlirStringRefCreateFromCString("layer");
  spec.tokens = -1;
  spec.dim = 16;
  spec.strategy =
      hmoeStrategyAttrGet(ctx, HMoEStrategyNested, 0, 0, HMoEGroupScoreMax, 0);
  spec.numLevels = 2;
  spec.levels = levels;
  spec.expert = hmoeExpertAttrGet(ctx, HMoEExpertFFN, HMoEActivationGelu, 8);
  spec.b1 = true;
  spec.numStats = 2;
  spec.stats = stats;
  return spec;
}

// The CHECK lines name whole printed lines; keep them unwrapped.
// clang-format off
int main(void) {
  MlirContext ctx = mlirContextCreate();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  hmoeRegisterPipelineDialects(registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextAttachDiagnosticHandler(ctx, printDiagnostic, NULL, NULL);

  MlirStringRef ns = mlirDialectHandleGetNamespace(mlirGetDialectHandle__hmoe__());
  fprintf(stderr, "dialect: %.*s\n", (int)ns.length, ns.data);
  // CHECK: dialect: hmoe

  printAttr("gate", hmoeGateAttrGet(ctx, HMoEScoreActivation, HMoEActivationTanh,
                                    HMoENormalizationSigmoid, 2, 2.0, false, 1.5));
  // CHECK: gate: #hmoe.gate<activation<tanh>, sigmoid, k = 2, temperature = 2.000000e+00, renormalize = false, scale = 1.500000e+00>
  printAttr("strategy", hmoeStrategyAttrGet(ctx, HMoEStrategyGroupLimited, 8, 4,
                                            HMoEGroupScoreSumTop, 2));
  // CHECK: strategy: #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
  printAttr("expert", hmoeExpertAttrGet(ctx, HMoEExpertSwiGLU, HMoEActivationNone, 32));
  // CHECK: expert: #hmoe.expert<swiglu, hidden = 32>

  // Invalid parameters: an error through the context, a null attribute.
  printAttr("bad gate", hmoeGateAttrGet(ctx, HMoEScoreLinear, HMoEActivationNone,
                                        HMoENormalizationSoftmax, 0, 1.0, true, 1.0));
  // CHECK: diagnostic: gate must choose k >= 1 children; got k = 0
  // CHECK: bad gate: <null>
  printAttr("bad expert", hmoeExpertAttrGet(ctx, HMoEExpertFFN, HMoEActivationNone, 8));
  // CHECK: diagnostic: ffn experts need 'activation = <f>'
  // CHECK: bad expert: <null>
  // Values outside the C enums (they printed as empty keywords and crashed
  // the lowering).
  printAttr("unknown activation",
            hmoeGateAttrGet(ctx, HMoEScoreActivation, (HMoEActivation)99,
                            HMoENormalizationSoftmax, 2, 1.0, true, 1.0));
  // CHECK: diagnostic: unknown activation 99; expected one of tanh, sigmoid, relu, gelu, silu
  // CHECK: unknown activation: <null>
  printAttr("unknown score",
            hmoeGateAttrGet(ctx, (HMoEScoreKind)99, HMoEActivationNone,
                            HMoENormalizationSoftmax, 2, 1.0, true, 1.0));
  // CHECK: diagnostic: unknown score kind 99; expected one of linear, laplace, gaussian, activation
  printAttr("unknown normalization",
            hmoeGateAttrGet(ctx, HMoEScoreLinear, HMoEActivationNone,
                            (HMoENormalization)99, 2, 1.0, true, 1.0));
  // CHECK: diagnostic: unknown normalization 99; expected one of softmax, sigmoid
  printAttr("unknown strategy",
            hmoeStrategyAttrGet(ctx, (HMoEStrategyKind)99, 0, 0, HMoEGroupScoreMax, 0));
  // CHECK: diagnostic: unknown strategy kind 99; expected one of nested, group_limited, per_group
  printAttr("unknown group score",
            hmoeStrategyAttrGet(ctx, HMoEStrategyGroupLimited, 8, 4, (HMoEGroupScore)99, 2));
  // CHECK: diagnostic: unknown group score 99; expected one of max, sum_top
  printAttr("unknown expert kind",
            hmoeExpertAttrGet(ctx, (HMoEExpertKind)99, HMoEActivationNone, 8));
  // CHECK: diagnostic: unknown expert kind 99; expected one of ffn, swiglu, linear
  printAttr("unknown expert activation",
            hmoeExpertAttrGet(ctx, HMoEExpertFFN, (HMoEActivation)99, 8));
  // CHECK: diagnostic: unknown activation 99; expected one of tanh, sigmoid, relu, gelu, silu
  // CHECK: unknown expert activation: <null>

  // Build a layer.
  MlirLocation loc = mlirLocationFileLineColGet(
      ctx, mlirStringRefCreateFromCString("layer.c"), 1, 1);
  MlirModule module = mlirModuleCreateEmpty(loc);
  HMoELevelSpec levels[2];
  HMoEStatKind stats[2] = {HMoEStatLoad, HMoEStatBalanceLoss};
  HMoELayerSpec spec = nestedLayer(ctx, levels, stats, 2);
  MlirOperation func = hmoeLayerBuild(module, loc, &spec);
  if (mlirOperationIsNull(func)) {
    fprintf(stderr, "FAILED: the layer did not build\n");
    return 1;
  }
  Buffer text = {NULL, 0};
  mlirOperationPrint(mlirModuleGetOperation(module), printToBuffer, &text);
  fprintf(stderr, "%s\n", text.data);
  // CHECK-LABEL: func.func @layer(
  // CHECK-SAME: %[[X:.*]]: tensor<?x16xf32>, %[[G1:.*]]: tensor<2x16xf32>, %[[B1:.*]]: tensor<2xf32>,
  // CHECK-SAME: %[[G2:.*]]: tensor<2x4x16xf32>, %[[S2:.*]]: tensor<2x4xf32>,
  // CHECK-SAME: %[[W1:.*]]: tensor<8x8x16xf32>, %[[BB1:.*]]: tensor<8x8xf32>, %[[W2:.*]]: tensor<8x16x8xf32>)
  // CHECK-SAME: -> (tensor<?x16xf32>, tensor<8xi64>, tensor<f32>)
  // CHECK-NEXT: %{{.*}}, %{{.*}}:2 = hmoe.moe %[[X]] : tensor<?x16xf32>, #hmoe.strategy<nested>
  // CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 1>, weight %[[G1]] : tensor<2x16xf32>, bias %[[B1]] : tensor<2xf32>)
  // CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2, temperature = 5.000000e-01>, weight %[[G2]] : tensor<2x4x16xf32>, selection_bias %[[S2]] : tensor<2x4xf32>)
  // CHECK-NEXT: experts(#hmoe.expert<ffn, activation = gelu, hidden = 8>, w1 %[[W1]] : tensor<8x8x16xf32>, b1 %[[BB1]] : tensor<8x8xf32>, w2 %[[W2]] : tensor<8x16x8xf32>)
  // CHECK-SAME: stats [load, balance_loss]

  // A layer that does not verify: the error at the op, no function left.
  HMoELayerSpec bad = nestedLayer(ctx, levels, stats, 5);
  bad.name = mlirStringRefCreateFromCString("bad");
  MlirOperation badFunc = hmoeLayerBuild(module, loc, &bad);
  fprintf(stderr, "bad layer: %s\n", mlirOperationIsNull(badFunc) ? "<null>" : "built");
  // CHECK: diagnostic: 'hmoe.moe' op level 2 gate chooses k = 5 of only 4 children; expected k <= 4
  // CHECK: bad layer: <null>

  // Shared experts: a count of 0 (a zero-initialised spec) means one; a
  // negative count is an error (it was read as one).
  MlirModule sharedModule = mlirModuleCreateEmpty(loc);
  HMoELayerSpec shared = nestedLayer(ctx, levels, stats, 2);
  shared.name = mlirStringRefCreateFromCString("shared");
  shared.sharedExpert = hmoeExpertAttrGet(ctx, HMoEExpertFFN, HMoEActivationGelu, 4);
  MlirOperation sharedFunc = hmoeLayerBuild(sharedModule, loc, &shared);
  fprintf(stderr, "shared layer: %s\n", mlirOperationIsNull(sharedFunc) ? "<null>" : "built");
  if (!mlirOperationIsNull(sharedFunc)) {
    mlirOperationPrint(sharedFunc, printToFile, stderr);
    fprintf(stderr, "\n");
  }
  // CHECK: shared layer: built
  // CHECK: func.func @shared({{.*}}: tensor<1x4x16xf32>, {{.*}}: tensor<1x16x4xf32>)
  shared.name = mlirStringRefCreateFromCString("shared_bad");
  shared.sharedCount = -1;
  MlirOperation sharedBad = hmoeLayerBuild(sharedModule, loc, &shared);
  fprintf(stderr, "negative shared count: %s\n", mlirOperationIsNull(sharedBad) ? "<null>" : "built");
  // CHECK: diagnostic: layer 'shared_bad' needs shared_count >= 1 with a shared expert; got -1
  // CHECK: negative shared count: <null>
  mlirModuleDestroy(sharedModule);

  // Expert parallelism: the experts over a grid of 2 processes (made in the
  // module, shared by a second such layer), w1/b1/w2 one process's 4 of 8;
  // 3 processes do not divide 8 experts; a symbol @experts_2 that is not
  // the grid is an error.
  MlirModule spreadModule = mlirModuleCreateEmpty(loc);
  HMoELayerSpec spread = nestedLayer(ctx, levels, stats, 2);
  spread.name = mlirStringRefCreateFromCString("spread");
  spread.expertProcesses = 2;
  MlirOperation spreadFunc = hmoeLayerBuild(spreadModule, loc, &spread);
  spread.name = mlirStringRefCreateFromCString("spread_again");
  MlirOperation spreadAgain = hmoeLayerBuild(spreadModule, loc, &spread);
  fprintf(stderr, "spread layers: %s\n",
          mlirOperationIsNull(spreadFunc) || mlirOperationIsNull(spreadAgain) ? "<null>" : "built");
  mlirOperationPrint(mlirModuleGetOperation(spreadModule), printToFile, stderr);
  fprintf(stderr, "\n");
  // CHECK: spread layers: built
  // CHECK-NEXT: module {
  // CHECK-NEXT: shard.grid @experts_2(shape = 2)
  // CHECK-NEXT: func.func @spread({{.*}}: tensor<4x8x16xf32>, {{.*}}: tensor<4x8xf32>, {{.*}}: tensor<4x16x8xf32>)
  // CHECK: experts_on @experts_2
  // CHECK-NOT: shard.grid
  // CHECK: func.func @spread_again(
  // CHECK: experts_on @experts_2
  spread.name = mlirStringRefCreateFromCString("spread_bad");
  spread.expertProcesses = 3;
  MlirOperation spreadBad = hmoeLayerBuild(spreadModule, loc, &spread);
  fprintf(stderr, "3 processes: %s\n", mlirOperationIsNull(spreadBad) ? "<null>" : "built");
  // CHECK: diagnostic: layer 'spread_bad' spreads 8 experts over 3 processes; expected a number of processes that divides the experts
  // CHECK: 3 processes: <null>
  mlirModuleDestroy(spreadModule);
  MlirModule takenModule = mlirModuleCreateEmpty(loc);
  HMoELayerSpec taken = nestedLayer(ctx, levels, stats, 2);
  taken.name = mlirStringRefCreateFromCString("experts_2");
  hmoeLayerBuild(takenModule, loc, &taken);
  taken.name = mlirStringRefCreateFromCString("spread");
  taken.expertProcesses = 2;
  MlirOperation takenFunc = hmoeLayerBuild(takenModule, loc, &taken);
  fprintf(stderr, "name taken: %s\n", mlirOperationIsNull(takenFunc) ? "<null>" : "built");
  // CHECK: diagnostic: the layer's experts go on the grid @experts_2, but the module has another symbol of that name; expected shard.grid @experts_2(shape = 2)
  // CHECK: name taken: <null>
  mlirModuleDestroy(takenModule);
  // The name is a grid, of another shape.
  MlirModule otherGridModule = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString("shard.grid @experts_2(shape = 4)"));
  taken.name = mlirStringRefCreateFromCString("spread");
  MlirOperation otherGridFunc = hmoeLayerBuild(otherGridModule, loc, &taken);
  fprintf(stderr, "grid of another shape: %s\n", mlirOperationIsNull(otherGridFunc) ? "<null>" : "built");
  // CHECK: diagnostic: the layer's experts go on the grid @experts_2, but the module has a grid of that name of shape 4; expected shard.grid @experts_2(shape = 2)
  // CHECK: grid of another shape: <null>
  mlirModuleDestroy(otherGridModule);

  // What a spec's plain fields can get wrong: each an error, no function.
  MlirModule badModule = mlirModuleCreateEmpty(loc);
  HMoEStatKind badStats[1] = {(HMoEStatKind)99};
  HMoELayerSpec wrong = nestedLayer(ctx, levels, badStats, 2);
  wrong.numStats = 1;
  MlirOperation wrongFunc = hmoeLayerBuild(badModule, loc, &wrong);
  fprintf(stderr, "unknown statistic: %s\n", mlirOperationIsNull(wrongFunc) ? "<null>" : "built");
  // CHECK: diagnostic: 'hmoe.moe' op requests an unknown statistic kind 99; expected one of load, importance, group_load, group_importance, dropped, balance_loss, cv2_loss, z_loss, r_intra, r_inter
  // CHECK: unknown statistic: <null>
  wrong = nestedLayer(ctx, levels, stats, 2);
  wrong.numStats = -3;
  wrongFunc = hmoeLayerBuild(badModule, loc, &wrong);
  fprintf(stderr, "negative numStats: %s\n", mlirOperationIsNull(wrongFunc) ? "<null>" : "built");
  // CHECK: diagnostic: layer 'layer': numStats is -3; expected 0 or more
  // CHECK: negative numStats: <null>
  wrong = nestedLayer(ctx, levels, stats, 2);
  wrong.fillOrder = (HMoEFillOrder)99;
  wrongFunc = hmoeLayerBuild(badModule, loc, &wrong);
  fprintf(stderr, "unknown fill order: %s\n", mlirOperationIsNull(wrongFunc) ? "<null>" : "built");
  // CHECK: diagnostic: layer 'layer': fillOrder is 99, not one of the HMoEFillOrder values
  // CHECK: unknown fill order: <null>
  wrong = nestedLayer(ctx, levels, stats, 2);
  wrong.sharedExpert = wrong.strategy;
  wrongFunc = hmoeLayerBuild(badModule, loc, &wrong);
  fprintf(stderr, "shared expert of another kind: %s\n", mlirOperationIsNull(wrongFunc) ? "<null>" : "built");
  // CHECK: diagnostic: layer 'layer': sharedExpert is #hmoe.strategy<nested>; expected an #hmoe.expert (or null: none)
  // CHECK: shared expert of another kind: <null>
  // One name twice in a module: the second is an error (the module no
  // longer verified).
  wrong = nestedLayer(ctx, levels, stats, 2);
  wrongFunc = hmoeLayerBuild(badModule, loc, &wrong);
  MlirOperation twice = hmoeLayerBuild(badModule, loc, &wrong);
  fprintf(stderr, "first: %s, same name again: %s, module verifies: %d\n",
          mlirOperationIsNull(wrongFunc) ? "<null>" : "built",
          mlirOperationIsNull(twice) ? "<null>" : "built",
          mlirOperationVerify(mlirModuleGetOperation(badModule)));
  // CHECK: diagnostic: layer 'layer': the module already has a function of that name; expected a new name
  // CHECK: first: built, same name again: <null>, module verifies: 1
  // Nor the name of the grid the layer's experts go on.
  wrong = nestedLayer(ctx, levels, stats, 2);
  wrong.name = mlirStringRefCreateFromCString("experts_2");
  wrong.expertProcesses = 2;
  wrongFunc = hmoeLayerBuild(badModule, loc, &wrong);
  fprintf(stderr, "named as its grid: %s, module verifies: %d\n",
          mlirOperationIsNull(wrongFunc) ? "<null>" : "built",
          mlirOperationVerify(mlirModuleGetOperation(badModule)));
  // CHECK: diagnostic: layer 'experts_2': the name of the grid its experts go on; expected another name
  // CHECK: named as its grid: <null>, module verifies: 1
  mlirModuleDestroy(badModule);

  // The printed layer parses back in a fresh module.
  MlirModule reparsed = mlirModuleCreateParse(ctx, mlirStringRefCreate(text.data, text.size));
  fprintf(stderr, "reparsed: %s\n", mlirModuleIsNull(reparsed) ? "failed" : "ok");
  // CHECK: reparsed: ok

  // Passes by name through MLIR's pass C API.
  hmoeRegisterPasses();
  hmoeRegisterPipelines();
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      opm, mlirStringRefCreateFromCString("builtin.module(hmoe-decompose)"), printToFile, stderr);
  MlirLogicalResult ran = mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(reparsed));
  fprintf(stderr, "hmoe-decompose: %s\n",
          mlirLogicalResultIsSuccess(parsed) && mlirLogicalResultIsSuccess(ran) ? "ok" : "failed");
  // CHECK: hmoe-decompose: ok
  mlirOperationPrint(mlirModuleGetOperation(reparsed), printToFile, stderr);
  fprintf(stderr, "\n");
  // CHECK: hmoe.route
  // CHECK: hmoe.dispatch
  // CHECK: hmoe.experts
  // CHECK: hmoe.combine
  mlirPassManagerDestroy(pm);

  // Compile the built layer to the LLVM dialect.
  MlirLogicalResult lowered =
      hmoeLowerToCPU(module, mlirStringRefCreateFromCString("target-cpu=x86-64"));
  fprintf(stderr, "hmoe-lower-to-cpu: %s\n", mlirLogicalResultIsSuccess(lowered) ? "ok" : "failed");
  // CHECK: hmoe-lower-to-cpu: ok
  mlirOperationPrint(mlirModuleGetOperation(module), printToFile, stderr);
  fprintf(stderr, "\n");
  // CHECK: llvm.func @layer(
  // CHECK-NOT: hmoe.moe
  // CHECK-NOT: func.func

  MlirLogicalResult badOptions =
      hmoeLowerToCPU(module, mlirStringRefCreateFromCString("no-such-option=1"));
  fprintf(stderr, "bad options: %s\n", mlirLogicalResultIsSuccess(badOptions) ? "ok" : "failed");
  // CHECK: diagnostic: invalid hmoe-lower-to-cpu options: 'no-such-option=1'
  // CHECK: bad options: failed

  free(text.data);
  mlirModuleDestroy(reparsed);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
// clang-format on
