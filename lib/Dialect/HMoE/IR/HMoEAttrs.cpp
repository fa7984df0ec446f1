//===- HMoEAttrs.cpp - hmoe attributes: enums, gate, strategy, expert -----===//
//
// Parsers, printers and verifiers of #hmoe.gate, #hmoe.strategy and
// #hmoe.expert (keyword lists with a diagnostic naming what was expected),
// and the score function's spelling shared with the ops' assembly.
//
//===----------------------------------------------------------------------===//

#include "AsmHelpers.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Error.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::hmoe;

#include "hmoe/Dialect/HMoE/IR/HMoEEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "hmoe/Dialect/HMoE/IR/HMoEAttrs.cpp.inc"

void HMoEDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "hmoe/Dialect/HMoE/IR/HMoEAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Parsing helpers
//===----------------------------------------------------------------------===//

namespace {
/// Parses a keyword naming a case of an enum with a `symbolize` function;
/// the diagnostic lists what was expected.
template <typename EnumT>
ParseResult parseEnumKeyword(AsmParser &parser, EnumT &value,
                             std::optional<EnumT> (*symbolize)(StringRef),
                             StringRef what, StringRef expected) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<EnumT> parsed = symbolize(keyword);
  if (!parsed)
    return parser.emitError(loc) << "unknown " << what << " '" << keyword
                                 << "'; expected one of " << expected;
  value = *parsed;
  return success();
}

ParseResult parseActivation(AsmParser &parser, Activation &value) {
  return parseEnumKeyword<Activation>(parser, value, symbolizeActivation,
                                      "activation",
                                      "tanh, sigmoid, relu, gelu, silu");
}

ParseResult parseBool(AsmParser &parser, bool &value) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  if (keyword != "true" && keyword != "false")
    return parser.emitError(loc) << "expected 'true' or 'false'";
  value = keyword == "true";
  return success();
}

/// Parses `, key = value` entries until `>`, calling `parseValue(key)` for
/// each; rejects keys given twice.
ParseResult
parseKeyValueList(AsmParser &parser,
                  function_ref<ParseResult(StringRef, SMLoc)> parseValue) {
  llvm::StringSet<> seen;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return failure();
    if (!seen.insert(key).second)
      return parser.emitError(loc) << "'" << key << "' is given twice";
    if (parseValue(key, loc))
      return failure();
  }
  return parser.parseGreater();
}
} // namespace

ParseResult hmoe::parseScoreSpec(AsmParser &parser, ScoreKind &kind,
                                 std::optional<Activation> &activation) {
  if (parseEnumKeyword<ScoreKind>(parser, kind, symbolizeScoreKind, "score",
                                  "linear, laplace, gaussian, activation<f>"))
    return failure();
  activation = std::nullopt;
  if (kind != ScoreKind::Activation)
    return success();
  Activation fn;
  if (parser.parseLess() || parseActivation(parser, fn) ||
      parser.parseGreater())
    return failure();
  activation = fn;
  return success();
}

/// Whether the static dims of `shape` multiply to at most 2^62.
static bool hasBoundedElements(ArrayRef<int64_t> shape) {
  int64_t elements = 1;
  for (int64_t dim : shape) {
    if (ShapedType::isDynamic(dim) || dim == 0)
      continue;
    if (dim > (int64_t(1) << 62) / elements)
      return false;
    elements *= dim;
  }
  return true;
}

bool hmoe::isPlainTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && !tensor.getEncoding() &&
         hasBoundedElements(tensor.getShape());
}

bool hmoe::isPlainMemRef(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && hasBoundedElements(memref.getShape());
}

