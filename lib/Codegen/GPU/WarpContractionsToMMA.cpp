//===- WarpContractionsToMMA.cpp - hmoe-warp-contractions-to-mma ----------===//
//
// A warp-level bf16/f16 contraction (one iteration of an scf.forall mapped
// to #gpu.warp, as hmoe-tile-for-gpu{tensor-cores} tiles it) becomes the
// warp's 32 lanes loading their fragments and issuing nvvm.mma.sync
// m16n8k16 steps with f32 accumulation; with the tf32 option an f32 one
// becomes m16n8k8 steps on inputs rounded to TF32 (as cvt.rna would), and
// with split-tf32 three such steps per step on each input's two TF32 parts
// (3xTF32: about f32's accuracy, docs/gpu.md "Split TF32"). The
// fragment layouts are the PTX ISA's (sections "Matrix Fragments for
// mma.m16n8k16 with floating point type" and "... mma.m16n8k8"); with
// g = lane / 4 and t = lane % 4:
//   A (16 x 16, row): regs {a0 a1} = A[g][2t, 2t+1], {a2 a3} = A[g+8][..],
//                     {a4 a5} = A[g][2t+8, 2t+9], {a6 a7} = A[g+8][..];
//   B (16 x 8, col):  {b0 b1} = B[k = 2t, 2t+1][n = g], {b2 b3} = k + 8;
//   C (16 x 8):       {c0 c1} = C[g][2t, 2t+1], {c2 c3} = C[g+8][..];
//   TF32 A (16 x 8):  a0 = A[g][t], a1 = A[g+8][t], a2 = A[g][t+4],
//                     a3 = A[g+8][t+4];
//   TF32 B (8 x 8):   b0 = B[k = t][n = g], b1 = B[t+4][g]; C as above.
// That is one scheme: a register holds e = 32 / bits neighbouring elements
// of a row (e = 2, or 1 for TF32) at K = e t, and the step's second half
// of K (+8, +4) follows. Weights are rows along K (B[n][k] in memory), so
// every register is one 32-bit load. Gathered rows (an expert's token rows
// of x, WarpMMA.h) change only which row of which buffer A's loads read.
//
// An mma step sums over whichever K its lanes hold, so the lanes may also
// take their registers from runs of their rows (load-bytes 8 or 16): lane
// t loads `width` elements at K = k0 + width t, and mma step s of that K
// step takes the run's registers 2s and 2s + 1 as its two halves of K,
// for A and B alike (so each product still pairs A and B at one K).
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"
#include "WarpMMA.h"
#include "hmoe/Codegen/BufferAliasing.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Codegen/RowGather.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

#include <limits>

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEWARPCONTRACTIONSTOMMA
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

std::optional<WarpMMAContraction>
mlir::hmoe::matchWarpMMAContraction(Operation *op, bool tf32) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumDpsInputs() != 2 ||
      linalgOp.getNumDpsInits() != 1 || linalgOp.getNumLoops() != 3)
    return std::nullopt;
  MLIRContext *ctx = op->getContext();
  SmallVector<AffineMap> maps = linalgOp.getIndexingMapsArray();
  auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
  // Gathered rows: A's map is (m) on integer row indices; then n and k are
  // B's dimensions and the reduction among them.
  bool gathered = maps[0].getNumResults() == 1;
  unsigned m, n, k;
  if (gathered) {
    auto mExpr = dyn_cast<AffineDimExpr>(maps[0].getResult(0));
    if (!mExpr || maps[1].getNumResults() != 2 ||
        !isa<IntegerType>(
            getElementTypeOrSelf(linalgOp.getDpsInputs()[0].getType())))
      return std::nullopt;
    m = mExpr.getPosition();
    auto nExpr = dyn_cast<AffineDimExpr>(maps[1].getResult(0));
    auto kExpr = dyn_cast<AffineDimExpr>(maps[1].getResult(1));
    if (!nExpr || !kExpr)
      return std::nullopt;
    n = nExpr.getPosition();
    k = kExpr.getPosition();
    SmallVector<utils::IteratorType> iterators =
        linalgOp.getIteratorTypesArray();
    if (m == n || m == k || n == k ||
        iterators[m] != utils::IteratorType::parallel ||
        iterators[n] != utils::IteratorType::parallel ||
        iterators[k] != utils::IteratorType::reduction)
      return std::nullopt;
  } else {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(linalgOp);
    if (failed(dims) || !dims->batch.empty() || dims->m.size() != 1 ||
        dims->n.size() != 1 || dims->k.size() != 1)
      return std::nullopt;
    m = dims->m[0];
    n = dims->n[0];
    k = dims->k[0];
  }
  auto pair = [&](unsigned a, unsigned b) {
    return AffineMap::get(3, 0, {dim(a), dim(b)}, ctx);
  };
  AffineMap aMap = gathered ? AffineMap::get(3, 0, {dim(m)}, ctx) : pair(m, k);
  if (maps[0] != aMap || maps[1] != pair(n, k) || maps[2] != pair(m, n))
    return std::nullopt;
  // The body: out + extf(a) * extf(b) (f32: out + a * b), in either order,
  // nothing else; gathered, a is read from the source (index_cast,
  // linalg.index and the read: three ops more).
  Block &body = linalgOp->getRegion(0).front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if (add.getLhs() != acc && add.getRhs() != acc)
    return std::nullopt;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return std::nullopt;
  Type b = getElementTypeOrSelf(linalgOp.getDpsInputs()[1].getType());
  Type c = getElementTypeOrSelf(linalgOp.getDpsInits()[0].getType());
  // Operands of the product, through extf where b is narrower than f32.
  auto extended = [&](Value v) -> Value {
    if (b.isF32())
      return v;
    auto ext = v.getDefiningOp<arith::ExtFOp>();
    return ext ? ext.getIn() : Value();
  };
  Value x = extended(mul.getLhs()), y = extended(mul.getRhs());
  if (y == body.getArgument(1))
    std::swap(x, y);
  // Now x should be B's element, y A's.
  if (x != body.getArgument(1))
    return std::nullopt;
  Value rowSource;
  Type a;
  if (gathered) {
    rowSource = sourceReadThroughRowIndex(linalgOp, y, k);
    // The lanes read A while they write C: not C's own buffer.
    Value out = linalgOp.getDpsInits()[0];
    Value sourceBase = rowSource ? knownBufferBase(rowSource) : Value();
    if (!rowSource || rowSource == out ||
        (sourceBase && sourceBase == knownBufferBase(out)))
      return std::nullopt;
    a = getElementTypeOrSelf(rowSource.getType());
  } else {
    if (y != body.getArgument(0))
      return std::nullopt;
    a = getElementTypeOrSelf(linalgOp.getDpsInputs()[0].getType());
  }
  if (a != b || !(a.isBF16() || a.isF16() || (tf32 && a.isF32())) || !c.isF32())
    return std::nullopt;
  size_t ops = (a.isF32() ? 3 : 5) + (gathered ? 3 : 0);
  if (body.getOperations().size() != ops)
    return std::nullopt;
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  int64_t cols = ranges[n], depth = ranges[k];
  WarpMMAContraction mma{m, n, k, cols, depth, a, rowSource};
  if (ShapedType::isDynamic(cols) || ShapedType::isDynamic(depth) ||
      cols <= 0 || depth <= 0 || cols % kMMACols != 0 ||
      depth % mma.stepDepth() != 0)
    return std::nullopt;
  return mma;
}

namespace {
// nvgpu declares its own (an int) in namespace mlir.
using hmoe::kWarpSize;
bool alignedRuns(Value buffer, int64_t run);

/// What one lane of a warp reads and writes in the 16 x 8 output tile at
/// (m0, n0), by the PTX ISA's m16n8k16 / m16n8k8 layouts (g = lane / 4,
/// t = lane % 4, e elements per register).
struct LaneTile {
  Value r0, r1;       // its output rows m0 + g and m0 + g + 8
  Value in0, in1;     // whether those are rows of the contraction
  Value row0, row1;   // the rows it reads: past the end, the last row (those
                      // results are never stored; an output row depends on
                      // its own A row only)
  Value aRow0, aRow1; // A's rows for them: the same, or for gathered rows
                      // the source rows they name (only in a row tile's
                      // first step, the one A is read for)
  Value col;          // n0 + 2t: its two output columns
  Value weightRow;    // n0 + g: its column of B, a row of the weights
  Value kLane;        // e t: its first K element of each half of a K step
  // Staged: the same rows in the workgroup tiles (A's tile from m0, this
  // warp's B tile from n0), and (for ldmatrix) the lane and the tile's
  // first rows there.
  Value tileRow0, tileRow1, tileWeightRow;
  Value lane, tileA, tileB;
};

/// The code of one warp-level contraction `op` (on buffers): rows 16 at a
/// time (the last ones masked), a few such row tiles together sharing each
/// B fragment, columns 8 at a time, a few such steps together sharing each
/// A fragment, K a step at a time. On
/// the GPU each thread runs it as one lane (`emitLane`); on the CPU one
/// iteration runs all 32 lanes and each mma step computed from their
/// fragments (`emitEmulated`), so that the fragment addressing is checked
/// against the ISA's layouts without a GPU.
class WarpMMAEmitter {
public:
  /// Decides the schedule from `op`'s types alone (no IR is built): `bind`
  /// then gives it the values of one warp's iteration.
  WarpMMAEmitter(ImplicitLocOpBuilder &b, linalg::LinalgOp op,
                 const WarpMMAContraction &mma, int64_t maxRowTiles,
                 int64_t loadBytes, int64_t stageBytes, int64_t stages,
                 int64_t numWarps, bool emulate, bool ldmatrix,
                 bool warpgroupMMA, bool splitTF32)
      : b(b), op(op), mma(mma), numWarps(numWarps), emulated(emulate),
        ldmatrix(ldmatrix || warpgroupMMA), split(splitTF32 && mma.isTF32()),
        regType(VectorType::get({mma.perRegister()}, mma.inputType)),
        accType(VectorType::get({2}, b.getF32Type())), stages(stages) {
    IRMapping none;
    bind(none);
    // Neighbouring 8-column steps share each A fragment: up to 4 of them,
    // a number dividing the warp's steps.
    int64_t colSteps = mma.cols / kMMACols;
    steps = colSteps % 4 == 0 ? 4 : colSteps % 2 == 0 ? 2 : 1;
    // Row tiles share each B fragment: up to `maxRowTiles`, at most 16
    // 16 x 8 tiles in all (64 f32 accumulators a lane), no more than a
    // static row count needs. A warpgroup's wgmma steps are 64 rows: 4
    // row tiles, a warp's 16 rows of each of its warpgroup's 4 warps'
    // columns (as many accumulators).
    auto clampRows = [&](int64_t tiles) {
      int64_t staticRows = cast<MemRefType>(c.getType()).getDimSize(0);
      if (ShapedType::isDynamic(staticRows))
        return tiles;
      return std::min(
          tiles, std::max<int64_t>(1, llvm::divideCeil(staticRows, kMMARows)));
    };
    rowTiles = clampRows(
        std::max<int64_t>(1, std::min(maxRowTiles, kMaxTiles / steps)));
    // Rows read `loadBytes` at a time where K, both operands' row strides
    // and the register budget allow (halving down to two registers), else
    // a register at a time.
    width = widestRun(loadBytes, /*inWorkgroupMemory=*/false);
    if (stageBytes == 0)
      return;
    // wgmma where 4 row tiles and 128-byte K tiles fit; else the
    // schedule planned as without it.
    if (warpgroupMMA && !mma.isTF32() && numWarps % kWarpgroupWarps == 0 &&
        clampRows(kWarpgroupWarps) == kWarpgroupWarps) {
      int64_t ownRowTiles = rowTiles, ownWidth = width;
      rowTiles = kWarpgroupWarps;
      planStaging(std::min<int64_t>(stageBytes, kWarpgroupTileBytes),
                  loadBytes);
      warpgroups = kTile * elementBytes() == kWarpgroupTileBytes;
      if (warpgroups)
        return;
      rowTiles = ownRowTiles;
      width = ownWidth;
    }
    planStaging(stageBytes, loadBytes);
  }

  /// The operands of the warp iteration `map` maps the loop's body to.
  void bind(const IRMapping &map) {
    a = map.lookupOrDefault(mma.rowSource ? mma.rowSource
                                          : op.getDpsInputs()[0]);
    rowIndices =
        mma.rowSource ? map.lookupOrDefault(op.getDpsInputs()[0]) : Value();
    w = map.lookupOrDefault(op.getDpsInputs()[1]);
    c = map.lookupOrDefault(op.getDpsInits()[0]);
  }
  /// The contraction's rows (every warp's: warps split N), from the bound C.
  void bindRows(ImplicitLocOpBuilder &at) {
    rows = memref::DimOp::create(at, c, 0);
  }

  /// Whether A and B go through workgroup memory (`stage-bytes`), and how
  /// many bytes of it one warp loop needs: `stages` stages of the tiles
  /// (copied into while one is read).
  bool isStaged() const { return kTile > 0; }
  /// Whether the warpgroups run wgmma steps (warpgroup-mma, where the
  /// contraction fits them).
  bool isWarpgroupMMA() const { return warpgroups; }
  /// With wgmma, room to align the tiles to 1024 bytes (alignTiles).
  int64_t workgroupBytes() const {
    return stages * stageBufferBytes() + (warpgroups ? kWarpgroupAlign : 0);
  }

