//===- ConvertTaskLoopsToOpenMP.cpp - dynamically scheduled task loops ----===//
//
// `scf.parallel` loops marked `hmoe.dynamic_tasks` become OpenMP worksharing
// loops with a dynamic schedule (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOECONVERTTASKLOOPSTOOPENMP
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// omp.parallel { omp.wsloop schedule(dynamic) { omp.loop_nest {
/// memref.alloca_scope { body } } } } in place of `loop`.
void convertToDynamicLoop(RewriterBase &rewriter, scf::ParallelOp loop) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  auto parallel = omp::ParallelOp::create(rewriter, loc);
  Block *parallelBody = rewriter.createBlock(&parallel.getRegion());
  rewriter.setInsertionPointToStart(parallelBody);
  auto terminator = omp::TerminatorOp::create(rewriter, loc);

  rewriter.setInsertionPoint(terminator);
  auto wsloop = omp::WsloopOp::create(rewriter, loc);
  wsloop.setScheduleKind(omp::ClauseScheduleKind::Dynamic);
  rewriter.createBlock(&wsloop.getRegion());
  omp::LoopNestOperands bounds;
  bounds.loopLowerBounds = llvm::to_vector(loop.getLowerBound());
  bounds.loopUpperBounds = llvm::to_vector(loop.getUpperBound());
  bounds.loopSteps = llvm::to_vector(loop.getStep());
  // Every dimension shared out (the clause defaults to 1: the first alone,
  // the rest run whole by the thread that took it). A GEMM's grid of (row
  // blocks, column blocks) at fewer than 64 rows has one row block: without
  // this one thread ran all of it.
  bounds.collapseNumLoops = rewriter.getI64IntegerAttr(loop.getNumLoops());
  auto nest = omp::LoopNestOp::create(rewriter, loc, bounds);
  SmallVector<Type> ivTypes(loop.getNumLoops(), rewriter.getIndexType());
  SmallVector<Location> ivLocs(loop.getNumLoops(), loc);
  Block *nestBody =
      rewriter.createBlock(&nest.getRegion(), {}, ivTypes, ivLocs);
  auto scope = memref::AllocaScopeOp::create(rewriter, loc, TypeRange{});
  omp::YieldOp::create(rewriter, loc);

  // The body, its scf.reduce (no operands: the loop has no reductions)
  // becoming the scope's terminator.
  Block *body = rewriter.createBlock(&scope.getBodyRegion());
  rewriter.mergeBlocks(loop.getBody(), body, nestBody->getArguments());
  Operation *reduce = body->getTerminator();
  rewriter.setInsertionPoint(reduce);
  memref::AllocaScopeReturnOp::create(rewriter, loc);
  rewriter.eraseOp(reduce);
  rewriter.eraseOp(loop);
}

struct HMoEConvertTaskLoopsToOpenMPPass
    : public hmoe::impl::HMoEConvertTaskLoopsToOpenMPBase<
          HMoEConvertTaskLoopsToOpenMPPass> {
  void runOnOperation() override {
    StringRef marker = hmoe::HMoEDialect::DynamicTasksAttrHelper::getNameStr();
    SmallVector<scf::ParallelOp> loops;
    getOperation()->walk([&](scf::ParallelOp loop) {
      if (loop->hasAttr(marker) && loop.getInitVals().empty())
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : loops)
      convertToDynamicLoop(rewriter, loop);
  }
};
} // namespace
