//===- Pipelines.cpp - named hmoe pass pipelines --------------------------===//

#include "hmoe/Pipelines/Pipelines.h"
#include "hmoe/Conversion/ShardToMPI/MPIMemoryEffects.h"

#include "hmoe/Codegen/CPUTarget.h"
#include "hmoe/Codegen/GPU/CUDAToolkit.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Codegen/Passes.h"
#include "hmoe/Codegen/ValueBounds.h"
#include "hmoe/Conversion/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/Transforms/BufferizableOpInterfaceImpl.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"
#include "hmoe/Dialect/HMoE/Transforms/RuntimeOpVerification.h"
#include "hmoe/Dialect/HMoE/Transforms/TilingInterfaceImpl.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMPass.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MPIToLLVM/MPIToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/RuntimeOpVerification.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/RuntimeOpVerification.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/RuntimeOpVerification.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include <limits>

using namespace mlir;

namespace {
/// `pipeline`'s error for option `name`'s value unless it is `taken`
/// ("<pipeline>: <name>=<value>: expected <expected>"); empty if it is.
std::string unlessTaken(bool taken, StringRef pipeline, StringRef name,
                        int64_t value, StringRef expected) {
  if (taken)
    return "";
  return (pipeline + ": " + name + "=" + Twine(value) + ": expected " +
          expected)
      .str();
}

/// unlessTaken for a value below the least the option takes.
std::string belowLeast(StringRef pipeline, StringRef name, int64_t value,
                       int64_t least, StringRef expected) {
  return unlessTaken(value >= least, pipeline, name, value, expected);
}

/// Errors for the GPU schedule's options that only the pipelines read
/// (hmoe-lower-to-nvvm's, and hmoe-lower-to-cpu's with gpu-mapped); the
/// passes check the rest.
template <typename Options>
SmallVector<std::string> gpuScheduleErrors(StringRef pipeline,
                                           const Options &options) {
  return {belowLeast(pipeline, "thread-jam", options.threadJam, 1,
                     "1 (a column at a time) or more"),
          belowLeast(pipeline, "thread-load-bytes", options.threadLoadBytes, 0,
                     "0 (off) or a power of two from 2 to 64"),
          belowLeast(pipeline, "warp-route-experts", options.warpRouteExperts,
                     -1,
                     "-1 (no route on warps), 0 (every route one warp can "
                     "take) or more")};
}

/// Whether `errors` holds one (a non-empty string): then `pm` gets only a
/// pass reporting the first, as a pipeline builder cannot fail itself.
bool rejectsOptions(OpPassManager &pm, ArrayRef<std::string> errors) {
  for (const std::string &error : errors) {
    if (error.empty())
      continue;
    hmoe::HMoERejectPipelineOptionsOptions reject;
    reject.message = error;
    pm.addPass(hmoe::createHMoERejectPipelineOptions(reject));
    return true;
  }
  return false;
}

/// The values hmoe-lower-to-cpu does not take: sizes below their "the
/// target's schedule" or "never" values, which the builder would
/// otherwise read as those.
SmallVector<std::string> cpuOptionErrors(const hmoe::LowerToCPUOptions &o) {
  StringRef cpu = "hmoe-lower-to-cpu";
  StringRef fromSchedule = "0 (the target's schedule) or more";
  SmallVector<std::string> errors = {
      unlessTaken(o.vectorWidth == 0 ||
                      (o.vectorWidth > 0 && o.vectorWidth <= 64 &&
                       llvm::isPowerOf2_64(o.vectorWidth)),
                  cpu, "vector-width", o.vectorWidth,
                  "0 (the target's schedule) or a power of two from 1 to 64"),
      belowLeast(cpu, "tile-rows", o.tileRows, 0, fromSchedule),
      belowLeast(cpu, "tile-cols", o.tileCols, 0, fromSchedule),
      belowLeast(cpu, "k-block", o.kBlock, -1,
                 "-1 (the target's schedule), 0 (all of K) or more"),
      belowLeast(cpu, "packed-rows", o.packedRows, -1,
                 "-1 (the target's schedule), 0 (never) or more"),
      belowLeast(cpu, "prefetch-tiles", o.prefetchTiles, -1,
                 "-1 (the target's schedule), 0 (never) or more"),
      belowLeast(cpu, "parallel-experts", o.parallelExperts, 0,
                 "0 (never) or more"),
      belowLeast(cpu, "adaptive-rows", o.adaptiveRows, 0, "0 (never) or more"),
      unlessTaken(o.serialWork >= 0 && o.serialWork <= (int64_t(1) << 31), cpu,
                  "serial-work", o.serialWork, "0 (never) to 2^31")};
  llvm::append_range(errors, gpuScheduleErrors(cpu, o));
  return errors;
}

/// The values hmoe-lower-to-nvvm does not take (chips are checked by
/// hmoe-require-cuda-toolkit, which names the toolkit too).
SmallVector<std::string> nvvmOptionErrors(const hmoe::LowerToNVVMOptions &o) {
  StringRef nvvm = "hmoe-lower-to-nvvm";
  SmallVector<std::string> errors = gpuScheduleErrors(nvvm, o);
  errors.push_back(belowLeast(nvvm, "thread-array-elements",
                              o.threadArrayElements, 0,
                              "0 (arrays left in local memory) or more"));
  errors.push_back(
      belowLeast(nvvm, "cyclic-group-bytes", o.cyclicGroupBytes, 0,
                 "0 or more (below an element's size: a column a group)"));
  if (!llvm::is_contained({"isa", "bin", "fatbin"}, StringRef(o.format)))
    errors.push_back((nvvm + ": format=" + o.format +
                      ": expected isa (PTX text), bin (cubin) or fatbin")
                         .str());
  if (StringRef(o.chip).trim(" ,").empty())
    errors.push_back((nvvm + ": chip is empty: expected one or more chips, "
                             "comma-separated (sm_80, sm_90a, ...)")
                         .str());
  // LLVM's NVPTX back end ignores, with a warning only, a feature it does
  // not know.
  SmallVector<StringRef> features;
  StringRef(o.features).split(features, ',', -1, /*KeepEmpty=*/false);
  for (StringRef feature : features) {
    StringRef name = feature.trim();
    unsigned long long version;
    bool archSpecific;
    bool known =
        (name.consume_front("+") || name.consume_front("-")) &&
        (name.consume_front("ptx")
             ? !llvm::consumeUnsignedInteger(name, 10, version) && name.empty()
             : hmoe::parseSMName(name, version, archSpecific));
    if (!known) {
      errors.push_back((nvvm + ": features=" + o.features + ": '" +
                        feature.trim() +
                        "' is not a PTX feature: expected +ptx<version> "
                        "(or +sm_<number>), comma-separated")
                           .str());
      break;
    }
  }
  return errors;
}

/// The GPU schedule on tensors, shared by hmoe-lower-to-nvvm and
/// hmoe-lower-to-cpu{gpu-mapped}: convert with expert scratch per stage,
/// then tile every stage over blocks and threads as `tile` says (before
/// any canonicalization, which would fold the scratch outputs away).
void addGPUTiling(OpPassManager &pm, bool fuseDistance,
                  const hmoe::HMoETileForGPUOptions &tile) {
  using namespace hmoe;
  ConvertHMoEToLinalgOptions convert;
  convert.fuseDistance = fuseDistance;
  convert.expertStageScratch = true;
  // A block per 16 rows of an expert, not per expert: every SM busy
  // however the tokens spread. On tensor cores (the experts whose
  // contractions hmoe-tile-for-gpu gives to warps) 64: each warp steps over
  // them 16 at a time, and every block reads the expert's weights once for
  // 64 rows instead of 16.
  convert.expertRowTile = 16;
  convert.expertMMARowTile = tile.tensorCores ? 64 : 0;
  convert.expertMMAF32 = tile.tf32 || tile.splitTF32;
  pm.addPass(createConvertHMoEToLinalg(convert));
  pm.addNestedPass<func::FuncOp>(createHMoETileForGPU(tile));
}

/// One-shot bufferization of the whole module; function boundaries get
/// identity layouts (callers pass contiguous row-major buffers).
void addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

/// The GPU schedule's part on buffers: dispatch and statistics as device
/// launches.
void addDeviceDispatchAndStats(OpPassManager &pm, int64_t blockThreads) {
  hmoe::HMoEDistributeDispatchOptions dispatch;
  dispatch.blockThreads = blockThreads;
  pm.addNestedPass<func::FuncOp>(hmoe::createHMoEDistributeDispatch(dispatch));
  hmoe::HMoEDistributeStatsOptions stats;
  stats.blockThreads = blockThreads;
  pm.addNestedPass<func::FuncOp>(hmoe::createHMoEDistributeStats(stats));
}

/// The threads' linalg ops as sequential loops, each reduction's
/// accumulator promoted to a register and a tile of up to `threadRows`
/// rows by `threadJam` output columns carried through each K step, its
/// rows read `threadLoadBytes` at a time, a short loop over adjacent
/// columns on vectors (the GPU's loops; the gpu-mapped CPU run executes the
/// same ones).
void addThreadLoops(OpPassManager &pm, int64_t threadJam, int64_t threadRows,
                    int64_t threadLoadBytes) {
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  hmoe::HMoEPromoteLoopAccumulatorsOptions promote;
  promote.jamFactor = threadJam;
  promote.rowJamFactor = threadRows;
  pm.addNestedPass<func::FuncOp>(
      hmoe::createHMoEPromoteLoopAccumulators(promote));
  if (threadLoadBytes > 0) {
    // The jam's copies of a row index made one, so is each row's load.
    pm.addNestedPass<func::FuncOp>(createCSEPass());
    hmoe::HMoEVectorizeLoopLoadsOptions loads;
    loads.bytes = threadLoadBytes;
    pm.addNestedPass<func::FuncOp>(hmoe::createHMoEVectorizeLoopLoads(loads));
  }
  // A thread's group of adjacent combine columns (tile-for-gpu's
  // cyclic-group-bytes) computed once on vectors.
  pm.addNestedPass<func::FuncOp>(hmoe::createHMoEVectorizeColumnLoops());
}
} // namespace