  /// With `prefetch`, the K loop carries the next step's fragments: each
  /// iteration loads step k0 + 1's A and B registers (the last step again,
  /// in the last iteration) before its mma.sync steps on those the previous
  /// iteration loaded, so the loads are in flight while the tensor cores
  /// work (software pipelining in registers; without it each step's loads
  /// sit right before their mma.sync and only other warps hide them). The
  /// loop body must then be one block: a branch in it let LLVM sink the
  /// loads past the mma.sync steps into the latch. So the row tiles' guard
  /// is taken out of the loop: one K loop per number of row tiles with rows
  /// (they have rows in order), chosen by branches every lane agrees on.
  void emitLane(Value lane, bool prefetch) {
    bySchemes(
        [&](ImplicitLocOpBuilder &at) { emitLaneTiles(at, lane, prefetch); });
  }

  /// Per output tile at (m0, n0), as lane `lane`: its accumulators loaded,
  /// `kLoops` given them and the row tiles' live flags (null: the first)
  /// to return the sums, which are stored.
  using KLoops = function_ref<SmallVector<Value>(
      ImplicitLocOpBuilder &, Value m0, Value n0, ArrayRef<LaneTile> tiles,
      ArrayRef<Value> acc, ArrayRef<Value> live)>;
  void forLaneTiles(ImplicitLocOpBuilder &at, Value lane, KLoops kLoops) {
    forTiles(at, [&](ImplicitLocOpBuilder &nb, Value m0, Value n0) {
      SmallVector<LaneTile> tiles = laneTiles(nb, lane, m0, n0);
      SmallVector<Value> acc, live;
      for (const LaneTile &tile : tiles)
        llvm::append_range(acc, loadAcc(nb, tile));
      for (int64_t i = 0; i < rowTiles; ++i)
        live.push_back(rowTileLive(nb, m0, i));
      SmallVector<Value> sums = kLoops(nb, m0, n0, tiles, acc, live);
      for (auto [j, tile] : llvm::enumerate(tiles))
        storeAcc(nb, tile, ValueRange(sums).slice(4 * j, 4));
    });
  }

  void emitLaneTiles(ImplicitLocOpBuilder &at, Value lane, bool prefetch) {
    forLaneTiles(at, lane,
                 [&](ImplicitLocOpBuilder &nb, Value, Value,
                     ArrayRef<LaneTile> tiles, ArrayRef<Value> acc,
                     ArrayRef<Value> live) -> SmallVector<Value> {
                   return emitKLoops(nb, tiles, acc, live, prefetch);
                 });
  }

  /// The K loop of an output tile. With `prefetch`, one loop per number of
  /// row tiles with rows (row tiles 0 .. n - 1 have rows: if tile n - 1
  /// has, the loop for n tiles, else the one for n - 1, ... down to 1),
  /// chosen by branches every lane agrees on.
  SmallVector<Value> emitKLoops(ImplicitLocOpBuilder &at,
                                ArrayRef<LaneTile> tiles, ArrayRef<Value> acc,
                                ArrayRef<Value> live, bool prefetch) {
    if (!prefetch)
      return emitKLoop(at, tiles, acc, rowTiles, live, /*prefetch=*/false);
    std::function<SmallVector<Value>(ImplicitLocOpBuilder &, int64_t)> loopFor =
        [&](ImplicitLocOpBuilder &x, int64_t n) {
          if (n == 1 || !live[n - 1])
            return emitKLoop(x, tiles, acc, n, {}, /*prefetch=*/true);
          auto choice = scf::IfOp::create(x, TypeRange(ValueRange(acc)),
                                          live[n - 1], /*withElse=*/true);
          ImplicitLocOpBuilder then(x.getLoc(), choice.getThenBodyBuilder());
          scf::YieldOp::create(
              then, emitKLoop(then, tiles, acc, n, {}, /*prefetch=*/true));
          ImplicitLocOpBuilder otherwise(x.getLoc(),
                                         choice.getElseBodyBuilder());
          scf::YieldOp::create(otherwise, loopFor(otherwise, n - 1));
          return llvm::to_vector(ValueRange(choice.getResults()));
        };
    return loopFor(at, rowTiles);
  }

  void emitEmulated() {
    Value accRegs, aRegs, bRegs;
    std::tie(accRegs, aRegs, bRegs) = allocateRegisters(/*warps=*/1);
    bySchemes([&](ImplicitLocOpBuilder &at) {
      emulateTiles(at, accRegs, aRegs, bRegs);
    });
  }

private:
  int64_t elementBytes() const {
    return mma.inputType.getIntOrFloatBitWidth() / 8;
  }

  /// A run of one mma step's registers (8 bytes of bf16 or f16, 2 f32 with
  /// TF32) holds what the ISA's order holds; longer runs hold several
  /// steps' fragments at once, so they are budgeted: the accumulators and
  /// twice a K step's fragments (the next step's are loaded, by
  /// prefetching or by ptxas, while this one's are used). 16-byte runs
  /// spilled on sm_80 at 48 (gemm/packed_panels: 2 row tiles of 1 step)
  /// and 96 (wide/ffn_512: 2 of 4).
  bool fits(int64_t run) const {
    int64_t mmaSteps = run / (2 * mma.perRegister());
    return mmaSteps <= 1 ||
           4 * rowTiles * steps + 2 * (4 * rowTiles + 2 * steps) * mmaSteps <=
               kRegisterBudget;
  }

  /// The widest run (elements, at most `loadBytes`, halved down to one mma
  /// step's registers; 0: a register at a time) that K and the register
  /// budget allow, and from global memory A's and B's row strides too
  /// (workgroup tiles are laid out for any run).
  int64_t widestRun(int64_t loadBytes, bool inWorkgroupMemory) const {
    int64_t e = mma.perRegister();
    for (int64_t run = loadBytes / elementBytes(); run >= 2 * e; run /= 2)
      if (mma.depth % (kLanesAlongK * run) == 0 && fits(run) &&
          (inWorkgroupMemory || (alignedRuns(a, run) && alignedRuns(w, run))))
        return run;
    return 0;
  }

  /// K tiles of `stageBytes` of a row, halved (down to 32 bytes, a K step
  /// of bf16 or TF32) until one divides K and the warp loop's stages of
  /// tiles fit `maxWorkgroupBytes`; the widest run (down to a register
  /// in the ISA's order) whose K step divides the K tile. A tile's rows are
  /// padded to 32 bytes past a multiple of 64, so that a phase of 16 lanes
  /// loading 8 bytes each (4 rows, 32 bytes of each) reads distinct banks;
  /// for ldmatrix they are not padded but swizzled (tileColumn).
  void planStaging(int64_t stageBytes, int64_t loadBytes) {
    for (int64_t bytes = stageBytes; bytes >= kMinStageBytes; bytes /= 2) {
      kTile = bytes / elementBytes();
      tilePad = ldmatrix ? 0 : (96 - bytes % 64) % 64 / elementBytes();
      if (mma.depth % kTile != 0 || workgroupBytes() > maxWorkgroupBytes())
        continue;
      // ldmatrix reads the ISA's order (a K step is one of bf16's or
      // TF32's 32 bytes, so it divides the tile).
      if (ldmatrix) {
        width = 0;
        return;
      }
      for (int64_t run = widestRun(loadBytes, /*inWorkgroupMemory=*/true);;
           run = run > 2 * mma.perRegister() ? run / 2 : 0) {
        if (kTile % (run ? kLanesAlongK * run : mma.stepDepth()) == 0) {
          width = run;
          return;
        }
        if (run == 0)
          break;
      }
    }
    kTile = tilePad = 0;
  }
  int64_t aTileRows() const { return kMMARows * rowTiles; }
  int64_t bTileRows() const { return kMMACols * steps; }
  int64_t tileRowBytes() const { return (kTile + tilePad) * elementBytes(); }
  /// One stage: A's tile, then every warp's B tile.
  int64_t stageBufferBytes() const {
    return (aTileRows() + numWarps * bTileRows()) * tileRowBytes();
  }

  /// The emulated registers: per lane and 16 x 8 tile of `warps` warps its 4
  /// accumulators; per lane, row tile and mma step of a K step its 4 A
  /// registers; per lane, 8-column step and mma step its 2 B registers (A's
  /// and B's are used up within a warp's turn, so one warp's).
  std::tuple<Value, Value, Value> allocateRegisters(int64_t warps) {
    int64_t most = std::max<int64_t>(1, width / (2 * mma.perRegister()));
    return {memref::AllocaOp::create(
                b, MemRefType::get({warps * rowTiles * steps, kWarpSize, 4},
                                   b.getF32Type())),
            memref::AllocaOp::create(
                b, MemRefType::get({rowTiles * most, kWarpSize, 4}, regType)),
            memref::AllocaOp::create(
                b, MemRefType::get({steps * most, kWarpSize, 2}, regType))};
  }

  /// The lanes' K steps at k0 + kLane in the present scheme: the ISA's
  /// (one mma step; a register's K pair at e t, the step's second half 8
  /// or 4 further) or, with `wideLoads`, `width` elements in a row at
  /// width t, as many mma steps as they fill (see loadA).
  int64_t kStep() const {
    return wideLoads ? kLanesAlongK * width : mma.stepDepth();
  }
  int64_t mmaSteps() const {
    return wideLoads ? width / (2 * mma.perRegister()) : 1;
  }

  /// `body` in the scheme `width` allows: with no wide loads possible, the
  /// ISA's; else behind a test (every lane agrees) that A's (or the
  /// gathered rows' source's) and B's first elements are aligned to a
  /// row's load, the ISA's scheme where not (a caller's view may start
  /// anywhere its element type allows).
  void bySchemes(function_ref<void(ImplicitLocOpBuilder &)> body) {
    wideLoads = false;
    if (width == 0)
      return body(b);
    Emitter e{b};
    Value mask = e.idx(width * (mma.inputType.getIntOrFloatBitWidth() / 8) - 1);
    Value misaligned =
        e.ori(e.andi(ElementAddresses(e, a).of(e, {e.idx(0), e.idx(0)}), mask),
              e.andi(ElementAddresses(e, w).of(e, {e.idx(0), e.idx(0)}), mask));
    auto aligned = scf::IfOp::create(
        b, e.cmpi(arith::CmpIPredicate::eq, misaligned, e.idx(0)),
        /*withElseRegion=*/true);
    ImplicitLocOpBuilder then(b.getLoc(), aligned.getThenBodyBuilder());
    wideLoads = true;
    body(then);
    ImplicitLocOpBuilder otherwise(b.getLoc(), aligned.getElseBodyBuilder());
    wideLoads = false;
    body(otherwise);
  }

  void emulateTiles(ImplicitLocOpBuilder &at, Value accRegs, Value aRegs,
                    Value bRegs) {
    forTiles(at, [&](ImplicitLocOpBuilder &nb, Value m0, Value n0) {
      Value base = index(nb, 0);
      auto tilesOf = [&](ImplicitLocOpBuilder &lb, Value lane) {
        return laneTiles(lb, lane, m0, n0);
      };
      emulateLoadAcc(nb, tilesOf, accRegs, base);
      emulateKSteps(nb, m0, n0, mma.depth, aRegs, bRegs, accRegs, base);
      emulateStoreAcc(nb, tilesOf, accRegs, base);
    });
  }

  /// A lane's 16 x 8 tiles (laneTiles, warpgroupLaneTiles).
  using LaneTilesOf =
      function_ref<SmallVector<LaneTile>(ImplicitLocOpBuilder &, Value)>;

  /// The lanes' accumulators of their tiles `tilesOf` into the warp's
  /// registers, the buffer's tiles from `base` (a warp's first).
  void emulateLoadAcc(ImplicitLocOpBuilder &at, LaneTilesOf tilesOf,
                      Value accRegs, Value base) {
    forLanes(at, [&](ImplicitLocOpBuilder &lb, Value lane) {
      for (auto [t, tile] : llvm::enumerate(tilesOf(lb, lane)))
        for (auto [i, value] : llvm::enumerate(loadAcc(lb, tile)))
          memref::StoreOp::create(
              lb, value, accRegs,
              ValueRange{arith::AddIOp::create(lb, base, index(lb, t)), lane,
                         index(lb, i)});
    });
  }

  void emulateStoreAcc(ImplicitLocOpBuilder &at, LaneTilesOf tilesOf,
                       Value accRegs, Value base) {
    forLanes(at, [&](ImplicitLocOpBuilder &lb, Value lane) {
      for (auto [t, tile] : llvm::enumerate(tilesOf(lb, lane))) {
        Value accTile = arith::AddIOp::create(lb, base, index(lb, t));
        SmallVector<Value> acc;
        for (int64_t i = 0; i < 4; ++i)
          acc.push_back(memref::LoadOp::create(
              lb, accRegs, ValueRange{accTile, lane, index(lb, i)}));
        storeAcc(lb, tile, acc);
      }
    });
  }

