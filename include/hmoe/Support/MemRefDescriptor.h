//===- MemRefDescriptor.h - a lowered layer's descriptors -------*- C++ -*-===//
//
// A tensor argument or result of a lowered layer is a memref descriptor of
// 64-bit words: allocated pointer, aligned pointer, offset, then `rank`
// sizes and `rank` strides. The descriptor checks (hmoe-check-descriptors)
// and the callers that pack and unpack descriptors (JitLayer) count its
// words the same way.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_SUPPORT_MEMREFDESCRIPTOR_H
#define HMOE_SUPPORT_MEMREFDESCRIPTOR_H

#include <cstdint>

namespace mlir::hmoe {

/// Words of a rank-`rank` memref descriptor.
constexpr int64_t memrefDescriptorWords(int64_t rank) { return 3 + 2 * rank; }

} // namespace mlir::hmoe

#endif // HMOE_SUPPORT_MEMREFDESCRIPTOR_H
