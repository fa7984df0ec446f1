//===- MLIRMutator.h - structure-aware mutations of hmoe IR -----*- C++ -*-===//
//
// The custom mutator of the IR fuzzers (MLIRMutator.cpp says what it does).
// Each fuzzer's LLVMFuzzerCustomMutator calls mutateIR.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_TOOLS_FUZZ_MLIRMUTATOR_H
#define HMOE_TOOLS_FUZZ_MLIRMUTATOR_H

#include <cstddef>
#include <cstdint>

namespace mlir::hmoe::fuzz {

/// Mutates the IR text in `data` (`size` bytes, room for `maxSize`) in place
/// and returns its new size; deterministic for a given `seed`.
size_t mutateIR(uint8_t *data, size_t size, size_t maxSize, unsigned seed);

} // namespace mlir::hmoe::fuzz

#endif // HMOE_TOOLS_FUZZ_MLIRMUTATOR_H
