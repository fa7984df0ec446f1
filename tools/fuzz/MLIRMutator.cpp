//===- MLIRMutator.cpp - structure-aware mutations of hmoe IR text --------===//
//
// libFuzzer's custom mutator for the IR fuzzers. Byte mutations of a layer
// almost never parse (a changed digit in one type makes the shapes
// disagree), so most inputs stopped at the parser or the verifier. These
// mutations work on the text's structure instead:
//
//   * a dimension value changed in every tensor type at once (D = 8 -> 16
//     everywhere keeps the layer consistent), or in one type;
//   * the token count T made static or dynamic everywhere;
//   * integer and float literals set to edge values (0, 1, 2^31 - 1, 2^63,
//     1e-45, 1e300, inf and NaN bit patterns, whole numbers for floats);
//   * keywords swapped within their class (scores, normalisations,
//     strategies, expert kinds, activations, statistics, element types,
//     booleans, stage op names);
//   * clauses deleted, lines duplicated or dropped, and clauses that the
//     dialect knows inserted (capacity_factor, stats, renormalize, ...).
//
// A quarter of the calls fall back to libFuzzer's byte mutator, so the
// parser's error paths keep being fuzzed too.
//
//===----------------------------------------------------------------------===//

#include "MLIRMutator.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

using llvm::StringRef;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {
using Rng = std::mt19937_64;

template <typename T> const T &pick(Rng &rng, const std::vector<T> &items) {
  return items[rng() % items.size()];
}

/// A span [begin, end) of the text.
struct Span {
  size_t begin, end;
};

/// The dimension spans of every `tensor<...>` and `memref<...>` type: each
/// is a run of digits or a `?` followed by `x`.
std::vector<Span> dimSpans(const std::string &text) {
  std::vector<Span> dims;
  for (StringRef type : {"tensor<", "memref<", "vector<"}) {
    for (size_t at = text.find(type); at != std::string::npos;
         at = text.find(type, at + 1)) {
      size_t i = at + type.size();
      while (i < text.size()) {
        size_t start = i;
        if (text[i] == '?') {
          ++i;
        } else {
          while (i < text.size() && llvm::isDigit(text[i]))
            ++i;
        }
        if (i == start || i >= text.size() || text[i] != 'x')
          break;
        dims.push_back({start, i});
        ++i;
      }
    }
  }
  llvm::sort(dims, [](Span a, Span b) { return a.begin > b.begin; });
  return dims;
}

/// Integer and float literals outside types (attribute values).
std::vector<Span> numberSpans(const std::string &text, bool floats) {
  std::vector<Span> spans;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!llvm::isDigit(text[i]) ||
        (i > 0 &&
         (llvm::isAlnum(text[i - 1]) || text[i - 1] == '_' ||
          text[i - 1] == '%' || text[i - 1] == '.' || text[i - 1] == '#')))
      continue;
    size_t start = i;
    if (start > 0 && text[start - 1] == '-')
      --start;
    bool isFloat = false;
    if (text.compare(i, 2, "0x") == 0) {
      i += 2;
      while (i < text.size() && llvm::isHexDigit(text[i]))
        ++i;
      isFloat = true; // hex literals stand for float bit patterns here
    } else {
      while (i < text.size() &&
             (llvm::isDigit(text[i]) || text[i] == '.' || text[i] == 'e' ||
              text[i] == 'E' ||
              ((text[i] == '-' || text[i] == '+') &&
               (text[i - 1] == 'e' || text[i - 1] == 'E')))) {
        isFloat |= !llvm::isDigit(text[i]);
        ++i;
      }
    }
    // A dimension (followed by 'x') is not a literal.
    if (i < text.size() && text[i] == 'x')
      continue;
    if (isFloat == floats)
      spans.push_back({start, i});
    --i;
  }
  return spans;
}

/// Near `current` (which a consistent layer often survives) or an edge
/// value (which tests the verifier's limits), half the time each.
std::string nextInteger(StringRef current, Rng &rng);

const std::vector<std::string> &interestingIntegers() {
  static const std::vector<std::string> values = {"0",
                                                  "1",
                                                  "2",
                                                  "3",
                                                  "4",
                                                  "7",
                                                  "16",
                                                  "-1",
                                                  "65536",
                                                  "2147483647",
                                                  "2147483648",
                                                  "4294967296",
                                                  "4611686018427387904",
                                                  "9223372036854775807"};
  return values;
}

