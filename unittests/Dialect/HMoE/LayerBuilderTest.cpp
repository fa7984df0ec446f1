//===- LayerBuilderTest.cpp - C++ layer specs the C API cannot express ----===//
//
// The C API checks its enum fields before building; a C++ caller hands the
// builder a LayerSpec directly, so the op's verifier must catch a value cast
// from an integer outside the enum (printed, it was an empty keyword that
// did not parse back).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/Utils/LayerBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
TEST(LayerBuilderTest, UnknownFillOrderIsAnError) {
  MLIRContext context;
  context.loadDialect<HMoEDialect, func::FuncDialect>();
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler(
      &context, [&](Diagnostic &diag) { messages.push_back(diag.str()); });
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  OpBuilder builder = OpBuilder::atBlockEnd(module->getBody());
  LayerSpec spec;
  spec.dim = 8;
  spec.strategy = StrategyAttr::get(&context, StrategyKind::Nested);
  spec.expert = ExpertAttr::get(&context, ExpertKind::Linear, std::nullopt, 0);
  spec.levels.push_back(
      {GateAttr::get(&context, ScoreKind::Linear, Normalization::Softmax, 2),
       4});
  spec.capacityFactor = 1.0;
  spec.fillOrder = static_cast<FillOrder>(99);
  EXPECT_TRUE(
      failed(buildLayerFunction(builder, UnknownLoc::get(&context), spec)));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0],
            "'hmoe.moe' op has fill order 99 and capacity rounding 0; "
            "expected a FillOrder (token_order, choice_rank, score) and a "
            "CapacityRounding (ceil, hi_moe)");
  messages.clear();
  // The same spec with a fill order builds.
  spec.fillOrder = FillOrder::Score;
  EXPECT_TRUE(
      succeeded(buildLayerFunction(builder, UnknownLoc::get(&context), spec)));
  EXPECT_TRUE(messages.empty());
}
} // namespace