  /// The K steps of [0, depth) (staged: of the K tile, in its workgroup
  /// tiles): per step every lane's fragments into the registers, then each
  /// mma step computed from them.
  void emulateKSteps(ImplicitLocOpBuilder &at, Value m0, Value n0,
                     int64_t depth, Value aRegs, Value bRegs, Value accRegs,
                     Value base) {
    int64_t subSteps = mmaSteps();
    forLoop(at, 0, depth, kStep(), [&](ImplicitLocOpBuilder &kb, Value k0) {
      forLanes(kb, [&](ImplicitLocOpBuilder &lb, Value lane) {
        SmallVector<LaneTile> tiles = laneTiles(lb, lane, m0, n0);
        for (int64_t j = 0; j < steps; ++j)
          for (auto [i, reg] : llvm::enumerate(loadB(lb, tiles[j], k0)))
            memref::StoreOp::create(lb, reg, bRegs,
                                    ValueRange{index(lb, j * subSteps + i / 2),
                                               lane, index(lb, i % 2)});
        for (int64_t r = 0; r < rowTiles; ++r)
          for (auto [i, reg] : llvm::enumerate(loadA(lb, tiles[steps * r], k0)))
            memref::StoreOp::create(lb, reg, aRegs,
                                    ValueRange{index(lb, r * subSteps + i / 4),
                                               lane, index(lb, i % 4)});
      });
      for (int64_t r = 0; r < rowTiles; ++r) {
        auto runSteps = [&, r](ImplicitLocOpBuilder &sb) {
          for (int64_t s = 0; s < subSteps; ++s)
            for (int64_t j = 0; j < steps; ++j)
              emulateStep(
                  sb, aRegs, index(sb, r * subSteps + s), bRegs,
                  index(sb, j * subSteps + s), accRegs,
                  arith::AddIOp::create(sb, base, index(sb, steps * r + j)));
        };
        Value live = rowTileLive(kb, m0, r);
        if (!live) {
          runSteps(kb);
          continue;
        }
        auto guarded = scf::IfOp::create(kb, live);
        ImplicitLocOpBuilder then(kb.getLoc(), guarded.getThenBodyBuilder());
        runSteps(then);
      }
    });
  }

public:
  /// Staged on the GPU, as lane `lane` of warp `warp` (thread `tid` of the
  /// loop's), the stages carried across the loop's output tiles: the
  /// prologue (emitStagedPrologue: a barrier, the first K tiles copied by
  /// `cp.async`), then per output tile its K tiles (emitStagedKTiles: a
  /// wait for this K tile's copy and a barrier, the copy of a K tile
  /// further on, in flight while the mma steps run on this one). Every warp
  /// runs the same loops (warps split N; the row tiles' guards sit below
  /// the barriers, around or inside the K steps), so every thread of the
  /// loop reaches each barrier. The first barrier is also implied by the
  /// one after each thread loop (hmoe-map-forall-to-gpu), but keeps the
  /// loop's buffer protocol whole on its own. With
  /// `prefetch` the K steps of a K tile carry the next step's fragments
  /// (emitKLoop), which the tile's first step waits for. `dropBarrier`
  /// (testing only) leaves out the barrier per K tile: a race.
  void emitStagedLane(Value tid, Value warp, Value lane, Value buffer,
                      bool prefetch, bool dropBarrier) {
    bindWarpTiles(b, buffer, warp, index(b, 0));
    wideLoads = width > 0;
    emitStagedPrologue(tid, lane, buffer);
    forLaneTiles(b, lane,
                 [&](ImplicitLocOpBuilder &nb, Value m0, Value n0,
                     ArrayRef<LaneTile> tiles, ArrayRef<Value> acc,
                     ArrayRef<Value> live) -> SmallVector<Value> {
                   return emitStagedKTiles(
                       nb, tid, lane, buffer, m0, n0, acc, dropBarrier,
                       [&](ImplicitLocOpBuilder &kb, ValueRange sums) {
                         return emitKLoops(kb, tiles, llvm::to_vector(sums),
                                           live, prefetch);
                       });
                 });
  }

  /// Staged, emulated: the warps' loop interchanged with the K tiles, the
  /// copies in the GPU's order. Every warp's lanes copy the first tile's K
  /// tile 0 into stage 0 (thread warp * 32 + lane, as on the GPU); per
  /// output tile at (m0, n0) every warp's accumulators into the warps'
  /// register buffer; per K tile kt every warp's lanes make the next copy
  /// into the other stage (synchronously: the GPU's copies land before its
  /// next barrier), then every warp runs its K steps from this stage; then
  /// every warp's accumulators stored. `bindWarp` rebuilds a warp's views
  /// of the operands (bind) from its index. With wgmma the tiles are
  /// aligned as on the GPU, the accumulators kept by its layout (thread
  /// (w, lane)'s 4 of its group's warp j's 8-column step s at w * 4 steps
  /// + j * steps + s in the warps' register buffer), and each warpgroup's
  /// K tile steps computed from their descriptors (emulateWarpgroupSteps).
  void emitStagedEmulated(
      Value buffer,
      function_ref<void(ImplicitLocOpBuilder &, Value)> bindWarp) {
    int64_t perWarp = rowTiles * steps;
    Value accRegs, aRegs, bRegs;
    std::tie(accRegs, aRegs, bRegs) = allocateRegisters(numWarps);
    wideLoads = width > 0;
    if (warpgroups)
      alignTiles(b, buffer);
    auto eachWarp =
        [&](ImplicitLocOpBuilder &at, Value stage,
            function_ref<void(ImplicitLocOpBuilder &, Value, Value)> body) {
          forLoop(at, 0, numWarps, 1, [&](ImplicitLocOpBuilder &wb, Value wp) {
            bindWarp(wb, wp);
            bindWarpTiles(wb, buffer, wp, stage);
            body(wb, wp, arith::MulIOp::create(wb, wp, index(wb, perWarp)));
          });
        };
    auto copyEach = [&](ImplicitLocOpBuilder &at, Value m0, Value n0,
                        Value stage, Value kt) {
      eachWarp(at, stage, [&](ImplicitLocOpBuilder &wb, Value wp, Value) {
        forLanes(wb, [&](ImplicitLocOpBuilder &lb, Value lane) {
          Value tid = arith::AddIOp::create(
              lb, arith::MulIOp::create(lb, wp, index(lb, kWarpSize)), lane);
          copyTiles(lb, tid, lane, m0, n0, kt);
        });
      });
    };
    for (int64_t i = 0; i < copiesAhead(); ++i)
      ifKTile(b, index(b, i),
              [&](ImplicitLocOpBuilder &then, Value toM, Value toN, Value toK) {
                copyEach(then, toM, toN, index(then, i), toK);
              });
    // Warp wp's C and the accumulators of its columns, each group warp's
    // lanes' (by the wgmma layout).
    auto warpgroupAcc = [&](ImplicitLocOpBuilder &wb, Value wp, Value m0,
                            Value n0, bool store) {
      Value inGroup =
          arith::RemUIOp::create(wb, wp, index(wb, kWarpgroupWarps));
      Value firstWarp = arith::SubIOp::create(wb, wp, inGroup);
      forLoop(
          wb, 0, kWarpgroupWarps, 1, [&](ImplicitLocOpBuilder &gb, Value i) {
            Value base = arith::AddIOp::create(
                gb,
                arith::MulIOp::create(gb,
                                      arith::AddIOp::create(gb, firstWarp, i),
                                      index(gb, perWarp)),
                arith::MulIOp::create(gb, inGroup, index(gb, steps)));
            auto tilesOf = [&](ImplicitLocOpBuilder &lb, Value lane) {
              return warpgroupLaneTiles(lb, lane, m0, n0, i);
            };
            if (store)
              emulateStoreAcc(gb, tilesOf, accRegs, base);
            else
              emulateLoadAcc(gb, tilesOf, accRegs, base);
          });
    };
    forTiles(b, [&](ImplicitLocOpBuilder &nb, Value m0, Value n0) {
      Value first = index(nb, 0);
      auto warpTiles = [&](ImplicitLocOpBuilder &lb, Value lane) {
        return laneTiles(lb, lane, m0, n0);
      };
      eachWarp(nb, first, [&](ImplicitLocOpBuilder &wb, Value wp, Value base) {
        if (warpgroups)
          return warpgroupAcc(wb, wp, m0, n0, /*store=*/false);
        emulateLoadAcc(wb, warpTiles, accRegs, base);
      });
      forLoop(nb, 0, mma.depth, kTile, [&](ImplicitLocOpBuilder &kb, Value kt) {
        Value count = kTileIndex(kb, m0, n0, kt);
        Value stage = stageOf(kb, count, 0);
        ifKTile(
            kb, arith::AddIOp::create(kb, count, index(kb, copiesAhead())),
            [&](ImplicitLocOpBuilder &then, Value toM, Value toN, Value toK) {
              copyEach(then, toM, toN, stageOf(then, count, copiesAhead()),
                       toK);
            });
        if (warpgroups) {
          bindStage(kb, buffer, stage);
          forLoop(kb, 0, numWarps / kWarpgroupWarps, 1,
                  [&](ImplicitLocOpBuilder &gb, Value group) {
                    emulateWarpgroupSteps(gb, group, buffer, accRegs);
                  });
          return;
        }
        eachWarp(kb, stage, [&](ImplicitLocOpBuilder &wb, Value, Value base) {
          emulateKSteps(wb, m0, n0, kTile, aRegs, bRegs, accRegs, base);
        });
      });
      eachWarp(nb, first, [&](ImplicitLocOpBuilder &wb, Value wp, Value base) {
        if (warpgroups)
          return warpgroupAcc(wb, wp, m0, n0, /*store=*/true);
        emulateStoreAcc(wb, warpTiles, accRegs, base);
      });
    });
  }

  /// Warpgroup MMA (sm_90a), as lane `lane` of warp `warp` (thread `tid`
  /// of the loop's): the staged loop of emitStagedLane, its tiles
  /// 1024-byte aligned, with each warpgroup's wgmma steps in place of its
  /// warps' mma.sync steps. The 4 warps of a warpgroup run the output
  /// tile's 64 rows by their 4 B tiles' columns (one N = 4 x 8 steps
  /// wgmma a K step, B's tiles adjacent in the stage), warp i of the
  /// group holding rows 16 i ... of each warp's columns: it loads and
  /// stores them in every group warp's C (`bindWarp` rebinds the
  /// operands to warp j's views). Per K tile: the wait for the thread's
  /// copies, a proxy fence (cp.async wrote through the generic proxy,
  /// wgmma reads through the async one), the barrier, the next copy, then
  /// wgmma.fence, the K tile's m64nNk16 steps (descriptors), commit and
  /// wait for them: the stage is read before the next barrier, after
  /// which it is copied into again.
  void emitWarpgroupLane(
      Value tid, Value warp, Value lane, Value buffer, bool dropBarrier,
      function_ref<void(ImplicitLocOpBuilder &, Value)> bindWarp) {
    Value inGroup = arith::RemUIOp::create(b, warp, index(b, kWarpgroupWarps));
    Value group = arith::DivUIOp::create(b, warp, index(b, kWarpgroupWarps));
    SmallVector<Value> groupC = warpgroupOutputs(b, group, bindWarp);
    alignTiles(b, buffer);
    bindWarpTiles(b, buffer, warp, index(b, 0));
    emitStagedPrologue(tid, lane, buffer);
    forTiles(b, [&](ImplicitLocOpBuilder &nb, Value m0, Value n0) {
      SmallVector<LaneTile> tiles =
          warpgroupLaneTiles(nb, lane, m0, n0, inGroup);
      SmallVector<Value> acc;
      for (Value out : groupC)
        for (const LaneTile &tile : tiles)
          llvm::append_range(acc, loadAcc(nb, tile, out));
      SmallVector<Value> sums =
          emitStagedKTiles(nb, tid, lane, buffer, m0, n0, acc, dropBarrier,
                           [&](ImplicitLocOpBuilder &kb, ValueRange sums) {
                             return warpgroupSteps(kb, group, sums);
                           });
      // The last K tile's steps done before their sums are stored.
      if (wgmmaInFlight())
        NVVM::WgmmaWaitGroupSyncOp::create(nb, 0);
      int64_t perWarp = 4 * steps;
      for (auto [j, out] : llvm::enumerate(groupC))
        for (auto [s, tile] : llvm::enumerate(tiles))
          storeAcc(nb, tile, ArrayRef(sums).slice(perWarp * j + 4 * s, 4), out);
    });
  }

private:
  /// Once per warp loop on the GPU: a barrier (whatever read the buffer
  /// before is done), then the loop's first copiesAhead() K tiles copied
  /// into stages 0, 1, ... by `cp.async`, each its own group (committed
  /// where there is nothing to copy too, so that the groups count K tiles
  /// for emitStagedKTiles' wait).
  void emitStagedPrologue(Value tid, Value lane, Value buffer) {
    barrier(b, numWarps * kWarpSize);
    for (int64_t i = 0; i < copiesAhead(); ++i) {
      ifKTile(b, index(b, i),
              [&](ImplicitLocOpBuilder &then, Value toM, Value toN, Value toK) {
                bindStage(then, buffer, index(then, i));
                copyTiles(then, tid, lane, toM, toN, toK);
              });
      NVVM::CpAsyncCommitGroupOp::create(b);
    }
    // The views bound here again (the copies bound theirs in branches).
    bindStage(b, buffer, index(b, 0));
  }

