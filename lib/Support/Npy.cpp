//===- Npy.cpp - NumPy .npy arrays in and out -----------------------------===//
//
// The header is a Python dict literal. It is parsed as one (not searched for
// keys) and held to what numpy.lib.format accepts: exactly the keys 'descr',
// 'fortran_order' and 'shape', a bool, a tuple of non-negative ints, at most
// 10000 bytes. Files are read header first, then exactly the bytes the header
// declares, so a stream that never ends (/dev/zero) or a header that declares
// terabytes costs nothing.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Support/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <unistd.h>

using namespace mlir::hmoe::npy;
using llvm::StringRef;

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// numpy.lib.format refuses longer headers (max_header_size).
constexpr uint64_t kMaxHeaderBytes = 10000;
constexpr size_t kMagicBytes = 6;
constexpr int64_t kMaxRank = 16;

/// A value of the header dict.
struct Value {
  enum Kind { String, Bool, Integer, Tuple } kind;
  std::string string;
  bool boolean = false;
  uint64_t integer = 0;
  std::vector<uint64_t> tuple;
};

/// A recursive-descent parser for the Python literals a .npy header holds:
/// a dict of string keys to strings, True/False and tuples of integers.
class HeaderParser {
public:
  HeaderParser(StringRef text, bool allowLongSuffix)
      : rest(text), allowLongSuffix(allowLongSuffix) {}

  /// Parses the whole header into `entries`.
  llvm::Error
  parseDict(llvm::SmallVectorImpl<std::pair<std::string, Value>> &entries) {
    skipSpace();
    if (!consume('{'))
      return fail("header is not a dictionary");
    skipSpace();
    while (!consume('}')) {
      std::string key;
      if (llvm::Error e = parseString(key))
        return e;
      skipSpace();
      if (!consume(':'))
        return fail("header entry '" + key + "' has no ':'");
      skipSpace();
      Value value;
      if (llvm::Error e = parseValue(key, value))
        return e;
      entries.emplace_back(key, std::move(value));
      skipSpace();
      if (consume(','))
        skipSpace();
      else if (!rest.starts_with("}"))
        return fail("header dictionary is not closed");
    }
    skipSpace();
    if (!rest.empty())
      return fail("header has text after the dictionary");
    return llvm::Error::success();
  }

private:
  void skipSpace() { rest = rest.ltrim(" \t\n\r"); }
  bool consume(char c) { return rest.consume_front(StringRef(&c, 1)); }

  llvm::Error parseString(std::string &out) {
    if (rest.empty() || (rest[0] != '\'' && rest[0] != '"'))
      return fail("expected a quoted string in the header");
    char quote = rest[0];
    size_t end = rest.find(quote, 1);
    if (end == StringRef::npos)
      return fail("header has an unterminated string");
    StringRef body = rest.substr(1, end - 1);
    if (body.contains('\\') || body.contains('\n'))
      return fail("header string '" + body + "' has escapes or newlines");
    out = body.str();
    rest = rest.drop_front(end + 1);
    return llvm::Error::success();
  }

  llvm::Error parseInteger(StringRef key, uint64_t &out) {
    size_t digits = rest.find_first_not_of("0123456789");
    StringRef number = rest.substr(0, digits);
    if (number.empty())
      return fail("'" + key +
                  "' holds something other than non-negative "
                  "integers");
    rest = rest.drop_front(number.size());
    if (allowLongSuffix)
      rest.consume_front("L");
    if (number.getAsInteger(10, out))
      return fail("'" + key + "' has an integer out of range: " + number);
    return llvm::Error::success();
  }