const std::vector<std::string> &interestingFloats() {
  static const std::vector<std::string> values = {"0.0",
                                                  "-0.0",
                                                  "1.0",
                                                  "-1.0",
                                                  "0.5",
                                                  "2",
                                                  "1.0e-45",
                                                  "1.0e-30",
                                                  "3.0e+38",
                                                  "1.0e+300",
                                                  "1.0e+20",
                                                  "0x7F800000",
                                                  "0x7FC00000",
                                                  "0xFFF0000000000000",
                                                  "0x0000000000000001"};
  return values;
}

/// Keywords that can stand for one another.
const std::vector<std::vector<std::string>> &keywordClasses() {
  static const std::vector<std::vector<std::string>> classes = {
      {"linear", "laplace", "gaussian", "activation<tanh>", "activation<gelu>"},
      {"softmax", "sigmoid"},
      {"nested", "group_limited, groups = 2, k_groups = 1",
       "per_group, groups = 2",
       "group_limited, groups = 4, k_groups = 2, "
       "group_score = sum_top<2>"},
      {"ffn, activation = gelu", "swiglu", "linear", "ffn, activation = relu"},
      {"tanh", "sigmoid", "relu", "gelu", "silu"},
      {"load", "importance", "group_load", "group_importance", "dropped",
       "balance_loss", "cv2_loss", "z_loss", "r_intra", "r_inter"},
      {"f32", "f16", "bf16", "f64", "i32", "i64"},
      {"true", "false"},
      {"hmoe.score", "hmoe.route", "hmoe.dispatch", "hmoe.experts",
       "hmoe.combine", "hmoe.stats", "hmoe.moe"},
      {"w1", "w_up", "b1", "w2", "b2", "gate"},
      {"token_order", "choice_rank", "score"},
      {"experts(", "shared("},
      {"weight", "bias", "selection_bias", "logits"}};
  return classes;
}

/// Clauses the dialect knows, inserted at a random `>`, `)` or newline.
const std::vector<std::string> &insertions() {
  static const std::vector<std::string> values = {
      " capacity_factor 1.0e+300",
      " capacity_factor 0.5",
      " capacity_factor 0.5 fill_order score",
      " capacity_factor 0.3 fill_order choice_rank capacity_rounding hi_moe",
      " fill_order choice_rank",
      " stats [load, dropped]",
      " stats [z_loss]",
      ", renormalize = false",
      ", temperature = 1.0e-30",
      ", scale = 2",
      ", k = 0",
      ", groups = 3",
      ", top_m = 0",
      ", hidden = 0",
      " {lambda_intra = 1.0e+300 : f64}",
      ", selection_bias %arg1 : tensor<4xf32>",
      ", bias %arg1 : tensor<4xf32>"};
  return values;
}

std::string nextInteger(StringRef current, Rng &rng) {
  int64_t n;
  if (rng() % 2 || current.getAsInteger(10, n) || n < 0 || n > (1 << 20))
    return pick(rng, interestingIntegers());
  switch (rng() % 4) {
  case 0:
    return std::to_string(n + 1);
  case 1:
    return std::to_string(n > 0 ? n - 1 : 0);
  case 2:
    return std::to_string(2 * n);
  default:
    return std::to_string(n / 2);
  }
}

bool isWordChar(char c) { return llvm::isAlnum(c) || c == '_' || c == '.'; }

/// Replaces whole-word occurrences of `from`; returns whether any was found.
bool replaceWord(std::string &text, StringRef from, StringRef to, bool all,
                 Rng &rng) {
  std::vector<size_t> hits;
  for (size_t at = text.find(from.str()); at != std::string::npos;
       at = text.find(from.str(), at + 1)) {
    bool startOk = at == 0 || !isWordChar(text[at - 1]);
    size_t end = at + from.size();
    bool endOk = end >= text.size() || !isWordChar(text[end]);
    if (startOk && endOk)
      hits.push_back(at);
  }
  if (hits.empty())
    return false;
  if (!all)
    hits = {hits[rng() % hits.size()]};
  for (size_t at : llvm::reverse(hits))
    text.replace(at, from.size(), to.str());
  return true;
}

/// Lines of the text, as spans (without the newline).
std::vector<Span> lines(const std::string &text) {
  std::vector<Span> result;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == '\n') {
      result.push_back({start, i});
      start = i + 1;
    }
  return result;
}

