//===- LowerWarpRoutes.cpp - the hmoe-lower-warp-routes pass --------------===//
//
// A route that hmoe-tile-for-gpu gave to warps becomes, for each of its
// tokens, emitRouteTokenOnWarp's code over the warp's lanes: on the GPU each
// lane a thread exchanging values by gpu.shuffle; emulated, the warp one
// vector<32> value.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOELOWERWARPROUTES
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Each lane a GPU thread (its lane index given): per-lane values are its
/// scalars.
class GPUWarpLanes : public WarpLanes {
public:
  explicit GPUWarpLanes(Value lane) : lane(lane) {}
  bool vectors() const override { return false; }
  Value laneId(ImplicitLocOpBuilder &) override { return lane; }
  Value shuffleXor(ImplicitLocOpBuilder &b, Value v, int64_t mask) override {
    // gpu.shuffle moves 32-bit values.
    Type type = v.getType();
    Type i32 = b.getI32Type();
    Value word = v;
    if (type.isIndex())
      word = arith::IndexCastOp::create(b, i32, v);
    else if (type.isInteger(1))
      word = arith::ExtUIOp::create(b, i32, v);
    Value got =
        gpu::ShuffleOp::create(b, word, mask, kSize, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    if (type.isIndex())
      return arith::IndexCastOp::create(b, type, got);
    if (type.isInteger(1))
      return arith::TruncIOp::create(b, type, got);
    return got;
  }
  Value uniform(ImplicitLocOpBuilder &, Value v) override { return v; }
  Value loadRow(ImplicitLocOpBuilder &b, Value buffer, ValueRange lead,
                Value base) override {
    return memref::LoadOp::create(b, buffer, indices(b, lead, base));
  }
  void storeRow(ImplicitLocOpBuilder &b, Value v, Value buffer, ValueRange lead,
                Value base) override {
    memref::StoreOp::create(b, v, buffer, indices(b, lead, base));
  }

private:
  SmallVector<Value> indices(ImplicitLocOpBuilder &b, ValueRange lead,
                             Value base) {
    SmallVector<Value> at(lead);
    at.push_back(arith::AddIOp::create(b, base, lane));
    return at;
  }
  Value lane;
};

/// The whole warp as one vector<32> per value, lane i its element i.
class EmulatedWarpLanes : public WarpLanes {
public:
  bool vectors() const override { return true; }
  Value laneId(ImplicitLocOpBuilder &b) override {
    auto type = VectorType::get({kSize}, b.getI32Type());
    return arith::ConstantOp::create(
        b, DenseIntElementsAttr::get(
               type, llvm::to_vector(llvm::seq<int32_t>(0, kSize))));
  }
  Value shuffleXor(ImplicitLocOpBuilder &b, Value v, int64_t mask) override {
    SmallVector<int64_t> from;
    for (int64_t lane = 0; lane < kSize; ++lane)
      from.push_back(lane ^ mask);
    return vector::ShuffleOp::create(b, v, v, from);
  }
  /// Lane 0's `v`, asserting that every lane holds the same: the GPU form
  /// takes each lane's own, so lanes that disagree would store different
  /// choices there while a read of lane 0 alone still matched the
  /// reference.
  Value uniform(ImplicitLocOpBuilder &b, Value v) override {
    Value first = vector::ExtractOp::create(b, v, 0);
    Value firstEverywhere = vector::BroadcastOp::create(b, v.getType(), first);
    Value same;
    if (auto type = dyn_cast<VectorType>(v.getType());
        type && isa<FloatType>(type.getElementType())) {
      // Bit for bit, but NaN for any NaN (a sum of NaNs keeps either's).
      auto bits = VectorType::get(
          type.getShape(),
          b.getIntegerType(type.getElementType().getIntOrFloatBitWidth()));
      same = arith::OrIOp::create(
          b,
          arith::CmpIOp::create(
              b, arith::CmpIPredicate::eq, arith::BitcastOp::create(b, bits, v),
              arith::BitcastOp::create(b, bits, firstEverywhere)),
          arith::AndIOp::create(
              b, arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, v, v),
              arith::CmpFOp::create(b, arith::CmpFPredicate::UNO,
                                    firstEverywhere, firstEverywhere)));
    } else {
      same = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, v,
                                   firstEverywhere);
    }
    cf::AssertOp::create(
        b, vector::ReductionOp::create(b, vector::CombiningKind::AND, same),
        "hmoe-lower-warp-routes{emulate}: the lanes of a warp disagree on a "
        "route's winner, which every lane must hold");
    return first;
  }
  Value loadRow(ImplicitLocOpBuilder &b, Value buffer, ValueRange lead,
                Value base) override {
    Type elem = cast<MemRefType>(buffer.getType()).getElementType();
    SmallVector<Value> at(lead);
    at.push_back(base);
    return vector::LoadOp::create(b, VectorType::get({kSize}, elem), buffer,
                                  at);
  }
  void storeRow(ImplicitLocOpBuilder &b, Value v, Value buffer, ValueRange lead,
                Value base) override {
    SmallVector<Value> at(lead);
    at.push_back(base);
    vector::StoreOp::create(b, v, buffer, at);
  }
};