  llvm::Error parseValue(StringRef key, Value &value) {
    if (rest.starts_with("'") || rest.starts_with("\"")) {
      value.kind = Value::String;
      return parseString(value.string);
    }
    for (auto [word, b] : {std::pair<StringRef, bool>{"True", true},
                           std::pair<StringRef, bool>{"False", false}}) {
      if (rest.starts_with(word)) {
        StringRef after = rest.drop_front(word.size());
        if (!after.empty() && (llvm::isAlnum(after[0]) || after[0] == '_'))
          break;
        rest = after;
        value.kind = Value::Bool;
        value.boolean = b;
        return llvm::Error::success();
      }
    }
    if (!rest.empty() && llvm::isDigit(rest[0])) {
      value.kind = Value::Integer;
      return parseInteger(key, value.integer);
    }
    if (!consume('('))
      return fail("'" + key + "' has a value that is not a string, a bool, " +
                  "an integer or a tuple");
    value.kind = Value::Tuple;
    skipSpace();
    bool needsComma = false; // (3) is an int, not a tuple
    while (!consume(')')) {
      if (rest.empty())
        return fail("'" + key + "' tuple is not closed");
      uint64_t n;
      if (llvm::Error e = parseInteger(key, n))
        return e;
      value.tuple.push_back(n);
      skipSpace();
      if (consume(',')) {
        skipSpace();
        needsComma = false;
      } else if (rest.starts_with(")")) {
        needsComma = value.tuple.size() == 1;
      } else {
        return fail("'" + key + "' tuple has a malformed element list");
      }
    }
    if (needsComma)
      return fail("'" + key + "' is a parenthesised integer, not a tuple");
    return llvm::Error::success();
  }

  StringRef rest;
  bool allowLongSuffix;
};

llvm::Expected<DType> dtypeOf(StringRef descr) {
  static const std::pair<StringRef, DType> known[] = {
      {"<f4", DType::F32},  {"<f8", DType::F64},  {"<f2", DType::F16},
      {"<u2", DType::BF16}, {"|V2", DType::BF16}, {"<V2", DType::BF16},
      {"<i4", DType::I32},  {"<i8", DType::I64}};
  for (auto [text, dtype] : known)
    if (descr == text)
      return dtype;
  return fail("unsupported dtype '" + descr +
              "'; expected little-endian f32 (<f4), f64 (<f8), f16 (<f2), "
              "bf16 bit patterns (<u2 or |V2), i32 (<i4) or i64 (<i8)");
}

/// Bytes of the magic, version and header-length fields for `major`.
std::optional<size_t> prefixBytes(unsigned major) {
  if (major == 1)
    return kMagicBytes + 2 + 2;
  if (major == 2 || major == 3)
    return kMagicBytes + 2 + 4;
  return std::nullopt;
}
} // namespace

StringRef mlir::hmoe::npy::name(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  llvm_unreachable("unknown dtype");
}