  /// The K tiles of the output tile at (m0, n0) on the GPU, from the sums
  /// `acc`: per K tile a wait for this thread's copy of it (the groups of
  /// the A - 1 K tiles after it may stay in flight, A = copiesAhead()) and
  /// the barrier (every thread's have landed, and the stage the next copy
  /// goes to is no longer read), then that copy (the loop's K tile A
  /// ahead, across output tiles, committed), then `kTileSteps` on this K
  /// tile's stage. With wgmma a proxy fence comes
  /// before the barrier: cp.async wrote through the generic proxy, wgmma
  /// reads through the async one.
  SmallVector<Value> emitStagedKTiles(
      ImplicitLocOpBuilder &at, Value tid, Value lane, Value buffer, Value m0,
      Value n0, ArrayRef<Value> acc, bool dropBarrier,
      function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, ValueRange)>
          kTileSteps) {
    auto kTiles = scf::ForOp::create(
        at, index(at, 0), index(at, mma.depth), index(at, kTile), acc,
        [&](OpBuilder &nested, Location loc, Value kt, ValueRange sums) {
          ImplicitLocOpBuilder kb(loc, nested);
          NVVM::CpAsyncWaitGroupOp::create(kb, copiesAhead() - 1);
          if (warpgroups)
            NVVM::FenceProxyOp::create(
                kb, NVVM::ProxyKind::async_shared,
                NVVM::SharedSpaceAttr::get(kb.getContext(),
                                           NVVM::SharedSpace::shared_cta));
          if (!dropBarrier)
            barrier(kb, numWarps * kWarpSize);
          Value count = kTileIndex(kb, m0, n0, kt);
          ifKTile(
              kb, arith::AddIOp::create(kb, count, index(kb, copiesAhead())),
              [&](ImplicitLocOpBuilder &then, Value toM, Value toN, Value toK) {
                bindStage(then, buffer, stageOf(then, count, copiesAhead()));
                copyTiles(then, tid, lane, toM, toN, toK);
              });
          NVVM::CpAsyncCommitGroupOp::create(kb);
          bindStage(kb, buffer, stageOf(kb, count, 0));
          scf::YieldOp::create(kb, kTileSteps(kb, sums));
        });
    return llvm::to_vector(ValueRange(kTiles.getResults()));
  }

  /// Every warp of warpgroup `group`'s C (bound by `bindWarp`), the
  /// emitter's own views restored after.
  SmallVector<Value>
  warpgroupOutputs(ImplicitLocOpBuilder &at, Value group,
                   function_ref<void(ImplicitLocOpBuilder &, Value)> bindWarp) {
    Value ownA = a, ownRows = rowIndices, ownW = w, ownC = c;
    SmallVector<Value> outputs;
    for (int64_t j = 0; j < kWarpgroupWarps; ++j) {
      bindWarp(at,
               arith::AddIOp::create(
                   at,
                   arith::MulIOp::create(at, group, index(at, kWarpgroupWarps)),
                   index(at, j)));
      outputs.push_back(c);
    }
    a = ownA, rowIndices = ownRows, w = ownW, c = ownC;
    return outputs;
  }

  /// The lane's 16 x 8 steps of a warpgroup's output tile at (m0, n0) as
  /// the wgmma layout gives them to a lane of the group's warp `inGroup`:
  /// rows m0 + 16 inGroup ..., the steps' columns n0 + 8 s of whichever
  /// group warp's C (the same for each: they split N alike).
  SmallVector<LaneTile> warpgroupLaneTiles(ImplicitLocOpBuilder &at, Value lane,
                                           Value m0, Value n0, Value inGroup) {
    Value rowsAt = arith::AddIOp::create(
        at, m0, arith::MulIOp::create(at, inGroup, index(at, kMMARows)));
    SmallVector<LaneTile> tiles;
    for (int64_t s = 0; s < steps; ++s)
      tiles.push_back(
          laneTile(at, lane, rowsAt,
                   arith::AddIOp::create(at, n0, index(at, s * kMMACols)),
                   /*readsA=*/false, 0, s * kMMACols));
    return tiles;
  }

  /// The tiles start at the buffer's first 1024-byte boundary (wgmma's
  /// 128-byte swizzle is of address bits, so its pattern starts there;
  /// the buffer has room: workgroupBytes).
  void alignTiles(ImplicitLocOpBuilder &at, Value buffer) {
    tilesAddress = memref::ExtractAlignedPointerAsIndexOp::create(at, buffer);
    Value mask = index(at, kWarpgroupAlign - 1);
    tileBase = arith::AndIOp::create(
        at,
        arith::SubIOp::create(at, index(at, kWarpgroupAlign),
                              arith::AndIOp::create(at, tilesAddress, mask)),
        mask);
  }

  /// The wgmma descriptor of a K-major operand at `address` (bytes of the
  /// shared window) in the 128-byte swizzle: start address >> 4 (bits 0-13),
  /// leading byte offset 16 >> 4 (unused by K-major swizzled operands),
  /// stride byte offset 1024 >> 4 (between 8-row groups, bits 32-45),
  /// swizzle mode 1 (128 bytes, bits 62-63).
  static Value descriptor(ImplicitLocOpBuilder &at, Value address) {
    Emitter e{at};
    uint64_t fields = (uint64_t(1) << 16) |
                      (uint64_t(kWarpgroupAlign >> 4) << 32) |
                      (uint64_t(1) << 62);
    Value start = e.shrui(e.andi(e.toI64(address), e.i64(0x3FFFF)), e.i64(4));
    return e.ori(start, e.i64(static_cast<int64_t>(fields)));
  }

  /// The bound stage's A tile's and warpgroup `group`'s B tiles' addresses.
  std::pair<Value, Value> warpgroupTiles(ImplicitLocOpBuilder &at,
                                         Value group) {
    Value aTile = arith::AddIOp::create(at, tilesAddress, stageOffset);
    Value bTiles = arith::AddIOp::create(
        at, aTile,
        arith::AddIOp::create(
            at, index(at, aTileRows() * tileRowBytes()),
            arith::MulIOp::create(
                at, group,
                index(at, kWarpgroupWarps * bTileRows() * tileRowBytes()))));
    return {aTile, bTiles};
  }

