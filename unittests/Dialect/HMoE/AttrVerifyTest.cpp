//===- AttrVerifyTest.cpp - attribute checks the parser cannot reach ------===//
//
// The textual parser never builds these invalid attributes (it only parses
// an activation after `activation`, and `m` only after `sum_top`), but the
// C++ builders can; their verifiers must still reject them with a clear
// message.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
class AttrVerifyTest : public ::testing::Test {
protected:
  AttrVerifyTest()
      : handler(&context,
                [this](Diagnostic &diag) { messages.push_back(diag.str()); }) {
    context.loadDialect<HMoEDialect>();
  }

  // The exact parameter types of the generated getChecked overloads; other
  // types select the storage-level template, which needs the storage class.
  function_ref<InFlightDiagnostic()> emitError() { return emitErrorFn; }
  static constexpr int64_t one = 1, two = 2, four = 4;

  MLIRContext context;
  std::function<InFlightDiagnostic()> emitErrorFn = [this] {
    return mlir::emitError(UnknownLoc::get(&context));
  };
  ScopedDiagnosticHandler handler;
  std::vector<std::string> messages;
};

TEST_F(AttrVerifyTest, ActivationScoreNeedsFunction) {
  auto attr = GateAttr::getChecked(
      emitError(), &context, ScoreKind::Activation, std::optional<Activation>(),
      Normalization::Softmax, one, APFloat(1.0), true, APFloat(1.0));
  EXPECT_FALSE(attr);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "score 'activation' needs a function, e.g. "
                         "'activation<tanh>'");
}

TEST_F(AttrVerifyTest, OtherScoresTakeNoFunction) {
  auto attr = GateAttr::getChecked(emitError(), &context, ScoreKind::Laplace,
                                   std::optional<Activation>(Activation::Tanh),
                                   Normalization::Softmax, one, APFloat(1.0),
                                   true, APFloat(1.0));
  EXPECT_FALSE(attr);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "score 'laplace' takes no activation function");
}

TEST_F(AttrVerifyTest, MaxGroupScoreTakesNoM) {
  auto attr = StrategyAttr::getChecked(emitError(), &context,
                                       StrategyKind::GroupLimited, four, two,
                                       GroupScore::Max, two);
  EXPECT_FALSE(attr);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "group score 'max' takes no m");
}

TEST_F(AttrVerifyTest, ValidAttrsBuild) {
  EXPECT_TRUE(
      GateAttr::get(&context, ScoreKind::Laplace, Normalization::Softmax, 2));
  EXPECT_TRUE(StrategyAttr::get(&context, StrategyKind::Nested));
  EXPECT_TRUE(messages.empty());
}
} // namespace