int64_t mlir::hmoe::npy::size(DType dtype) {
  switch (dtype) {
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

int64_t Array::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

void Array::allocate() {
  int64_t bytes = numElements() * size(dtype);
  storage.assign((bytes + 7) / 8, 0);
}

llvm::Expected<Header> mlir::hmoe::npy::parseHeader(StringRef bytes) {
  if (!bytes.consume_front("\x93NUMPY"))
    return fail("not a .npy file (bad magic)");
  if (bytes.size() < 2)
    return fail("truncated header");
  unsigned major = static_cast<unsigned char>(bytes[0]);
  std::optional<size_t> prefix = prefixBytes(major);
  if (!prefix)
    return fail("unsupported .npy format version " + llvm::Twine(major));
  bytes = bytes.drop_front(2);
  size_t lengthBytes = *prefix - kMagicBytes - 2;
  if (bytes.size() < lengthBytes)
    return fail("truncated header");
  uint64_t headerLen = 0;
  for (size_t i = lengthBytes; i-- > 0;)
    headerLen = (headerLen << 8) | static_cast<unsigned char>(bytes[i]);
  bytes = bytes.drop_front(lengthBytes);
  if (headerLen > kMaxHeaderBytes)
    return fail("header is " + llvm::Twine(headerLen) +
                " bytes; numpy reads at most " + llvm::Twine(kMaxHeaderBytes));
  if (headerLen > bytes.size())
    return fail("truncated header");

  llvm::SmallVector<std::pair<std::string, Value>> entries;
  HeaderParser parser(bytes.substr(0, headerLen),
                      /*allowLongSuffix=*/major < 3);
  if (llvm::Error e = parser.parseDict(entries))
    return std::move(e);
  const Value *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (auto &[key, value] : entries) {
    const Value **slot = key == "descr"           ? &descr
                         : key == "fortran_order" ? &fortran
                         : key == "shape"         ? &shape
                                                  : nullptr;
    if (!slot)
      return fail("header has the key '" + key +
                  "'; expected exactly 'descr', 'fortran_order' and 'shape'");
    if (*slot)
      return fail("header has the key '" + key + "' twice");
    *slot = &value;
  }
  if (!descr || !fortran || !shape)
    return fail("header lacks '" +
                StringRef(!descr     ? "descr"
                          : !fortran ? "fortran_order"
                                     : "shape") +
                "'; expected 'descr', 'fortran_order' and 'shape'");
  if (descr->kind != Value::String)
    return fail("'descr' is not a string");
  if (fortran->kind != Value::Bool)
    return fail("'fortran_order' is not True or False");
  if (shape->kind != Value::Tuple)
    return fail("'shape' is not a tuple");

  Header header;
  auto dtype = dtypeOf(descr->string);
  if (!dtype)
    return dtype.takeError();
  header.dtype = *dtype;
  if (fortran->boolean)
    return fail("Fortran-order arrays are not supported; save in C order "
                "(numpy.ascontiguousarray)");
  if (static_cast<int64_t>(shape->tuple.size()) > kMaxRank)
    return fail("rank " + llvm::Twine(shape->tuple.size()) +
                " is over the limit " + llvm::Twine(kMaxRank));
  // Element and byte counts must fit int64 (every index and stride that
  // hmoe-run computes is signed), also when a zero dim empties the array:
  // the strides are products of the other dims.
  uint64_t elements = 1, strideSpan = 1;
  for (uint64_t d : shape->tuple) {
    uint64_t nonZero = std::max<uint64_t>(d, 1);
    if (strideSpan > static_cast<uint64_t>(INT64_MAX / 8) / nonZero)
      return fail("shape (" +
                  llvm::join(llvm::map_range(
                                 shape->tuple,
                                 [](uint64_t v) { return std::to_string(v); }),
                             ", ") +
                  ") has too many elements");
    strideSpan *= nonZero;
    elements *= d;
    header.shape.push_back(static_cast<int64_t>(d));
  }
  header.dataOffset = *prefix + headerLen;
  header.dataBytes = elements * size(header.dtype);
  return header;
}

static llvm::Error sizeMismatch(uint64_t have, uint64_t need) {
  return fail("data is " + llvm::Twine(have) + " bytes; shape and dtype need " +
              llvm::Twine(need));
}

llvm::Expected<Array> mlir::hmoe::npy::parse(StringRef bytes) {
  auto header = parseHeader(bytes);
  if (!header)
    return header.takeError();
  StringRef data = bytes.drop_front(header->dataOffset);
  if (data.size() != header->dataBytes)
    return sizeMismatch(data.size(), header->dataBytes);
  Array array;
  array.dtype = header->dtype;
  array.shape = header->shape;
  array.allocate();
  if (!data.empty())
    std::memcpy(array.data(), data.data(), data.size());
  return array;
}

namespace {
/// Reads up to `size` bytes; fewer only at the end of the file.
llvm::Expected<size_t> readUpTo(llvm::sys::fs::file_t fd, char *out,
                                size_t size) {
  size_t done = 0;
  while (done < size) {
    auto n = llvm::sys::fs::readNativeFile(
        fd, llvm::MutableArrayRef<char>(out + done, size - done));
    if (!n)
      return n.takeError();
    if (*n == 0)
      break;
    done += *n;
  }
  return done;
}

/// The physical memory of this machine, the most an array may declare.
uint64_t physicalMemory() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0)
    return UINT64_MAX;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
}
} // namespace

