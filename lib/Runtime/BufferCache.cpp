//===- BufferCache.cpp - malloc/free for JIT-compiled layers --------------===//

#include "hmoe/Runtime/BufferCache.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <unistd.h>
#include <unordered_map>

namespace {
/// glibc serves blocks from 128 KiB up (its initial mmap threshold) with
/// mmap; from 64 KiB they are cached here instead.
constexpr size_t kLargeBlock = size_t(64) << 10;

/// Idle blocks are kept up to a quarter of physical memory (at most 4 GiB).
size_t idleBudget() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  size_t quarter = pages > 0 && pageSize > 0
                       ? size_t(pages) * size_t(pageSize) / 4
                       : size_t(1) << 30;
  return quarter < (size_t(4) << 30) ? quarter : size_t(4) << 30;
}

struct Cache {
  std::mutex mutex;
  /// Large blocks handed out, with their capacity.
  std::unordered_map<void *, size_t> live;
  /// Freed large blocks by capacity.
  std::multimap<size_t, void *> idle;
  size_t idleBytes = 0;
  const size_t budget = idleBudget();
};

Cache &cache() {
  static Cache *instance = new Cache; // outlives the JIT-compiled code
  return *instance;
}
} // namespace

void *mlir::hmoe::runtime::cachedMalloc(size_t bytes) {
  if (bytes < kLargeBlock)
    return std::malloc(bytes);
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    // The smallest idle block that fits and wastes at most half of itself.
    auto it = c.idle.lower_bound(bytes);
    if (it != c.idle.end() && it->first / 2 <= bytes) {
      void *block = it->second;
      c.live.emplace(block, it->first);
      c.idleBytes -= it->first;
      c.idle.erase(it);
      return block;
    }
  }
  void *block = std::malloc(bytes);
  if (!block)
    return nullptr;
  std::lock_guard<std::mutex> lock(c.mutex);
  c.live.emplace(block, bytes);
  return block;
}

void mlir::hmoe::runtime::cachedFree(void *block) {
  if (!block)
    return;
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.live.find(block);
    if (it != c.live.end()) {
      size_t capacity = it->second;
      c.live.erase(it);
      if (c.idleBytes + capacity <= c.budget) {
        c.idle.emplace(capacity, block);
        c.idleBytes += capacity;
        return;
      }
    }
  }
  std::free(block);
}
