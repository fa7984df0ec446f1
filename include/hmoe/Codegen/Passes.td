//===- Passes.td - CPU code generation on upstream IR ------*- tablegen -*-===//

#ifndef HMOE_CODEGEN_PASSES_TD
#define HMOE_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def HMoETileRoutes : Pass<"hmoe-tile-routes"> {
  let summary = "Tile hmoe.route over tokens into an scf.forall";
  let description = [{
    Tiles every tensor-form `hmoe.route` through its `TilingInterface`
    (`scf::tileUsingSCF`) into an `scf.forall` over tiles of `tile-size`
    tokens, each routing its tile on slices of the logits and destinations.
    The forall's iterations are independent (a CPU pipeline maps them to
    threads through `scf.parallel` and OpenMP); after bufferization,
    `hmoe-lower-routing-to-loops` turns each tile into a loop over its
    tokens. `hmoe-lower-to-cpu` takes the tile size from the target's
    schedule.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"32",
           "tokens per tile">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def HMoESplitSharedFills : Pass<"hmoe-split-shared-fills"> {
  let summary = "Give every op writing into a filled tensor.empty its own";
  let description = [{
    CSE merges equal `tensor.empty` + `linalg.fill` pairs, such as the zero
    accumulators of SwiGLU's two projections of one expert. One-Shot
    Bufferize then gives the second writer a copy of the first's filled
    buffer (a `memref.copy` of zeros per expert and call), and the
    contraction after it no longer sees a fill it may overwrite. Before
    bufferization, this pass gives each destination use of such a fill
    after the first (in program order) a `linalg.fill` of a `tensor.empty`
    of its own, built where the shared one is; if anything also reads the
    fill, every destination gets its own and the readers keep the original.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def HMoELowerRoutingToLoops : Pass<"hmoe-lower-routing-to-loops"> {
  let summary = "Memref-form hmoe.route, hmoe.dispatch and hmoe.stats to "
                "scf loops";
  let description = [{
    After bufferization: every `hmoe.route` on buffers becomes a sequential
    loop over its tokens whose body is the route's scalar implementation
    (`TilingInterface::generateScalarImplementation`: per token,
    normalisation, top-k by repeated argmax in the order of `#hmoe.gate`'s
    docs, group masks, nested levels unrolled at compile time, with stack
    scratch in a `memref.alloca_scope`); parallelism comes from tiling
    first (`hmoe-tile-routes`). With `vector-width` W > 1, groups of W
    consecutive tokens are routed together instead, every value a
    vector<W> (the same algorithm and results, lane by lane: the loops run
    over candidates, never over data), and the last T mod W tokens one at a
    time; a route whose per-token scratch would exceed 64 KiB for W lanes
    stays scalar. `hmoe.dispatch` becomes a stable two-pass counting sort
    with the capacity limit, `hmoe.stats` loops accumulating in `f64`. A
    routing op still on tensors is an error.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"1",
           "tokens routed together (1: one at a time; a power of two up to "
           "64)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEAllowFMAContraction : Pass<"hmoe-allow-fma-contraction"> {
  let summary = "Let floating-point multiplies and adds fuse into FMAs";
  let description = [{
    Adds `contract` to the fast-math flags of every `arith` op that has
    them, so that LLVM may fuse a multiply and an add into one fused
    multiply-add (rounded once: at least as accurate). The GPU pipeline
    runs it on its kernels (the GEMM loops' `mul.rn` + `add.rn` become
    `fma.rn`), and the CPU run of the GPU schedule does too. No other flag
    changes: NaN, infinities and signed zeros keep their meaning.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def HMoEPromoteLoopAccumulators : Pass<"hmoe-promote-loop-accumulators"> {
  let summary = "Keep a reduction loop's output element in a register";
  let description = [{
    A linalg reduction lowered to loops loads and stores its output element
    in every iteration of the reduction loop; LLVM cannot keep it in a
    register, as it cannot prove that the loop's other loads do not alias
    it (on a GPU: a global store per multiply-add). For an `scf.for` with
    constant bounds that runs at least once, whose body loads one element
    of a buffer and later stores to it, at the same loop-invariant indices,
    where that buffer is a distinct allocation (`memref.alloc`, `alloca`,
    `gpu.alloc`, through views) that nothing else in the loop touches and
    every other op has known effects: the element is loaded once before
    the loop, carried as an `iter_arg`, and stored once after it. The
    order of the arithmetic is unchanged, so are the results.

    With `jam` = R > 1, an `scf.for` around a promoted loop (the only loop
    in its body, whose own body has none) whose iterations touch only their
    own accumulators (below) is unrolled by the largest power of two up to
    R dividing its constant trip count, and the copies of the inner loop
    jammed into one (upstream's `loopUnrollJamByFactor` for `scf.for`): a
    GPU thread's GEMM then carries R columns' accumulators through each K
    step, and CSE merges their common loads (A's element: loads per
    multiply-add from 2 to (1 + R) / R). Each accumulator still sums in K
    order: the same results.

    With `row-jam` = Q > 1, the loop two levels around a promoted loop (a
    thread's rows of a GEMM, around its column loop) is unrolled by up to
    Q and its loops jammed too: a register tile of Q rows by R columns,
    Q + R loads per Q * R multiply-adds. A trip count known only at run
    time (a thread's rows of a partial tile) is versioned when
    `ValueBoundsConstraintSet` bounds it by a power of two U <= Q: when it
    is U, a copy with constant bounds runs, jammed; otherwise the loop as
    it was.

    Either jam is done only where the iterations cannot interact: every op
    in the loop is a nested `scf.for`, a load, a pure op, or a store to a
    distinct allocation through one view defined outside the loop, at
    indices holding the loop's induction variable at a position every
    access to that allocation shares, the view's layout not overlapping
    itself, and every load through a view of an allocation, a global or a
    function argument (anything else may alias an accumulator); so each
    iteration reads back only what it wrote. Promotion asks the same of
    every load and store in the loop.
  }];
  let options = [
    Option<"jamFactor", "jam", "int64_t", /*default=*/"1",
           "unroll and jam the loop around a promoted reduction by up to "
           "this many iterations (1: off)">,
    Option<"rowJamFactor", "row-jam", "int64_t", /*default=*/"1",
           "unroll and jam the loop two levels around a promoted reduction "
           "(with its inner loops) by up to this many iterations (1: off)">,
  ];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def HMoEScopeLoopAllocas : Pass<"hmoe-scope-loop-allocas"> {
  let summary = "Free a loop body's stack allocations every iteration";
  let description = [{
    `scf.for`, `scf.parallel` and `scf.while` are automatic allocation
    scopes: a `memref.alloca` in their body lives for one iteration, and
    the canonicalizer relies on it (it inlines a `memref.alloca_scope` that
    is a loop body's only op). The lowering to LLVM does not implement it:
    the allocas become LLVM allocas inside the loop and the stack grows
    with every iteration (the per-token routing scratch of a layer with a
    million tokens overflows it). This pass saves the stack pointer at the
    start of each such body and restores it at the end
    (`llvm.intr.stacksave` / `stackrestore`: single ops, so the body stays
    one block for the scf lowering that follows). `convert-scf-to-openmp`
    does the equivalent for the parallel loops it converts. Run it after
    the last canonicalization.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def HMoEConvertTaskLoopsToOpenMP
    : Pass<"hmoe-convert-task-loops-to-openmp", "::mlir::ModuleOp"> {
  let summary = "Share out the iterations of task loops among OpenMP "
                "threads as they free up";
  let description = [{
    An `scf.parallel` marked `hmoe.dynamic_tasks` (a GEMM's grid of
    register-tiled blocks, a loop over experts of different sizes) becomes
    `omp.parallel { omp.wsloop schedule(dynamic) { omp.loop_nest } }`: each
    thread takes the next iteration when it finishes one. Upstream's
    `convert-scf-to-openmp`, which converts the other loops afterwards,
    splits every loop into equal static shares; with a few dozen tasks of
    unequal cost, or on cores that run at different speeds (a shared
    virtual machine), one thread then waits for the other. On a 2-core Zen 5
    KVM guest while one core ran slower, the second thread spun a fifth of
    W1's expert stage (perf), which took 111 ms with dynamic tasks against
    123 with static ones; on the same host when quiet both took 105 ms.
    Every dimension of the loop is shared out (`collapse(n)`): a GEMM below
    64 rows has one row block and its column blocks are the tasks. The
    body is wrapped in a
    `memref.alloca_scope`, as upstream's conversion does, so that its stack
    allocations live for one iteration. Loops with reductions are left
    alone.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect",
                           "::mlir::memref::MemRefDialect"];
}

def HMoEChooseParallelLoops : Pass<"hmoe-choose-parallel-loops"> {
  let summary = "Keep one level of scf.parallel for the threads; run the "
                "rest sequentially";
  let description = [{
    Threads run one level of parallel loops (nested OpenMP regions would be
    serialised anyway, at the cost of a region each). For every nest of
    `scf.parallel` loops:

    * an outer loop with a static trip count below `min-trip-count` that
      contains parallel loops becomes sequential (`scf.for`), leaving the
      parallelism to the loops inside (4 experts do not keep 16 threads
      busy; the rows of their contractions do);
    * every parallel loop inside a loop that stays parallel becomes
      sequential (an expert's contraction inside the parallel loop over 64
      experts runs on that expert's thread).

    `hmoe-lower-to-cpu` runs it after the loops exist (forall, linalg and
    vectorised contractions) and before `convert-scf-to-openmp`. Splitting
    32 experts across the threads was faster at T = 16 (3.0 ms against 3.9
    on a 2-core Zen 5) but slower at T = 4096 (132 ms against 107), where
    two experts' weights compete for the cache; so with `adaptive-rows=R`
    (hmoe-lower-to-cpu's default 256) a loop over N >= 2 experts is
    compiled both ways and chosen at run time: the experts keep the threads
    when the largest dynamic leading size of the buffers the loop uses (the
    slots) is below R x N, else each expert's rows do.
    (`parallel-experts=N` in hmoe-lower-to-cpu always splits the experts of
    layers with at least N of them.)

    A thread team's fork, join and worksharing set-up cost several
    microseconds a loop (and Debian's libomp formats a trace message at each
    worksharing loop's set-up even with tracing off), so two kinds of loops
    run serially:

    * a nest whose whole work is known at compile time (static trip counts
      all the way down, no calls) and is at most `serial-work` operations
      (each op counted once, a loop's body times its trip count): a gate's
      weights centred and their norms taken, a fill of a few hundred
      values;
    * with `serial-single` (the default), every loop left parallel (without
      reductions) whose trip count is dynamic is compiled twice, and runs
      serially when it has at most one iteration (each dimension's lower
      bound plus its step reaches its upper bound: one tile of tokens at
      T = 1). A layer of 4 experts (D = H = 16) at T = 1 on a 2-core Zen 3:
      27.5 us a call against 14.0 (four parallel regions a call against
      one).
  }];
  let options = [
    Option<"minTripCount", "min-trip-count", "int64_t", /*default=*/"8",
           "static trip count below which an outer loop yields to the "
           "parallel loops inside it">,
    Option<"adaptiveRows", "adaptive-rows", "int64_t", /*default=*/"0",
           "> 0: an outer loop with a static trip count N >= 2 is chosen at "
           "run time: it keeps the threads when the largest dynamic "
           "leading size of the buffers it uses is below adaptive-rows x "
           "N, else the loops inside do (both versions are compiled)">,
    Option<"serialSingle", "serial-single", "bool", /*default=*/"true",
           "a parallel loop with a dynamic trip count runs serially when it "
           "has at most one iteration (both versions are compiled)">,
    Option<"serialWork", "serial-work", "int64_t", /*default=*/"0",
           "a parallel nest whose work is static and at most this many "
           "operations runs serially (0: never; at most 2^31)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def HMoEVectorizeContractions : Pass<"hmoe-vectorize-contractions"> {
  let summary = "Register-tiled, vectorised, multi-threaded f32 row "
                "contractions on buffers";
  let description = [{
    Rewrites every linalg op on buffers (a `linalg.generic` or a named op
    such as `linalg.matmul` with a transposed B or `linalg.contract`) that
    computes
    `c[i, j] += a[i, k] * w[j, k]` in `f32` (the gate and expert GEMMs that
    `convert-hmoe-to-linalg` and `hmoe-fuse-distance` emit: both operands
    K-contiguous, as hmoe stores weights) into

    * an `scf.parallel` over blocks of `rows-per-task` rows by a column
      block whose `w` rows fit in the L2 cache (one task per block; with
      `scf-to-openmp` these become the threads' work items);
    * inside a block, a walk over register tiles of `tile-rows` x
      `tile-cols` outputs, row tiles outermost so that a tile's `a` rows
      stay in L1 while the block's `w` rows stream past them from L2
      (fewer L2 loads per FMA than the other order: measured 146 -> 154
      GFLOP/s on a 512x1024x512 GEMM, 2-core Zen 3);
    * per register tile, one loop over K in steps of `vector-width` that
      keeps `tile-rows * tile-cols` accumulator vectors in registers
      (`vector.fma`), reduced once at the end (`vector.reduction`,
      reassociation allowed: the sum over K is already split by lanes).

    With `k-block`, K is walked in chunks (partial sums added to `c`), so
    that a row tile of `a` and a column tile of `w` fit in L1 together for
    very long K. Off by default: at hmoe's sizes (K <= 1024) it measured
    10% slower on W2 (bench/RESULTS.md).
    A block's last rows (fewer than `tile-rows`) take one tile of the next
    power of two rows (at most `tile-rows`; the rows past the block load its
    last row and store nothing), so that `w` is read once for all of them:
    an expert's few rows at decode sizes. Column remainders use 1-column
    tiles. K must be a multiple of `vector-width` and the innermost stride
    of every operand 1; other contractions are left to the generic loop
    lowering.

    Contractions are found by linalg's contraction interface (inferred m,
    n, k dimensions with maps (m, k), (n, k) -> (m, n) and a multiply-add
    body), whichever linalg op carries them, not by the exact ops hmoe's
    lowering builds (`test/Integration/named-contractions.test` runs named
    ones against a float64 reference). `a` and `w` may be
    f32, bf16 or f16 (extended to f32 lanes); with `bf16-dot`, bf16 x bf16
    contractions whose K is a multiple of 2 x `vector-width` take AVX-512
    BF16 dot products, two K elements per f32 lane.

    A tile's accumulators are summed across lanes `vector-width` at a time
    (a transposing reduction: each step adds the upper halves of two
    vectors' segments to the lower halves, so 16 AVX-512 accumulators take
    30 shuffles and 15 adds instead of 64 and 64 reduced one by one) and
    stored row by row as vectors. On a 2-core Zen 5 this made GEMMs with
    K = 256 12% faster and with K = 512 6-7% (K = 1024 unchanged), with
    bit-identical results: every sum is the same halving tree as a lane
    reduction's. The summation order differs from a sequential loop (by
    lanes, then a tree), within docs/numerics.md's f32 tolerance.

    With `prefetch-tiles` P > 0, the tile's K loop prefetches into L2 the
    w rows P column tiles on, at the same k (the next tile's rows, for
    P = 1, about a K loop ahead of their use): at decode sizes an expert's
    weights stream from memory once per call, and the hardware prefetchers
    alone left the FMAs waiting. On a 2-core Zen 4, W1 (128 MiB of experts)
    at T = 8 / 32 / 64 took 2.58 / 3.58 / 4.22 ms with P = 1 against
    3.18 / 5.50 / 6.49 without (bench/decode_calls.py against a build
    that differs there by the prefetch alone, medians of 7 rounds; AVX2
    code on the same host alike), at T = 1 with new tokens each call
    (other experts) 0.51-0.55 ms against 0.66-0.75; into L1 (`prefetcht0`)
    or non-temporal gained half of that or less. Weights that stay in L3
    between calls (one layer called again and again) pay for it at T = 1:
    1-row tiles issue 3 prefetches beside 4 loads a K step (an 8 MiB layer
    22 us against 20).
    The rows are clamped to w's last; a w whose row count is dynamic is
    not prefetched (hmoe's weights have static shapes). Only the first
    cache line of a step's vector is prefetched (one line for 16 f32
    lanes: wider vectors would want more).

    With `packed-rows` R > 0, a contraction whose N weight rows are a
    multiple of 2 x `vector-width`, and whose packed weights take at most
    64 MiB, chooses at run time: with at least
    `rows-per-task` rows of `a`, it packs w into K-major panels of 2 x
    `vector-width` columns (a buffer of N x K floats, allocated and freed
    around the contraction; `vector-width` x `vector-width` transposes in
    registers; bf16 x bf16 with `bf16-dot` packs pairs of K elements as
    the unit, any other bf16 / f16 weights are extended to f32 while
    packing, and a bf16 / f16 `a` has each row tile's rows extended into
    an f32 scratch once per K chunk: a broadcast from a register instead
    takes the shuffle port the FMAs share: without the scratch a
    4096 x 512 x 1024 bf16 GEMM took 24-44 ms on an Emerald Rapids guest,
    with it 17-23, as f32)
    and runs an outer-product kernel: per k, a panel's two
    vectors and R rows' `a[r, k]` broadcast, 2R FMAs into accumulators that
    are the outputs' own lanes, in K chunks of 256 (`k-block` if set), tasks
    of (rows, panels of about `task-bytes`); a block's last rows (fewer than
    R) take one tile as in the inner-product kernel (the rows past them
    read the last row again and are not stored). No lane sums at all; the sum
    over k is sequential per output. Fewer rows (an expert with few tokens)
    take the tile above, which reads w once without writing it. On a
    2-core Zen 5 with R = 8 (the AVX-512 schedules' choice): W1 and W2 at
    T = 4096 18% and 13% faster; 512x512x1024 about 400 GFLOP/s against
    about 300.

    With `fuse-neighbours` (the default), an element-wise generic right
    after such a contraction that reads its output element for element (an
    activation in place, SwiGLU's product into a buffer of its own; every
    operand indexed by (i, j), (i), (j) or nothing; a body of pure
    arithmetic; no view it cannot see through) runs in the packed kernel on
    each output tile (`packed-rows` rows, or the rows that count of the
    block's last tile, x 2 x `vector-width` columns) once
    its last K chunk is stored, as a copy of the generic
    on views of the tile (which hmoe-vectorize-rowwise then vectorises),
    and after the whole contraction in the other branch. It saves a pass
    over the output and a parallel region per contraction; outputs are
    bit-identical. Likewise a gather right before it that writes `a` (an
    expert's token rows, `a[r, k] = x[tokens[r], k]`, where the contraction
    is the only reader of `a`) is not run in the packed branch: the kernel
    loads each tile row's token and reads x's row itself.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "f32 lanes per vector, a power of two (8: AVX2, 16: AVX-512)">,
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"4",
           "rows of a register tile">,
    Option<"tileCols", "tile-cols", "int64_t", /*default=*/"3",
           "columns of a register tile">,
    Option<"rowsPerTask", "rows-per-task", "int64_t", /*default=*/"64",
           "rows of a parallel task">,
    Option<"taskBytes", "task-bytes", "int64_t", /*default=*/"262144",
           "bytes of w rows per parallel task (sizes the column block)">,
    Option<"kBlock", "k-block", "int64_t", /*default=*/"0",
           "K elements per pass over a task (a multiple of vector-width; "
           "0: all of K in one pass)">,
    Option<"bf16Dot", "bf16-dot", "bool", /*default=*/"false",
           "bf16 x bf16 contractions use AVX-512 BF16 dot products "
           "(x86vector.avx512.dot); the target must have avx512bf16">,
    Option<"fuseNeighbours", "fuse-neighbours", "bool", /*default=*/"true",
           "packed kernel: read a gathered a's source rows directly, and run "
           "an element-wise op right after the contraction that reads its "
           "output (an activation, SwiGLU's product) on each output tile "
           "once it is final, instead of as passes of their own">,
    Option<"prefetchTiles", "prefetch-tiles", "int64_t", /*default=*/"0",
           "inner-product tile: prefetch into L2, at each K step, the w "
           "rows this many column tiles on (0 to 64; 0: none)">,
    Option<"packedRows", "packed-rows", "int64_t", /*default=*/"0",
           "f32 contractions whose weight rows come in whole panels of 2 x "
           "vector-width: pack the weights into K-major panels and run an "
           "outer-product kernel of this many rows x 2 vectors (no lane "
           "sums); 0: the inner-product tile for all">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect",
  ];
}

def HMoEVectorizeRowwise : Pass<"hmoe-vectorize-rowwise"> {
  let summary = "Vector code for element-wise, row-sum and column-sum "
                "linalg.generic ops on buffers";
  let description = [{
    Rewrites 2-D `linalg.generic` ops on `f32`, `bf16`/`f16` or `f64`
    buffers (f64: the gate rows' sums, the direct distance form's f64
    epilogue) whose operands are read at `(i, j)`, `(i)` or `(j)`:

    * all-parallel ops (activations, bias adds, the distance epilogue of
      `hmoe-fuse-distance`, the gather of an expert's rows and the
      combine) become an `scf.parallel` over rows with, per row, the body
      re-emitted on `vector-width` lanes along the static inner dimension
      and a scalar copy for the remainder;
    * `out[i] += f(in[i, j])` reductions over the inner dimension (the row
      norms `||x||^2`; in `f64`, a Laplace or Gaussian gate's per-call
      `||w'||^2` and `m.w'`) accumulate lanes and reduce once per row
      (reassociated, within docs/numerics.md's tolerance);
    * reductions over the outer dimension into `out[j]` (the mean of a
      gate's rows) run the rows in order, each updating `out`'s lanes: the
      same sums in the same order as the loops, in vectors (not where an
      input is a view of `out`: the loops would read it updated).

    The body may hold arith/math ops; `linalg.index`; `memref.load`s from
    buffers the op does not write, at indices the same for the whole row
    (an `(i)` operand such as a token, `linalg.index 0`, a loop counter)
    except possibly the last, which may be `linalg.index 1` (a row gather:
    one vector load); and `scf.for` / `scf.if` with bounds and conditions
    the same for the whole row. Values the same for the whole row stay
    scalars; the rest become vectors. Other bodies, other maps, a dynamic
    inner dimension or one shorter than `vector-width` are left to the
    loop lowering.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "lanes per vector, as many as f32 fit (a power of two up to "
           "64); f64 values take two or more registers a vector">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEApproximateMath : Pass<"hmoe-approximate-math"> {
  let summary = "Inline f32 polynomial approximations of exp, erf, tanh, log";
  let description = [{
    Replaces `f32` `math` functions (exp, expm1, log, log1p, log2, erf,
    tanh and the others upstream MLIR approximates) by their polynomial
    approximations (`populateMathPolynomialApproximationPatterns`): a few
    arithmetic ops instead of a libm call per element, so routing softmax
    and expert activations (the exact GELU's erf) stay in registers and
    loops can be vectorised by LLVM. `f64` (statistics) keeps libm.
    The approximations are within a few ulp, inside docs/numerics.md's tolerance;
    the integration tests check the layers with them.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoELowerRuntimeChecks : Pass<"hmoe-lower-runtime-checks", "::mlir::ModuleOp"> {
  let summary = "cf.assert to a call of hmoe_check_failed(message)";
  let description = [{
    Lowers every `cf.assert` of the module's own functions (the run-time
    checks that `generate-runtime-verification` inserts; not those of a
    nested module's, such as a `gpu.module`'s kernels, which the NVVM
    conversion makes `__assertfail` calls) to a branch that calls

    ```c
    void hmoe_check_failed(const char *message); // does not return
    ```

    with the assertion's message. Upstream's lowering prints the message
    with `puts` and calls `abort`; a runner or an application that embeds a
    compiled layer provides this function instead and decides how to fail
    (`hmoe-run` prints `hmoe-run: error: run-time check failed: ...` and
    exits with status 1). Runs before `convert-to-llvm`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def HMoEAddIntoEntries : Pass<"hmoe-add-into-entries", "::mlir::ModuleOp"> {
  let summary = "Give each layer function a destination-passing twin, "
                "@<layer>_into, that writes its results into the caller's "
                "buffers";
  let description = [{
    A layer function (a public `func.func` with `hmoe.abi`) returns buffers
    it allocates: an application that calls it for every batch pays a fresh
    allocation (and its page faults) per result per call, then a copy into
    its own tensors. This pass adds `@<layer>_into(inputs..., outs...)`:
    the layer's inputs, then one buffer per result, which it writes and
    returns nothing (`hmoe.into_abi` records the layer's signature).

    Where each returned buffer is an allocation (`memref.alloc`, or
    `gpu.alloc` without async tokens) at the top of the layer's body whose
    sizes come from its arguments alone (the usual case: a result's rows
    are the tokens'), the layer's body moves into `@<layer>_into`, each
    such allocation replaced by the caller's buffer, and `@<layer>` becomes
    a wrapper that computes the sizes, allocates and calls it: one body,
    no copy; `@<layer>_result_shapes(inputs..., shapes: memref<N x i64>)`
    writes each result's sizes (result after result) from those ops alone,
    so that a caller can size its buffers first. Otherwise `@<layer>_into`
    calls `@<layer>`, copies each result into the caller's buffer and frees
    it (each buffer once), and there is no `@<layer>_result_shapes`.

    With `runtime-checks`, `@<layer>_into` checks each dynamic size of a
    caller's buffer against the one the layer computes (a `cf.assert`;
    `hmoe-check-descriptors` checks the static sizes, the layout and that
    no result buffer overlaps another buffer). Runs on buffers after the
    passes that look for allocations (a GEMM's output, a fresh
    accumulator; on the GPU, read-only kernel arguments), before lowering
    to LLVM.
  }];
  let options = [
    Option<"runtimeChecks", "runtime-checks", "bool", /*default=*/"true",
           "check that the caller's buffers have the sizes of the results">,
    Option<"deviceBuffers", "device-buffers", "bool", /*default=*/"false",
           "results are GPU device memory (after hmoe-map-forall-to-gpu): "
           "copied with gpu.memcpy and freed with gpu.dealloc">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def HMoECheckDescriptors : Pass<"hmoe-check-descriptors", "::mlir::ModuleOp"> {
  let summary = "Check at a layer's entry that each argument's memref "
                "descriptor is the contiguous row-major buffer the code reads";
  let description = [{
    A lowered layer function (an `llvm.func` with `hmoe.abi`) reads its
    arguments as identity-layout memrefs: the descriptor's static sizes,
    its strides and its offset are not read, so a C caller (hmoe-compile's
    header) passing a buffer of other sizes, a strided view or an offset
    got wrong numbers or reads past the buffer. This pass checks, at the
    function's entry, each tensor argument's descriptor: every static size
    as the signature says, offset 0, and row-major strides in the
    dimensions of more than one element (NumPy leaves the others
    arbitrary). On a layer's destination-passing twin (`hmoe.into_abi`,
    `hmoe-add-into-entries`) it checks the buffers for the results too,
    and that none of them overlaps another argument or result buffer (an
    empty buffer overlaps nothing). A failure is a `cf.assert` (`hmoe-lower-runtime-checks`
    turns it into `hmoe_check_failed`). Runs after `convert-to-llvm`, where
    the descriptors' fields are the function's arguments.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::cf::ControlFlowDialect"];
}

def HMoESetCPUTarget : Pass<"hmoe-set-cpu-target", "::mlir::ModuleOp"> {
  let summary = "Record the CPU the module is compiled for";
  let description = [{
    Resolves `cpu` (`native` for the host, or an x86-64 CPU that LLVM knows
    by name: `znver3`, `znver5`, `skylake-avx512`, `x86-64-v3`, ...) and
    records it on the module as `hmoe.target_cpu` and `hmoe.target_features`
    (LLVM's names). `hmoe-lower-to-cpu` picks its schedule (vector width,
    register tile, BF16 dot products) for the same target and runs this
    first; a runner generates code for the recorded CPU and refuses a host
    that lacks its features. An unknown CPU name is an error.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"native\"",
           "native, or an LLVM x86-64 CPU name">,
  ];
}

def HMoERejectPipelineOptions
    : Pass<"hmoe-reject-pipeline-options", "::mlir::ModuleOp"> {
  let summary = "Fail with a pipeline's error about its own options";
  let description = [{
    What `hmoe-lower-to-cpu` and `hmoe-lower-to-nvvm` run instead of their
    passes when an option has a value the pipeline does not take (a
    negative size, an unknown binary format): a pipeline builder cannot
    fail, so this pass reports `message` (the option, its value and what
    was expected) at the module and fails, and the tool exits non-zero
    before any work, rather than the value being read as some default.
  }];
  let options = [
    Option<"message", "message", "std::string", /*default=*/"",
           "the error to report">,
  ];
}

def HMoEVerifyLLVM : Pass<"hmoe-verify-llvm", "::mlir::ModuleOp"> {
  let summary = "Fail at any op a lowering to LLVM left behind";
  let description = [{
    The last pass of `hmoe-lower-to-cpu`: every op must now be in the LLVM
    or OpenMP dialects (or be the module), which translate to LLVM IR.
    An op that some lowering left (an `unrealized_conversion_cast`, a
    `bufferization.clone`) is an error at that op here, not a translation
    failure in whatever consumes the module later.
  }];
}

#endif // HMOE_CODEGEN_PASSES_TD