  /// The K tile's wgmma steps of warpgroup `group` on the bound stage,
  /// accumulating `sums` (this lane's, in the layout's order).
  SmallVector<Value> warpgroupSteps(ImplicitLocOpBuilder &at, Value group,
                                    ValueRange sums) {
    Type f32 = at.getF32Type();
    auto accumulators = LLVM::LLVMStructType::getLiteral(
        at.getContext(), SmallVector<Type>(sums.size(), f32));
    Value d = LLVM::PoisonOp::create(at, accumulators);
    for (auto [i, sum] : llvm::enumerate(sums))
      d = LLVM::InsertValueOp::create(at, d, sum, i);
    auto [aTile, bTiles] = warpgroupTiles(at, group);
    NVVM::WGMMATypes type =
        mma.inputType.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
    int64_t stepBytes = mma.stepDepth() * elementBytes();
    NVVM::WgmmaFenceAlignedOp::create(at);
    for (int64_t k = 0; k < kTile * elementBytes(); k += stepBytes) {
      Value step = index(at, k);
      d = NVVM::WgmmaMmaAsyncOp::create(
          at, accumulators, d,
          descriptor(at, arith::AddIOp::create(at, aTile, step)),
          descriptor(at, arith::AddIOp::create(at, bTiles, step)),
          NVVM::MMAShapeAttr::get(at.getContext(), kWarpgroupWarps * kMMARows,
                                  warpgroupColumns(), mma.stepDepth()),
          type, type, NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
          NVVM::MMALayout::row, NVVM::MMALayout::col,
          /*satfinite=*/NVVM::MMAIntOverflowAttr());
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(at);
    NVVM::WgmmaWaitGroupSyncOp::create(at, wgmmaInFlight());
    SmallVector<Value> out;
    for (int64_t i = 0, e = sums.size(); i < e; ++i)
      out.push_back(LLVM::ExtractValueOp::create(at, d, i));
    return out;
  }
  int64_t warpgroupColumns() const { return kWarpgroupWarps * bTileRows(); }

  /// Warpgroup `group`'s wgmma steps of the bound stage, emulated: each
  /// step's descriptors made as on the GPU, then D += A B computed from
  /// them by the hardware's reading of a K-major, 128-byte-swizzled
  /// operand (written here independently of the copies' tileColumn):
  /// element (row r, k) at start + (r / 8) stride + (r % 8) 128 + 2 k
  /// bytes, address bits 4-6 XORed with bits 7-9 (PTX ISA, "Matrix
  /// Descriptor Format"; CUTLASS's Swizzle<3,4,3>), the descriptor's other
  /// fields required to be what that model assumes (else NaN); D[r][n] in
  /// warp group * 4 + r / 16, lane 4 (r % 8) + (n % 8) / 2, register 4 (n /
  /// 8) + 2 ((r % 16) / 8) + n % 2.
  void emulateWarpgroupSteps(ImplicitLocOpBuilder &at, Value group,
                             Value buffer, Value accRegs) {
    Emitter e{at};
    auto [aTile, bTiles] = warpgroupTiles(at, group);
    Value all = memref::ViewOp::create(
        at, MemRefType::get({workgroupBytes() / elementBytes()}, mma.inputType),
        buffer, e.idx(0), ValueRange{});
    // The buffer's first byte, as the descriptors' 18-bit addresses see it.
    Value origin = e.andi(e.toI64(tilesAddress), e.i64(0x3FFFF));
    // A step's operand as its descriptor gives it: start, stride between
    // 8-row groups, and whether its other fields are the layout modelled
    // here (swizzle mode 1, 128 bytes; base offset 0; leading byte offset
    // 1, unused): else every element reads NaN.
    struct Operand {
      Value start, stride, modelled;
    };
    auto operand = [&](Value desc) {
      auto field = [&](int64_t shift, int64_t mask) {
        return e.andi(e.shrui(desc, e.i64(shift)), e.i64(mask));
      };
      auto is = [&](Value v, int64_t want) {
        return e.cmpi(arith::CmpIPredicate::eq, v, e.i64(want));
      };
      return Operand{
          e.shli(field(0, 0x3FFF), e.i64(4)),
          e.shli(field(32, 0x3FFF), e.i64(4)),
          e.andi(is(field(62, 3), 1),
                 e.andi(is(field(49, 7), 0), is(field(16, 0x3FFF), 1)))};
    };
    auto element = [&](ImplicitLocOpBuilder &x, const Operand &o, Value row,
                       Value k) -> Value {
      Emitter f{x};
      Value r = f.toI64(row);
      Value logical =
          f.addi(f.addi(o.start, f.muli(f.divui(r, f.i64(8)), o.stride)),
                 f.addi(f.muli(f.remui(r, f.i64(8)), f.i64(128)),
                        f.muli(f.toI64(k), f.i64(elementBytes()))));
      Value physical =
          f.xori(logical, f.shli(f.andi(f.shrui(logical, f.i64(7)), f.i64(7)),
                                 f.i64(4)));
      Value offset = f.andi(f.subi(physical, origin), f.i64(0x3FFFF));
      Value loaded =
          f.load(all, {f.toIndex(f.divui(offset, f.i64(elementBytes())))});
      return f.select(o.modelled, f.extToF32(loaded),
                      f.f32(std::numeric_limits<float>::quiet_NaN()));
    };
    int64_t perWarp = rowTiles * steps,
            stepBytes = mma.stepDepth() * elementBytes();
    for (int64_t kb = 0; kb < kTile * elementBytes(); kb += stepBytes) {
      Operand opA = operand(descriptor(at, e.addi(aTile, e.idx(kb))));
      Operand opB = operand(descriptor(at, e.addi(bTiles, e.idx(kb))));
      forLoop(at, 0, kWarpgroupWarps * kMMARows, 1,
              [&](ImplicitLocOpBuilder &rb, Value r) {
                forLoop(
                    rb, 0, warpgroupColumns(), 1,
                    [&](ImplicitLocOpBuilder &x, Value n) {
                      Emitter f{x};
                      auto div = [&](Value v, int64_t d) {
                        return f.divui(v, f.idx(d));
                      };
                      auto rem = [&](Value v, int64_t d) {
                        return f.remui(v, f.idx(d));
                      };
                      auto mul = [&](Value v, int64_t d) {
                        return f.muli(v, f.idx(d));
                      };
                      Value warp =
                          f.addi(mul(group, kWarpgroupWarps), div(r, kMMARows));
                      Value lane = f.addi(mul(rem(r, 8), 4), div(rem(n, 8), 2));
                      Value tile = f.addi(mul(warp, perWarp), div(n, kMMACols));
                      Value reg =
                          f.addi(mul(div(rem(r, kMMARows), 8), 2), rem(n, 2));
                      Value c0 = f.load(accRegs, {tile, lane, reg});
                      ValueRange sum =
                          f.loop(f.idx(0), f.idx(mma.stepDepth()), {c0},
                                 [&](Value k, ValueRange acc) {
                                   // x (f's builder) builds in the loop
                                   // body here.
                                   return SmallVector<Value>{f.addf(
                                       acc[0], f.mulf(element(x, opA, r, k),
                                                      element(x, opB, n, k)))};
                                 });
                      f.store(sum[0], accRegs, {tile, lane, reg});
                    });
              });
    }
  }

  /// The loop's K tiles counted in its order (forTiles': N, then M; the
  /// stages carry from one output tile to the next): K tile kt (elements)
  /// of the output tile at (m0, n0).
  Value kTileIndex(ImplicitLocOpBuilder &at, Value m0, Value n0, Value kt) {
    Value tile = arith::AddIOp::create(
        at,
        arith::MulIOp::create(
            at, arith::DivUIOp::create(at, m0, index(at, aTileRows())),
            index(at, tilesAlongN())),
        arith::DivUIOp::create(at, n0, index(at, bTileRows())));
    return arith::AddIOp::create(
        at, arith::MulIOp::create(at, tile, index(at, kTilesPerTile())),
        arith::DivUIOp::create(at, kt, index(at, kTile)));
  }
  int64_t tilesAlongN() const {
    return llvm::divideCeil(mma.cols, bTileRows());
  }
  int64_t kTilesPerTile() const { return mma.depth / kTile; }

  /// How many K tiles ahead of the one computed the copies run: into all
  /// the other stages (stages - 1), but with wgmma steps left in flight
  /// past their K tile (wgmmaInFlight) one fewer, since the stage read
  /// by the previous K tile's steps may still be in use.
  int64_t copiesAhead() const { return stages - 1 - wgmmaInFlight(); }
  /// The K tiles' wgmma groups left in flight at the next barrier: one
  /// from 3 stages on (wgmma.wait_group 1: a K tile's steps overlap the
  /// next one's wait, barrier and copies), else none.
  int64_t wgmmaInFlight() const { return warpgroups && stages >= 3 ? 1 : 0; }

  /// The stage of the loop's K tile `count` + `ahead`: they take stages 0,
  /// 1, ..., stages - 1, 0, ... in turn.
  Value stageOf(ImplicitLocOpBuilder &at, Value count, int64_t ahead) {
    return arith::RemUIOp::create(
        at, arith::AddIOp::create(at, count, index(at, ahead)),
        index(at, stages));
  }

  /// `body(m0, n0, kt)` for the loop's K tile `count` where the loop has
  /// it (its output tiles: the rows' 64-row tiles by tilesAlongN).
  void ifKTile(
      ImplicitLocOpBuilder &at, Value count,
      function_ref<void(ImplicitLocOpBuilder &, Value, Value, Value)> body) {
    Value rowTiles = arith::DivUIOp::create(
        at, arith::AddIOp::create(at, rows, index(at, aTileRows() - 1)),
        index(at, aTileRows()));
    Value all = arith::MulIOp::create(
        at, rowTiles, index(at, tilesAlongN() * kTilesPerTile()));
    auto exists = scf::IfOp::create(
        at, arith::CmpIOp::create(at, arith::CmpIPredicate::ult, count, all),
        /*withElseRegion=*/false);
    ImplicitLocOpBuilder then(at.getLoc(), exists.getThenBodyBuilder());
    Value tile =
        arith::DivUIOp::create(then, count, index(then, kTilesPerTile()));
    Value kt = arith::MulIOp::create(
        then, arith::RemUIOp::create(then, count, index(then, kTilesPerTile())),
        index(then, kTile));
    Value m0 = arith::MulIOp::create(
        then, arith::DivUIOp::create(then, tile, index(then, tilesAlongN())),
        index(then, aTileRows()));
    Value n0 = arith::MulIOp::create(
        then, arith::RemUIOp::create(then, tile, index(then, tilesAlongN())),
        index(then, bTileRows()));
    body(then, m0, n0, kt);
  }

  /// `warp`'s first row in the B tiles (bTileRows a warp), and the tiles
  /// of `stage`.
  void bindWarpTiles(ImplicitLocOpBuilder &at, Value buffer, Value warp,
                     Value stage) {
    bRowBase = arith::MulIOp::create(at, warp, index(at, bTileRows()));
    bindStage(at, buffer, stage);
  }

  /// The workgroup tiles of `stage` in `buffer` (bytes; stages one after
  /// the other): A's [16 row-tiles, K tile + pad], then every warp's B
  /// tile, [warps x 8 steps, K tile + pad].
  void bindStage(ImplicitLocOpBuilder &at, Value buffer, Value stage) {
    Attribute space = cast<MemRefType>(buffer.getType()).getMemorySpace();
    auto tileType = [&](int64_t tileRows) {
      return MemRefType::get({tileRows, kTile + tilePad}, mma.inputType,
                             MemRefLayoutAttrInterface(), space);
    };
    Value offset =
        arith::MulIOp::create(at, stage, index(at, stageBufferBytes()));
    if (tileBase)
      offset = arith::AddIOp::create(at, tileBase, offset);
    stageOffset = offset;
    sharedA = memref::ViewOp::create(at, tileType(aTileRows()), buffer, offset,
                                     ValueRange{});
    sharedB = memref::ViewOp::create(
        at, tileType(numWarps * bTileRows()), buffer,
        arith::AddIOp::create(at, offset,
                              index(at, aTileRows() * tileRowBytes())),
        ValueRange{});
  }

  /// Thread `tid` of the loop's copies its share of the K tile at kt of
  /// A's rows m0 ... (16-byte chunks dealt over all the loop's threads;
  /// rows past the end: the last row, as the lanes read them unstaged) and
  /// lane `lane` its share of its warp's rows n0 ... of B.
  void copyTiles(ImplicitLocOpBuilder &at, Value tid, Value lane, Value m0,
                 Value n0, Value kt) {
    Value last = arith::SubIOp::create(at, rows, index(at, 1));
    copyRows(at, tid, numWarps * kWarpSize, aTileRows(), a, sharedA,
             index(at, 0), kt, [&](ImplicitLocOpBuilder &x, Value r) -> Value {
               Value row = arith::MinUIOp::create(
                   x, arith::AddIOp::create(x, m0, r), last);
               if (!rowIndices)
                 return row;
               Value source =
                   memref::LoadOp::create(x, rowIndices, ValueRange{row});
               return arith::IndexCastOp::create(x, x.getIndexType(), source);
             });
    copyRows(at, lane, kWarpSize, bTileRows(), w, sharedB, bRowBase, kt,
             [&](ImplicitLocOpBuilder &x, Value r) -> Value {
               return arith::AddIOp::create(x, n0, r);
             });
  }

  /// Chunks c = thread, thread + threads, ... of `numRows` rows of the K
  /// tile: row c / chunks-per-row, from `source`'s row `sourceRow(row)` at
  /// kt + its column, to `tile`'s row firstRow + row. One 16-byte copy
  /// (`cp.async` on the GPU, a vector load and store emulated) where the
  /// source's rows keep chunks aligned (a static row stride) and its first
  /// element is 16-byte aligned (tested here, alike for every thread),
  /// else element by element (loads and stores, done before the next
  /// barrier as the copies are).
  void copyRows(ImplicitLocOpBuilder &at, Value thread, int64_t threads,
                int64_t numRows, Value source, Value tile, Value firstRow,
                Value kt,
                function_ref<Value(ImplicitLocOpBuilder &, Value)> sourceRow) {
    int64_t chunk = kChunkBytes / elementBytes(), perRow = kTile / chunk;
    Value aligned;
    if (alignedRuns(source, chunk)) {
      Emitter e{at};
      Value first = ElementAddresses(e, source).of(e, {e.idx(0), e.idx(0)});
      aligned = e.cmpi(arith::CmpIPredicate::eq,
                       e.andi(first, e.idx(kChunkBytes - 1)), e.idx(0));
    }
    forLoop(at, thread, index(at, numRows * perRow), threads,
            [&](ImplicitLocOpBuilder &x, Value c) {
              Value r = arith::DivUIOp::create(x, c, index(x, perRow));
              Value col = arith::MulIOp::create(
                  x, arith::RemUIOp::create(x, c, index(x, perRow)),
                  index(x, chunk));
              Value from = sourceRow(x, r);
              Value k = arith::AddIOp::create(x, kt, col);
              Value to = arith::AddIOp::create(x, firstRow, r);
              Value toCol = tileColumn(x, to, col);
              // cp.async: A's rows are read once per block now, B's once.
              copyChunk(x, source, from, k, tile, to, toCol, chunk, aligned,
                        /*async=*/!emulated);
            });
  }

  /// Where the chunk at column `col` (a 16-byte chunk's first element) of
  /// row `row` of a workgroup tile is. With ldmatrix the rows are not
  /// padded but their chunks permuted: chunk c at c ^ f(row), so that the
  /// 8 rows of an 8 x 8 matrix (one chunk column) are on the 8 distinct
  /// 16-byte bank groups of a 128-byte line, as are the chunks a row's
  /// copies store. With P chunks a row, f(row) = row % 8 from P = 8 on
  /// (at P = 8, the 128-byte swizzle of TMA and wgmma), else (row / (8 /
  /// P)) % P: rows 8 / P apart share a line's bank groups.
  Value tileColumn(ImplicitLocOpBuilder &at, Value row, Value col) {
    if (!ldmatrix)
      return col;
    int64_t chunk = kChunkBytes / elementBytes(), perRow = kTile / chunk;
    // ldmatrix's K halves are chunks: their columns stay chunk-aligned.
    assert(mma.stepDepth() / 2 == chunk && "a K half is not one chunk");
    Value shift = arith::RemUIOp::create(
        at,
        arith::DivUIOp::create(at, row,
                               index(at, std::max<int64_t>(1, 8 / perRow))),
        index(at, std::min<int64_t>(perRow, 8)));
    Value swapped = arith::XOrIOp::create(
        at, arith::DivUIOp::create(at, col, index(at, chunk)), shift);
    return arith::MulIOp::create(at, swapped, index(at, chunk));
  }

  /// A barrier of the warp loop's `threads` threads (named barrier 1: the
  /// block may have more threads, which skip the loop).
  static void barrier(ImplicitLocOpBuilder &at, int64_t threads) {
    Type i32 = at.getI32Type();
    NVVM::BarrierOp::create(at, Type(),
                            arith::ConstantIntOp::create(at, i32, 1),
                            arith::ConstantIntOp::create(at, i32, threads),
                            NVVM::BarrierReductionAttr(), Value());
  }

  /// The K loop of the first `tiles` row tiles (the others' sums `acc`
  /// passed on): per step each B fragment loaded once for all of them, each
  /// A fragment once for all the 8-column steps. Where `live` is given, a
  /// row tile with a live flag is skipped inside the loop when it has no
  /// rows. With `prefetch` the loop carries the next step's fragments.
  /// Returns every row tile's sums.
  SmallVector<Value> emitKLoop(ImplicitLocOpBuilder &at,
                               ArrayRef<LaneTile> lanes, ArrayRef<Value> acc,
                               int64_t tiles, ArrayRef<Value> live,
                               bool prefetch) {
    Type f32 = at.getF32Type();
    auto result =
        LLVM::LLVMStructType::getLiteral(at.getContext(), {f32, f32, f32, f32});
    NVVM::MMATypes ptxType = mma.isTF32()             ? NVVM::MMATypes::tf32
                             : mma.inputType.isBF16() ? NVVM::MMATypes::bf16
                                                      : NVVM::MMATypes::f16;
    // f16 pairs go to the intrinsic as they are, bf16 pairs as i32, f32
    // elements rounded to TF32 in an i32 (split: the f32 bits, split into
    // their two TF32 parts where the steps use them).
    auto registers = [&](ImplicitLocOpBuilder &x, SmallVector<Value> regs) {
      for (Value &reg : regs) {
        if (mma.inputType.isBF16())
          reg = LLVM::BitcastOp::create(x, x.getI32Type(), reg);
        else if (mma.isTF32()) {
          Value v = vector::ExtractOp::create(x, reg, 0);
          reg = arith::BitcastOp::create(x, x.getI32Type(),
                                         split ? v : roundToTF32(x, v));
        }
      }
      return regs;
    };
    // Split TF32: registers of f32 bits as their parts (splitToTF32), as
    // i32: {big, small, cross}.
    auto splitRegisters = [&](ImplicitLocOpBuilder &x, ArrayRef<Value> regs) {
      std::array<SmallVector<Value>, 3> parts;
      for (Value reg : regs) {
        TF32Parts p =
            splitToTF32(x, arith::BitcastOp::create(x, x.getF32Type(), reg));
        Value each[3] = {p.big, p.small, p.cross};
        for (int i = 0; i < 3; ++i)
          parts[i].push_back(
              arith::BitcastOp::create(x, x.getI32Type(), each[i]));
      }
      return parts;
    };
    auto loadARegs = [&](ImplicitLocOpBuilder &x, int64_t i, Value k0) {
      return registers(x, loadA(x, lanes[steps * i], k0));
    };
    auto loadBRegs = [&](ImplicitLocOpBuilder &x, int64_t j, Value k0) {
      return registers(x, loadB(x, lanes[j], k0));
    };
    // A K step's fragments, prefetched: each row tile's 4 A registers per
    // mma step, then each 8-column step's 2 B registers per mma step.
    auto loadFragments = [&](ImplicitLocOpBuilder &x, Value k0) {
      SmallVector<Value> regs;
      for (int64_t i = 0; i < tiles; ++i)
        llvm::append_range(regs, loadARegs(x, i, k0));
      for (int64_t j = 0; j < steps; ++j)
        llvm::append_range(regs, loadBRegs(x, j, k0));
      return regs;
    };
    int64_t numAcc = 4 * steps * tiles, subSteps = mmaSteps();
    // Staged: the K steps of one K tile, in its workgroup tiles.
    int64_t depth = sharedA ? kTile : mma.depth;
    SmallVector<Value> init(acc.take_front(numAcc));
    if (prefetch)
      llvm::append_range(init, loadFragments(at, index(at, 0)));
    auto kLoop = scf::ForOp::create(
        at, index(at, 0), index(at, depth), index(at, kStep()), init,
        [&](OpBuilder &nested, Location loc, Value k0, ValueRange args) {
          ImplicitLocOpBuilder kb(loc, nested);
          ValueRange sums = args.take_front(numAcc);
          SmallVector<SmallVector<Value>> fragA(tiles), fragB(steps);
          SmallVector<Value> prefetched;
          if (prefetch) {
            ValueRange frags = args.drop_front(numAcc);
            int64_t perA = 4 * subSteps, perB = 2 * subSteps;
            for (int64_t i = 0; i < tiles; ++i)
              llvm::append_range(fragA[i], frags.slice(perA * i, perA));
            for (int64_t j = 0; j < steps; ++j)
              llvm::append_range(fragB[j],
                                 frags.slice(perA * tiles + perB * j, perB));
            // The next step's fragments, before this step's mma.sync.
            Value kNext = arith::MinUIOp::create(
                kb, arith::AddIOp::create(kb, k0, index(kb, kStep())),
                index(kb, depth - kStep()));
            prefetched = loadFragments(kb, kNext);
          } else {
            // B's fragments once per K step, for every row tile.
            for (int64_t j = 0; j < steps; ++j)
              fragB[j] = loadBRegs(kb, j, k0);
          }
          // Split TF32: B's parts once per K step, for every row tile.
          SmallVector<SmallVector<Value>> smallB(steps), crossB(steps);
          if (split)
            for (int64_t j = 0; j < steps; ++j) {
              auto parts = splitRegisters(kb, fragB[j]);
              fragB[j] = parts[0];
              smallB[j] = parts[1];
              crossB[j] = parts[2];
            }
          SmallVector<Value> next;
          for (int64_t i = 0; i < tiles; ++i) {
            ValueRange tileSums = sums.slice(4 * steps * i, 4 * steps);
            auto rowTile = [&](ImplicitLocOpBuilder &rb) {
              SmallVector<Value> regsA =
                  prefetch ? fragA[i] : loadARegs(rb, i, k0);
              SmallVector<Value> smallA, crossA;
              if (split) {
                auto parts = splitRegisters(rb, regsA);
                regsA = parts[0];
                smallA = parts[1];
                crossA = parts[2];
              }
              SmallVector<Value> out(tileSums);
              auto mmaStep = [&](ArrayRef<Value> aRegs, ArrayRef<Value> bRegs,
                                 int64_t s, int64_t j) {
                auto step = NVVM::MmaOp::create(
                    rb, result, aRegs.slice(4 * s, 4), bRegs.slice(2 * s, 2),
                    ArrayRef(out).slice(4 * j, 4),
                    {kMMARows, kMMACols, mma.stepDepth()},
                    /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
                    std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
                    std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                   NVVM::MMALayout::col});
                for (int64_t r = 0; r < 4; ++r)
                  out[4 * j + r] = LLVM::ExtractValueOp::create(rb, step, r);
              };
              for (int64_t s = 0; s < subSteps; ++s)
                for (int64_t j = 0; j < steps; ++j) {
                  // Split: the small products first, while the sum is
                  // small (CUTLASS's 3xTF32 order), with the big parts
                  // that are not finite as 0 (else small x inf could be
                  // NaN where f32 has an infinity); small x small is
                  // below f32's rounding and left out.
                  if (split) {
                    mmaStep(smallA, crossB[j], s, j);
                    mmaStep(crossA, smallB[j], s, j);
                  }
                  mmaStep(regsA, fragB[j], s, j);
                }
              return out;
            };
            if (live.empty() || !live[i]) {
              llvm::append_range(next, rowTile(kb));
              continue;
            }
            // A row tile past the rows: the warp skips it (a uniform
            // branch: every lane agrees).
            auto guarded = scf::IfOp::create(kb, tileSums.getTypes(), live[i],
                                             /*withElse=*/true);
            ImplicitLocOpBuilder then(loc, guarded.getThenBodyBuilder());
            scf::YieldOp::create(then, rowTile(then));
            ImplicitLocOpBuilder otherwise(loc, guarded.getElseBodyBuilder());
            scf::YieldOp::create(otherwise, ValueRange(tileSums));
            llvm::append_range(next, guarded.getResults());
          }
          llvm::append_range(next, prefetched);
          scf::YieldOp::create(kb, next);
        });
    // Prefetching already overlaps a step's loads with the previous step's
    // mma.sync; unrolled (LLVM did, 4 times for 8 steps), ptxas hoisted the
    // loads of several steps and spilled.
    if (prefetch)
      keepRolled(kLoop);
    SmallVector<Value> all(kLoop.getResults().take_front(numAcc));
    llvm::append_range(all, acc.drop_front(numAcc));
    return all;
  }

