//===- Passes.td - GPU code generation on upstream IR ------*- tablegen -*-===//

#ifndef HMOE_CODEGEN_GPU_PASSES_TD
#define HMOE_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def HMoETileForGPU : InterfacePass<"hmoe-tile-for-gpu",
                                   "::mlir::FunctionOpInterface"> {
  let summary = "Tile every stage on tensors into scf.forall nests mapped to "
                "GPU blocks and threads";
  let description = [{
    The GPU schedule of a layer after `convert-hmoe-to-linalg`, as IR any
    target can lower: every stage at the function's top level becomes an
    `scf.forall` mapped to `#gpu.block<x>` (or is fused into another
    stage's), whose body is one or more `scf.forall`s mapped to
    `#gpu.thread<...>`, through the ops' `TilingInterface`
    (`scf::tileConsumerAndFuseProducersUsingSCF`, `scf::tileUsingSCF`):

    * stages are taken consumers first, each tiled over its first
      parallel loop into blocks with the stages computing its operands for
      those rows fused into its block loop
      (`scf::tileConsumerAndFuseProducersUsingSCF`), then each op of the
      block distributed over the block's threads (`hmoe-map-forall-to-gpu`
      puts a barrier after each). A producer is fused only where
      everything reading it is (else it stays a stage, computed once; a
      producer refused once stays refused), where its tile depends on the
      block (the experts' norms, read whole by every block, do not), where
      its readers read it through projected permutations (so blocks' tiles
      do not overlap) and, unless the consumer is a route, where it has no
      more parallel loops than the consumer; slices move above reshapes.
      A producer read through two slices is fused twice (computed twice
      in the block). Fused producers write their tile into a shared output
      of the block loop, a fresh tensor for an empty destination, else
      starting as the destination's value (a kernel cannot allocate or
      copy);
    * `hmoe.route` takes blocks of `block-rows` tokens, with the gate's
      GEMM, its epilogues and the token norms of GEMM-form distances fused
      (score -> normalise -> top-k in one kernel), one token per thread;
      without `fuse-routes`, blocks of `block-threads` tokens, one per
      thread, nothing fused: the ops computing its scores are stages of
      their own (their kernels write the scores, the route's reads them),
      so every thread of the route's blocks routes a token; a route over
      more than `warp-route-experts` experts that one warp can route
      (`fitsWarpRoute`: one gate over a multiple of 32 experts, at most
      512, in at most 16 groups, at most 64 top-k and group top-m winners)
      takes a warp per token instead (`scf.forall` over `#gpu.warp`;
      unfused, a block per `block-threads / 32` tokens), its lanes sharing
      the experts (`hmoe-lower-warp-routes`);
    * other ops with two or more parallel loops (contractions, element-wise
      ops) take blocks of `block-rows` rows over `threads-y` x `threads-x`
      threads (their first two parallel loops), ops with one parallel loop
      `block-threads` rows over as many linear threads;
    * the loop over experts from `convert-hmoe-to-linalg` becomes the block
      loop (one block per expert), its ops distributed over threads; with
      `fuse-gathers` (the default), an expert's gather of its token rows
      that only contractions read (as A) is fused into them first: each
      reads x through the token indices (a contraction of gathered rows,
      which threads run as loops and, with `tensor-cores`, warps as
      `hmoe-warp-contractions-to-mma` lowers it), and the gather, its copy
      of the rows and that scratch output go; for warps only where x is a
      whole buffer whose rows the lanes can read in aligned registers;
    * `hmoe.dispatch` is left at the top level: `hmoe-distribute-dispatch`
      splits it into launches after bufferization (its scatter into slots
      is not a tensor tiling);
    * `hmoe.stats` is left at the top level too (`hmoe-distribute-stats`);
    * what else has no parallel loop (full reductions) runs in a
      single-iteration loop on one thread (correct, not fast).

    Block loops may have a dynamic trip count (tokens); thread loops have
    static ones, so that `hmoe-map-forall-to-gpu` can size the launch.
    Run it before any canonicalization: with `expert-stage-scratch`, the
    expert loop's scratch outputs have no uses and the canonicalizer
    would fold them into writes to a tensor from outside the loop.
  }];
  let options = [
    Option<"blockRows", "block-rows", "int64_t", /*default=*/"16",
           "rows (first parallel loop) per block for ops with two or more "
           "parallel loops">,
    Option<"blockThreads", "block-threads", "int64_t", /*default=*/"256",
           "threads per block, and rows per block for ops with one "
           "parallel loop">,
    Option<"threadsX", "threads-x", "int64_t", /*default=*/"16",
           "threads along the second parallel loop">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"false",
           "give bf16/f16 contractions with f32 accumulation (N a multiple "
           "of 8, K of 16) to the block's warps, columns split between them "
           "(scf.forall over #gpu.warp), for "
           "hmoe-warp-contractions-to-mma">,
    Option<"fuseGathers", "fuse-gathers", "bool", /*default=*/"true",
           "fuse an expert's gather of its token rows into the contractions "
           "that read it (threads, or with tensor-cores warp lanes, read x "
           "through the token indices); off: gathered into scratch first">,
    Option<"threadRows", "thread-rows", "int64_t", /*default=*/"1",
           "rows per thread of a contraction on threads (not warps): "
           "threads-y / thread-rows threads along its rows, the rest along "
           "its columns, where its static column count leaves each thread "
           "at least as many columns as rows (else fewer rows); for "
           "hmoe-promote-loop-accumulators' row-jam">,
    Option<"cyclicColumns", "cyclic-columns", "bool", /*default=*/"true",
           "an op summing elements it gathers at its own column (the "
           "combine) deals its columns out to threads-x cyclically, so a "
           "warp's lanes read adjacent elements; off: each thread a block "
           "of adjacent columns">,
    Option<"cyclicGroupBytes", "cyclic-group-bytes", "int64_t",
           /*default=*/"16",
           "with cyclic-columns: a thread takes groups of this many bytes of "
           "adjacent columns at a time (a power of two of them, halved "
           "until threads-x groups divide the columns; one column at "
           "least), which "
           "hmoe-vectorize-column-loops makes one vector access each">,
    Option<"fuseRoutes", "fuse-routes", "bool", /*default=*/"true",
           "a route's block computes its tokens' scores too (the gate's "
           "GEMM and epilogues fused); off: the route has kernels of its "
           "own, a token per thread of every block">,
    Option<"tf32", "tf32", "bool", /*default=*/"false",
           "with tensor-cores: also the f32 contractions (N a multiple of 8, "
           "K of 8) of expert loops, to run on tensor cores with inputs "
           "rounded to TF32 (or split in two TF32 parts: "
           "hmoe-warp-contractions-to-mma); routing and every other stage "
           "stay exact f32">,
    Option<"splitTF32", "split-tf32", "bool", /*default=*/"false",
           "with tensor-cores: the f32 contractions of every stage (expert "
           "loops, the routes' score GEMMs, fused into the route's block "
           "or not, dense stages) to warps, for "
           "hmoe-warp-contractions-to-mma{split-tf32} to run as split TF32 "
           "at about f32's accuracy">,
    Option<"warpRouteExperts", "warp-route-experts", "int64_t",
           /*default=*/"-1",
           "a route over more than this many experts takes a warp per "
           "token where one warp can route it (its lanes sharing the "
           "experts; hmoe-lower-warp-routes), else a thread; 0: every "
           "route that fits, -1: none">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def HMoEWarpContractionsToMMA : InterfacePass<"hmoe-warp-contractions-to-mma",
                                              "::mlir::FunctionOpInterface"> {
  let summary = "contractions of GPU warp loops -> nvvm.mma.sync on tensor "
                "cores (bf16/f16 m16n8k16, TF32 m16n8k8)";
  let description = [{
    After bufferization: every `scf.forall` mapped to `#gpu.warp<...>`
    (`hmoe-tile-for-gpu{tensor-cores}` makes one per contraction it gives
    to warps) must hold one contraction `C[m, n] += A[m, k] * B[n, k]` with
    bf16 or f16 `A` and `B` extended to f32, an f32 `C`, `N` a static
    multiple of 8 and `K` of 16; with `tf32`, also f32 `A` and `B` (no
    extension) with `K` a multiple of 8. The loop becomes a linear thread
    loop over its warps' lanes: each warp steps over `row-tiles` tiles of
    16 rows (the last rows masked, a tile past the end skipped by the
    whole warp) and up to 4 of 8 columns together, and K a step at a time:
    per step each B fragment is loaded once for all the row tiles and each
    A fragment once for all the 8-column steps; the lanes load their
    A and B fragments as 32-bit registers straight from the buffers (PTX's
    m16n8k16 layouts, bf16/f16 pairs; m16n8k8 for TF32, one f32 each,
    rounded to nearest, ties away, as `cvt.rna.tf32.f32` rounds, by
    integer ops, which spill less than sm_80's `cvt.rna`) and accumulating
    in f32 registers with `nvvm.mma.sync`
    (`mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32`,
    `...m16n8k8.row.col.f32.tf32.tf32.f32`; sm_80+). A warp loop holding
    anything else, or an f32 contraction without `tf32`, is an error.

    `A` may be gathered rows (`hmoe-tile-for-gpu{tensor-cores}` fuses an
    expert's gather of its token rows so): the contraction's first input
    is then the integer row indices (map `(m)`) and its body reads a source
    `S` from outside it at `(index_cast(rows[m]), linalg.index k)`. Each
    lane reads the indices of its two rows once per row tile, outside the
    K loop, and its A registers from those rows of `S`.

    With `prefetch` (the default) the K loop is software-pipelined in
    registers: it carries the next step's A and B fragments, loaded at the
    top of each iteration (the last step reloaded in the last one, in
    bounds and unused) before the mma.sync steps on the previous
    iteration's, so each step's global loads are in flight while the
    tensor cores run the step before. The loop body stays one block: the
    row tiles' guard is taken out of it (one K loop per number of row
    tiles with rows, chosen by branches every lane takes alike), and the
    loop is annotated not to be unrolled (`hmoe-carry-llvm-attributes`).
    The lanes load the same fragments as without it, one step earlier:
    the emulated form loads each step's fragments in that step.

    Operands (and a gathered `S`) must be matrices with unit column
    stride, bf16/f16 operands and `C` with a static, even row stride (else
    an error), and their base
    addresses aligned to the register or pair they are read in:
    the lanes read bf16/f16 pairs as one 32-bit load and f32 accumulator
    pairs as one 64-bit access (every buffer the pipeline allocates is; a
    caller's arguments must be).

    `load-bytes` (8 by default) is how much of a row a lane loads at
    once. The PTX ISA's layouts give a lane 4 bytes (one register) at K =
    e t and e t + 8 (bf16/f16; e t and e t + 4 for TF32) of each of its
    rows per step: a warp's load then uses 16 bytes of each of the 8 rows
    it touches. But an mma step sums over whichever K its lanes hold: if
    A's and B's registers are taken from the same K columns, each product
    still pairs A and B at one K. So with 8 or 16 bytes each lane loads a
    run of `width` elements of each of its rows at K = k0 + width t (t =
    lane % 4; a K step of 4 width), and mma step s of the K step takes the
    run's registers 2s and 2s + 1 as its two halves of K, for A and B
    alike: the same products, summed in another order. 8 bytes is one
    mma step's registers (as many as the ISA's order holds), a whole
    32-byte sector of each row, half the load instructions; 16 bytes is
    two steps' (a quarter), where the accumulators and twice a step's
    fragments stay within 40 registers (ptxas spilled above: 48 in
    gemm/packed_panels, 96 at 2 row tiles of 4 steps), else 8. Runs need K
    a multiple of 4 width and rows of A (or the gathered source) and B at
    a static stride and offset that keep them aligned (else halved, down
    to one register: the ISA's order), and, tested once per warp (every
    lane agrees), A's and B's first elements aligned to a run; where they
    are not (a caller's view), the ISA's order runs.

    With `stage-bytes` (a power of two from 32 to 256, 64 or 128 say; 0,
    the default, is off), A and B go through workgroup memory a K tile at
    a time, in `stages` stages (2 by default): the next ones are filled
    while the lanes read one.
    Where the block's warps split N (A, or the gathered source and its
    indices, defined outside the warp loop, and C's rows the same for
    every warp; else not staged), they all read the same rows of A: per
    K tile the block's threads copy those rows (16 `row-tiles` of them,
    past the end the last row; for gathered rows the source rows the
    indices name) and each warp its own rows of B, in 16-byte chunks
    (`cp.async`, `nvgpu.device_async_copy` around L1, where the source's
    rows and base address are 16-byte aligned, else element by element).
    The loop's K tiles, over all its output tiles in order, are counted
    (the stages carry across output tiles) and K tile c takes stage c %
    `stages`. Once per warp loop: a barrier over the loop's threads
    (`nvvm.barrier`, id 1, their count; whatever read the buffer before
    is done), then K tiles 0 .. A - 1 copied into their stages, each
    committed as a group (empty ones too), A = `stages` - 1. Per K tile
    c: a wait for the thread's copy of it (`nvvm.cp.async.wait.group` A -
    1) and the barrier (every thread's copies have landed, and the stage
    K tile c - 1 read is free), the copy of K tile c + A where the loop
    has it, committed, then the mma steps on stage c % `stages` (one
    barrier per K tile),
    the lanes loading their fragments as they would from global memory
    (always aligned, so in `load-bytes` runs, narrowed only where a run's
    K step would not divide the K tile; with `prefetch`, one step ahead
    within the K tile). K tiles halve, down to 32 bytes,
    until one divides K and the stages fit 80 KB with two (two blocks per
    SM on sm_80 and sm_90), 160 KB with more (one; beyond the 99 KB a
    block may take on sm_86 and sm_89, so more than two stages are for
    sm_80 and sm_90 only). A tile's rows are padded to 32 bytes past a
    multiple of 64, so the 8-byte fragment loads of a phase's 16 lanes (4
    rows, 32 bytes each) fall on distinct banks. One workgroup buffer (an
    i8 `memref.alloca` in `#gpu.address_space<workgroup>`, viewed as the
    stages' A and B tiles) per warp loop; `hmoe-map-forall-to-gpu` makes
    a kernel's buffers one workgroup attribution (past 48 KB, dynamic
    workgroup memory), shared by its thread loops. Emulated, the warps'
    loop is interchanged with the K tiles and the copies are synchronous,
    in the GPU's order: every warp's lanes copy the first K tile into
    stage 0; per K tile every warp's lanes make the next copy into the
    other stage, then every warp runs its mma steps on this one, each
    warp's accumulators kept in the warps' register buffer between.

    With `ldmatrix` as well, the lanes read their fragments from the tiles
    by `nvgpu.ldmatrix` (`ldmatrix.sync.aligned.m8n8`, b16; TF32's 32-bit
    elements as b16 pairs): per row tile and K step four matrices (lane s
    names row s % 16 of the row tile at the K step's half s / 16: a0 ..
    a3), per 8-column step two (lane s < 16 names B row s % 8, half s / 8:
    b0, b1), in the ISA's K order (so no `load-bytes` runs), the tiles'
    rows not padded but swizzled: a row's 16-byte chunk c at c ^ f(row),
    with P chunks a row f(row) = row % 8 from P = 8 on (the pattern of
    TMA's 128-byte swizzle) and (row / (8 / P)) % P below, so a matrix's
    8 rows of 16 bytes are on distinct banks, as are a row's copied
    chunks. Emulated, lane l's register i is read from the row that lane
    8 i + l / 4 names, 4 bytes l % 4 into its 16: ldmatrix's lane map, so
    the addresses each lane supplies are checked against the reference.

    With `warpgroup-mma` as well (sm_90a only: the NVVM target refuses the
    wgmma ops for other chips), each warpgroup (warps 4 g ... 4 g + 3 of
    the loop) runs warpgroup MMA: per K step of 16 one
    `nvvm.wgmma.mma_async` m64nNk16 (bf16 or f16, f32 accumulators, both
    operands K-major: `wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16`
    at 4 warps of 32 columns) whose A is the output tile's 64 rows and
    whose B is the group's 4 warps' B tiles, adjacent in the stage (N = 4
    x 8 x steps), both read from the staged tiles through shared-memory
    descriptors (start address, stride 1024 bytes between 8-row groups,
    the 128-byte swizzle). Warp i of the group holds rows 16 i ... of every
    group warp's columns (the wgmma layout of D: per 8 columns the
    m16n8 accumulator layout), so a lane loads and stores its accumulators
    in the other warps' views of C too. It applies where the K tile is 128
    bytes (the swizzle's span: the copies' swizzle, chunk c of row r at c
    ^ r % 8, is then its pattern), the warps are a multiple of 4, the
    inputs bf16 or f16, and 64 rows fit (4 row tiles; not with fewer than
    49 static rows); the tiles start at the buffer's first 1024-byte
    boundary (1024 more bytes of it, the address read at run time), where
    the swizzle's pattern starts. Elsewhere the contraction takes the
    staged mma.sync path with `ldmatrix`, which this option implies. Per K
    tile: the wait for the thread's copies, `nvvm.fence.proxy` (async,
    shared::cta: `cp.async` wrote through the generic proxy, wgmma reads
    through the async one), the barrier, the next copy, then
    `nvvm.wgmma.fence.aligned`, the K tile's steps, commit and wait for
    them (so the stage is read before the next barrier lets it be copied
    into; from 3 `stages` on, for all but them, `wgmma.wait_group 1`, the
    copies then one K tile less ahead, and for them before C is stored).
    Emulated, the accumulators are kept in the warps' register
    buffer by the wgmma layout and each step is computed from its
    descriptors: element (r, k) of an operand read at the descriptor's
    address + (r / 8) stride + (r % 8) 128 + k * size with address bits
    4-6 XORed with bits 7-9 (the hardware's 128-byte swizzle, written
    apart from the copies' swizzle), D[r][n] from and to the lane and
    register the wgmma layout gives; the tiles' copies, their alignment,
    the descriptors and the accumulators' layout are so checked against
    each other and the reference without a GPU (not against a GPU's
    wgmma: that is `scripts/gpu-check.sh`'s case).

    With `emulate` (for `hmoe-lower-to-cpu{gpu-mapped tensor-cores}`), the
    loop becomes one iteration per warp (its induction variable and body
    rebuilt as for the GPU), which runs its 32 lanes one after the other,
    each writing its fragments into a [32, regs] buffer (the warp's
    registers) with the very code a GPU lane runs, and computes
    each mma step from those buffers, reading every element from the
    lane and register where the PTX ISA places it (the layouts written a
    second time, as the inverse map; TF32 inputs rounded as
    the GPU lanes round them). The fragment addressing is then checked
    against the reference on the CPU, without a GPU.
  }];
  let options = [
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "run each warp's lanes and its mma.sync steps as CPU loops "
           "(the fragment layouts checked without a GPU)">,
    Option<"tf32", "tf32", "bool", /*default=*/"false",
           "accept f32 contractions: m16n8k8 steps on inputs rounded to "
           "TF32 (10-bit mantissas, f32 accumulation)">,
    Option<"splitTF32", "split-tf32", "bool", /*default=*/"false",
           "accept f32 contractions as split TF32 (3xTF32): each input "
           "the sum of its TF32 truncation (big) and the TF32 rounding of "
           "the rest (small), three m16n8k8 steps per step (small A x big "
           "B, big A x small B with non-finite bigs as 0, then big x big), "
           "about f32's accuracy; over tf32">,
    Option<"rowTiles", "row-tiles", "int64_t", /*default=*/"2",
           "16-row tiles a warp runs together, sharing each B fragment "
           "(at most 16 tiles of 16 x 8 in all: 64 accumulators a lane)">,
    Option<"prefetch", "prefetch", "bool", /*default=*/"true",
           "load the next K step's fragments before this step's mma.sync "
           "(carried in registers across the K loop; the GPU form only)">,
    Option<"loadBytes", "load-bytes", "int64_t", /*default=*/"8",
           "bytes of a row a lane loads at once: 4, one register in the "
           "PTX ISA's K order; 8, a run of K shared out to a step's "
           "registers in an order A and B share; 16, two steps' (where "
           "the registers they hold allow, else 8). Runs where K and the "
           "row strides allow, behind a test that A and B start aligned">,
    Option<"stageBytes", "stage-bytes", "int64_t", /*default=*/"0",
           "0: the lanes read their fragments from global memory; a power "
           "of two from 32 to 256 (64, 128): per K tile of that many bytes "
           "of a row, the block copies "
           "the rows of A its warps share and each warp its rows of B "
           "into one of two stages in workgroup memory (16-byte cp.async "
           "chunks, a barrier per K tile), while the lanes read their "
           "fragments from the other (K tiles halved where K or 80 KB of "
           "workgroup memory need it; the stages carry across output "
           "tiles)">,
    Option<"stages", "stages", "int64_t", /*default=*/"2",
           "with stage-bytes: stages of tiles, 2 to 8; each K tile's copy "
           "is issued A = stages - 1 K tiles ahead and waited for when its "
           "K tile comes (cp.async.wait_group A - 1); with "
           "warpgroup-mma from 3 stages on, each K tile's wgmma steps "
           "stay in flight past it (wgmma.wait_group 1) and A = stages - "
           "2; past 2 the stages may take 160 KB (one block an SM: sm_80 "
           "and sm_90, not sm_86/sm_89) instead of 80">,
    Option<"ldmatrix", "ldmatrix", "bool", /*default=*/"false",
           "with stage-bytes: the lanes read their fragments from the "
           "tiles by ldmatrix (nvgpu.ldmatrix: A's four 8 x 8 matrices, "
           "B's two, the PTX ISA's K order; rows XOR-swizzled by 16-byte "
           "chunks so a matrix's 8 rows fall on distinct banks) instead of "
           "load-bytes runs; emulated, each register read from the row its "
           "source lane names">,
    Option<"warpgroupMMA", "warpgroup-mma", "bool", /*default=*/"false",
           "with stage-bytes (sm_90a only): each warpgroup (4 warps) runs "
           "64 rows by its warps' columns as nvvm.wgmma.mma_async m64nNk16 "
           "steps reading both operands from the staged tiles through "
           "shared-memory descriptors (K-major, 128-byte swizzle, tiles "
           "1024-byte aligned); implies ldmatrix, the path of contractions "
           "it does not fit (fewer than 49 static rows, warps not a "
           "multiple of 4, TF32, K not a multiple of 64)">,
    Option<"testDropBarrier", "test-drop-barrier", "bool",
           /*default=*/"false",
           "testing only: with stage-bytes, the barrier per K tile left "
           "out, a race for compute-sanitizer's racecheck to report "
           "(scripts/gpu-check.sh checks that it does, so that its clean "
           "racecheck of the staged kernels means something)">,
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoELowerWarpRoutes : InterfacePass<"hmoe-lower-warp-routes",
                                        "::mlir::FunctionOpInterface"> {
  let summary = "Routes in loops over GPU warps as each warp's lanes "
                "routing its tokens together";
  let description = [{
    After bufferization: an `hmoe.route` in an `scf.forall` mapped to
    `#gpu.warp<...>` (`hmoe-tile-for-gpu`'s `warp-route-experts`) becomes
    a loop over its tokens, each routed by the warp's 32 lanes together
    (`emitRouteTokenOnWarp`). Lane l holds the logits, probabilities and
    keys of experts l, l + 32, ... in registers (a thread routing a token
    alone keeps arrays of all of them, in local memory past
    `hmoe-thread-arrays-to-registers`' size). A softmax's maximum and sum
    and every top-k winner are butterfly reductions over the lanes
    (`gpu.shuffle xor`, 5 steps), after which every lane holds the result:
    a winner is the best of each lane's best candidate after the last
    winner, in the order of `#hmoe.gate`'s docs (ties to the lower
    expert), so the choices are the thread route's; group scores and the
    kept groups (group_limited) the same way. Every lane then stores the
    token's choices (the same values). The softmax sums per lane, then
    over the lanes: probabilities and weights may differ from the thread
    route's in the last bits.

    With `emulate` (`hmoe-lower-to-cpu{gpu-mapped}`), each iteration of
    the warp loop is the whole warp: a lane's value is a vector<32>
    element, a shuffle a `vector.shuffle`, a lane's row access one vector
    load or store. The same algorithm and reductions, checked against the
    reference on the CPU; a value every lane must hold (a winner) is read
    from lane 0 behind a `cf.assert` that every lane holds the same.

    A route in such a loop that one warp cannot route (`fitsWarpRoute`) is
    an error.
  }];
  let options = [
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "each warp one vector<32> per lane value (the CPU's check of "
           "the GPU's warp routes)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEStageThreadContractions
    : InterfacePass<"hmoe-stage-thread-contractions",
                    "::mlir::FunctionOpInterface"> {
  let summary = "GPU threads' contractions read A and B from K tiles "
                "staged in workgroup memory";
  let description = [{
    After bufferization, before the threads' ops become loops: a thread
    loop (an `scf.forall` mapped to `#gpu.thread<...>`, static trip counts)
    holding one contraction `C[m, n] += A[m, k] * B[n, k]` (a
    `linalg.generic`, K the last loop, its body free of memory effects)
    whose `A` and `B` are each thread's rows, over the whole of a static
    K, of buffers defined outside the loop, becomes a loop over K tiles:

    ```
    scf.for k0 = 0 to K step kTile {
      scf.forall (tid) in (threads) { copy the K tile of every row of A and B }
      scf.forall (...) { the loop, A and B read from the tiles }
    }
    ```

    The copy deals each row's 16-byte chunks to adjacent threads (a warp
    reads whole 128-byte lines) as element-wise copies, which
    `hmoe-vectorize-thread-copies` makes 16-byte accesses. The tiles are
    `[rows, kTile + 16 bytes]`: padded, a warp's 16-byte reads of different
    rows (`hmoe-vectorize-loop-loads`) fall in different banks. The rows are
    the buffers' (a constant bound: a block's tile of rows). On the GPU
    `hmoe-map-forall-to-gpu` puts a barrier after each thread loop (the
    copies complete before the reads, the reads before the next copies);
    `emulate` (the gpu-mapped CPU run) allocates a CPU buffer instead of
    workgroup memory, the thread loops running one after the other.

    Each element of `C` still sums its products in K order: the same
    results. `C` is read and written once per K tile, not once.

    `kTile` is `k-tile-bytes` of the wider element, halved until it divides
    K, each tile row is whole 16-byte chunks dealt evenly to the threads,
    and both tiles fit `max-bytes`, but no shorter than 64 bytes (or
    `k-tile-bytes`): shorter tiles cost two barriers every few K steps. A
    contraction where none does, or that does not match, is left as it
    is.

    With `gathered-rows`, `A` may be gathered rows (an expert's first GEMM
    with its token gather fused, `hmoe-tile-for-gpu`'s `fuse-gathers`):
    the first input the
    thread's row indices (map `(m)`), the body reading
    `S[index_cast(rows[m]), linalg.index k]`. A's tile row r is then
    copied from `S[rows[r]]` (a row gather, which
    `hmoe-vectorize-thread-copies` also makes 16-byte accesses), and the
    contraction reads the tile as a plain first input, its body without
    the read. Off by default (the pipelines do not set it): in SwiGLU
    expert kernels of the matrix (gate and up projections both staged)
    ptxas spilled 12-36 bytes on sm_80 with 128-byte tiles and 24-36 on
    sm_90a with 64-byte ones, where the kernels without it did not.

    With `stages=2` the tiles are double-buffered: in K tile t, before
    its reads, the block's threads start the copy of tile t + 1 into the
    other stage (and in the first K tile, before that, tile 0's into its
    own) as `cp.async` (`nvgpu.device_async_copy`, 16 bytes, around L1;
    element by element where a chunk's source is not 16-byte aligned, a
    synchronous vector copy where it is not in global memory), commit
    them as a group and wait for all groups but that one
    (`cp.async.wait_group 1`): tile t's copies are complete before the
    barrier, tile t + 1's run while the threads compute t. Every thread
    loop stays inside the K loop (the buffer's scope). The same two
    barriers a K tile; twice the workgroup memory (both stages within
    `max-bytes`; a contraction whose two stages fit no K tile gets one
    stage). Emulated, the copies are synchronous vector loads and stores
    into the same two stages. `cp.async` needs sm_80 or later.

    Not where `A` or `B` is a view of `C`'s buffer.
  }];
  let options = [
    Option<"kTileBytes", "k-tile-bytes", "int64_t", /*default=*/"0",
           "bytes of K per tile row (of the wider element; 0: off, else at "
           "least 16)">,
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"49152",
           "workgroup memory the tiles of one contraction may take">,
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "for the gpu-mapped CPU run: the tiles in a CPU buffer, not "
           "workgroup memory">,
    Option<"gatheredRows", "gathered-rows", "bool", /*default=*/"false",
           "also contractions of gathered rows (A's tile rows copied "
           "through the row indices)">,
    Option<"stages", "stages", "int64_t", /*default=*/"1",
           "1: the copies synchronous, one stage; 2: the next K tile copied "
           "by cp.async into a second stage while the threads read this "
           "one">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEVectorizeThreadCopies : InterfacePass<"hmoe-vectorize-thread-copies",
                                              "::mlir::FunctionOpInterface"> {
  let summary = "row copies, gathers, fills and element-wise ops of GPU "
                "thread loops -> aligned vector loads and stores";
  let description = [{
    After bufferization, for the ops of a thread loop (an `scf.forall`
    mapped to `#gpu.thread<...>`) that each thread runs over a few rows of
    `C` contiguous elements: a `linalg.fill` of `[rows, C]`, and a
    `linalg.generic` whose element `(i, j)` is `src[..., f(i) + j]` (a
    copy of a row, or the gather of a token's row: its indices may read
    the op's inputs at row `i`, never at column `j`). `C` is static, the
    rows have unit stride, and `C` elements are a multiple of `bytes`.

    Each row then moves in `bytes`-wide `vector.load`/`vector.store` steps
    that carry `alignment = bytes` (on NVPTX 16 bytes are one
    `ld.global.v4.b32`, where the loop issued one 2- or 4-byte access per
    element), behind a test, per row, that both row addresses are aligned
    to `bytes`; a row that is not (a caller's view starting at an odd
    element) is copied an element at a time as before. A gather reads the
    row's index once, not once per element. What the op reads (source,
    index inputs, the body's loads) must be views of buffers other than the
    destination (`BufferAliasing.h`), and its body may not write; else the
    op is left as it is.

    Element-wise ops too (a `linalg.generic` with a pure body, no loads,
    over operands read at (i, j) with unit-stride rows and inputs read at
    row i): each row steps by `bytes` of its widest operand (4 f32 in and
    4 bf16 out: 16- and 8-byte accesses), runs the body once per element
    of the step on the vectors' elements, and stores the step as one
    vector, behind the same per-row test of every operand's alignment. An
    operand read at (i, j) must be the destination's own view or another
    buffer.
  }];
  let options = [
    Option<"bytes", "bytes", "int64_t", /*default=*/"16",
           "bytes per vector access (a power of two; 16 is the widest "
           "global access of a CUDA thread)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEVectorizeLoopLoads : InterfacePass<"hmoe-vectorize-loop-loads",
                                           "::mlir::FunctionOpInterface"> {
  let summary = "a loop's loads along rows -> aligned vector loads, the "
                "body run once per element of each vector";
  let description = [{
    For a signed `scf.for` over indices, of step 1, with results, whose
    body is straight-line `memref.load`s and `arith` ops without memory
    effects (a GPU thread's GEMM K loop after
    `hmoe-promote-loop-accumulators`: its accumulators carried, its rows of
    A and B read at `[i..., k]`; other ops, such as math's libm calls, are
    left alone: copied per element they cost more than the loads saved),
    with at least one load of a row: the memref and the indices before the
    last the same in every iteration, the last index the induction
    variable, along a dimension of unit stride, an element of 1, 2, 4, 8
    or 16 bytes (as packed in a vector as in the memref); and no load of a
    thread's own array (an alloca: registers, after
    hmoe-thread-arrays-to-registers, where vector loads and the alignment
    test would keep it in local memory). With V = `bytes` / the widest such
    row's element size (at least 2), the loop becomes:

    - when the loop runs at least V steps and every row's element at the
      lower bound is aligned to V of its elements (a test before the loop,
      on the buffer's aligned pointer, offset and strides): a loop
      stepping by V that reads each row's V elements as one `vector.load`
      carrying that alignment (16 bytes of f32: one `ld.global.v4.b32`
      where a step made 4 scalar loads; on NVPTX such a load needs its
      alignment proven), then runs the old body V times on the vectors'
      elements, in order; then the old loop over the last `trips mod V`
      iterations;
    - otherwise, the old loop.

    Every iteration computes what it did, in the same order (an
    accumulator sums in K order: the same results), and a vector reads
    only elements the old loop read. What the body computes the same in
    every iteration (a jam's row offsets; loads at such indices, as a
    gathered row's token index, since the body writes nothing) is computed
    once for the test and once before the vector loop, both only where
    that loop runs (loads the old loop makes). Other loads stay per
    iteration. A loop left as it is is not changed at all.
  }];
  let options = [
    Option<"bytes", "bytes", "int64_t", /*default=*/"16",
           "bytes per vector load of the widest row element (a power of "
           "two from 2 to 64; 16 is the widest global load of a CUDA "
           "thread)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEVectorizeColumnLoops : InterfacePass<"hmoe-vectorize-column-loops",
                                             "::mlir::FunctionOpInterface"> {
  let summary = "a thread's loop over V adjacent output columns -> its "
                "body once, on vectors of V";
  let description = [{
    A GPU thread's share of the combine, its columns dealt out in groups of
    V adjacent ones (`hmoe-tile-for-gpu`'s `cyclic-group-bytes`), is after
    `convert-linalg-to-loops` an `scf.for` of V (static) steps over a
    group's columns, each step summing its token's choices of gathered
    expert rows at its column (an inner `scf.for` with an `scf.if` per
    dropped slot) and storing the sum. Here such a loop runs its body once
    on `vector<V>` values: each row read at the column becomes one
    `vector.load` of the group (16 bytes of f32: one `ld.global.v4.b32`
    where there were 4 loads), the arithmetic on it element-wise vector
    ops, the carried sums vectors, the store one `vector.store`; what does
    not depend on the column (the token's slot indices and weights) is
    computed once instead of V times. Every element is computed as before,
    in the same order (the same results).

    Taken: a static trip count of 2 to 64, a power of two, step 1, no
    results; every use
    of the induction variable an index `c + x` (x the same in every step,
    defined before the loop) that is the last index of a `memref.load` or
    `memref.store` along a dimension of unit stride (elements of 1 to 16
    bytes, a power of two), V of them at most `bytes`, of a buffer that is
    not a thread's own array (an alloca: registers, after
    hmoe-thread-arrays-to-registers); values computed from
    such loads only through `arith` ops without regions, nested `scf.for`
    carried values (of signed loops) and `scf.if` results (on conditions
    the same in every step); every store at such an index, in the loop's own body (not
    nested); no buffer it stores to possibly
    the one it reads (the vector version reads all V columns before
    storing any). The vector version runs behind a test, before the loop,
    that every such access's buffer (its aligned pointer and offset, its
    strides other than the last) and `x` are aligned to V elements; the
    old loop where not. Other loops are left as they are, but for what a
    short static loop that stores along its induction variable computes
    the same in every step, hoisted before it (as
    `loop-invariant-code-motion` would) before it is examined.
  }];
  let options = [
    Option<"bytes", "bytes", "int64_t", /*default=*/"16",
           "the widest vector access, in bytes (a power of two from 2 to "
           "64; 16 is the widest global load of a CUDA thread)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEDistributeDispatch : InterfacePass<"hmoe-distribute-dispatch",
                                           "::mlir::FunctionOpInterface"> {
  let summary = "hmoe.dispatch on buffers -> scf.forall launches over GPU "
                "blocks and threads, with no host synchronisation";
  let description = [{
    After bufferization: every `hmoe.dispatch` at the function's top level
    (`hmoe-tile-for-gpu` leaves it there) becomes its stable counting sort
    split into GPU launches (the scheme of vLLM's `moe_align_block_size`),
    each an `scf.forall` over `#gpu.block<x>` whose thread loop takes the
    experts (thread i: experts i, i + threads, ...):

    1. per chunk of `chunk-tokens` tokens' assignments (a block): its
       assignments dropped (`slot_of` -1) and slot tokens 0 (a thread loop
       of their own), then per expert how many go to that expert;
    2. one block: the exclusive scan of those counts over the chunks, per
       expert; the experts' `offsets` from the kept counts (min(count,
       capacity));
    3. per chunk and expert: each of its assignments gets the next rank;
       below the capacity it gets slot `offsets[e] + rank` and the slot its
       token.

    Nothing is read back on the host; the device does `T * K * E` compares
    in steps 1 and 3. With a capacity in another fill order, which are
    kept is decided first, into a flag per assignment, and the kept ones
    are then ranked again in token order for their slots: `choice_rank`
    ranks in (choice, token) order; `score` sorts the assignments by
    expert (a dropless ranking) with their weights' keys, then one thread
    per assignment counts those of its expert that go before it (a larger
    weight, or an equal one earlier) and keeps it while that count is
    under the capacity (stopping once it is not; an expert within its
    capacity keeps all without counting: an overloaded expert of n
    assignments and capacity C costs at least C * n compares, about
    C * n * (1 + ln(n / C))). A dispatch already inside a loop or launch
    is left alone.
  }];
  let options = [
    Option<"chunkTokens", "chunk-tokens", "int64_t", /*default=*/"64",
           "tokens per chunk (each chunk's assignments are one block's "
           "work in steps 2 and 4)">,
    Option<"blockThreads", "block-threads", "int64_t", /*default=*/"256",
           "threads per block: the experts one block's threads share">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def HMoEDistributeStats : InterfacePass<"hmoe-distribute-stats",
                                        "::mlir::FunctionOpInterface"> {
  let summary = "hmoe.stats on buffers -> scf.forall launches over GPU "
                "blocks and threads";
  let description = [{
    After bufferization: every `hmoe.stats` at the function's top level
    (`hmoe-tile-for-gpu` leaves it there) becomes three launches, each an
    `scf.forall` over `#gpu.block<x>` around linear thread loops:

    1. a block per chunk of `chunk-tokens` tokens, its threads sharing
       the experts: each expert's load and importance over the chunk (f64);
    2. one thread per token: the terms of the per-token statistics
       (`dropped`, `z_loss`, `r_intra`, `r_inter`), if any is asked for;
    3. one block: each thread sums an expert's chunks in order and a
       stride of the tokens' terms, then one thread sums those and writes
       every statistic from the per-expert sums (the scalar lowering's
       formulas).

    The order of every sum is fixed, so a layer returns the same figures
    on every run (not atomics); it is not the CPU loops' token order (the
    importance is summed per chunk, then over the chunks), so the two may
    differ in the last bits of the f64 sums. A stats op already inside a loop or launch
    is left alone.
  }];
  let options = [
    Option<"chunkTokens", "chunk-tokens", "int64_t", /*default=*/"256",
           "tokens per block in the per-expert sums">,
    Option<"blockThreads", "block-threads", "int64_t", /*default=*/"256",
           "threads per block (and the threads that share the reduction)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def HMoEMapForallToGPU : InterfacePass<"hmoe-map-forall-to-gpu",
                                       "::mlir::FunctionOpInterface"> {
  let summary = "scf.forall mapped to GPU blocks and threads -> gpu.launch";
  let description = [{
    After bufferization: every top-level `scf.forall` mapped to
    `#gpu.block<...>` becomes a `gpu.launch` whose grid is its trip counts
    (computed on the host, so they may be dynamic) and whose block is the
    largest static trip count of the thread loops inside; those are then
    distributed over the thread ids with upstream MLIR's
    `mapNestedForallToThreadsImpl` (guards for idle threads, a barrier
    after each). Host-side `memref.alloc` / `memref.dealloc` become
    `gpu.alloc` / `gpu.dealloc` (device memory).

    Workgroup buffers in a block loop (`memref.alloca` of a static 1-D i8
    memref in `#gpu.address_space<workgroup>`, as
    `hmoe-warp-contractions-to-mma{stage-bytes}` makes for its tiles)
    become one workgroup attribution of the launch, as large as the
    largest of them (past 48 KB, a kernel's static limit, the launch's
    dynamic workgroup memory, `gpu.dynamic_shared_memory`, with the launch's
    `dynamic_shared_memory_size`; the runtime opts the kernel in): each
    must be used only through `memref.view` inside one thread loop, no
    two in the same one, and a block's thread loops
    run one after the other with a barrier between, so they share its
    bytes. Anything else is an error at the buffer.

    Everything else that touches memory must already be inside a block
    loop: a read or write of a buffer left on the host, or one inside a
    block but outside any thread loop (every thread would run it), is an
    error at the op.
  }];
  let options = [
    Option<"warpSize", "warp-size", "int64_t", /*default=*/"32",
           "threads per warp">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def HMoEVerifyGPUBinary : Pass<"hmoe-verify-gpu-binary", "::mlir::ModuleOp"> {
  let summary = "Fail on a GPU binary that still calls an unresolved "
                "libdevice function";
  let description = [{
    After `gpu-module-to-binary`: a PTX (`format=isa`) object that declares
    an `.extern .func __nv_*` did not get libdevice linked (no CUDA toolkit
    was found), and would only fail later, in `ptxas` or at module load.
    This pass turns that into an error at the `gpu.binary` naming the
    function and what to do. Cubin and fatbin objects were linked by
    `ptxas` already, which fails on an unresolved function itself.
  }];
}

def HMoESetKernelOccupancy : Pass<"hmoe-set-kernel-occupancy",
                                  "::mlir::ModuleOp"> {
  let summary = "Tell ptxas how many blocks of each kernel an SM must hold";
  let description = [{
    Sets `nvvm.minctasm` (PTX `.minnctapersm`) on every kernel of the
    module: ptxas then budgets registers for that many blocks per SM,
    65536 / (blocks x threads per block) (128 for 2 blocks of 256
    threads), instead of choosing a budget for occupancy itself. Left to
    itself ptxas spills a few bytes in some routing kernels of the
    integration matrix (it picked 48 registers where 53 to 77 sufficed);
    with 2 blocks one kernel of 3652 spills on each chip (3 and 22
    without), but ptxas also unrolls more and kernels use more registers
    (on the matrix, 47 on average instead of 36), which can cost
    occupancy. Which is faster needs a
    GPU: the GPU check times G1 and W1 bf16 both ways. 0 (the default of
    `hmoe-lower-to-nvvm`) sets nothing.

    Where `min-blocks-per-sm` is 0, kernels with much state per thread
    get a budget all the same: those holding tensor-core steps
    (`nvvm.mma.sync`, `nvvm.wgmma.mma_async`) `mma-min-blocks-per-sm`,
    those with arrays in local memory (`memref.alloca`: a route's
    per-token scratch)
    `local-array-min-blocks-per-sm` (defaults 2 and 1: 128 and 255
    registers for 256 threads; a kernel with both takes the larger).
    Left to itself ptxas held such kernels of the integration matrix to
    40-80 registers and spilled 4 to 24 bytes (tensor-core kernels;
    nested levels' fused routing kernels) where 56-181 sufficed; with a
    budget for 2 blocks ptxas unrolled one routing kernel further and
    spilled at 128. 0 leaves those kernels to ptxas too.

    No kernel is asked for more blocks than its workgroup memory lets an
    SM hold: where every launch of a kernel (`gpu.launch_func` in the
    module) gives a constant dynamic workgroup memory size, the blocks
    are at most the SM's workgroup memory over that size plus the 1 KB
    each block reserves, for the smallest SM of the gpu.module's NVVM
    targets (sm_80: 164 KB, sm_86/sm_89: 100 KB, sm_90: 228 KB), and at
    least 1: more than two stages of staged tiles (`warp-stages`, up to
    160 KB) then get 1 and ptxas up to 255 registers a thread, not 128.
  }];
  let options = [
    Option<"minBlocksPerSM", "min-blocks-per-sm", "int64_t",
           /*default=*/"2", "blocks of a kernel an SM must hold at once "
           "(0: ptxas decides)">,
    Option<"mmaMinBlocksPerSM", "mma-min-blocks-per-sm", "int64_t",
           /*default=*/"2", "where min-blocks-per-sm is 0: the blocks "
           "of a kernel with mma.sync steps an SM must hold (0: ptxas "
           "decides)">,
    Option<"localArrayMinBlocksPerSM", "local-array-min-blocks-per-sm",
           "int64_t", /*default=*/"1", "where min-blocks-per-sm is 0: the "
           "blocks of a kernel with per-thread arrays (memref.alloca) an SM "
           "must hold (0: ptxas decides)">,
  ];
}

def HMoEMarkReadOnlyKernelArgs : Pass<"hmoe-mark-read-only-kernel-args",
                                      "::mlir::ModuleOp"> {
  let summary = "Mark the memref arguments of GPU kernels that no thread "
                "writes during a launch llvm.readonly";
  let description = [{
    After kernel outlining: a `gpu.func`'s memref argument is read-only for
    a launch when no thread of the kernel writes or frees it, and no other
    argument that the kernel writes may share its memory at any of its
    `gpu.launch_func`s (arguments are traced through views to their
    allocation: two allocations never overlap, nor an allocation and a
    function argument; two function arguments or anything else may). Such
    arguments get `llvm.readonly` (on both pointers of the lowered memref
    descriptor) and the kernel `hmoe.read_only_args`, for which
    `hmoe-carry-llvm-attributes` adds `llvm.noalias` after lowering: then
    LLVM keeps loads of them in registers across the kernel's stores (the
    expert kernel's gather read each row's token index once per element:
    a stored bf16 might have overwritten it) and NVPTX reads them through
    the non-coherent cache (`ld.global.nc`, as for CUDA C's
    `const __restrict__`). A kernel with a write this pass cannot trace
    to an argument or to the kernel's own memory (thread-private arrays,
    workgroup buffers), or with an op of unknown effects, is left
    unmarked.

    Only integer buffers (token indices, offsets, slot maps: a few loads
    per row or token) unless `floats` is given: with the weights and
    activations marked too, LLVM hoisted whole weight tiles out of the
    thread-schedule GEMMs' row loops into registers
    (gemm/flat_gaussian_swiglu's f32 expert kernel: 255 registers and 252
    bytes spilled on sm_80 and sm_90a; gemm/nested_laplace_ffn's 16 bytes
    at ptxas's 40 registers); with integer buffers only, no GEMM or
    routing kernel of the integration matrix spills on sm_80 or sm_90a
    (docs/gpu.md).
  }];
  let options = [
    Option<"floats", "floats", "bool", /*default=*/"false",
           "mark floating-point buffers too (weights, activations)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def HMoEKeepF64MathLoopsRolled : Pass<"hmoe-keep-f64-math-loops-rolled",
                                      "::mlir::gpu::GPUModuleOp"> {
  let summary = "Annotate kernel loops that call f64 libdevice functions "
                "not to be unrolled";
  let description = [{
    In the kernels of the module, the innermost `scf.for` around a math op
    on f64 that becomes a libdevice call (`math.exp` -> `__nv_exp`,
    `math.log` -> `__nv_log`, ...; not `absf`, `sqrt`, `fma` and the
    rounding ops, which are instructions) gets
    `llvm.loop_annotation = #llvm.loop_annotation<unroll = <disable =
    true>>` (one it already has is kept): `.pragma "nounroll"` in the
    PTX, after `hmoe-carry-llvm-attributes`.

    Why: each such call is 20-40 f64 instructions with a slow-path branch,
    and ptxas for sm_90 / sm_90a unrolls a short loop of them (the
    statistics' z-loss, `exp` over a token's logits) and then holds it
    to the register budget it picked for 256 threads: 48 registers and
    72 bytes of spills, the only spills of the integration matrix's
    kernels. Rolled, the same kernel takes 31 registers and spills
    nothing; sm_80 did not spill either way. Run before `convert-scf-to-cf`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def HMoEThreadArraysToRegisters : Pass<"hmoe-thread-arrays-to-registers",
                                       "::mlir::gpu::GPUModuleOp"> {
  let summary = "Make a thread's small arrays promotable to registers: "
                "hoisted to the kernel's entry, the loops indexing them "
                "unrolled";
  let description = [{
    In the kernels of the module, for each thread-private `memref.alloca`
    of static shape and at most `max-elements` elements whose every use
    loads or stores its elements (or reads its address for an alignment
    test: nothing keeps it past an access):

    * it moves to the kernel's entry block, out of loops too: one array
      for every iteration instead of a fresh one each, the same where each
      iteration writes before it reads (what a fresh array's undefined
      contents require);
    * an `scf.for` with constant bounds whose induction variable (through
      pure ops) indexes a load or store of it gets `llvm.loop_annotation
      = #llvm.loop_annotation<unroll = <full = true>>` (`!llvm.loop`
      metadata `llvm.loop.unroll.full` after `hmoe-carry-llvm-attributes`),
      unless it has an annotation already, indexes a larger thread array
      too (one that stays in local memory: unrolled, DeepSeek-V3's scans
      over 256 experts held their loads in registers and spilled), or
      unrolling it would make more than `max-iterations` copies of loop
      bodies, counting those of the loops inside it that are unrolled too.

    Why: LLVM's SROA promotes to registers only the allocas of a
    function's entry block whose every access has a constant offset; the
    rest is local memory (device memory through L1, a round trip per
    access). hmoe-lower-routing-to-loops leaves a token's scratch (its
    probabilities, selection keys and winners) inside the routing
    thread's `scf.if`, and LLVM's own unroller, under its size
    thresholds, unrolled the 64-candidate scans by 8 and kept them loops:
    G1's fused routing kernel had a 536-byte stack frame on sm_90a. What
    a route indexes at run time (a chosen node's probabilities in a level
    of more than 16 nodes with a gate per node) stays in local memory
    either way.
    Run before `convert-scf-to-cf`.
  }];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", /*default=*/"128",
           "largest thread-private array (elements) to promote">,
    Option<"maxIterations", "max-iterations", "int64_t", /*default=*/"1024",
           "most copies of loop bodies the unrolling of one loop may make">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def HMoECarryLLVMAttributes : Pass<"hmoe-carry-llvm-attributes",
                                   "::mlir::gpu::GPUModuleOp"> {
  let summary = "Carry into LLVM IR what upstream's lowering of kernels "
                "drops: loop annotations, noalias of read-only arguments, "
                "workgroup buffers' alignment, dynamic workgroup memory's "
                "linkage";
  let description = [{
    After the kernels' lowering to the LLVM dialect:

    * An `scf.for` with a discardable `llvm.loop_annotation`
      (`unroll = <disable = true>`: hmoe-warp-contractions-to-mma puts it
      on its prefetched K loops, hmoe-keep-f64-math-loops-rolled on loops
      calling f64 libdevice functions) has it on its latch branch after
      `convert-scf-to-cf`, and the lowering to `llvm.br` keeps it there as
      a discardable attribute, which the translation to LLVM IR ignores
      (LLVM 22). It becomes the branch's inherent `loop_annotation`
      (`!llvm.loop` metadata). Without it, LLVM unrolled a prefetched K
      loop of 8 steps 4 times and ptxas, scheduling the loads of 4 steps
      ahead, spilled (wide/ffn_512's expert kernel: 44 spill stores on
      sm_80 at 128 registers).
    * In a kernel marked `hmoe.read_only_args`
      (`hmoe-mark-read-only-kernel-args`), every `llvm.readonly` pointer
      argument gets `llvm.noalias` (which upstream drops for memref
      descriptors, whose two pointers alias): no thread modifies that
      memory during the launch, and LLVM's noalias only constrains memory
      that is modified. The marker is removed.
    * A workgroup buffer (an `llvm.mlir.global` in address space 3, from a
      `gpu.launch`'s workgroup attribution) is aligned to at least 16
      bytes: outlining gives the kernel's attribution no `llvm.align`, so
      the global was byte-aligned, and `hmoe-warp-contractions-to-mma`'s
      staged tiles are copied and read in aligned 16-byte vectors.
    * The dynamic workgroup memory (`gpu.dynamic_shared_memory`'s
      zero-length array in address space 3, which upstream's lowering
      makes internal) becomes external, CUDA's `extern __shared__` array
      (`.extern .shared .align 16 .b8 ...[]`): internal, NVPTX demoted it
      to a one-byte `.shared` variable of the kernel, static memory that
      the dynamic bytes follow, so a kernel's tiles would have run 16
      bytes past the launch's.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def HMoERequireCUDAToolkit : Pass<"hmoe-require-cuda-toolkit",
                                  "::mlir::ModuleOp"> {
  let summary = "Fail unless a CUDA toolkit (ptxas) is found and every "
                "chip is one the kernels can target";
  let description = [{
    First pass of `hmoe-lower-to-nvvm`: kernels are compiled by the CUDA
    toolkit's `ptxas` and linked with its libdevice, so a missing toolkit
    is an error before any work, naming where it was looked for, rather
    than a module whose kernels fail later. So is a chip in `chips` that
    is not `sm_<number>` or `sm_<number>a` from sm_80 on: the kernels use
    `mma.sync` on bf16/f16 and `cp.async`, which LLVM's NVPTX back end
    cannot select for older chips (it aborts).
  }];
  let options = [
    Option<"toolkit", "toolkit", "std::string", /*default=*/"",
           "CUDA toolkit directory (empty: $CUDA_HOME, $CUDA_ROOT, "
           "$CUDA_PATH, /usr/local/cuda)">,
    Option<"chips", "chips", "std::string", /*default=*/"",
           "comma-separated chips the kernels are compiled for (empty: not "
           "checked)">,
  ];
}

def HMoESetNVPTXShortPointers : Pass<"hmoe-set-nvptx-short-pointers",
                                     "::mlir::ModuleOp"> {
  let summary = "Set NVPTX's address width for shared, local and constant "
                "memory before the kernels are compiled";
  let description = [{
    Just before `gpu-module-to-binary`: sets LLVM's `nvptx-short-ptr`
    (32-bit addresses in the shared, local and constant spaces, as nvcc's
    PTX has them and clang's `-fcuda-short-ptr` asks) to `enable`, on or
    off. The NVPTX back end reads that process-wide option when
    `gpu-module-to-binary` makes its target machine, so it is set when the
    pipeline runs rather than when it is built (a pipeline built and run
    later gets its own setting), and whatever an earlier pipeline or the
    command line set is overridden. Asking for short pointers in a tool
    without the NVPTX back end is an error.
  }];
  let options = [
    Option<"enable", "enable", "bool", /*default=*/"true",
           "32-bit shared, local and constant addresses (else 64-bit)">,
  ];
}

def HMoELinkFatbin : Pass<"hmoe-link-fatbin", "::mlir::ModuleOp"> {
  let summary = "One fatbin per gpu.binary from its PTX for several chips";
  let description = [{
    After `gpu-module-to-binary{format=isa}` on modules with one NVVM target
    per chip: each `gpu.binary`'s PTX objects are compiled with the
    toolkit's `ptxas` for their chips and packed by `fatbinary` into one
    fatbin object (the one the host code embeds and loads), with the PTX
    of every chip that is not architecture-specific (`sm_80`, not `sm_90a`)
    so that the driver can compile it for a GPU none of the images is for.
    `hmoe-lower-to-nvvm{chip=sm_80,sm_90a}` (its default) ends with it: a
    library that runs natively on A100 and H100/H200. A failing tool is an
    error at the binary with the tool's output.
  }];
  let options = [
    Option<"toolkit", "toolkit", "std::string", /*default=*/"",
           "CUDA toolkit directory (bin/ptxas, bin/fatbinary)">,
  ];
}

#endif // HMOE_CODEGEN_GPU_PASSES_TD