void hmoe::buildLowerToCPUPipeline(OpPassManager &pm,
                                   const LowerToCPUOptions &options) {
  if (rejectsOptions(pm, cpuOptionErrors(options)))
    return;
  // The target first: it fails on an unknown CPU name, and its schedule
  // sizes the code below (an explicit option overrides the schedule).
  HMoESetCPUTargetOptions setTarget;
  setTarget.cpu = options.targetCpu;
  pm.addPass(createHMoESetCPUTarget(setTarget));
  std::string error;
  FailureOr<CPUTarget> target = resolveCPUTarget(options.targetCpu, error);
  const CPUSchedule &schedule =
      succeeded(target) ? scheduleFor(*target) : cpuSchedules().back();
  auto orSchedule = [](int64_t option, int64_t fromSchedule) {
    return option > 0 ? option : fromSchedule;
  };
  pm.addPass(createHMoERecordABI());
  pm.addPass(createHMoEDecompose({/*processChecks=*/options.runtimeChecks}));
  // Expert parallelism's collectives (experts_on layers) as MPI calls.
  pm.addPass(createHMoEConvertShardToMPI({/*gpu=*/options.gpuMapped}));
  // Checks go in front of the stage ops, before they are lowered away;
  // the GPU schedule's are the GPU's (the index checks as block loops).
  if (options.runtimeChecks && options.gpuMapped)
    pm.addPass(createHMoEGenerateSizeChecks({/*deviceChecks=*/true}));
  else if (options.runtimeChecks)
    pm.addPass(createGenerateRuntimeVerificationPass());
  // The GPU schedule's code is checked unvectorised (it is not what the
  // CPU vectorisers are written for).
  bool vectorize = options.vectorize && !options.gpuMapped;
  if (options.gpuMapped) {
    HMoETileForGPUOptions tile;
    tile.blockRows = options.blockRows;
    tile.blockThreads = 256;
    tile.tensorCores = options.tensorCores;
    tile.tf32 = options.tf32;
    tile.splitTF32 = options.splitTF32;
    tile.fuseGathers = true;
    tile.threadRows = options.threadRows;
    tile.cyclicColumns = true;
    tile.cyclicGroupBytes = 16;
    tile.fuseRoutes = options.fuseRoutes;
    tile.warpRouteExperts = options.warpRouteExperts;
    addGPUTiling(pm, options.fuseDistance, tile);
  } else {
    ConvertHMoEToLinalgOptions convert;
    convert.fuseDistance = options.fuseDistance;
    pm.addPass(createConvertHMoEToLinalg(convert));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // Routing is tiled over tokens on tensors (each tile a thread's work),
    // then bufferized with everything else and lowered to loops on buffers.
    HMoETileRoutesOptions tileRoutes;
    tileRoutes.tileSize = schedule.routeTileTokens;
    pm.addNestedPass<func::FuncOp>(createHMoETileRoutes(tileRoutes));
    // After the last CSE: each GEMM its own zero accumulator again.
    pm.addPass(createHMoESplitSharedFills());
  }

  addBufferization(pm);
  if (options.gpuMapped) {
    addDeviceDispatchAndStats(pm, /*blockThreads=*/256);
    // The warps' mma.sync steps, their lanes run one after the other.
    HMoEWarpContractionsToMMAOptions warps;
    warps.emulate = true;
    warps.tf32 = options.tf32;
    warps.splitTF32 = options.splitTF32;
    warps.rowTiles = options.warpRowTiles;
    warps.loadBytes = options.warpLoadBytes;
    warps.stageBytes = options.warpStageBytes;
    warps.stages = options.warpStages;
    warps.ldmatrix = options.warpLdmatrix;
    warps.warpgroupMMA = options.warpWgmma;
    pm.addNestedPass<func::FuncOp>(createHMoEWarpContractionsToMMA(warps));
    HMoELowerWarpRoutesOptions warpRoutes;
    warpRoutes.emulate = true;
    pm.addNestedPass<func::FuncOp>(createHMoELowerWarpRoutes(warpRoutes));
    HMoEStageThreadContractionsOptions stage;
    stage.kTileBytes = options.threadStageBytes;
    stage.stages = options.threadStages;
    stage.emulate = true;
    pm.addNestedPass<func::FuncOp>(createHMoEStageThreadContractions(stage));
    if (options.vectorCopies)
      pm.addNestedPass<func::FuncOp>(createHMoEVectorizeThreadCopies());
  }
  // Buffer deallocation does not see into scf.forall (the buffers of each
  // expert of a forall over experts leaked, 100 MB a call of W1), but it
  // does into scf.parallel.
  pm.addPass(createForallToParallelLoopPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  // Deallocation may return a clone of an argument (a function that only
  // casts its input): clones become alloc + copy.
  pm.addPass(createConvertBufferizationToMemRefPass());
  HMoELowerRoutingToLoopsOptions routingLoops;
  routingLoops.vectorWidth =
      vectorize ? orSchedule(options.vectorWidth, schedule.vectorWidth) : 1;
  pm.addNestedPass<func::FuncOp>(createHMoELowerRoutingToLoops(routingLoops));

  if (vectorize) {
    HMoEVectorizeContractionsOptions vectorize;
    vectorize.vectorWidth =
        orSchedule(options.vectorWidth, schedule.vectorWidth);
    vectorize.tileRows = orSchedule(options.tileRows, schedule.tileRows);
    vectorize.tileCols = orSchedule(options.tileCols, schedule.tileCols);
    vectorize.rowsPerTask = schedule.rowsPerTask;
    vectorize.taskBytes = schedule.taskBytes;
    vectorize.kBlock = options.kBlock >= 0 ? options.kBlock : schedule.kBlock;
    vectorize.bf16Dot = schedule.bf16Dot;
    vectorize.packedRows =
        options.packedRows >= 0 ? options.packedRows : schedule.packedRows;
    vectorize.prefetchTiles = options.prefetchTiles >= 0
                                  ? options.prefetchTiles
                                  : schedule.prefetchTiles;
    pm.addNestedPass<func::FuncOp>(createHMoEVectorizeContractions(vectorize));
    HMoEVectorizeRowwiseOptions rowwise;
    rowwise.vectorWidth = vectorize.vectorWidth;
    pm.addNestedPass<func::FuncOp>(createHMoEVectorizeRowwise(rowwise));
  }
  if (options.approximateMath)
    pm.addPass(createHMoEApproximateMath());

  // As hmoe-lower-to-nvvm does, so that the CPU runs what the GPU would.
  if (options.gpuMapped) {
    addThreadLoops(pm, options.threadJam, options.threadRows,
                   options.threadLoadBytes);
    pm.addNestedPass<func::FuncOp>(createHMoEAllowFMAContraction());
  } else {
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  }
  pm.addPass(createCanonicalizerPass());
  // One level of loops for the threads: inside each expert (its rows), or
  // over the experts when asked to and there are enough of them.
  HMoEChooseParallelLoopsOptions parallelLoops;
  parallelLoops.minTripCount = options.parallelExperts > 0
                                   ? options.parallelExperts
                                   : std::numeric_limits<int64_t>::max();
  if (options.parallelExperts == 0)
    parallelLoops.adaptiveRows = options.adaptiveRows;
  // (Without threads a serial copy would only be more code.)
  parallelLoops.serialSingle = options.openmp && options.serialSingle;
  parallelLoops.serialWork = options.openmp ? options.serialWork : 0;
  pm.addNestedPass<func::FuncOp>(createHMoEChooseParallelLoops(parallelLoops));
  if (options.openmp) {
    pm.addPass(createHMoEConvertTaskLoopsToOpenMP());
    pm.addPass(createConvertSCFToOpenMPPass());
  }
  // After the passes that look for allocations (a GEMM's output buffer).
  if (options.intoEntries)
    pm.addPass(createHMoEAddIntoEntries({options.runtimeChecks}));
  // After the last canonicalization (which would inline the scopes again).
  pm.addPass(createHMoEScopeLoopAllocas());
  // memref.alloca_scope (per-token routing scratch, OpenMP loop bodies)
  // holds a single block, so lower memrefs before scf becomes a CFG.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Intrinsics where LLVM has them (exp, log, sqrt, ...), libm for the rest
  // (erf for the exact GELU when not approximated; vector operands are
  // unrolled, so this runs before vector -> LLVM).
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // The GEMM tiles' lane sums may be reassociated (a tree, not a chain).
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  // AVX-512 BF16 dot products (hmoe-vectorize-contractions' bf16-dot).
  vectorToLLVM.x86Vector = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
  // After scf is a CFG: the check branches split blocks.
  pm.addPass(createHMoELowerRuntimeChecks());
  pm.addPass(createConvertToLLVMPass());
  if (options.runtimeChecks) {
    // The arguments' descriptors, now the functions' arguments.
    pm.addPass(createHMoECheckDescriptors());
    pm.addPass(createHMoELowerRuntimeChecks());
  }
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createHMoEVerifyLLVM());
}

