//===- RoutingLoops.h - route, dispatch and stats as scf loops --*- C++ -*-===//
//
// The scalar implementations of the routing ops on buffers: per-token
// selection logic (argmax passes, masks, products over levels), a counting
// sort and f64 sums, which linalg cannot express well. They are what
// hmoe.route's TilingInterface emits per token and what code generation
// lowers memref-form dispatch and stats to.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_DIALECT_HMOE_TRANSFORMS_ROUTINGLOOPS_H
#define HMOE_DIALECT_HMOE_TRANSFORMS_ROUTINGLOOPS_H

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::hmoe {

/// Emits the routing of token `token` of the memref-form `op` at `b`'s
/// insertion point, with its stack scratch in a `memref.alloca_scope`.
/// Fails (without a diagnostic) unless every operand is a memref.
LogicalResult emitRouteToken(OpBuilder &b, Location loc, RouteOp op,
                             Value token);

/// The same for the `lanes` tokens from `firstToken` on, routed together in
/// vector<lanes> values (the same results as `lanes` calls of
/// emitRouteToken, bit for bit).
LogicalResult emitRouteTokens(OpBuilder &b, Location loc, RouteOp op,
                              Value firstToken, int64_t lanes);

/// An upper bound of the per-token scratch elements the route's loops use
/// (the vector form keeps it for each lane).
int64_t routeScratchElements(RouteOp op);

/// A warp's 32 lanes as emitRouteTokenOnWarp uses them. A per-lane value is
/// a scalar on the GPU (each lane a thread) and a vector<32> when emulated
/// (the whole warp one vector, lane i its element i); a lane's expert
/// position is `index` on the GPU and vector<32 x i32> emulated.
class WarpLanes {
public:
  static constexpr int64_t kSize = 32;
  virtual ~WarpLanes() = default;
  /// Whether per-lane values are vector<32> (emulated).
  virtual bool vectors() const = 0;
  /// Each lane's own index.
  virtual Value laneId(ImplicitLocOpBuilder &b) = 0;
  /// Each lane gets `v` (f32, i1, i32 or a position) of lane `lane ^ mask`.
  virtual Value shuffleXor(ImplicitLocOpBuilder &b, Value v, int64_t mask) = 0;
  /// A per-lane value that every lane holds the same of, as a scalar.
  virtual Value uniform(ImplicitLocOpBuilder &b, Value v) = 0;
  /// Each lane's `buffer[lead..., base + lane]`.
  virtual Value loadRow(ImplicitLocOpBuilder &b, Value buffer, ValueRange lead,
                        Value base) = 0;
  /// Each lane's `v` into `buffer[lead..., base + lane]`.
  virtual void storeRow(ImplicitLocOpBuilder &b, Value v, Value buffer,
                        ValueRange lead, Value base) = 0;
};

/// Most experts a route on one warp takes (16 per lane, in registers).
constexpr int64_t kMaxWarpRouteExperts = 16 * WarpLanes::kSize;
/// Most groups and selections (top-k winners and group scores' top-m
/// winners, each a butterfly) of a route on one warp: its code is straight
/// line, and LLVM took minutes on a route of 64 groups with 57 kept.
constexpr int64_t kMaxWarpRouteGroups = 16;
constexpr int64_t kMaxWarpRouteSelections = 64;

/// Whether the memref- or tensor-form `op` can route a token on one warp
/// (emitRouteTokenOnWarp): one gate (a single nested level, group_limited
/// or per_group) over a multiple of 32 experts, at most
/// kMaxWarpRouteExperts, in at most kMaxWarpRouteGroups groups, with at
/// most kMaxWarpRouteSelections selections.
bool fitsWarpRoute(RouteOp op);

/// Emits the routing of token `token` of the memref-form `op` by the 32
/// lanes of one warp together: lane l holds experts l, l + 32, ... in
/// registers; maxima, sums and each top-k winner are butterfly reductions
/// over the lanes (shuffles), after which every lane holds the result. The
/// same choices as emitRouteToken (SPEC.md's order, ties to the lower
/// expert); a softmax sums in another order (last bits). Every lane stores
/// the token's choices (the same values). Fails (without a diagnostic)
/// unless fitsWarpRoute and every operand is a memref.
LogicalResult emitRouteTokenOnWarp(OpBuilder &b, Location loc, RouteOp op,
                                   Value token, WarpLanes &warp);

/// The capacity of each expert of `op` (i64) for `numAssignments` (index,
/// T * K) assignments: SPEC.md's rounding of the capacity factor, or T * K
/// (no expert can reach it) when the dispatch is dropless.
Value emitDispatchCapacity(ImplicitLocOpBuilder &b, DispatchOp op,
                           Value numAssignments);

/// Routing weight `weight` (f32) as an unsigned i32 key in the score fill
/// order: a larger weight a larger key, NaN the smallest, -0 as +0. Score
/// order keeps an expert's choices with the largest keys, equal keys in
/// token order.
Value emitFillScoreKey(ImplicitLocOpBuilder &b, Value weight);

/// Replaces the memref-form `op` by a stable two-pass counting sort with
/// the capacity limit. Fails (without a diagnostic) on tensors.
LogicalResult lowerDispatchToLoops(RewriterBase &rewriter, DispatchOp op);

/// Whether statistic `kind` is a sum over tokens of a per-token term
/// (dropped, z_loss, r_intra, r_inter).
bool isPerTokenStat(StatKind kind);

/// The per-token term (f64) of statistic `kind` for token `t` of the
/// memref-form `op`; null unless isPerTokenStat(kind).
Value emitStatTokenTerm(ImplicitLocOpBuilder &b, StatsOp op, StatKind kind,
                        Value t);

/// Expert `ex`'s load (i64, assignments) and importance (f64, summed
/// probability) over the tokens [firstToken, endToken) of `op`, summed in
/// token order (a GPU thread's share: one pass over a chunk of tokens).
std::pair<Value, Value> emitExpertLoadAndImportance(ImplicitLocOpBuilder &b,
                                                    StatsOp op, Value ex,
                                                    Value firstToken,
                                                    Value endToken);

/// Writes every statistic of `op` from the per-expert `load` (i64) and
/// `importance` (f64) buffers and `tokenSum(kind)`, the sum over tokens of
/// each per-token statistic's term (f64).
void emitStatsFromSums(ImplicitLocOpBuilder &b, StatsOp op, Value load,
                       Value importance,
                       function_ref<Value(StatKind)> tokenSum);

/// Replaces the memref-form `op` by loops that accumulate in f64. Fails
/// (without a diagnostic) on tensors.
LogicalResult lowerStatsToLoops(RewriterBase &rewriter, StatsOp op);

} // namespace mlir::hmoe

#endif // HMOE_DIALECT_HMOE_TRANSFORMS_ROUTINGLOOPS_H