  static Value index(ImplicitLocOpBuilder &at, int64_t v) {
    return arith::ConstantIndexOp::create(at, v);
  }

  void forLoop(ImplicitLocOpBuilder &at, Value lb, Value ub, int64_t step,
               function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    scf::ForOp::create(
        at, lb, ub, index(at, step), ValueRange{},
        [&](OpBuilder &nested, Location loc, Value iv, ValueRange) {
          ImplicitLocOpBuilder inner(loc, nested);
          body(inner, iv);
          scf::YieldOp::create(inner);
        });
  }
  void forLoop(ImplicitLocOpBuilder &at, int64_t lb, Value ub, int64_t step,
               function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    forLoop(at, index(at, lb), ub, step, body);
  }
  void forLoop(ImplicitLocOpBuilder &at, int64_t lb, int64_t ub, int64_t step,
               function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    forLoop(at, index(at, lb), index(at, ub), step, body);
  }
  void forLanes(ImplicitLocOpBuilder &at,
                function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    forLoop(at, 0, kWarpSize, 1, body);
  }
  /// The output in (16 x rowTiles)-row x (8 x steps)-column tiles: rows of
  /// the contraction, then its columns.
  void forTiles(ImplicitLocOpBuilder &at,
                function_ref<void(ImplicitLocOpBuilder &, Value, Value)> body) {
    forLoop(at, 0, rows, kMMARows * rowTiles,
            [&](ImplicitLocOpBuilder &mb, Value m0) {
              forLoop(mb, 0, mma.cols, kMMACols * steps,
                      [&](ImplicitLocOpBuilder &nb, Value n0) {
                        body(nb, m0, n0);
                      });
            });
  }

  /// Whether row tile i of the tile at m0 has rows (null for the first,
  /// which always has: the row loop stops before the end).
  Value rowTileLive(ImplicitLocOpBuilder &at, Value m0, int64_t i) {
    if (i == 0)
      return Value();
    Value first = arith::AddIOp::create(at, m0, index(at, kMMARows * i));
    return arith::CmpIOp::create(at, arith::CmpIPredicate::ult, first, rows);
  }

  /// The lane's part of each 16 x 8 step of the tile at (m0, n0): row tile
  /// i's step j at i * steps + j.
  SmallVector<LaneTile> laneTiles(ImplicitLocOpBuilder &at, Value lane,
                                  Value m0, Value n0) {
    auto offset = [&](Value base, int64_t by) -> Value {
      return by == 0
                 ? base
                 : arith::AddIOp::create(at, base, index(at, by)).getResult();
    };
    SmallVector<LaneTile> tiles;
    for (int64_t i = 0; i < rowTiles; ++i)
      for (int64_t j = 0; j < steps; ++j)
        tiles.push_back(laneTile(
            at, lane, offset(m0, i * kMMARows), offset(n0, j * kMMACols),
            /*readsA=*/j == 0, i * kMMARows, j * kMMACols));
    return tiles;
  }

  /// A row tile's first step (`readsA`) is the one A is read for: its
  /// gathered rows' source rows are read only there (staged, by the copy
  /// instead). (tileM, tileN): the step's place in the workgroup tiles.
  LaneTile laneTile(ImplicitLocOpBuilder &at, Value lane, Value m0, Value n0,
                    bool readsA, int64_t tileM, int64_t tileN) {
    LaneTile t;
    Value group = arith::DivUIOp::create(at, lane, index(at, 4));
    Value inGroup = arith::RemUIOp::create(at, lane, index(at, 4));
    Value twoT = arith::MulIOp::create(at, inGroup, index(at, 2));
    t.kLane =
        wideLoads
            ? arith::MulIOp::create(at, inGroup, index(at, width)).getResult()
        : mma.perRegister() == 2 ? twoT
                                 : inGroup;
    t.r0 = arith::AddIOp::create(at, m0, group);
    t.r1 = arith::AddIOp::create(at, t.r0, index(at, 8));
    t.in0 = arith::CmpIOp::create(at, arith::CmpIPredicate::ult, t.r0, rows);
    t.in1 = arith::CmpIOp::create(at, arith::CmpIPredicate::ult, t.r1, rows);
    Value last = arith::SubIOp::create(at, rows, index(at, 1));
    t.row0 = arith::SelectOp::create(at, t.in0, t.r0, last);
    t.row1 = arith::SelectOp::create(at, t.in1, t.r1, last);
    if (sharedA) {
      t.lane = lane;
      t.tileA = index(at, tileM);
      t.tileB = arith::AddIOp::create(at, bRowBase, index(at, tileN));
      t.tileRow0 = arith::AddIOp::create(at, group, index(at, tileM));
      t.tileRow1 = arith::AddIOp::create(at, t.tileRow0, index(at, 8));
      t.tileWeightRow = arith::AddIOp::create(
          at, arith::AddIOp::create(at, bRowBase, index(at, tileN)), group);
    } else if (!rowIndices) {
      t.aRow0 = t.row0;
      t.aRow1 = t.row1;
    } else if (readsA) {
      // Read once per tile, outside the K loop.
      auto sourceRow = [&](Value row) -> Value {
        Value i = memref::LoadOp::create(at, rowIndices, ValueRange{row});
        return arith::IndexCastOp::create(at, at.getIndexType(), i);
      };
      t.aRow0 = sourceRow(t.row0);
      t.aRow1 = sourceRow(t.row1);
    }
    t.col = arith::AddIOp::create(at, n0, twoT);
    t.weightRow = arith::AddIOp::create(at, n0, group);
    return t;
  }

  /// c0 c1 (row g), c2 c3 (row g + 8), at columns 2t, 2t + 1 of C (or of
  /// `out`, another warp's C).
  SmallVector<Value> loadAcc(ImplicitLocOpBuilder &at, const LaneTile &t,
                             Value out = Value()) {
    SmallVector<Value> acc;
    for (Value row : {t.row0, t.row1}) {
      Value pair = vector::LoadOp::create(
          at, accType, out ? out : c, ValueRange{row, t.col},
          /*nontemporal=*/false, llvm::MaybeAlign(8));
      for (int64_t i = 0; i < 2; ++i)
        acc.push_back(vector::ExtractOp::create(at, pair, i));
    }
    return acc;
  }

  /// One 32-bit register of A or B: e neighbouring elements of a row.
  Value loadRegister(ImplicitLocOpBuilder &at, Value buffer, Value row,
                     Value col) {
    return vector::LoadOp::create(at, regType, buffer, ValueRange{row, col},
                                  /*nontemporal=*/false, llvm::MaybeAlign(4));
  }

  /// The lane's K columns in the step at k0: e t, and half a step further.
  std::pair<Value, Value> laneColumns(ImplicitLocOpBuilder &at,
                                      const LaneTile &t, Value k0) {
    Value k = arith::AddIOp::create(at, k0, t.kLane);
    return {k, arith::AddIOp::create(at, k, index(at, mma.stepDepth() / 2))};
  }

  /// With wide loads: `width` elements of a row at k, as registers
  /// (e elements each).
  SmallVector<Value> loadRowRegisters(ImplicitLocOpBuilder &at, Value buffer,
                                      Value row, Value k) {
    int64_t e = mma.perRegister();
    int64_t bytes = width * mma.inputType.getIntOrFloatBitWidth() / 8;
    Value run = vector::LoadOp::create(
        at, VectorType::get({width}, mma.inputType), buffer, ValueRange{row, k},
        /*nontemporal=*/false, llvm::MaybeAlign(bytes));
    // Shuffles, which the NVVM lowering takes as they are (it has no
    // pattern for vector.extract_strided_slice).
    SmallVector<Value> regs;
    for (int64_t i = 0; i < width; i += e)
      regs.push_back(vector::ShuffleOp::create(
          at, run, run, llvm::to_vector(llvm::seq<int64_t>(i, i + e))));
    return regs;
  }

  /// `matrices` 8 x 8 matrices of 16-bit pairs (16 bytes a row) of the
  /// workgroup tile `tile` at K step k0, as ldmatrix loads them: lane s
  /// supplies the address of matrix s / 8's row, row `base` + s % `rows`
  /// of the tile at the K step's half s / `rows` % 2 (its 16 bytes), and
  /// lane l's register i is the 4 bytes l % 4 of matrix i's row l / 4. On
  /// the GPU one nvgpu.ldmatrix; emulated, each register loaded from the
  /// row its source lane 8 i + l / 4 names (the instruction's lane map,
  /// checked).
  SmallVector<Value> loadMatrices(ImplicitLocOpBuilder &at, Value tile,
                                  const LaneTile &t, Value k0, int64_t matrices,
                                  Value base, int64_t rows) {
    int64_t half = mma.stepDepth() / 2, e = mma.perRegister();
    // Lane s's row and column.
    auto address = [&](Value s) -> std::pair<Value, Value> {
      Value row = arith::AddIOp::create(
          at, base, arith::RemUIOp::create(at, s, index(at, rows)));
      Value kHalf = arith::RemUIOp::create(
          at, arith::DivUIOp::create(at, s, index(at, rows)), index(at, 2));
      Value col = arith::AddIOp::create(
          at, k0, arith::MulIOp::create(at, kHalf, index(at, half)));
      return {row, tileColumn(at, row, col)};
    };
    SmallVector<Value> regs;
    if (!emulated) {
      auto [row, col] = address(t.lane);
      Value loaded = nvgpu::LdMatrixOp::create(
          at, VectorType::get({matrices, e}, mma.inputType), tile,
          ValueRange{row, col}, /*transpose=*/false, matrices);
      for (int64_t i = 0; i < matrices; ++i)
        regs.push_back(vector::ExtractOp::create(at, loaded, i));
      return regs;
    }
    Value group = arith::DivUIOp::create(at, t.lane, index(at, 4));
    Value inRow = arith::MulIOp::create(
        at, arith::RemUIOp::create(at, t.lane, index(at, 4)), index(at, e));
    for (int64_t i = 0; i < matrices; ++i) {
      auto [row, col] =
          address(arith::AddIOp::create(at, group, index(at, 8 * i)));
      regs.push_back(
          loadRegister(at, tile, row, arith::AddIOp::create(at, col, inRow)));
    }
    return regs;
  }