void hmoe::buildLowerToNVVMPipeline(OpPassManager &pm,
                                    const LowerToNVVMOptions &options) {
  if (rejectsOptions(pm, nvvmOptionErrors(options)))
    return;
  std::string toolkit = resolveCUDAToolkit(options.toolkit);
  // It resolves the option as above, and fails where that found nothing
  // or a chip is older than the kernels' instructions.
  HMoERequireCUDAToolkitOptions require;
  require.toolkit = options.toolkit;
  require.chips = options.chip;
  pm.addPass(createHMoERequireCUDAToolkit(require));
  pm.addPass(createHMoERecordABI());
  pm.addPass(createHMoEDecompose({/*processChecks=*/options.runtimeChecks}));
  pm.addPass(createHMoEConvertShardToMPI({/*gpu=*/true}));
  // Checks in front of the stage ops, before they are lowered away: sizes
  // on the host, index operands' values in kernels.
  if (options.runtimeChecks)
    pm.addPass(createHMoEGenerateSizeChecks({/*deviceChecks=*/true}));
  HMoETileForGPUOptions tile;
  tile.blockRows = options.blockRows;
  tile.blockThreads = options.blockThreads;
  tile.tensorCores = options.tensorCores;
  tile.tf32 = options.tf32;
  tile.splitTF32 = options.splitTF32;
  tile.fuseGathers = options.fuseGathers;
  tile.threadRows = options.threadRows;
  tile.cyclicColumns = options.cyclicColumns;
  tile.cyclicGroupBytes = options.cyclicGroupBytes;
  tile.fuseRoutes = options.fuseRoutes;
  tile.warpRouteExperts = options.warpRouteExperts;
  addGPUTiling(pm, options.fuseDistance, tile);

  addBufferization(pm);
  addDeviceDispatchAndStats(pm, options.blockThreads);
  // Else a copy of a buffer onto itself stays, outside any kernel.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Warps' contractions as mma.sync steps (before the other linalg ops
  // become loops).
  HMoEWarpContractionsToMMAOptions warps;
  warps.tf32 = options.tf32;
  warps.splitTF32 = options.splitTF32;
  warps.rowTiles = options.warpRowTiles;
  warps.prefetch = options.warpPrefetch;
  warps.loadBytes = options.warpLoadBytes;
  warps.stageBytes = options.warpStageBytes;
  warps.stages = options.warpStages;
  warps.ldmatrix = options.warpLdmatrix;
  warps.warpgroupMMA = options.warpWgmma;
  warps.testDropBarrier = options.warpTestDropBarrier;
  pm.addNestedPass<func::FuncOp>(createHMoEWarpContractionsToMMA(warps));
  // Routes given to warps: each warp's lanes route its tokens together.
  pm.addNestedPass<func::FuncOp>(createHMoELowerWarpRoutes());
  // Threads' contractions from K tiles in workgroup memory (their copies
  // become 16-byte accesses with the other row copies, next).
  HMoEStageThreadContractionsOptions stage;
  stage.kTileBytes = options.threadStageBytes;
  stage.stages = options.threadStages;
  pm.addNestedPass<func::FuncOp>(createHMoEStageThreadContractions(stage));
  // Threads' row copies and fills as aligned 16-byte accesses.
  if (options.vectorCopies)
    pm.addNestedPass<func::FuncOp>(createHMoEVectorizeThreadCopies());
  // Routing, dispatch and stats: their scalar loops, per thread.
  pm.addNestedPass<func::FuncOp>(createHMoELowerRoutingToLoops());
  // While the buffers are still allocations: a GEMM's accumulator in a
  // register, not a global store per multiply-add, a few columns' sharing
  // each K step's loads.
  addThreadLoops(pm, options.threadJam, options.threadRows,
                 options.threadLoadBytes);
  pm.addNestedPass<func::FuncOp>(createHMoEMapForallToGPU());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Kernels: outlined (index computations sunk into them, so constants do
  // not become kernel arguments), then NVVM.
  pm.addNestedPass<func::FuncOp>(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  // Arguments no thread writes: llvm.readonly (and noalias, below).
  if (options.readOnlyArgs)
    pm.addPass(createHMoEMarkReadOnlyKernelArgs());
  // After the passes that look for allocations (read-only arguments: the
  // caller's buffers are function arguments, which may alias) and the
  // outlining (kernels named after the layer); the result buffers' device
  // memory is the caller's.
  if (options.intoEntries)
    pm.addPass(createHMoEAddIntoEntries(
        {options.runtimeChecks, /*deviceBuffers=*/true}));
  // Allocation, copies and launches become asynchronous on one stream
  // (gpu-to-llvm lowers the asynchronous forms), with one wait at the end.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  // Before its loops become branches: ptxas unrolled f64 exp loops and
  // spilled.
  pm.addNestedPass<gpu::GPUModuleOp>(createHMoEKeepF64MathLoopsRolled());
  // A thread's small arrays (a token's routing scratch) in registers, not
  // local memory.
  if (options.threadArrayElements > 0) {
    HMoEThreadArraysToRegistersOptions arrays;
    arrays.maxElements = options.threadArrayElements;
    pm.addNestedPass<gpu::GPUModuleOp>(
        createHMoEThreadArraysToRegisters(arrays));
  }
  pm.addPass(createSCFToControlFlowPass());
  // The host's checks (after scf is a CFG: the check branches split
  // blocks); the kernels' become __assertfail in the NVVM conversion.
  pm.addPass(createHMoELowerRuntimeChecks());
  // After the strided-metadata expansion, which makes affine.apply too.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // One NVVM target per chip; several become one fatbin (hmoe-link-fatbin).
  SmallVector<StringRef> chips;
  StringRef(options.chip)
      .split(chips, ',', /*MaxSplit=*/-1,
             /*KeepEmpty=*/false);
  for (StringRef chip : chips) {
    GpuNVVMAttachTargetOptions target;
    target.chip = chip.trim().str();
    target.features = options.features;
    target.optLevel = 3;
    pm.addPass(createGpuNVVMAttachTarget(target));
  }
  bool linkFatbin = chips.size() > 1 && options.format == "fatbin";
  // f32 exp, erf, tanh, log as the CPU path computes them (polynomials, a
  // few ulp): the numerics hmoe-lower-to-cpu{gpu-mapped} checks.
  if (options.approximateMath)
    pm.addNestedPass<gpu::GPUModuleOp>(createHMoEApproximateMath());
  // A multiply-add is one FMA (PTX fma.rn), not mul.rn + add.rn.
  pm.addNestedPass<gpu::GPUModuleOp>(createHMoEAllowFMAContraction());
  // A register budget for a known occupancy instead of ptxas's own choice:
  // for every kernel when asked, else for those with much state per thread
  // (tensor-core accumulators, routing scratch), which ptxas spilled.
  hmoe::HMoESetKernelOccupancyOptions occupancy;
  occupancy.minBlocksPerSM = options.minBlocksPerSM;
  // Split TF32 holds each fragment's three parts: at 2 blocks an SM (128
  // registers) ptxas spilled 4 to 56 bytes in 5 of 129 kernels (expert and
  // routing), at 1 none; unless asked otherwise.
  occupancy.mmaMinBlocksPerSM =
      options.splitTF32 && !options.mmaMinBlocksPerSM.hasValue()
          ? 1
          : options.mmaMinBlocksPerSM;
  occupancy.localArrayMinBlocksPerSM = options.localArrayMinBlocksPerSM;
  pm.addPass(hmoe::createHMoESetKernelOccupancy(occupancy));
  // The staged tiles' cp.async copies (nvgpu.device_async_copy).
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertNVGPUToNVVMPass());
  ConvertGpuOpsToNVVMOpsOptions toNVVM;
  toNVVM.indexBitwidth = 64;
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps(toNVVM));
  // NVVM ops LLVM has no intrinsic for (warpgroup-mma's wgmma.mma_async)
  // become inline PTX.
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertNVVMToLLVMPass());
  // Loop annotations (loops not to be unrolled) and noalias of
  // read-only arguments, as LLVM IR sees them.
  pm.addNestedPass<gpu::GPUModuleOp>(createHMoECarryLLVMAttributes());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());

  // Host: launches become mgpu* runtime calls, the rest the CPU lowering.
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  if (options.runtimeChecks) {
    // The arguments' descriptors (host structs), now the functions'
    // arguments.
    pm.addPass(createHMoECheckDescriptors());
    pm.addPass(createHMoELowerRuntimeChecks());
  }
  pm.addPass(createReconcileUnrealizedCastsPass());
  // The kernels' address width, a process-wide LLVM option read by the
  // next pass.
  HMoESetNVPTXShortPointersOptions addresses;
  addresses.enable = options.shortPointers;
  pm.addPass(createHMoESetNVPTXShortPointers(addresses));
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = toolkit;
  binary.compilationTarget = linkFatbin ? "isa" : std::string(options.format);
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createHMoEVerifyGPUBinary());
  if (linkFatbin) {
    HMoELinkFatbinOptions link;
    link.toolkit = toolkit;
    pm.addPass(createHMoELinkFatbin(link));
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void hmoe::registerHMoEPipelines() {
  PassPipelineRegistration<LowerToCPUOptions>(
      "hmoe-lower-to-cpu",
      "Lower hmoe layers to the LLVM dialect for the host CPU (decompose, "
      "convert-hmoe-to-linalg, tile routes, bufferize, routing loops, "
      "vectorised GEMMs, loops, OpenMP, LLVM)",
      buildLowerToCPUPipeline);
  PassPipelineRegistration<LowerToNVVMOptions>(
      "hmoe-lower-to-nvvm",
      "Lower hmoe layers for an NVIDIA GPU: the stages tiled over blocks and "
      "threads (hmoe-tile-for-gpu), bufferized, mapped to gpu.launch, "
      "outlined, NVVM, compiled by the CUDA toolkit's ptxas; the host side "
      "calls the mgpu* runtime",
      buildLowerToNVVMPipeline);
}

void hmoe::registerHMoEPipelineDependencies(DialectRegistry &registry) {
  registry.insert<HMoEDialect, DLTIDialect, affine::AffineDialect,
                  arith::ArithDialect, bufferization::BufferizationDialect,
                  cf::ControlFlowDialect, func::FuncDialect, gpu::GPUDialect,
                  index::IndexDialect, linalg::LinalgDialect, mpi::MPIDialect,
                  nvgpu::NVGPUDialect, NVVM::NVVMDialect, shard::ShardDialect,
                  LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  omp::OpenMPDialect, scf::SCFDialect, tensor::TensorDialect,
                  ub::UBDialect, vector::VectorDialect,
                  x86vector::X86VectorDialect>();
  hmoe::registerRuntimeVerifiableOpInterfaceExternalModels(registry);
  hmoe::registerBufferizableOpInterfaceExternalModels(registry);
  hmoe::registerTilingInterfaceExternalModels(registry);
  hmoe::registerValueBoundsExternalModels(registry);
  linalg::registerRuntimeVerifiableOpInterfaceExternalModels(registry);
  linalg::registerTilingInterfaceExternalModels(registry);
  memref::registerRuntimeVerifiableOpInterfaceExternalModels(registry);
  tensor::registerRuntimeVerifiableOpInterfaceExternalModels(registry);

  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);

  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  mpi::registerConvertMPIToLLVMInterface(registry);
  hmoe::registerMPIMemoryEffectsExternalModels(registry);
  registerConvertOpenMPToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  // Kernels' vector ops are lowered with their other ops by
  // convert-gpu-to-nvvm, whose type converter maps GPU address spaces
  // (workgroup tiles); left to gpu-to-llvm, they failed on them.
  vector::registerConvertVectorToLLVMInterface(registry);
  // The NVVM pipeline: kernels to PTX, the binary's host embedding.
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  NVVM::registerConvertGpuToNVVMInterface(registry);
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}
