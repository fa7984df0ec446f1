//===- AsmDirectives.cpp - custom directives of the ops' assembly ---------===//
//
// The ops' assembly is declarative (HMoEOps.td) around these directives:
// level clauses (shared by hmoe.moe and hmoe.route), the experts clause
// (shared by hmoe.moe and hmoe.experts), shared experts, whole-number
// tolerant floats, the statistics list and the score function. Optional
// keyword clauses are ODS `oilist`s.
//
//===----------------------------------------------------------------------===//

#include "AsmHelpers.h"
#include "VerifyHelpers.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::hmoe;
using namespace mlir::hmoe::detail;

static ParseResult parseOperandWithType(OpAsmParser &parser,
                                        OpAsmParser::UnresolvedOperand &operand,
                                        Type &type) {
  return failure(parser.parseOperand(operand) || parser.parseColonType(type));
}

static void printOperandWithType(OpAsmPrinter &p, StringRef keyword,
                                 Value value) {
  p << keyword << " " << value << " : " << value.getType();
}

namespace {
/// One kind of optional per-level operand in the level clauses (bias,
/// selection_bias, penalty): its keyword, operands, types, and the level of
/// each operand.
struct LevelOperandGroup {
  StringRef keyword;
  SmallVectorImpl<OpAsmParser::UnresolvedOperand> *operands;
  SmallVectorImpl<Type> *types;
  SmallVector<int64_t> levels = {};
};
} // namespace

/// `level(#hmoe.gate<...>, <primary> %v : type [, <keyword> %o : type]...)`,
/// one clause per level, outermost first; each keyword of `groups` at most
/// once per level.
static ParseResult
parseLevelClauses(OpAsmParser &parser, StringRef primary, ArrayAttr &gates,
                  SmallVectorImpl<OpAsmParser::UnresolvedOperand> &primaryOps,
                  SmallVectorImpl<Type> &primaryTypes,
                  MutableArrayRef<LevelOperandGroup> groups) {
  SmallVector<Attribute> gateList;
  while (succeeded(parser.parseOptionalKeyword("level"))) {
    int64_t level = gateList.size();
    GateAttr gate;
    if (parser.parseLParen() || parser.parseAttribute(gate) ||
        parser.parseComma() || parser.parseKeyword(primary) ||
        parseOperandWithType(parser, primaryOps.emplace_back(),
                             primaryTypes.emplace_back()))
      return failure();
    gateList.push_back(gate);
    while (succeeded(parser.parseOptionalComma())) {
      SMLoc loc = parser.getCurrentLocation();
      StringRef keyword;
      if (parser.parseKeyword(&keyword))
        return failure();
      auto *group = llvm::find_if(groups, [&](LevelOperandGroup &g) {
        return g.keyword == keyword &&
               (g.levels.empty() || g.levels.back() != level);
      });
      if (group == groups.end()) {
        InFlightDiagnostic diag = parser.emitError(loc)
                                  << "unexpected '" << keyword
                                  << "' in level clause; expected ";
        llvm::interleave(
            groups, diag,
            [&](LevelOperandGroup &g) { diag << "'" << g.keyword << "'"; },
            " or ");
        return diag << ", each at most once";
      }
      group->levels.push_back(level);
      if (parseOperandWithType(parser, group->operands->emplace_back(),
                               group->types->emplace_back()))
        return failure();
    }
    if (parser.parseRParen())
      return failure();
  }
  if (gateList.empty())
    return parser.emitError(parser.getCurrentLocation())
           << "expected at least one 'level(...)' clause";
  gates = Builder(parser.getContext()).getArrayAttr(gateList);
  return success();
}

ParseResult mlir::hmoe::parseLevels(
    OpAsmParser &parser, StringRef primary, ArrayAttr &gates,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &primaryOperands,
    SmallVectorImpl<Type> &primaryTypes,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &biases,
    SmallVectorImpl<Type> &biasTypes, DenseI64ArrayAttr &biasLevels,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &selectionBiases,
    SmallVectorImpl<Type> &selectionBiasTypes,
    DenseI64ArrayAttr &selectionBiasLevels,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &penalties,
    SmallVectorImpl<Type> &penaltyTypes, DenseI64ArrayAttr &penaltyLevels) {
  LevelOperandGroup groups[] = {
      {"bias", &biases, &biasTypes},
      {"selection_bias", &selectionBiases, &selectionBiasTypes},
      {"penalty", &penalties, &penaltyTypes}};
  if (parseLevelClauses(parser, primary, gates, primaryOperands, primaryTypes,
                        groups))
    return failure();
  Builder b(parser.getContext());
  biasLevels = b.getDenseI64ArrayAttr(groups[0].levels);
  selectionBiasLevels = b.getDenseI64ArrayAttr(groups[1].levels);
  penaltyLevels = b.getDenseI64ArrayAttr(groups[2].levels);
  return success();
}