  /// A's 4 registers per mma step of a K step ({a0 a1} {a2 a3} {a4 a5}
  /// {a6 a7}; TF32 a0 .. a3): rows g, g + 8, g, g + 8. The ISA's scheme:
  /// the lane's first K column twice, then its second. Wide loads: the
  /// lane's run of its two rows at k0 + width t, registers R0, R1, ... of
  /// each; mma step s takes R(2s) as its first half of K and R(2s + 1) as
  /// its second. An mma step sums over the K its lanes hold, whichever
  /// they are: B's registers are taken from B's rows the same way (loadB),
  /// so each product pairs A and B at the same K, and the K step's mma
  /// steps take each of its K columns once.
  SmallVector<Value> loadA(ImplicitLocOpBuilder &at, const LaneTile &t,
                           Value k0) {
    // Staged: the rows in A's workgroup tile, k0 within the K tile.
    if (sharedA && ldmatrix)
      // Lane s names row s % 16 of the row tile, K half s / 16: the four
      // 8 x 8 matrices are a0 .. a3 of the ISA's A fragment.
      return loadMatrices(at, sharedA, t, k0, /*matrices=*/4, t.tileA,
                          /*rows=*/16);
    Value from = sharedA ? sharedA : a;
    Value aRow0 = sharedA ? t.tileRow0 : t.aRow0;
    Value aRow1 = sharedA ? t.tileRow1 : t.aRow1;
    if (wideLoads) {
      Value k = arith::AddIOp::create(at, k0, t.kLane);
      SmallVector<Value> row0 = loadRowRegisters(at, from, aRow0, k);
      SmallVector<Value> row1 = loadRowRegisters(at, from, aRow1, k);
      SmallVector<Value> regs;
      for (int64_t s = 0; 2 * s < static_cast<int64_t>(row0.size()); ++s)
        regs.append(
            {row0[2 * s], row1[2 * s], row0[2 * s + 1], row1[2 * s + 1]});
      return regs;
    }
    auto [k, kHalf] = laneColumns(at, t, k0);
    return {loadRegister(at, from, aRow0, k), loadRegister(at, from, aRow1, k),
            loadRegister(at, from, aRow0, kHalf),
            loadRegister(at, from, aRow1, kHalf)};
  }

  /// B's 2 registers per mma step of a K step ({b0 b1} {b2 b3}; TF32 b0
  /// b1) from column g (a row of the weights): the ISA's scheme, the
  /// lane's two K columns; wide loads, the run at k0 + width t, R(2s) and
  /// R(2s + 1) for mma step s (as loadA).
  SmallVector<Value> loadB(ImplicitLocOpBuilder &at, const LaneTile &t,
                           Value k0) {
    if (sharedB && ldmatrix)
      // Lane s (of the first 16) names row s % 8 of the 8-column step's B
      // rows, K half s / 8: the two matrices are b0 and b1.
      return loadMatrices(at, sharedB, t, k0, /*matrices=*/2, t.tileB,
                          /*rows=*/8);
    Value from = sharedB ? sharedB : w;
    Value row = sharedB ? t.tileWeightRow : t.weightRow;
    if (wideLoads)
      return loadRowRegisters(at, from, row,
                              arith::AddIOp::create(at, k0, t.kLane));
    auto [k, kHalf] = laneColumns(at, t, k0);
    return {loadRegister(at, from, row, k), loadRegister(at, from, row, kHalf)};
  }

  void storeAcc(ImplicitLocOpBuilder &at, const LaneTile &t, ValueRange acc,
                Value out = Value()) {
    Value outRows[2] = {t.r0, t.r1}, inRows[2] = {t.in0, t.in1};
    if (!out)
      out = c;
    for (int64_t i = 0; i < 2; ++i) {
      Value pair = vector::FromElementsOp::create(
          at, accType, ValueRange{acc[2 * i], acc[2 * i + 1]});
      Value row = outRows[i];
      scf::IfOp::create(at, inRows[i], [&](OpBuilder &then, Location loc) {
        vector::StoreOp::create(then, loc, pair, out, ValueRange{row, t.col},
                                /*nontemporal=*/false, llvm::MaybeAlign(8));
        scf::YieldOp::create(then, loc);
      });
    }
  }

  /// D = A B + C for one step, each element read from the lane and
  /// register the PTX ISA puts it in, written independently of laneTile as
  /// the inverse map (e elements per register, h = 4 e half the step's K):
  /// A[r][k] in lane 4 (r % 8) + (k % h) / e, register 2 (k / h) + r / 8;
  /// B[k][n] in lane 4 n + (k % h) / e, register k / h; the register's
  /// element k % e. C[r][n] in lane 4 (r % 8) + n / 2, register
  /// 2 (r / 8) + n % 2.
  void emulateStep(ImplicitLocOpBuilder &at, Value aRegs, Value aTile,
                   Value bRegs, Value bStep, Value accRegs, Value accTile) {
    int64_t e = mma.perRegister(), h = mma.stepDepth() / 2;
    auto div = [&](ImplicitLocOpBuilder &x, Value v, int64_t d) -> Value {
      return arith::DivUIOp::create(x, v, index(x, d));
    };
    auto rem = [&](ImplicitLocOpBuilder &x, Value v, int64_t d) -> Value {
      return arith::RemUIOp::create(x, v, index(x, d));
    };
    auto mul = [&](ImplicitLocOpBuilder &x, Value v, int64_t f) -> Value {
      return arith::MulIOp::create(x, v, index(x, f));
    };
    auto add = [&](ImplicitLocOpBuilder &x, Value u, Value v) -> Value {
      return arith::AddIOp::create(x, u, v);
    };
    // Element k % e of a register as the tensor core takes it, in f32
    // (split TF32: the f32 element, split below).
    auto element = [&](ImplicitLocOpBuilder &x, Value reg, Value k) -> Value {
      if (split)
        return vector::ExtractOp::create(x, reg, 0);
      if (mma.isTF32())
        return roundToTF32(x, vector::ExtractOp::create(x, reg, 0));
      Value odd = arith::CmpIOp::create(x, arith::CmpIPredicate::ne,
                                        rem(x, k, 2), index(x, 0));
      Value v =
          arith::SelectOp::create(x, odd, vector::ExtractOp::create(x, reg, 1),
                                  vector::ExtractOp::create(x, reg, 0));
      return arith::ExtFOp::create(x, x.getF32Type(), v);
    };
    forLoop(at, 0, kMMARows, 1, [&](ImplicitLocOpBuilder &rb, Value r) {
      forLoop(rb, 0, kMMACols, 1, [&](ImplicitLocOpBuilder &x, Value n) {
        Value laneC = add(x, mul(x, rem(x, r, 8), 4), div(x, n, 2));
        Value regC = add(x, mul(x, div(x, r, 8), 2), rem(x, n, 2));
        Value c0 = memref::LoadOp::create(x, accRegs,
                                          ValueRange{accTile, laneC, regC});
        auto sum = scf::ForOp::create(
            x, index(x, 0), index(x, mma.stepDepth()), index(x, 1),
            ValueRange{c0},
            [&](OpBuilder &nested, Location loc, Value k, ValueRange acc) {
              ImplicitLocOpBuilder kx(loc, nested);
              Value kLane = div(kx, rem(kx, k, h), e);
              Value laneA = add(kx, mul(kx, rem(kx, r, 8), 4), kLane);
              Value regA = add(kx, mul(kx, div(kx, k, h), 2), div(kx, r, 8));
              Value laneB = add(kx, mul(kx, n, 4), kLane);
              Value regB = div(kx, k, h);
              Value av = element(kx,
                                 memref::LoadOp::create(
                                     kx, aRegs, ValueRange{aTile, laneA, regA}),
                                 k);
              Value bv = element(kx,
                                 memref::LoadOp::create(
                                     kx, bRegs, ValueRange{bStep, laneB, regB}),
                                 k);
              auto product = [&](Value u, Value v) -> Value {
                return arith::MulFOp::create(kx, u, v);
              };
              Value next = acc[0];
              if (split) {
                // The products of the GPU's three steps, small ones first
                // (added per element here, per step there).
                TF32Parts pa = splitToTF32(kx, av), pb = splitToTF32(kx, bv);
                next = arith::AddFOp::create(kx, next,
                                             product(pa.small, pb.cross));
                next = arith::AddFOp::create(kx, next,
                                             product(pa.cross, pb.small));
                av = pa.big;
                bv = pb.big;
              }
              next = arith::AddFOp::create(kx, next, product(av, bv));
              scf::YieldOp::create(kx, next);
            });
        memref::StoreOp::create(x, sum.getResult(0), accRegs,
                                ValueRange{accTile, laneC, regC});
      });
    });
  }

  /// `v` with its low 13 mantissa bits cleared (TF32's 10 kept), rounded
  /// to nearest with ties away from zero as cvt.rna.tf32.f32 rounds (add
  /// half of the dropped bits' weight to the magnitude first), or
  /// truncated; infinities stay, NaNs stay NaNs. Also whether `v` is
  /// finite. Integer ops rather than cvt.rna, with which ptxas spilled more
  /// on sm_80; the GPU lanes and the emulator use this same code.
  static std::pair<Value, Value> clearToTF32(ImplicitLocOpBuilder &x, Value v,
                                             bool roundToNearest) {
    Type i32 = x.getI32Type();
    auto constant = [&](uint32_t c) -> Value {
      return arith::ConstantIntOp::create(x, i32, static_cast<int32_t>(c));
    };
    Value bits = arith::BitcastOp::create(x, i32, v);
    Value exponentBits = constant(0x7F800000);
    Value exponent = arith::AndIOp::create(x, bits, exponentBits);
    Value finite = arith::CmpIOp::create(x, arith::CmpIPredicate::ne, exponent,
                                         exponentBits);
    Value kept = arith::AndIOp::create(
        x,
        roundToNearest ? arith::AddIOp::create(x, bits, constant(0x1000))
                       : bits,
        constant(0xFFFFE000));
    Value nan = arith::CmpFOp::create(x, arith::CmpFPredicate::UNO, v, v);
    Value special = arith::SelectOp::create(x, nan, constant(0x7FFFE000), bits);
    return {arith::BitcastOp::create(
                x, x.getF32Type(),
                arith::SelectOp::create(x, finite, kept, special)),
            finite};
  }
  /// `v` rounded to TF32 as cvt.rna.tf32.f32 rounds. Products of two such
  /// values are exact in f32.
  static Value roundToTF32(ImplicitLocOpBuilder &x, Value v) {
    return clearToTF32(x, v, /*roundToNearest=*/true).first;
  }

  /// The parts of an f32 `v` for split TF32 (CUTLASS's 3xTF32): big, v
  /// truncated to TF32 (so it cannot round past the largest f32), and
  /// small, the TF32 rounding of v - big (exact in f32): big + small keeps
  /// 21 or more of v's 24 bits, and the three products of the split steps
  /// (all but small x small) have about f32's accuracy. `cross` is big
  /// where v is finite and 0 where not, for the steps with the other
  /// operand's small part (so an infinity reaches the sum through big x big
  /// only, as in f32, never as small x inf = NaN); small is 0 there. A NaN
  /// stays NaN in big.
  struct TF32Parts {
    Value big, small, cross;
  };
  static TF32Parts splitToTF32(ImplicitLocOpBuilder &x, Value v) {
    auto [big, finite] = clearToTF32(x, v, /*roundToNearest=*/false);
    Value zero = arith::ConstantOp::create(x, x.getF32FloatAttr(0.0f));
    Value rest = roundToTF32(x, arith::SubFOp::create(x, v, big));
    return {big, arith::SelectOp::create(x, finite, rest, zero),
            arith::SelectOp::create(x, finite, big, zero)};
  }