/// One structured mutation; false if it found nothing to change.
bool mutateOnce(std::string &text, Rng &rng) {
  switch (rng() % 12) {
  case 0:
  case 1:
  case 10:
  case 11: { // One dimension value, in every type at once.
    std::vector<Span> dims = dimSpans(text);
    if (dims.empty())
      return false;
    Span chosen = pick(rng, dims);
    std::string from = text.substr(chosen.begin, chosen.end - chosen.begin);
    if (from == "?")
      return false;
    std::string to = nextInteger(from, rng);
    if (to.front() == '-')
      to = "?";
    bool alsoLiterals = rng() % 2;
    for (Span d : dims)
      if (text.compare(d.begin, d.end - d.begin, from) == 0)
        text.replace(d.begin, d.end - d.begin, to);
    std::vector<Span> literals = alsoLiterals
                                     ? numberSpans(text, /*floats=*/false)
                                     : std::vector<Span>{};
    for (Span n : llvm::reverse(literals))
      if (text.compare(n.begin, n.end - n.begin, from) == 0)
        text.replace(n.begin, n.end - n.begin, to);
    return true;
  }
  case 2: { // One dimension of one type.
    std::vector<Span> dims = dimSpans(text);
    if (dims.empty())
      return false;
    Span d = pick(rng, dims);
    std::string to =
        nextInteger(StringRef(text).substr(d.begin, d.end - d.begin), rng);
    if (to.front() == '-')
      to = "?";
    text.replace(d.begin, d.end - d.begin, to);
    return true;
  }
  case 3: { // The token count: static everywhere, or dynamic everywhere.
    std::vector<Span> dims = dimSpans(text);
    bool toStatic = rng() % 2;
    std::string value =
        pick(rng, std::vector<std::string>{"0", "1", "5", "300"});
    bool changed = false;
    for (Span d : dims) {
      // Only leading dims (T): right after the '<'.
      if (d.begin == 0 || text[d.begin - 1] != '<')
        continue;
      bool dynamic = text[d.begin] == '?';
      if (toStatic && dynamic) {
        text.replace(d.begin, 1, value);
        changed = true;
      } else if (!toStatic && !dynamic && rng() % 3 == 0) {
        text.replace(d.begin, d.end - d.begin, "?");
        changed = true;
      }
    }
    return changed;
  }
  case 4:
  case 5: { // A literal.
    bool floats = rng() % 2;
    std::vector<Span> spans = numberSpans(text, floats);
    if (spans.empty())
      return false;
    Span s = pick(rng, spans);
    text.replace(
        s.begin, s.end - s.begin,
        floats ? pick(rng, interestingFloats())
               : nextInteger(StringRef(text).substr(s.begin, s.end - s.begin),
                             rng));
    return true;
  }
  case 6:
  case 7: { // A keyword for another of its class (sometimes all of them).
    const std::vector<std::string> &cls = pick(rng, keywordClasses());
    const std::string &from = pick(rng, cls);
    const std::string &to = pick(rng, cls);
    return from != to && replaceWord(text, from, to, rng() % 4 == 0, rng);
  }
  case 8: { // A line dropped or duplicated, or a clause deleted.
    std::vector<Span> ls = lines(text);
    if (ls.size() < 2)
      return false;
    Span l = pick(rng, ls);
    std::string line = text.substr(l.begin, l.end - l.begin);
    switch (rng() % 3) {
    case 0:
      text.erase(l.begin, l.end - l.begin);
      return true;
    case 1:
      text.insert(l.end, "\n" + line);
      return true;
    default: {
      // From a ", " to the next ',' or ')' or '>' on the line.
      size_t comma = line.find(", ", rng() % std::max<size_t>(line.size(), 1));
      if (comma == std::string::npos)
        return false;
      size_t end = line.find_first_of(",)>", comma + 2);
      if (end == std::string::npos)
        return false;
      text.erase(l.begin + comma, end - comma);
      return true;
    }
    }
  }
  default: { // A clause the dialect knows.
    std::vector<size_t> spots;
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '>' || text[i] == ')' || text[i] == '\n')
        spots.push_back(i);
    if (spots.empty())
      return false;
    size_t at = pick(rng, spots);
    text.insert(text[at] == '\n' ? at : at, pick(rng, insertions()));
    return true;
  }
  }
}
} // namespace

size_t mlir::hmoe::fuzz::mutateIR(uint8_t *data, size_t size, size_t maxSize,
                                  unsigned seed) {
  Rng rng(seed);
  if (rng() % 4 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string text(reinterpret_cast<const char *>(data), size);
  // Comments change nothing the fuzzers test: drop them first.
  for (size_t at = text.find("//"); at != std::string::npos;
       at = text.find("//", at)) {
    size_t end = text.find('\n', at);
    text.erase(at, end == std::string::npos ? std::string::npos : end - at);
  }
  // One to three structured changes, so that dependent ones (a dimension
  // and a k) can meet.
  unsigned changes = 1 + rng() % 3, done = 0;
  for (unsigned attempt = 0; attempt < 8 && done < changes; ++attempt)
    done += mutateOnce(text, rng);
  if (done == 0 || text.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  return mlir::hmoe::fuzz::mutateIR(data, size, maxSize, seed);
}
