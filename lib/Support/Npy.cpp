//===- Npy.cpp - NumPy .npy arrays in and out -----------------------------===//

#include "hmoe/Support/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir::hmoe::npy;
using llvm::StringRef;

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Finds `'key':` in the header dict and returns the text after it.
llvm::Expected<StringRef> valueOf(StringRef header, StringRef key) {
  std::string quoted = ("'" + key + "'").str();
  size_t at = header.find(quoted);
  if (at == StringRef::npos)
    return fail("header has no '" + key + "' entry");
  StringRef rest = header.drop_front(at + quoted.size()).ltrim();
  if (!rest.consume_front(":"))
    return fail("header entry '" + key + "' has no value");
  return rest.ltrim();
}

llvm::Expected<DType> parseDescr(StringRef header) {
  auto value = valueOf(header, "descr");
  if (!value)
    return value.takeError();
  StringRef v = *value;
  if (v.empty() || (v[0] != '\'' && v[0] != '"'))
    return fail("'descr' is not a string");
  size_t end = v.find(v[0], 1);
  if (end == StringRef::npos)
    return fail("'descr' is not a terminated string");
  StringRef descr = v.substr(1, end - 1);
  if (descr == "<f4")
    return DType::F32;
  if (descr == "<f8")
    return DType::F64;
  if (descr == "<i4")
    return DType::I32;
  if (descr == "<i8")
    return DType::I64;
  return fail("unsupported dtype '" + descr +
              "'; expected little-endian f32 (<f4), f64 (<f8), i32 (<i4) "
              "or i64 (<i8)");
}

llvm::Expected<std::vector<int64_t>> parseShape(StringRef header) {
  auto value = valueOf(header, "shape");
  if (!value)
    return value.takeError();
  StringRef v = *value;
  if (!v.consume_front("("))
    return fail("'shape' is not a tuple");
  size_t close = v.find(')');
  if (close == StringRef::npos)
    return fail("'shape' tuple is not closed");
  std::vector<int64_t> shape;
  llvm::SmallVector<StringRef> parts;
  v.substr(0, close).split(parts, ',');
  for (StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue; // (3,) has a trailing comma
    if (part.ends_with("L"))
      part = part.drop_back();
    uint64_t dim;
    if (part.getAsInteger(10, dim) || dim > (uint64_t(1) << 40))
      return fail("'shape' has a bad dimension '" + part + "'");
    shape.push_back(static_cast<int64_t>(dim));
  }
  if (shape.size() > 16)
    return fail("rank " + llvm::Twine(shape.size()) + " is over the limit 16");
  return shape;
}
} // namespace

StringRef mlir::hmoe::npy::name(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  llvm_unreachable("unknown dtype");
}

int64_t mlir::hmoe::npy::size(DType dtype) {
  return dtype == DType::F32 || dtype == DType::I32 ? 4 : 8;
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

llvm::Expected<Array> mlir::hmoe::npy::parse(StringRef bytes) {
  if (!bytes.consume_front("\x93NUMPY"))
    return fail("not a .npy file (bad magic)");
  if (bytes.size() < 2)
    return fail("truncated header");
  unsigned major = static_cast<unsigned char>(bytes[0]);
  bytes = bytes.drop_front(2);
  uint64_t headerLen;
  if (major == 1) {
    if (bytes.size() < 2)
      return fail("truncated header");
    headerLen = static_cast<unsigned char>(bytes[0]) |
                (static_cast<unsigned char>(bytes[1]) << 8);
    bytes = bytes.drop_front(2);
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 4)
      return fail("truncated header");
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = (headerLen << 8) | static_cast<unsigned char>(bytes[i]);
    bytes = bytes.drop_front(4);
  } else {
    return fail("unsupported .npy format version " + llvm::Twine(major));
  }
  if (headerLen > bytes.size())
    return fail("truncated header");
  StringRef header = bytes.substr(0, headerLen);
  bytes = bytes.drop_front(headerLen);

  Array array;
  auto dtype = parseDescr(header);
  if (!dtype)
    return dtype.takeError();
  array.dtype = *dtype;
  auto fortran = valueOf(header, "fortran_order");
  if (!fortran)
    return fortran.takeError();
  if (fortran->starts_with("True"))
    return fail("Fortran-order arrays are not supported; save in C order "
                "(numpy.ascontiguousarray)");
  auto shape = parseShape(header);
  if (!shape)
    return shape.takeError();
  array.shape = std::move(*shape);
  // Guard the byte count against overflow before comparing.
  uint64_t elements = 1;
  for (int64_t d : array.shape) {
    if (d != 0 && elements > (uint64_t(1) << 40) / d)
      return fail("array is too large");
    elements *= d;
  }
  uint64_t expected = elements * size(array.dtype);
  if (bytes.size() != expected)
    return fail("data is " + llvm::Twine(bytes.size()) +
                " bytes; shape and "
                "dtype need " +
                llvm::Twine(expected));
  array.allocate();
  if (expected)
    std::memcpy(array.data(), bytes.data(), expected);
  return array;
}

llvm::Expected<Array> mlir::hmoe::npy::read(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read '" + path + "': " + buffer.getError().message());
  auto array = parse((*buffer)->getBuffer());
  if (!array)
    return fail("'" + path + "': " + llvm::toString(array.takeError()));
  return array;
}

llvm::Error mlir::hmoe::npy::write(StringRef path, DType dtype,
                                   const std::vector<int64_t> &shape,
                                   const void *data) {
  std::string descr = dtype == DType::F32   ? "<f4"
                      : dtype == DType::F64 ? "<f8"
                      : dtype == DType::I32 ? "<i4"
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
  if (os.has_error())
    return fail("cannot write '" + path + "': " + os.error().message());
  return llvm::Error::success();
}