ParseResult hmoe::parseFloatParameter(AsmParser &parser, double &value) {
  // MLIR's float parser takes float literals and hex bit patterns
  // (0x7FF0000000000000 is inf, and how non-round-trippable values print),
  // so only a decimal integer token is read as an integer here.
  StringRef token(parser.getCurrentLocation().getPointer());
  StringRef rest =
      token.drop_while([](char c) { return c == '-' || c == ' '; });
  StringRef digits = rest.take_while(llvm::isDigit);
  bool decimalInteger = !digits.empty() && !rest.starts_with("0x") &&
                        !rest.starts_with("0X") &&
                        !rest.drop_front(digits.size()).starts_with(".") &&
                        !rest.drop_front(digits.size()).starts_with("e") &&
                        !rest.drop_front(digits.size()).starts_with("E");
  if (!decimalInteger)
    return parser.parseFloat(value);
  APInt integer;
  OptionalParseResult parsed = parser.parseOptionalInteger(integer);
  if (!parsed.has_value() || failed(*parsed))
    return failure();
  // From the digits, not the APInt: its width follows the literal, and a
  // literal of 2^63 or more read as signed came out as 0 or negative.
  APFloat exact(APFloat::IEEEdouble());
  llvm::Expected<APFloat::opStatus> status =
      exact.convertFromString(digits, APFloat::rmNearestTiesToEven);
  if (!status) {
    llvm::consumeError(status.takeError());
    return parser.emitError(parser.getCurrentLocation())
           << "cannot read '" << digits << "' as a float";
  }
  value = token.starts_with("-") ? -exact.convertToDouble()
                                 : exact.convertToDouble();
  return success();
}

void hmoe::printScoreSpec(AsmPrinter &printer, ScoreKind kind,
                          std::optional<Activation> activation) {
  printer << stringifyScoreKind(kind);
  if (activation)
    printer << "<" << stringifyActivation(*activation) << ">";
}

//===----------------------------------------------------------------------===//
// GateAttr
//===----------------------------------------------------------------------===//

GateAttr GateAttr::get(MLIRContext *context, ScoreKind score,
                       Normalization normalization, int64_t k,
                       std::optional<Activation> activation, double temperature,
                       bool renormalize, double scale) {
  return get(context, score, activation, normalization, k, APFloat(temperature),
             renormalize, APFloat(scale));
}

GateAttr GateAttr::withK(int64_t newK) const {
  return get(getContext(), getScore(), getActivation(), getNormalization(),
             newK, getTemperature(), getRenormalize(), getScale());
}

/// Whether `value` is one of `Enum`'s cases (a C or C++ caller can cast any
/// integer to it; printed, such a value was an empty keyword, and lowered,
/// a crash): else an error listing them.
template <typename Enum>
static LogicalResult verifyCase(function_ref<InFlightDiagnostic()> emitError,
                                Enum value, StringRef what) {
  if (!stringifyEnum(value).empty())
    return success();
  InFlightDiagnostic diag = emitError();
  diag << "unknown " << what << " " << static_cast<int32_t>(value)
       << "; expected one of ";
  // (Every case, were the values to leave gaps.)
  llvm::interleaveComma(
      llvm::make_filter_range(llvm::map_range(llvm::seq<uint32_t>(0, 64),
                                              [](uint32_t i) {
                                                return stringifyEnum(
                                                    static_cast<Enum>(i));
                                              }),
                              [](StringRef name) { return !name.empty(); }),
      diag);
  return diag;
}

LogicalResult GateAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               ScoreKind score,
                               std::optional<Activation> activation,
                               Normalization normalization, int64_t k,
                               APFloat temperature, bool renormalize,
                               APFloat scale) {
  if (failed(verifyCase(emitError, score, "score kind")) ||
      (activation &&
       failed(verifyCase(emitError, *activation, "activation"))) ||
      failed(verifyCase(emitError, normalization, "normalization")))
    return failure();
  if (score == ScoreKind::Activation && !activation)
    return emitError() << "score 'activation' needs a function, e.g. "
                          "'activation<tanh>'";
  if (score != ScoreKind::Activation && activation)
    return emitError() << "score '" << stringifyScoreKind(score)
                       << "' takes no activation function";
  if (k < 1)
    return emitError() << "gate must choose k >= 1 children; got k = " << k;
  double tau = temperature.convertToDouble();
  if (!(tau > 0.0) || !std::isfinite(tau))
    return emitError() << "temperature must be positive and finite; got "
                       << tau;
  // Gates compute in f32: a temperature that rounds to 0 or a subnormal
  // there would divide every logit into inf or NaN.
  if (tau < std::numeric_limits<float>::min() ||
      tau > std::numeric_limits<float>::max())
    return emitError() << "temperature must be a normal f32 (between "
                       << std::numeric_limits<float>::min() << " and "
                       << std::numeric_limits<float>::max() << "); got " << tau;
  double factor = scale.convertToDouble();
  if (!std::isfinite(factor))
    return emitError() << "scale must be finite; got " << factor;
  if (std::abs(factor) > std::numeric_limits<float>::max())
    return emitError() << "scale must be finite in f32 (|scale| <= "
                       << std::numeric_limits<float>::max() << "); got "
                       << factor;
  return success();
}