ParseResult mlir::hmoe::parseLevels(
    OpAsmParser &parser, StringRef primary, ArrayAttr &gates,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &primaryOperands,
    SmallVectorImpl<Type> &primaryTypes,
    SmallVectorImpl<OpAsmParser::UnresolvedOperand> &selectionBiases,
    SmallVectorImpl<Type> &selectionBiasTypes,
    DenseI64ArrayAttr &selectionBiasLevels) {
  LevelOperandGroup groups[] = {
      {"selection_bias", &selectionBiases, &selectionBiasTypes}};
  if (parseLevelClauses(parser, primary, gates, primaryOperands, primaryTypes,
                        groups))
    return failure();
  selectionBiasLevels =
      Builder(parser.getContext()).getDenseI64ArrayAttr(groups[0].levels);
  return success();
}

/// Prints the level clauses; `groups` are (keyword, operands, levels).
static void printLevelClauses(
    OpAsmPrinter &p, StringRef primary, ArrayAttr gates,
    OperandRange primaryOperands,
    ArrayRef<std::tuple<StringRef, OperandRange, DenseI64ArrayAttr>> groups) {
  for (auto [l, gate] : llvm::enumerate(gates)) {
    p.printNewline();
    p << "  level(";
    p.printAttribute(gate);
    p << ", ";
    printOperandWithType(p, primary, primaryOperands[l]);
    for (auto [keyword, operands, levels] : groups)
      if (Value v = levelOperand(operands, levels.asArrayRef(), l)) {
        p << ", ";
        printOperandWithType(p, keyword, v);
      }
    p << ")";
  }
}

void mlir::hmoe::printLevels(OpAsmPrinter &p, Operation *, StringRef primary,
                             ArrayAttr gates, OperandRange primaryOperands,
                             TypeRange, OperandRange biases, TypeRange,
                             DenseI64ArrayAttr biasLevels,
                             OperandRange selectionBiases, TypeRange,
                             DenseI64ArrayAttr selectionBiasLevels,
                             OperandRange penalties, TypeRange,
                             DenseI64ArrayAttr penaltyLevels) {
  printLevelClauses(p, primary, gates, primaryOperands,
                    {{"bias", biases, biasLevels},
                     {"selection_bias", selectionBiases, selectionBiasLevels},
                     {"penalty", penalties, penaltyLevels}});
}

void mlir::hmoe::printLevels(OpAsmPrinter &p, Operation *, StringRef primary,
                             ArrayAttr gates, OperandRange primaryOperands,
                             TypeRange, OperandRange selectionBiases, TypeRange,
                             DenseI64ArrayAttr selectionBiasLevels) {
  printLevelClauses(p, primary, gates, primaryOperands,
                    {{"selection_bias", selectionBiases, selectionBiasLevels}});
}

/// `experts(#hmoe.expert<...>, w1 %a : type [, w_up|b1|w2|b2 %b : type]...)`.
/// `, name %v : type` entries until `)`, each name of `names` at most once.
static ParseResult parseNamedOperands(
    OpAsmParser &parser, StringRef clause, ArrayRef<StringRef> names,
    ArrayRef<std::optional<OpAsmParser::UnresolvedOperand> *> operands,
    ArrayRef<Type *> types) {
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return failure();
    const StringRef *it = llvm::find(names, keyword);
    if (it == names.end() || *operands[it - names.begin()])
      return parser.emitError(loc)
             << "unexpected '" << keyword << "' in " << clause
             << " clause; expected " << llvm::join(names, ", ")
             << ", each at most once";
    size_t i = it - names.begin();
    if (parseOperandWithType(parser, operands[i]->emplace(), *types[i]))
      return failure();
  }
  return parser.parseRParen();
}

