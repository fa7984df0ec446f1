//===- BufferCache.h - malloc/free for JIT-compiled layers -----*- C++ -*-===//
//
// A layer allocates and frees the same large buffers on every call: the
// tokens gathered for each expert, its hidden activations, the [T * K, D]
// expert outputs (134 MB for a DeepSeek-style layer at T = 4096). glibc maps
// a block over 32 MiB with mmap and unmaps it on free, so each call faults
// those pages in again (13% of W2's time was the kernel's page-fault path).
// JitLayer (and so hmoe-run and the Python package) resolves the compiled
// code's `malloc` and `free` to these functions: blocks of 64 KiB and more are
// kept when freed (up to a budget) and handed out again for a request of the
// same size or up to half smaller; small blocks go straight to the C library.
// An application that embeds a compiled layer brings its own allocator in the
// same way.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_RUNTIME_BUFFERCACHE_H
#define HMOE_RUNTIME_BUFFERCACHE_H

#include <cstddef>

namespace mlir::hmoe::runtime {
void *cachedMalloc(size_t bytes);
void cachedFree(void *block);
} // namespace mlir::hmoe::runtime

#endif // HMOE_RUNTIME_BUFFERCACHE_H
