//===- RoutingTree.cpp - the routing tree of a layer's levels -------------===//
//
// verifyRoutingTree: the tree that a strategy, its gates and their level
// operands describe (fan-outs, groups, experts), with a diagnostic for
// each inconsistency, or silently for getRoutingTree.
//
//===----------------------------------------------------------------------===//

#include "VerifyHelpers.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

using namespace mlir;
using namespace mlir::hmoe;
using namespace mlir::hmoe::detail;

FailureOr<RoutingTree>
mlir::hmoe::verifyRoutingTree(Operation *op, StrategyAttr strategy,
                              ArrayRef<GateAttr> gates, TypeRange levelTypes,
                              LevelOperand operand, int64_t extent) {
  // Diagnostics at `op`, or none when it is null (getRoutingTree).
  auto error = [&]() { return op ? op->emitOpError() : InFlightDiagnostic(); };
  bool isWeight = operand == LevelOperand::GateWeight;
  StringRef what = isWeight ? "gate weight" : "logits";
  StringRef extentName = isWeight ? "D" : "T";
  // Full operand shape for the node dims `nodes`.
  auto fullShape = [&](ArrayRef<int64_t> nodes) {
    SmallVector<int64_t> shape;
    if (!isWeight)
      shape.push_back(extent);
    llvm::append_range(shape, nodes);
    if (isWeight)
      shape.push_back(extent);
    return shape;
  };

  if (gates.empty())
    return error() << "needs at least one routing level";
  if (gates.size() != levelTypes.size())
    return error() << "has " << gates.size() << " gates but "
                   << levelTypes.size() << " " << what
                   << " operands; expected one per level";

  SmallVector<ArrayRef<int64_t>> nodeShapes;
  for (auto [l, type] : llvm::enumerate(levelTypes)) {
    auto tensor = cast<ShapedType>(type);
    ArrayRef<int64_t> shape = tensor.getShape();
    if (shape.size() < 2)
      return error() << "level " << l + 1 << " " << what
                     << " must have rank >= 2; got " << tensor;
    // Weights have exactly the static D; logits a T that agrees with T.
    int64_t ext = isWeight ? shape.back() : shape.front();
    if (isWeight ? ext != extent : !compatibleDim(ext, extent))
      return error() << "level " << l + 1 << " " << what << " has shape "
                     << shapeStr(shape) << "; its " << extentName
                     << " dim must be " << dimStr(extent);
    ArrayRef<int64_t> nodes = isWeight ? shape.drop_back() : shape.drop_front();
    if (llvm::any_of(nodes, ShapedType::isDynamic))
      return error() << "level " << l + 1 << " " << what << " has shape "
                     << shapeStr(shape) << "; fan-out dims must be static";
    nodeShapes.push_back(nodes);
  }

  RoutingTree tree;
  if (strategy.isNested()) {
    tree.numChosen = 1;
    tree.numExperts = 1;
    for (auto [l, nodes] : llvm::enumerate(nodeShapes)) {
      int64_t fanout = nodes.back();
      bool shared = nodes.size() == 1;
      bool perNode = nodes.size() == l + 1 &&
                     nodes.drop_back() == ArrayRef<int64_t>(tree.fanout);
      if (!shared && !perNode) {
        SmallVector<int64_t> perNodeShape(tree.fanout);
        perNodeShape.push_back(fanout);
        return error() << "level " << l + 1 << " " << what << " has shape "
                       << shapeStr(fullShape(nodes)) << "; expected "
                       << shapeStr(fullShape(perNodeShape))
                       << " (one gate per node of the level above) or "
                       << shapeStr(fullShape({fanout}))
                       << " (one gate shared by the level)";
      }
      if (fanout < 1)
        return error() << "level " << l + 1 << " has no children";
      int64_t k = gates[l].getK();
      if (k > fanout)
        return error() << "level " << l + 1 << " gate chooses k = " << k
                       << " of only " << fanout
                       << " children; expected k <= " << fanout;
      FailureOr<int64_t> experts =
          checkedProduct(tree.numExperts, fanout, kMaxExperts);
      if (failed(experts))
        return error()
               << "has more than " << kMaxExperts << " experts after level "
               << l + 1
               << "; expected at most 2^31 - 1 (expert indices are i32)";
      tree.fanout.push_back(fanout);
      tree.numExperts = *experts;
      // k <= fanout at every level, so K <= E.
      tree.numChosen *= k;
    }
    tree.numGroups = tree.fanout.front();
    return tree;
  }

  StringRef name = stringifyStrategyKind(strategy.getKind());
  if (nodeShapes.size() != 1)
    return error() << "'" << name
                   << "' routing has one gate over all experts; got "
                   << nodeShapes.size() << " levels";
  if (nodeShapes[0].size() != 1)
    return error() << what << " has shape "
                   << shapeStr(fullShape(nodeShapes[0])) << "; expected "
                   << shapeStr(fullShape({nodeShapes[0].back()}))
                   << " (one gate over all experts)";
  int64_t numExperts = nodeShapes[0][0];
  if (numExperts > kMaxExperts)
    return error()
           << "has " << numExperts
           << " experts; expected at most 2^31 - 1 (expert indices are i32)";
  int64_t groups = strategy.getGroups();
  if (numExperts < 1 || numExperts % groups != 0)
    return error() << "expected the " << numExperts
                   << " experts to divide into " << groups << " equal groups";
  int64_t perGroup = numExperts / groups;
  int64_t k = gates[0].getK();
  if (strategy.getKind() == StrategyKind::GroupLimited) {
    if (strategy.getGroupScore() == GroupScore::SumTop &&
        strategy.getTopM() > perGroup)
      return error() << "group score sum_top<" << strategy.getTopM()
                     << "> needs m <= experts per group (" << perGroup << ")";
    int64_t kept = strategy.getKGroups() * perGroup;
    if (k > kept)
      return error() << "gate chooses k = " << k << " experts but the "
                     << strategy.getKGroups() << " kept groups hold only "
                     << kept;
    tree.numChosen = k;
  } else {
    if (k > perGroup)
      return error() << "gate chooses k = " << k
                     << " experts in each group but a group holds only "
                     << perGroup;
    tree.numChosen = groups * k;
  }
  tree.fanout.push_back(numExperts);
  tree.numExperts = numExperts;
  tree.numGroups = groups;
  return tree;
}