llvm::Expected<Array> mlir::hmoe::npy::read(StringRef path) {
  auto prefix = [&](const llvm::Twine &message) {
    return fail("'" + path + "': " + message);
  };
  auto fd = llvm::sys::fs::openNativeFileForRead(path);
  if (!fd)
    return fail("cannot read '" + path +
                "': " + llvm::toString(fd.takeError()));
  llvm::scope_exit closeFile([&] { llvm::sys::fs::closeFile(*fd); });
  auto readError = [&](llvm::Error e) {
    return fail("cannot read '" + path + "': " + llvm::toString(std::move(e)));
  };

  // Magic, version and header length first; then the header it announces.
  std::string head(kMagicBytes + 2 + 4, '\0');
  auto got = readUpTo(*fd, head.data(), kMagicBytes + 2);
  if (!got)
    return readError(got.takeError());
  head.resize(*got);
  if (*got == kMagicBytes + 2) {
    std::optional<size_t> prefixSize =
        prefixBytes(static_cast<unsigned char>(head[kMagicBytes]));
    size_t lengthBytes = prefixSize ? *prefixSize - kMagicBytes - 2 : 0;
    head.resize(kMagicBytes + 2 + lengthBytes);
    got = readUpTo(*fd, head.data() + kMagicBytes + 2, lengthBytes);
    if (!got)
      return readError(got.takeError());
    head.resize(kMagicBytes + 2 + *got);
    if (*got == lengthBytes && lengthBytes) {
      uint64_t headerLen = 0;
      for (size_t i = lengthBytes; i-- > 0;)
        headerLen = (headerLen << 8) |
                    static_cast<unsigned char>(head[kMagicBytes + 2 + i]);
      if (headerLen <= kMaxHeaderBytes) {
        size_t before = head.size();
        head.resize(before + headerLen);
        got = readUpTo(*fd, head.data() + before, headerLen);
        if (!got)
          return readError(got.takeError());
        head.resize(before + *got);
      }
    }
  }
  auto header = parseHeader(head);
  if (!header)
    return prefix(llvm::toString(header.takeError()));
  if (header->dataBytes > physicalMemory())
    return prefix("the array is " + llvm::Twine(header->dataBytes) +
                  " bytes, more than this machine's memory");
  // A regular file says its size: check it before allocating.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(*fd, status) &&
      status.type() == llvm::sys::fs::file_type::regular_file &&
      status.getSize() != header->dataOffset + header->dataBytes)
    return prefix(
        llvm::toString(sizeMismatch(status.getSize() < header->dataOffset
                                        ? 0
                                        : status.getSize() - header->dataOffset,
                                    header->dataBytes)));

  Array array;
  array.dtype = header->dtype;
  array.shape = header->shape;
  array.allocate();
  got = readUpTo(*fd, static_cast<char *>(array.data()), header->dataBytes);
  if (!got)
    return readError(got.takeError());
  if (*got != header->dataBytes)
    return prefix(llvm::toString(sizeMismatch(*got, header->dataBytes)));
  char extra;
  got = readUpTo(*fd, &extra, 1);
  if (!got)
    return readError(got.takeError());
  if (*got)
    return prefix("has data after the " + llvm::Twine(header->dataBytes) +
                  " bytes the header declares");
  return array;
}

llvm::Error mlir::hmoe::npy::write(StringRef path, DType dtype,
                                   const std::vector<int64_t> &shape,
                                   const void *data) {
  std::string descr = dtype == DType::F32    ? "<f4"
                      : dtype == DType::F64  ? "<f8"
                      : dtype == DType::F16  ? "<f2"
                      : dtype == DType::BF16 ? "<u2"
                      : dtype == DType::I32  ? "<i4"
                                             : "<i8";
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  else if (shape.size() == 1)
    dims.pop_back();
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n', padded to 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  os << "\x93NUMPY" << '\x01' << '\x00';
  os << static_cast<char>(header.size() & 0xff)
     << static_cast<char>(header.size() >> 8);
  os << header;
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  os.write(static_cast<const char *>(data), n * size(dtype));
  os.close();
  if (os.has_error()) {
    std::string message = os.error().message();
    // A stream destroyed with an error pending is a fatal LLVM error.
    os.clear_error();
    return fail("cannot write '" + path + "': " + message);
  }
  return llvm::Error::success();
}
