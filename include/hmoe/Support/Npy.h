//===- Npy.h - NumPy .npy arrays in and out ---------------------*- C++ -*-===//
//
// The subset of the .npy format (format versions 1-3) hmoe-run needs:
// little-endian f32, f64, f16, bf16, i32 and i64 arrays in C order. NumPy
// has no bf16 dtype: a bf16 array is its 16-bit patterns, read from '<u2'
// (what `a.view(np.uint16)` saves) or from '|V2'/'<V2' (what NumPy saves for
// an ml_dtypes.bfloat16 array), and written as '<u2'.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_SUPPORT_NPY_H
#define HMOE_SUPPORT_NPY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::hmoe::npy {

enum class DType { F32, F64, F16, BF16, I32, I64 };

/// `f32`, `f64`, `f16`, `bf16`, `i32` or `i64`.
llvm::StringRef name(DType dtype);
/// Bytes per element.
int64_t size(DType dtype);

struct Array {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Row-major elements, in 64-bit words so that any dtype is aligned.
  std::vector<uint64_t> storage;

  int64_t numElements() const;
  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }
  /// Allocates zeroed storage for `shape`.
  void allocate();
};

/// What a .npy header declares.
struct Header {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Where the data starts, and how many bytes it must be.
  uint64_t dataOffset = 0;
  uint64_t dataBytes = 0;
};

/// Parses the header at the start of `bytes` (the data may follow or not),
/// accepting what numpy.lib.format accepts. Errors say what was wrong.
llvm::Expected<Header> parseHeader(llvm::StringRef bytes);
/// Parses the bytes of a whole .npy file.
llvm::Expected<Array> parse(llvm::StringRef bytes);
/// Reads a .npy file: the header, then exactly the bytes it declares (so a
/// file that never ends is an error, not an unbounded read).
llvm::Expected<Array> read(llvm::StringRef path);
/// Writes `array` as a version 1.0 .npy file.
llvm::Error write(llvm::StringRef path, DType dtype,
                  const std::vector<int64_t> &shape, const void *data);

} // namespace mlir::hmoe::npy

#endif // HMOE_SUPPORT_NPY_H