/// Replaces `route` by a loop over its tokens, each routed by all the
/// warp's lanes together.
LogicalResult lowerRoute(RewriterBase &rewriter, RouteOp route,
                         WarpLanes &lanes) {
  if (!route.hasPureBufferSemantics())
    return route.emitOpError("must be bufferized before a warp routes it (it "
                             "still has tensor operands)");
  if (!fitsWarpRoute(route))
    return route.emitOpError("is in a loop over GPU warps, but one warp "
                             "cannot route it: expected one gate over a "
                             "multiple of ")
           << WarpLanes::kSize << " experts, at most " << kMaxWarpRouteExperts
           << ", in at most " << kMaxWarpRouteGroups << " groups, with at most "
           << kMaxWarpRouteSelections << " selections (top-k and group top-m "
           << "winners)";
  ImplicitLocOpBuilder b(route.getLoc(), rewriter);
  b.setInsertionPoint(route);
  Value tokens = memref::DimOp::create(b, route.getWeightsInit(), 0);
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  LogicalResult emitted = success();
  scf::ForOp::create(b, zero, tokens, one, ValueRange{},
                     [&](OpBuilder &nested, Location loc, Value t, ValueRange) {
                       emitted =
                           emitRouteTokenOnWarp(nested, loc, route, t, lanes);
                       scf::YieldOp::create(nested, loc);
                     });
  if (failed(emitted))
    return route.emitOpError("could not be routed on a warp");
  rewriter.eraseOp(route);
  return success();
}

/// The GPU: `warps` (a loop over warps holding `route`) as a loop over
/// their threads, each with its warp's iteration and its lane, `route`
/// lowered in it (as hmoe-warp-contractions-to-mma's loops).
LogicalResult lowerWarpLoopOnThreads(RewriterBase &rewriter,
                                     scf::ForallOp warps, RouteOp route) {
  std::optional<int64_t> trips = staticTripCount(warps, 0);
  // (Its iteration is the warp's index: from 0 by 1.)
  if (warps.getRank() != 1 || !trips || !warps.isNormalized() ||
      warps.getNumResults() != 0)
    return warps.emitOpError("is a loop over GPU warps holding a route; "
                             "expected one dimension from 0 by 1, a static "
                             "trip count and no results");
  ImplicitLocOpBuilder b(warps.getLoc(), rewriter);
  b.setInsertionPoint(warps);
  auto threads = scf::ForallOp::create(
      b, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(*trips * WarpLanes::kSize)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)}, ValueRange{},
      b.getArrayAttr({gpu::GPUThreadMappingAttr::get(
          b.getContext(), gpu::MappingId::LinearDim0)}));
  b.setInsertionPoint(threads.getTerminator());
  Value id = threads.getInductionVar(0);
  Value size = arith::ConstantIndexOp::create(b, WarpLanes::kSize);
  IRMapping map;
  map.map(warps.getInductionVar(0), arith::DivUIOp::create(b, id, size));
  Value lane = arith::RemUIOp::create(b, id, size);
  for (Operation &op : warps.getBody()->without_terminator())
    b.clone(op, map);
  auto threadRoute = cast<RouteOp>(map.lookup(route.getOperation()));
  rewriter.eraseOp(warps);
  GPUWarpLanes lanes(lane);
  return lowerRoute(rewriter, threadRoute, lanes);
}

struct HMoELowerWarpRoutesPass
    : public hmoe::impl::HMoELowerWarpRoutesBase<HMoELowerWarpRoutesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<std::pair<scf::ForallOp, RouteOp>> routes;
    WalkResult walk = getOperation()->walk([&](RouteOp route) {
      auto loop = route->getParentOfType<scf::ForallOp>();
      if (!loop || !isMappedTo<gpu::GPUWarpMappingAttr>(loop))
        return WalkResult::advance();
      // (The GPU form rebuilds the loop around its one route.)
      if (!routes.empty() && routes.back().first == loop) {
        loop.emitOpError("is a loop over GPU warps holding two routes; "
                         "expected one (hmoe-tile-for-gpu gives each its "
                         "own)");
        return WalkResult::interrupt();
      }
      routes.emplace_back(loop, route);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    EmulatedWarpLanes emulated;
    for (auto [warps, route] : routes) {
      LogicalResult lowered =
          emulate ? lowerRoute(rewriter, route, emulated)
                  : lowerWarpLoopOnThreads(rewriter, warps, route);
      if (failed(lowered))
        return signalPassFailure();
    }
  }
};
} // namespace