Attribute GateAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  ScoreKind score;
  std::optional<Activation> activation;
  Normalization normalization;
  if (parser.parseLess() || hmoe::parseScoreSpec(parser, score, activation) ||
      parser.parseComma() ||
      parseEnumKeyword<Normalization>(parser, normalization,
                                      symbolizeNormalization, "normalization",
                                      "softmax, sigmoid"))
    return {};
  std::optional<int64_t> k;
  double temperature = 1.0, scale = 1.0;
  bool renormalize = true;
  auto parseValue = [&](StringRef key, SMLoc keyLoc) -> ParseResult {
    if (key == "k") {
      int64_t value;
      if (parser.parseInteger(value))
        return failure();
      k = value;
      return success();
    }
    if (key == "temperature")
      return parseFloatParameter(parser, temperature);
    if (key == "scale")
      return parseFloatParameter(parser, scale);
    if (key == "renormalize")
      return parseBool(parser, renormalize);
    return parser.emitError(keyLoc)
           << "unknown gate parameter '" << key
           << "'; expected k, temperature, renormalize or scale";
  };
  if (parseKeyValueList(parser, parseValue))
    return {};
  if (!k) {
    parser.emitError(loc) << "gate needs 'k = <children to choose>'";
    return {};
  }
  return GateAttr::getChecked([&] { return parser.emitError(loc); },
                              parser.getContext(), score, activation,
                              normalization, *k, APFloat(temperature),
                              renormalize, APFloat(scale));
}

void GateAttr::print(AsmPrinter &printer) const {
  printer << "<";
  hmoe::printScoreSpec(printer, getScore(), getActivation());
  printer << ", " << stringifyNormalization(getNormalization())
          << ", k = " << getK();
  if (getTemperatureValue() != 1.0) {
    printer << ", temperature = ";
    printer.printFloat(getTemperature());
  }
  if (!getRenormalize())
    printer << ", renormalize = false";
  if (getScaleValue() != 1.0) {
    printer << ", scale = ";
    printer.printFloat(getScale());
  }
  printer << ">";
}

//===----------------------------------------------------------------------===//
// StrategyAttr
//===----------------------------------------------------------------------===//

LogicalResult StrategyAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   StrategyKind kind, int64_t groups,
                                   int64_t kGroups, GroupScore groupScore,
                                   int64_t topM) {
  if (failed(verifyCase(emitError, kind, "strategy kind")) ||
      failed(verifyCase(emitError, groupScore, "group score")))
    return failure();
  switch (kind) {
  case StrategyKind::Nested:
    if (groups != 0 || kGroups != 0 || topM != 0 ||
        groupScore != GroupScore::Max)
      return emitError() << "the nested strategy takes no group parameters; "
                            "its groups are the gates' levels";
    return success();
  case StrategyKind::GroupLimited:
    if (groups < 1)
      return emitError() << "group_limited needs 'groups' >= 1; got " << groups;
    if (kGroups < 1 || kGroups > groups)
      return emitError() << "group_limited needs 1 <= k_groups <= groups ("
                         << groups << "); got k_groups = " << kGroups;
    if (groupScore == GroupScore::SumTop && topM < 1)
      return emitError() << "group score sum_top<m> needs m >= 1; got m = "
                         << topM;
    if (groupScore == GroupScore::Max && topM != 0)
      return emitError() << "group score 'max' takes no m";
    return success();
  case StrategyKind::PerGroup:
    if (groups < 1)
      return emitError() << "per_group needs 'groups' >= 1; got " << groups;
    if (kGroups != 0 || topM != 0 || groupScore != GroupScore::Max)
      return emitError() << "per_group takes only 'groups'; every group is "
                            "kept, and the gate's k is chosen in each";
    return success();
  }
  llvm_unreachable("unknown strategy kind");
}