  ImplicitLocOpBuilder &b;
  linalg::LinalgOp op;
  const WarpMMAContraction &mma;
  int64_t numWarps; // of the warp loop
  bool emulated;    // the CPU form (staged copies synchronous)
  bool ldmatrix;    // staged fragments read by ldmatrix
  bool split;       // split TF32: three m16n8k8 steps per step
  VectorType regType, accType;
  Value a, rowIndices, w, c, rows; // rowIndices: for gathered rows only
  int64_t steps;                   // 8-column steps sharing an A fragment
  int64_t rowTiles;                // 16-row tiles sharing a B fragment
  int64_t width; // elements of a row a lane loads at once; 0: registers
  bool wideLoads = false; // the scheme being emitted (bySchemes)
  // Staging (stage-bytes): the K tile (elements; 0: not staged) and its
  // rows' padding; the workgroup tiles of the warp being emitted, and the
  // first row of its B tile.
  int64_t kTile = 0, tilePad = 0;
  int64_t stages; // of tiles (copiesAhead)
  Value sharedA, sharedB, bRowBase;
  // wgmma: whether the warpgroups run it; the buffer's address (index; on
  // the GPU its shared-window address) and the bytes before its first
  // 1024-byte boundary, where the tiles start; the bound stage's offset.
  bool warpgroups = false;
  Value tilesAddress, tileBase, stageOffset;
  static constexpr int64_t kMaxTiles = 16;
  /// The lanes a K step's columns are dealt to (t = lane % 4).
  static constexpr int64_t kLanesAlongK = 4;
  static constexpr int64_t kRegisterBudget = 40;
  /// What a thread copies into workgroup memory at once; the workgroup
  /// memory a warp loop's stages may take: with two, 80 KB lets two blocks
  /// share an SM on sm_80 (164 KB) and sm_90 (228 KB), as `.minnctapersm
  /// 2` plans for registers; with more (copies further ahead, for one
  /// block an SM) 160 KB, within both chips' limit for one block (past 48
  /// KB it is dynamic: hmoe-map-forall-to-gpu).
  static constexpr int64_t kChunkBytes = 16;
  int64_t maxWorkgroupBytes() const {
    return stages == 2 ? 80 * 1024 : 160 * 1024;
  }
  /// A warpgroup's warps (wgmma's 64 rows, 16 a warp); its K tiles' row
  /// (the 128-byte swizzle's span: 8 rows of it repeat the pattern every
  /// 1024 bytes, where the tiles must start).
  static constexpr int64_t kWarpgroupWarps = 4;
  static constexpr int64_t kWarpgroupTileBytes = 128;
  static constexpr int64_t kWarpgroupAlign = 1024;
  /// The smallest K tile: one K step of bf16/f16 (16) or TF32 (8).
public:
  static constexpr int64_t kMinStageBytes = 32;
};

/// Whether `buffer` is a matrix whose rows are contiguous (and, for runs
/// of more than one element, whose static row stride keeps runs of `run`
/// elements aligned to `run` times the element size): then, from a base address
/// so aligned, every register or accumulator pair the lanes read or write
/// (columns and column offsets in the views the pipeline makes are multiples of
/// `run`) is one aligned access.
bool alignedRuns(Value buffer, int64_t run) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || type.getRank() != 2)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  if (strides[1] != 1)
    return false;
  // Single elements are aligned wherever a row starts.
  if (run == 1)
    return true;
  return !ShapedType::isDynamic(strides[0]) && strides[0] % run == 0 &&
         (ShapedType::isDynamic(offset) || offset % run == 0);
}

/// The warp loop becomes a loop over its warps' threads (linear), each
/// thread running its warp's iteration as one lane; emulated, a loop over
/// the warps, each running its 32 lanes in turn. Both rebuild the warp
/// loop's induction variable and clone its body the same way.
LogicalResult lowerWarpLoop(RewriterBase &rewriter, scf::ForallOp warps,
                            const HMoEWarpContractionsToMMAOptions &options) {
  bool emulate = options.emulate;
  if (warps.getNumResults() != 0)
    return warps.emitOpError("must be bufferized before its contraction is "
                             "lowered to mma.sync");
  std::optional<int64_t> trips;
  if (warps.getRank() == 1)
    trips = staticTripCount(warps, 0);
  if (!trips)
    return warps.emitOpError("expected a one-dimensional loop over a static "
                             "number of warps");
  // Bufferization may leave a copy of the contraction's output tile onto
  // an identical view of it (CSE would merge the two views).
  eraseNoOpCopies(rewriter, warps);
  // Views the same for every warp (of the gathered rows' indices, say) out
  // of the loop, where staging sees that the warps share them; else it
  // depended on whether a pipeline had hoisted them (the CPU emulation's
  // had not, so its staged cases ran unstaged).
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(warps.getOperation()));
  Operation *contraction = nullptr;
  std::optional<WarpMMAContraction> matched;
  for (Operation &op : warps.getBody()->without_terminator()) {
    // f32 is matched too, to refuse it below without tf32 by name.
    if (std::optional<WarpMMAContraction> found =
            matchWarpMMAContraction(&op, /*tf32=*/true)) {
      if (contraction)
        return op.emitOpError("is a second contraction in one warp loop; "
                              "expected one");
      contraction = &op;
      matched = found;
      continue;
    }
    if (isa<linalg::LinalgOp>(op))
      return op.emitOpError(
          "in a loop over GPU warps is not a contraction an mma.sync "
          "can run; expected C[m, n] += A[m, k] * B[n, k] with f32 C, N a "
          "static multiple of 8, and bf16 or f16 A and B with K a multiple "
          "of 16 (m16n8k16) or f32 A and B with K a multiple of 8 (TF32, "
          "m16n8k8)");
    if (!isMemoryEffectFree(&op) && !isa<memref::SubViewOp>(op))
      return op.emitOpError("in a loop over GPU warps: expected only the "
                            "warp's contraction (and views)");
  }
  if (!contraction)
    return warps.emitOpError("is mapped to GPU warps but holds no "
                             "contraction; expected one for mma.sync");
  auto linalgOp = cast<linalg::LinalgOp>(contraction);
  if (!linalgOp.hasPureBufferSemantics())
    return contraction->emitOpError(
        "must be on buffers before it is lowered to mma.sync");
  const WarpMMAContraction &mma = *matched;
  if (mma.isTF32() && !options.tf32 && !options.splitTF32)
    return contraction->emitOpError(
        "has f32 operands, which tensor cores take only rounded to TF32 "
        "(10-bit mantissas); expected the tf32 option to allow it, or "
        "split-tf32 for about f32's accuracy");
  // A (or the source of its gathered rows) and B are read a register (e
  // elements) at a time, C a pair of f32.
  int64_t runs[3] = {mma.perRegister(), mma.perRegister(), 2};
  Value operands[3] = {mma.rowSource ? mma.rowSource
                                     : contraction->getOperand(0),
                       contraction->getOperand(1), contraction->getOperand(2)};
  for (auto [operand, run] : llvm::zip(operands, runs))
    if (!alignedRuns(operand, run))
      return contraction->emitOpError()
             << (operand == mma.rowSource ? "source of gathered rows"
                                          : "operand")
             << " of type " << operand.getType() << " cannot be read "
             << (run == 1 ? "by rows; expected a matrix with unit column "
                            "stride"
                          : "in aligned pairs; expected a matrix with unit "
                            "column stride and a static, even row stride");
  ImplicitLocOpBuilder b(warps.getLoc(), rewriter);
  b.setInsertionPoint(warps);
  MLIRContext *ctx = warps.getContext();
  // The block's threads share A's tile only where every warp reads the same
  // rows of A and has as many rows: the warps split N (as
  // hmoe-tile-for-gpu{tensor-cores} splits them). Else no staging.
  auto outside = [&](Value v) { return !v || warps.isDefinedOutsideOfLoop(v); };
  Value output = contraction->getOperand(2);
  bool sameRows =
      !cast<MemRefType>(output.getType()).isDynamicDim(0) || outside(output);
  if (auto view = output.getDefiningOp<memref::SubViewOp>(); !sameRows && view)
    sameRows = !view.isDynamicSize(0) || outside(view.getDynamicSize(0));
  bool sharedRows =
      outside(contraction->getOperand(0)) && outside(mma.rowSource) && sameRows;
  WarpMMAEmitter emitter(b, linalgOp, mma, options.rowTiles, options.loadBytes,
                         sharedRows ? options.stageBytes : 0, options.stages,
                         *trips, emulate, options.ldmatrix,
                         options.warpgroupMMA, options.splitTF32);
  // A warp's iteration of the loop's body but the contraction, at `at`,
  // its induction variable lb + warp * step; the emitter bound to it.
  auto cloneWarp = [&](ImplicitLocOpBuilder &at, Value warp) {
    Value iv = arith::AddIOp::create(
        at,
        getValueOrCreateConstantIndexOp(at, at.getLoc(),
                                        warps.getMixedLowerBound()[0]),
        arith::MulIOp::create(at, warp,
                              getValueOrCreateConstantIndexOp(
                                  at, at.getLoc(), warps.getMixedStep()[0])));
    IRMapping map;
    map.map(warps.getInductionVar(0), iv);
    for (Operation &op : warps.getBody()->without_terminator())
      if (&op != contraction)
        at.clone(op, map);
    emitter.bind(map);
  };
  // Staged: the block's workgroup memory for the tiles (a kernel's become
  // one buffer, hmoe-map-forall-to-gpu); emulated, a CPU buffer.
  Value tiles;
  if (emitter.isStaged()) {
    Attribute space;
    if (!emulate)
      space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    // Aligned for the 16-byte copies (a CPU stack slot is not otherwise).
    tiles = memref::AllocaOp::create(
        b,
        MemRefType::get({emitter.workgroupBytes()}, b.getI8Type(),
                        MemRefLayoutAttrInterface(), space),
        b.getI64IntegerAttr(16));
  }
  if (emulate && emitter.isStaged()) {
    cloneWarp(b, arith::ConstantIndexOp::create(b, 0));
    emitter.bindRows(b);
    emitter.emitStagedEmulated(tiles, cloneWarp);
    rewriter.eraseOp(warps);
    return success();
  }
  // The GPU: a thread per lane; emulated: a loop over the warps.
  int64_t iterations = emulate ? *trips : *trips * kWarpSize;
  Attribute mapping = emulate ? Attribute(gpu::GPUWarpMappingAttr::get(
                                    ctx, gpu::MappingId::LinearDim0))
                              : Attribute(gpu::GPUThreadMappingAttr::get(
                                    ctx, gpu::MappingId::LinearDim0));
  auto loop =
      scf::ForallOp::create(b, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
                            ArrayRef<OpFoldResult>{b.getIndexAttr(iterations)},
                            ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
                            ValueRange{}, b.getArrayAttr({mapping}));
  b.setInsertionPoint(loop.getTerminator());
  Value id = loop.getInductionVar(0), warp = id, lane;
  if (!emulate) {
    Value size = arith::ConstantIndexOp::create(b, kWarpSize);
    warp = arith::DivUIOp::create(b, id, size);
    lane = arith::RemUIOp::create(b, id, size);
  }
  cloneWarp(b, warp);
  emitter.bindRows(b);
  if (emulate)
    emitter.emitEmulated();
  else if (emitter.isWarpgroupMMA())
    emitter.emitWarpgroupLane(id, warp, lane, tiles, options.testDropBarrier,
                              cloneWarp);
  else if (emitter.isStaged())
    emitter.emitStagedLane(id, warp, lane, tiles, options.prefetch,
                           options.testDropBarrier);
  else
    emitter.emitLane(lane, options.prefetch);
  rewriter.eraseOp(warps);
  return success();
}

struct HMoEWarpContractionsToMMAPass
    : public hmoe::impl::HMoEWarpContractionsToMMABase<
          HMoEWarpContractionsToMMAPass> {
  using Base::Base;
  void runOnOperation() override {
    if (rowTiles < 1) {
      getOperation()->emitError()
          << "hmoe-warp-contractions-to-mma: row-tiles="
          << static_cast<int64_t>(rowTiles) << " must be at least 1";
      return signalPassFailure();
    }
    if (loadBytes != 4 && loadBytes != 8 && loadBytes != 16) {
      getOperation()->emitError()
          << "hmoe-warp-contractions-to-mma: load-bytes="
          << static_cast<int64_t>(loadBytes) << " must be 4, 8 or 16";
      return signalPassFailure();
    }
    if (stageBytes != 0 &&
        (stageBytes < WarpMMAEmitter::kMinStageBytes || stageBytes > 256 ||
         !llvm::isPowerOf2_64(stageBytes))) {
      getOperation()->emitError()
          << "hmoe-warp-contractions-to-mma: stage-bytes="
          << static_cast<int64_t>(stageBytes)
          << " must be 0 (not staged) or a power of two from 32 to 256";
      return signalPassFailure();
    }
    if (stages < 2 || stages > 8) {
      getOperation()->emitError()
          << "hmoe-warp-contractions-to-mma: stages="
          << static_cast<int64_t>(stages) << " must be from 2 to 8";
      return signalPassFailure();
    }
    SmallVector<scf::ForallOp> loops;
    // (A warp loop of a route is hmoe-lower-warp-routes'.)
    getOperation()->walk([&](scf::ForallOp forall) {
      if (isMappedTo<gpu::GPUWarpMappingAttr>(forall) &&
          forall.getBody()->getOps<RouteOp>().empty())
        loops.push_back(forall);
    });
    // By name: an option left off a positional list would keep its default.
    HMoEWarpContractionsToMMAOptions options;
    options.emulate = emulate;
    options.tf32 = tf32;
    options.splitTF32 = splitTF32;
    options.rowTiles = rowTiles;
    options.prefetch = prefetch;
    options.loadBytes = loadBytes;
    options.stageBytes = stageBytes;
    options.stages = stages;
    options.ldmatrix = ldmatrix;
    options.warpgroupMMA = warpgroupMMA;
    options.testDropBarrier = testDropBarrier;
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp forall : loops)
      if (failed(lowerWarpLoop(rewriter, forall, options)))
        return signalPassFailure();
  }
};
} // namespace