ParseResult mlir::hmoe::parseExpertClause(
    OpAsmParser &parser, ExpertAttr &expert, OpAsmParser::UnresolvedOperand &w1,
    Type &w1Type, std::optional<OpAsmParser::UnresolvedOperand> &wUp,
    Type &wUpType, std::optional<OpAsmParser::UnresolvedOperand> &b1,
    Type &b1Type, std::optional<OpAsmParser::UnresolvedOperand> &w2,
    Type &w2Type, std::optional<OpAsmParser::UnresolvedOperand> &b2,
    Type &b2Type) {
  if (parser.parseKeyword("experts") || parser.parseLParen() ||
      parser.parseAttribute(expert))
    return failure();
  std::optional<OpAsmParser::UnresolvedOperand> w1Operand;
  if (parseNamedOperands(parser, "experts", kExpertOperandNames,
                         {&w1Operand, &wUp, &b1, &w2, &b2},
                         {&w1Type, &wUpType, &b1Type, &w2Type, &b2Type}))
    return failure();
  if (!w1Operand)
    return parser.emitError(parser.getCurrentLocation())
           << "experts clause needs 'w1'";
  w1 = *w1Operand;
  return success();
}

/// Prints `keyword(expert, name %v : type, ...)` on a line of its own.
static void printNamedOperands(OpAsmPrinter &p, StringRef keyword,
                               ExpertAttr expert, ArrayRef<StringRef> names,
                               ArrayRef<Value> values) {
  p.printNewline();
  p << "  " << keyword << "(";
  p.printAttribute(expert);
  for (auto [name, value] : llvm::zip_equal(names, values)) {
    if (!value)
      continue;
    p << ", ";
    printOperandWithType(p, name, value);
  }
  p << ")";
}

void mlir::hmoe::printExpertClause(OpAsmPrinter &p, Operation *,
                                   ExpertAttr expert, Value w1, Type, Value wUp,
                                   Type, Value b1, Type, Value w2, Type,
                                   Value b2, Type) {
  printNamedOperands(p, "experts", expert, kExpertOperandNames,
                     {w1, wUp, b1, w2, b2});
}

/// Shared expert operands as named in the assembly.
static constexpr StringRef kSharedOperandNames[] = {"w1", "w_up", "b1",
                                                    "w2", "b2",   "gate"};

ParseResult mlir::hmoe::parseSharedExperts(
    OpAsmParser &parser, ExpertAttr &expert,
    std::optional<OpAsmParser::UnresolvedOperand> &w1, Type &w1Type,
    std::optional<OpAsmParser::UnresolvedOperand> &wUp, Type &wUpType,
    std::optional<OpAsmParser::UnresolvedOperand> &b1, Type &b1Type,
    std::optional<OpAsmParser::UnresolvedOperand> &w2, Type &w2Type,
    std::optional<OpAsmParser::UnresolvedOperand> &b2, Type &b2Type,
    std::optional<OpAsmParser::UnresolvedOperand> &gate, Type &gateType) {
  SMLoc loc = parser.getCurrentLocation();
  if (failed(parser.parseOptionalKeyword("shared")))
    return success();
  if (parser.parseLParen() || parser.parseAttribute(expert) ||
      parseNamedOperands(
          parser, "shared", kSharedOperandNames,
          {&w1, &wUp, &b1, &w2, &b2, &gate},
          {&w1Type, &wUpType, &b1Type, &w2Type, &b2Type, &gateType}))
    return failure();
  if (!w1)
    return parser.emitError(loc) << "shared clause needs 'w1'";
  return success();
}

void mlir::hmoe::printSharedExperts(OpAsmPrinter &p, Operation *,
                                    ExpertAttr expert, Value w1, Type,
                                    Value wUp, Type, Value b1, Type, Value w2,
                                    Type, Value b2, Type, Value gate, Type) {
  if (!expert)
    return;
  printNamedOperands(p, "shared", expert, kSharedOperandNames,
                     {w1, wUp, b1, w2, b2, gate});
}

ParseResult mlir::hmoe::parseFloatParameter(OpAsmParser &parser,
                                            FloatAttr &value) {
  double parsed;
  if (parseFloatParameter(static_cast<AsmParser &>(parser), parsed))
    return failure();
  value = Builder(parser.getContext()).getF64FloatAttr(parsed);
  return success();
}

