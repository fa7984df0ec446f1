//===- NpyFuzzer.cpp - fuzz hmoe-run's .npy reader ------------------------===//
//
// Any bytes go to npy::parse: it must return an array or an error, never
// read out of bounds or allocate without bound. An array it accepts must be
// self-consistent (its storage holds every element the shape promises).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Support/Npy.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir::hmoe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<npy::Array> array = npy::parse(bytes);
  if (!array) {
    // An error must say something.
    if (llvm::toString(array.takeError()).empty()) {
      llvm::errs() << "npy::parse failed with an empty message\n";
      abort();
    }
    return 0;
  }
  int64_t elements = array->numElements();
  uint64_t bytesNeeded = uint64_t(elements) * npy::size(array->dtype);
  if (elements < 0 || array->storage.size() * 8 < bytesNeeded ||
      bytesNeeded > size) {
    llvm::errs() << "npy::parse accepted an inconsistent array: " << elements
                 << " elements of " << npy::name(array->dtype) << " in "
                 << array->storage.size() * 8 << " bytes of storage"
                 << " from a " << size << "-byte input\n";
    abort();
  }
  return 0;
}