Attribute StrategyAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StrategyKind kind;
  if (parser.parseLess() || parseEnumKeyword<StrategyKind>(
                                parser, kind, symbolizeStrategyKind, "strategy",
                                "nested, group_limited, per_group"))
    return {};
  int64_t groups = 0, kGroups = 0, topM = 0;
  GroupScore groupScore = GroupScore::Max;
  auto parseValue = [&](StringRef key, SMLoc keyLoc) -> ParseResult {
    if (key == "groups")
      return parser.parseInteger(groups);
    if (key == "k_groups")
      return parser.parseInteger(kGroups);
    if (key == "group_score") {
      if (parseEnumKeyword<GroupScore>(parser, groupScore, symbolizeGroupScore,
                                       "group score", "max, sum_top<m>"))
        return failure();
      if (groupScore == GroupScore::SumTop)
        return failure(parser.parseLess() || parser.parseInteger(topM) ||
                       parser.parseGreater());
      return success();
    }
    return parser.emitError(keyLoc)
           << "unknown strategy parameter '" << key
           << "'; expected groups, k_groups or group_score";
  };
  if (parseKeyValueList(parser, parseValue))
    return {};
  return StrategyAttr::getChecked([&] { return parser.emitError(loc); },
                                  parser.getContext(), kind, groups, kGroups,
                                  groupScore, topM);
}

void StrategyAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyStrategyKind(getKind());
  if (getKind() != StrategyKind::Nested)
    printer << ", groups = " << getGroups();
  if (getKind() == StrategyKind::GroupLimited) {
    printer << ", k_groups = " << getKGroups()
            << ", group_score = " << stringifyGroupScore(getGroupScore());
    if (getGroupScore() == GroupScore::SumTop)
      printer << "<" << getTopM() << ">";
  }
  printer << ">";
}

//===----------------------------------------------------------------------===//
// ExpertAttr
//===----------------------------------------------------------------------===//

LogicalResult ExpertAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ExpertKind kind,
                                 std::optional<Activation> activation,
                                 int64_t hidden) {
  if (failed(verifyCase(emitError, kind, "expert kind")) ||
      (activation && failed(verifyCase(emitError, *activation, "activation"))))
    return failure();
  switch (kind) {
  case ExpertKind::FFN:
    if (!activation)
      return emitError() << "ffn experts need 'activation = <f>'";
    break;
  case ExpertKind::SwiGLU:
  case ExpertKind::Linear:
    if (activation)
      return emitError() << stringifyExpertKind(kind)
                         << " experts take no activation"
                         << (kind == ExpertKind::SwiGLU
                                 ? " (SwiGLU's is always silu)"
                                 : "");
    break;
  }
  if (kind == ExpertKind::Linear && hidden != 0)
    return emitError() << "linear experts have no hidden size";
  if (kind != ExpertKind::Linear && hidden < 1)
    return emitError() << stringifyExpertKind(kind)
                       << " experts need 'hidden = <H>' with H >= 1; got "
                       << hidden;
  return success();
}

Attribute ExpertAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  ExpertKind kind;
  if (parser.parseLess() ||
      parseEnumKeyword<ExpertKind>(parser, kind, symbolizeExpertKind,
                                   "expert kind", "ffn, swiglu, linear"))
    return {};
  std::optional<Activation> activation;
  int64_t hidden = 0;
  auto parseValue = [&](StringRef key, SMLoc keyLoc) -> ParseResult {
    if (key == "hidden")
      return parser.parseInteger(hidden);
    if (key == "activation") {
      Activation fn;
      if (parseActivation(parser, fn))
        return failure();
      activation = fn;
      return success();
    }
    return parser.emitError(keyLoc) << "unknown expert parameter '" << key
                                    << "'; expected activation or hidden";
  };
  if (parseKeyValueList(parser, parseValue))
    return {};
  return ExpertAttr::getChecked([&] { return parser.emitError(loc); },
                                parser.getContext(), kind, activation, hidden);
}

void ExpertAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyExpertKind(getKind());
  if (getActivation())
    printer << ", activation = " << stringifyActivation(*getActivation());
  if (getHidden() != 0)
    printer << ", hidden = " << getHidden();
  printer << ">";
}