void mlir::hmoe::printFloatParameter(OpAsmPrinter &p, Operation *,
                                     FloatAttr value) {
  p.printFloat(value.getValue());
}

/// A keyword of an enum, or an error naming the clause and the keywords
/// expected.
template <typename AttrT, typename Symbolize>
static ParseResult parseEnumKeyword(OpAsmParser &parser, AttrT &attr,
                                    StringRef clause, Symbolize symbolize,
                                    StringRef expected) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef word;
  if (parser.parseKeyword(&word))
    return failure();
  auto value = symbolize(word);
  if (!value)
    return parser.emitError(loc) << "unknown " << clause << " '" << word
                                 << "'; expected " << expected;
  attr = AttrT::get(parser.getContext(), *value);
  return success();
}

ParseResult mlir::hmoe::parseFillOrder(OpAsmParser &parser,
                                       FillOrderAttr &order) {
  return parseEnumKeyword(
      parser, order, "fill_order",
      [](StringRef w) { return symbolizeFillOrder(w); },
      "token_order, choice_rank or score");
}

void mlir::hmoe::printFillOrder(OpAsmPrinter &p, Operation *,
                                FillOrderAttr order) {
  p << stringifyFillOrder(order.getValue());
}

ParseResult mlir::hmoe::parseCapacityRounding(OpAsmParser &parser,
                                              CapacityRoundingAttr &rounding) {
  return parseEnumKeyword(
      parser, rounding, "capacity_rounding",
      [](StringRef w) { return symbolizeCapacityRounding(w); },
      "ceil or hi_moe");
}

void mlir::hmoe::printCapacityRounding(OpAsmPrinter &p, Operation *,
                                       CapacityRoundingAttr rounding) {
  p << stringifyCapacityRounding(rounding.getValue());
}

/// Parses `[load, importance, ...]`.
static ParseResult parseStatKinds(AsmParser &parser, ArrayAttr &stats) {
  SmallVector<Attribute> kinds;
  auto parseOne = [&]() -> ParseResult {
    SMLoc loc = parser.getCurrentLocation();
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return failure();
    std::optional<StatKind> kind = symbolizeStatKind(keyword);
    if (!kind)
      return parser.emitError(loc)
             << "unknown statistic '" << keyword
             << "'; expected load, importance, group_load, group_importance, "
                "dropped, balance_loss, cv2_loss, z_loss, r_intra or r_inter";
    kinds.push_back(StatKindAttr::get(parser.getContext(), *kind));
    return success();
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, parseOne))
    return failure();
  stats = ArrayAttr::get(parser.getContext(), kinds);
  return success();
}

static void printStatKinds(AsmPrinter &p, ArrayAttr stats) {
  p << "[";
  llvm::interleaveComma(stats, p, [&](Attribute attr) {
    p << stringifyStatKind(cast<StatKindAttr>(attr).getValue());
  });
  p << "]";
}

ParseResult mlir::hmoe::parseStatList(OpAsmParser &parser, ArrayAttr &stats) {
  return parseStatKinds(parser, stats);
}

void mlir::hmoe::printStatList(OpAsmPrinter &p, Operation *, ArrayAttr stats) {
  printStatKinds(p, stats);
}

ParseResult mlir::hmoe::parseScoreFunction(OpAsmParser &parser,
                                           ScoreKindAttr &kindAttr,
                                           ActivationAttr &activationAttr) {
  ScoreKind kind;
  std::optional<Activation> activation;
  if (hmoe::parseScoreSpec(parser, kind, activation))
    return failure();
  kindAttr = ScoreKindAttr::get(parser.getContext(), kind);
  activationAttr = activation
                       ? ActivationAttr::get(parser.getContext(), *activation)
                       : ActivationAttr();
  return success();
}

void mlir::hmoe::printScoreFunction(OpAsmPrinter &p, Operation *,
                                    ScoreKindAttr kindAttr,
                                    ActivationAttr activationAttr) {
  std::optional<Activation> activation;
  if (activationAttr)
    activation = activationAttr.getValue();
  hmoe::printScoreSpec(p, kindAttr.getValue(), activation);
}
