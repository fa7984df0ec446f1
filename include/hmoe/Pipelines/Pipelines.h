//===- Pipelines.h - named hmoe pass pipelines ------------------*- C++ -*-===//
//
// The pipelines a user runs by name (`hmoe-opt --hmoe-lower-to-cpu`) and
// that hmoe-run applies before JIT compilation.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_PIPELINES_PIPELINES_H
#define HMOE_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::hmoe {

struct LowerToCPUOptions : public PassPipelineOptions<LowerToCPUOptions> {
  PassOptions::Option<bool> openmp{
      *this, "openmp",
      llvm::cl::desc("Run parallel loops on OpenMP threads (libomp)"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> targetCpu{
      *this, "target-cpu",
      llvm::cl::desc("CPU to compile for: native (the host), or an x86-64 "
                     "CPU LLVM knows (znver3, znver5, skylake-avx512, ...); "
                     "picks the schedule (vector width, register tile)"),
      llvm::cl::init("native")};
  PassOptions::Option<bool> runtimeChecks{
      *this, "runtime-checks",
      llvm::cl::desc(
          "Check at run time what the verifier cannot (dynamic token counts "
          "that must agree, index operands from outside the layer, and that "
          "an experts_on layer's processes agree on its tokens and routing "
          "parameters: one more all-reduce per call); a failed check calls "
          "hmoe_check_failed(message). With gpu-mapped, the GPU pipeline's "
          "checks (index operands in GPU block loops). An experts_on layer's "
          "world-size and MPI return-code checks stay without it; without "
          "it, processes given different token counts fail in MPI or wait "
          "for ever"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> intoEntries{
      *this, "into-entries",
      llvm::cl::desc("Give each layer function @<layer>_into(inputs..., "
                     "result buffers...), which writes its results into the "
                     "caller's buffers (hmoe-add-into-entries)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseDistance{
      *this, "fuse-distance",
      llvm::cl::desc("Laplace/Gaussian scores in GEMM form "
                     "(convert-hmoe-to-linalg{fuse-distance})"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Register-tiled vector code for f32 GEMMs "
                     "(hmoe-vectorize-contractions)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Inline f32 polynomial exp/erf/tanh/log "
                     "(hmoe-approximate-math) instead of libm calls"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector, a power of two up to 64 (0: the "
                     "target's schedule; 8 for AVX2, 16 for AVX-512)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> tileRows{
      *this, "tile-rows",
      llvm::cl::desc("GEMM register tile rows (0: the target's schedule)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> tileCols{
      *this, "tile-cols",
      llvm::cl::desc("GEMM register tile columns (0: the target's schedule)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kBlock{
      *this, "k-block",
      llvm::cl::desc("GEMM K elements per pass over a task (-1: the "
                     "target's schedule; 0: all of K)"),
      llvm::cl::init(-1)};
  PassOptions::Option<int64_t> packedRows{
      *this, "packed-rows",
      llvm::cl::desc("f32 GEMMs with whole weight panels: pack the weights "
                     "and run an outer-product kernel of this many rows "
                     "(-1: the target's schedule; 0: never)"),
      llvm::cl::init(-1)};
  PassOptions::Option<int64_t> prefetchTiles{
      *this, "prefetch-tiles",
      llvm::cl::desc("GEMM tile: prefetch the weight rows this many column "
                     "tiles ahead into L2 (-1: the target's schedule; 0: "
                     "never)"),
      llvm::cl::init(-1)};
  PassOptions::Option<int64_t> parallelExperts{
      *this, "parallel-experts",
      llvm::cl::desc(
          "Split the experts across threads (each expert's contractions on "
          "one thread) when a layer has at least this many experts; 0: never, "
          "split each expert's rows instead. On a 2-core Zen 5, W1 (32 "
          "experts): T = 16 3.0 ms against 3.9, T = 4096 132 ms against 107"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> adaptiveRows{
      *this, "adaptive-rows",
      llvm::cl::desc(
          "Choose at run time whether the experts or each expert's rows go "
          "to the threads: the experts when there are fewer than this many "
          "rows (slots) per expert on average (0: never; ignored with "
          "parallel-experts). On a 2-core Zen 5, 256 against never: W1 "
          "T = 1 / 16 / 1024 0.18 / 2.6 / 30.8 ms against 0.36 / 3.2 / "
          "33.3, W2 T = 16 / 256 4.0 / 16.3 against 6.1 / 23.2, T = 4096 "
          "unchanged (the rows keep the threads)"),
      llvm::cl::init(256)};
  PassOptions::Option<bool> serialSingle{
      *this, "serial-single",
      llvm::cl::desc(
          "With openmp: a parallel loop with a dynamic trip count also gets "
          "a serial copy, run when a call gives it one iteration (no thread "
          "team to fork and join; hmoe-choose-parallel-loops). A 4-expert, "
          "D = 16 layer at T = 1 on a 2-core Zen 3: 14.0 us a call against "
          "27.5 without"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> serialWork{
      *this, "serial-work",
      llvm::cl::desc(
          "With openmp: a parallel loop nest whose work is known at compile "
          "time and is at most this many operations runs on the calling "
          "thread (hmoe-choose-parallel-loops; 0: never; at most 2^31)"),
      llvm::cl::init(32768)};
  PassOptions::Option<bool> gpuMapped{
      *this, "gpu-mapped",
      llvm::cl::desc(
          "Tile and map the stages as hmoe-lower-to-nvvm does (scf.forall "
          "over #gpu.block / #gpu.thread, expert scratch per stage), then run "
          "those loops on the CPU: the GPU schedule checked against the "
          "reference without a GPU (not vectorised)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("With gpu-mapped (ignored without): bf16/f16 "
                     "contractions split over warps as "
                     "hmoe-lower-to-nvvm{tensor-cores} splits them, each "
                     "warp's lanes and mma.sync steps emulated "
                     "(hmoe-warp-contractions-to-mma{emulate})"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> tf32{
      *this, "tf32",
      llvm::cl::desc("With gpu-mapped and tensor-cores (ignored without "
                     "gpu-mapped; an error without tensor-cores): the expert "
                     "loops' f32 contractions too, as "
                     "hmoe-lower-to-nvvm{tensor-cores tf32} runs them (inputs "
                     "rounded to TF32 as the GPU lanes round them, m16n8k8 "
                     "steps emulated)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> splitTF32{
      *this, "split-tf32",
      llvm::cl::desc("With gpu-mapped and tensor-cores: f32 contractions "
                     "(expert loops', routing scores') as "
                     "hmoe-lower-to-nvvm{split-tf32} runs them (each input "
                     "split into two TF32 parts, three m16n8k8 steps per "
                     "step, emulated)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> warpRowTiles{
      *this, "warp-row-tiles",
      llvm::cl::desc("With gpu-mapped and tensor-cores: as "
                     "hmoe-lower-to-nvvm's warp-row-tiles"),
      llvm::cl::init(2)};
  PassOptions::Option<int64_t> warpLoadBytes{
      *this, "warp-load-bytes",
      llvm::cl::desc("With gpu-mapped and tensor-cores: as "
                     "hmoe-lower-to-nvvm's warp-load-bytes"),
      llvm::cl::init(8)};
  PassOptions::Option<int64_t> warpStageBytes{
      *this, "warp-stage-bytes",
      llvm::cl::desc("With gpu-mapped and tensor-cores: as "
                     "hmoe-lower-to-nvvm's warp-stage-bytes"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> warpStages{
      *this, "warp-stages",
      llvm::cl::desc("With warp-stage-bytes: stages of tiles, 2 (the "
                     "default) to 8, copies issued stages - 1 K tiles "
                     "ahead (hmoe-warp-contractions-to-mma's stages)"),
      llvm::cl::init(2)};
  PassOptions::Option<bool> warpLdmatrix{
      *this, "warp-ldmatrix",
      llvm::cl::desc("With gpu-mapped, tensor-cores and warp-stage-bytes: as "
                     "hmoe-lower-to-nvvm's warp-ldmatrix (ldmatrix's lane "
                     "map emulated)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> warpWgmma{
      *this, "warp-wgmma",
      llvm::cl::desc("With gpu-mapped, tensor-cores and warp-stage-bytes: as "
                     "hmoe-lower-to-nvvm's warp-wgmma (each wgmma step "
                     "emulated from its shared-memory descriptors)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> vectorCopies{
      *this, "vector-copies",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's vector-copies "
                     "(the aligned and the fallback paths both run here)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> threadJam{
      *this, "thread-jam",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's thread-jam "
                     "(linalg then becomes sequential loops, as there)"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> threadRows{
      *this, "thread-rows",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's thread-rows"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> threadLoadBytes{
      *this, "thread-load-bytes",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's "
                     "thread-load-bytes (the aligned and the fallback loops "
                     "both run here)"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> threadStageBytes{
      *this, "thread-stage-bytes",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's "
                     "thread-stage-bytes (the tiles in a CPU buffer)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> threadStages{
      *this, "thread-stages",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's "
                     "thread-stages (the copies synchronous)"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> blockRows{
      *this, "block-rows",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's block-rows"),
      llvm::cl::init(16)};
  PassOptions::Option<bool> fuseRoutes{
      *this, "fuse-routes",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's fuse-routes"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> warpRouteExperts{
      *this, "warp-route-experts",
      llvm::cl::desc("With gpu-mapped: as hmoe-lower-to-nvvm's "
                     "warp-route-experts (each warp's lanes one vector)"),
      llvm::cl::init(128)};
};

struct LowerToNVVMOptions : public PassPipelineOptions<LowerToNVVMOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPUs to compile for, comma-separated (sm_80, sm_90a, "
                     "...); several make one fatbin with an image for each "
                     "(and PTX for the ones that are not sm_XXa)"),
      llvm::cl::init("sm_80,sm_90a")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (LLVM's default, +ptx60, is too old for "
                     "sm_80 and sm_90)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit (ptxas, fatbinary, libdevice); empty: "
                     "$CUDA_HOME, $CUDA_ROOT, $CUDA_PATH, /usr/local/cuda"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What the kernels become: isa (PTX text), bin (cubin), "
                     "fatbin"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<bool> runtimeChecks{
      *this, "runtime-checks",
      llvm::cl::desc(
          "Check on the host, before the kernels, the sizes the verifier "
          "cannot know (dynamic token counts that must agree, a dispatch's "
          "slot_token size, slot counts within i32); a failed check calls "
          "hmoe_check_failed(message). Index operands' values from outside "
          "the layer are checked on the device (a kernel in front of the "
          "op; a failed check is a device assert)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> intoEntries{
      *this, "into-entries",
      llvm::cl::desc("Give each layer function @<layer>_into(inputs..., "
                     "result buffers...), which writes its results into the "
                     "caller's buffers (hmoe-add-into-entries)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseDistance{
      *this, "fuse-distance",
      llvm::cl::desc("Laplace/Gaussian scores in GEMM form"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> blockThreads{*this, "block-threads",
                                            llvm::cl::desc("threads per block"),
                                            llvm::cl::init(256)};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("f32 polynomial exp/erf/tanh/log in the kernels "
                     "(hmoe-approximate-math, as the CPU path) instead of "
                     "libdevice"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> minBlocksPerSM{
      *this, "min-blocks-per-sm",
      llvm::cl::desc("blocks of each kernel an SM must hold (PTX "
                     ".minnctapersm, the register budget ptxas works to); "
                     "0: ptxas decides"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> mmaMinBlocksPerSM{
      *this, "mma-min-blocks-per-sm",
      llvm::cl::desc("where min-blocks-per-sm is 0: the same for kernels "
                     "with tensor-core (mma.sync) steps, whose accumulators "
                     "need registers (2: 128 for 256 threads; with "
                     "split-tf32 1 unless given); 0: ptxas decides"),
      llvm::cl::init(2)};
  PassOptions::Option<int64_t> localArrayMinBlocksPerSM{
      *this, "local-array-min-blocks-per-sm",
      llvm::cl::desc("where min-blocks-per-sm is 0: the same for kernels "
                     "with per-thread arrays in local memory (a route's "
                     "per-token scratch; 1: up to 255 registers, as many as "
                     "it needs); 0: ptxas decides"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> warpRouteExperts{
      *this, "warp-route-experts",
      llvm::cl::desc("A route over more than this many experts takes a warp "
                     "per token where one warp can route it (one gate over "
                     "a multiple of 32 experts, at most 512, in at most 16 "
                     "groups, at most 64 top-k and group top-m winners), "
                     "each lane "
                     "holding every 32nd expert in registers, maxima, sums "
                     "and top-k winners reduced by shuffles "
                     "(hmoe-lower-warp-routes); else a thread per token, "
                     "whose arrays of that many elements past "
                     "thread-array-elements stay in local memory. The "
                     "default is thread-array-elements' default. 0: every "
                     "route that fits, -1: none"),
      llvm::cl::init(128)};
  PassOptions::Option<int64_t> threadArrayElements{
      *this, "thread-array-elements",
      llvm::cl::desc("per-thread arrays of up to this many elements (a "
                     "route's per-token scratch) are made registers: moved "
                     "to the kernel's entry, their loops unrolled "
                     "(hmoe-thread-arrays-to-registers); 0: left in local "
                     "memory"),
      llvm::cl::init(128)};
  PassOptions::Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc(
          "bf16/f16 contractions with f32 accumulation (N a multiple of 8, K "
          "of 16) on tensor cores: columns split over the block's warps, "
          "each warp's tile as mma.sync m16n8k16 steps (sm_80+; on by "
          "default since an H200 run checked and timed it, docs/gpu.md; "
          "tensor-cores=0: the threads' register-tile GEMMs)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> tf32{
      *this, "tf32",
      llvm::cl::desc(
          "With tensor-cores: f32 expert GEMMs (N and K multiples of 8) on "
          "tensor cores too, inputs rounded to TF32 (10-bit mantissas, f32 "
          "accumulation; docs/numerics.md's TF32 tolerance, 2e-3, not "
          "f32's); routing stays exact f32. Off: f32 layers run exact f32"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> splitTF32{
      *this, "split-tf32",
      llvm::cl::desc(
          "With tensor-cores: f32 GEMMs on tensor cores as split TF32 "
          "(3xTF32: each input the sum of two TF32 parts, three m16n8k8 "
          "steps per step, only small x small left out): about f32's "
          "accuracy (SPEC's 1e-5) at tensor-core rates, so every stage's "
          "that fits the warps, the routing's score GEMMs too; over tf32. "
          "Off (and without tf32): exact f32 on the threads"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> warpRowTiles{
      *this, "warp-row-tiles",
      llvm::cl::desc(
          "With tensor-cores: 16-row tiles a warp runs together, each B "
          "fragment loaded once for all of them (hmoe-warp-contractions-to-"
          "mma's row-tiles; at most 64 accumulators a lane)"),
      llvm::cl::init(2)};
  PassOptions::Option<bool> warpPrefetch{
      *this, "warp-prefetch",
      llvm::cl::desc(
          "With tensor-cores: load each K step's A and B fragments one step "
          "ahead, carried in registers (hmoe-warp-contractions-to-mma's "
          "prefetch)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> warpLoadBytes{
      *this, "warp-load-bytes",
      llvm::cl::desc(
          "With tensor-cores: bytes of a row a lane loads at once (4: the "
          "PTX ISA's K order, one register; 8: a run of K shared out to a "
          "step's registers in an order A and B share; 16: two steps', "
          "where registers allow; hmoe-warp-contractions-to-mma's "
          "load-bytes)"),
      llvm::cl::init(8)};
  PassOptions::Option<int64_t> warpStageBytes{
      *this, "warp-stage-bytes",
      llvm::cl::desc(
          "With tensor-cores: 0 (the default), lanes read their fragments "
          "from global memory; 64 or 128, A and B staged in workgroup "
          "memory per K tile of that many bytes of a row, the block's "
          "threads copying by cp.async into one of two stages while the "
          "lanes read the other (hmoe-warp-contractions-to-mma's "
          "stage-bytes)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> warpStages{
      *this, "warp-stages",
      llvm::cl::desc("With warp-stage-bytes: stages of tiles, 2 (the "
                     "default) to 8, copies issued stages - 1 K tiles "
                     "ahead (hmoe-warp-contractions-to-mma's stages)"),
      llvm::cl::init(2)};
  PassOptions::Option<bool> warpLdmatrix{
      *this, "warp-ldmatrix",
      llvm::cl::desc(
          "With warp-stage-bytes: the lanes' fragments read from the "
          "staged tiles by ldmatrix (four 8 x 8 matrices for A, two for B, "
          "in the PTX ISA's K order; rows swizzled by 16-byte chunks) "
          "instead of warp-load-bytes runs "
          "(hmoe-warp-contractions-to-mma's ldmatrix)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> warpWgmma{
      *this, "warp-wgmma",
      llvm::cl::desc(
          "With warp-stage-bytes, for chip=sm_90a only: warpgroup MMA "
          "(wgmma.mma_async m64nNk16, both operands read from the staged, "
          "128-byte-swizzled tiles through shared-memory descriptors) "
          "instead of mma.sync; implies warp-ldmatrix for the contractions "
          "it does not fit (hmoe-warp-contractions-to-mma's warpgroup-mma)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> shortPointers{
      *this, "short-pointers",
      llvm::cl::desc(
          "32-bit shared, local and constant addresses in the PTX, as nvcc "
          "makes them (LLVM's process-wide nvptx-short-ptr, set by "
          "hmoe-set-nvptx-short-pointers just before the kernels are "
          "compiled); off: 64-bit. Saves the staged kernels registers"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> warpTestDropBarrier{
      *this, "warp-test-drop-barrier",
      llvm::cl::desc("Testing only: with warp-stage-bytes, the barrier per K "
                     "tile left out, a race for racecheck to report "
                     "(hmoe-warp-contractions-to-mma's test-drop-barrier)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> fuseGathers{
      *this, "fuse-gathers",
      llvm::cl::desc(
          "An expert's gather of its token rows fused into the GEMMs that "
          "read it (threads, or with tensor-cores warp lanes, reading x "
          "through the token indices; hmoe-tile-for-gpu's fuse-gathers); "
          "off: gathered into scratch first"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> cyclicColumns{
      *this, "cyclic-columns",
      llvm::cl::desc(
          "The combine's columns dealt out to a block's threads-x "
          "cyclically, a warp's lanes reading adjacent elements of each "
          "expert row (hmoe-tile-for-gpu's cyclic-columns); off: a block of "
          "adjacent columns per thread"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> cyclicGroupBytes{
      *this, "cyclic-group-bytes",
      llvm::cl::desc(
          "With cyclic-columns: a thread takes groups of this many bytes of "
          "the combine's adjacent columns (halved until they divide its "
          "columns), each group's expert rows read with one vector load "
          "(hmoe-tile-for-gpu's cyclic-group-bytes, "
          "hmoe-vectorize-column-loops); 4 for f32: one column at a time"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> threadJam{
      *this, "thread-jam",
      llvm::cl::desc(
          "A thread's reduction loops (GEMMs off tensor cores) carry up to "
          "this many output columns' accumulators through each K step, "
          "their common loads made once (hmoe-promote-loop-accumulators' "
          "jam; 1: one column at a time)"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> threadRows{
      *this, "thread-rows",
      llvm::cl::desc(
          "A thread's GEMMs off tensor cores cover up to this many rows "
          "(hmoe-tile-for-gpu's thread-rows: fewer threads along rows, more "
          "along columns), jammed with its columns into a register tile "
          "(hmoe-promote-loop-accumulators' row-jam; 1: a row per thread)"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> threadLoadBytes{
      *this, "thread-load-bytes",
      llvm::cl::desc(
          "A thread's reduction loops read their rows of A and B this many "
          "bytes at a time, as aligned vector loads where the rows are "
          "aligned (hmoe-vectorize-loop-loads; 0: an element at a time)"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> threadStageBytes{
      *this, "thread-stage-bytes",
      llvm::cl::desc(
          "0 (the default): a thread's GEMMs off tensor cores read A and B "
          "from global memory; else (16 or more) per K tile of this many "
          "bytes of a row, the block's threads copy the rows of A and B "
          "they read into workgroup memory, then read them from there "
          "(hmoe-stage-thread-contractions' k-tile-bytes)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> threadStages{
      *this, "thread-stages",
      llvm::cl::desc(
          "With thread-stage-bytes: 1 (the default), the block copies a K "
          "tile, then its threads read it; 2, the next K tile's copy "
          "(cp.async) runs into a second stage while they read this one "
          "(hmoe-stage-thread-contractions' stages)"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> blockRows{
      *this, "block-rows",
      llvm::cl::desc(
          "Rows (tokens) per block of the ops with two parallel loops and "
          "of a route with the GEMMs computing its scores "
          "(hmoe-tile-for-gpu's block-rows)"),
      llvm::cl::init(16)};
  PassOptions::Option<bool> fuseRoutes{
      *this, "fuse-routes",
      llvm::cl::desc(
          "A route's kernel computes its tokens' scores too (gate GEMM, "
          "epilogues; the default); off, the route has kernels of its own, "
          "block-threads tokens a block, one a thread, reading the scores "
          "the other kernels wrote (hmoe-tile-for-gpu's fuse-routes)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorCopies{
      *this, "vector-copies",
      llvm::cl::desc(
          "Threads' row copies, token-row gathers and fills as 16-byte "
          "vector accesses where a run-time test finds both rows aligned "
          "(hmoe-vectorize-thread-copies)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> readOnlyArgs{
      *this, "read-only-args",
      llvm::cl::desc(
          "Mark kernels' index buffers (integer arguments) that no thread "
          "writes during a launch readonly and noalias "
          "(hmoe-mark-read-only-kernel-args): their loads kept in registers "
          "across stores, read with ld.global.nc"),
      llvm::cl::init(true)};
};

/// hmoe (whole layers or stages) on tensors -> LLVM dialect: target and
/// schedule, decompose, run-time checks, convert-hmoe-to-linalg (distances
/// in GEMM form), tile routes over tokens, bufferize, deallocate, routing
/// loops, vectorise GEMMs, loops, OpenMP, LLVM.
void buildLowerToCPUPipeline(OpPassManager &pm,
                             const LowerToCPUOptions &options);

/// hmoe on tensors -> host LLVM dialect with the kernels as a gpu.binary
/// for an NVIDIA GPU: decompose, convert-hmoe-to-linalg (expert scratch per
/// stage), hmoe-tile-for-gpu, bufferize, routing loops, hmoe-map-forall-to-gpu,
/// outline, NVVM, ptxas (through the CUDA toolkit), gpu-to-llvm.
void buildLowerToNVVMPipeline(OpPassManager &pm,
                              const LowerToNVVMOptions &options);

/// Registers the named pipelines with the pass registry.
void registerHMoEPipelines();

/// Adds the dialects and external interface models the pipelines need
/// (bufferization models, to-LLVM conversion interfaces).
void registerHMoEPipelineDependencies(DialectRegistry &registry);

} // namespace mlir::hmoe

#endif // HMOE_PIPELINES_PIPELINES_H
