//===- CUDARuntime.cpp - the mgpu* functions over the CUDA driver API -----===//
//
// libhmoe_cuda_runtime.so: what host code lowered by gpu-to-llvm (and its
// translation of gpu.binary / gpu.launch_func) calls, for layers compiled
// by hmoe-lower-to-nvvm. Debian ships no libmlir_cuda_runtime.so, and a
// layer compiled ahead of time must not need MLIR at run time, so hmoe has
// its own, over the CUDA driver API (libcuda.so.1) only:
//
// - Lazy modules: mgpuModuleLoad (called from the library's constructors)
//   records the fatbin; it is loaded into the context at the first launch
//   of one of its kernels, so loading a layer needs no GPU, and functions
//   are looked up once.
// - Stream reuse: mgpuStreamCreate hands out one non-blocking stream per
//   host thread, created once; mgpuStreamDestroy leaves it for the next
//   call.
// - A device memory pool: allocations are stream-ordered
//   (cuMemAllocAsync / cuMemFreeAsync) from the device's default pool,
//   whose release threshold is raised so that freed memory stays in it
//   between calls.
//
// A CUDA error prints the call, the error's name and description and exits
// the process with status 1 (as hmoe's run-time checks do): the host code
// that calls these functions has no way to handle one.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#define HMOE_RUNTIME_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
[[noreturn]] void fail(const char *call, CUresult result) {
  const char *name = nullptr, *description = nullptr;
  // The stub libcuda cannot name its own errors.
  if (cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (cuGetErrorString(result, &description) != CUDA_SUCCESS)
    description = nullptr;
  std::fprintf(stderr, "hmoe: CUDA error in %s: CUresult %d%s%s%s%s%s\n", call,
               static_cast<int>(result), name ? " " : "", name ? name : "",
               description ? " (" : "", description ? description : "",
               description ? ")" : "");
  const char *hint = "";
  if (result == CUDA_ERROR_STUB_LIBRARY)
    hint = "hmoe: libcuda.so.1 is the CUDA toolkit's stub, not a driver: this "
           "machine has no NVIDIA driver\n";
  // A layer's device-side run-time checks (hmoe-generate-size-checks) fail
  // with __assertfail, which printed the check.
  if (result == CUDA_ERROR_ASSERT)
    hint = "hmoe: error: run-time check failed on the device (an index "
           "operand out of range); the driver printed the check's message "
           "(\"... Assertion `...` failed.\")\n";
  std::fprintf(stderr, "%s", hint);
  // Every stream: the driver's copy of device printf and assert output may
  // still be in a buffer (_Exit flushes none).
  std::fflush(nullptr);
  std::_Exit(1);
}

#define CHECK(call)                                                            \
  do {                                                                         \
    CUresult result_ = (call);                                                 \
    if (result_ != CUDA_SUCCESS)                                               \
      fail(#call, result_);                                                    \
  } while (false)

int defaultDevice = 0;

/// The primary context of the default device, current on this thread.
CUcontext context() {
  static std::once_flag once;
  static CUcontext primary = nullptr;
  std::call_once(once, [] {
    CHECK(cuInit(0));
    CUdevice device;
    CHECK(cuDeviceGet(&device, defaultDevice));
    CHECK(cuDevicePrimaryCtxRetain(&primary, device));
    CHECK(cuCtxSetCurrent(primary));
    // Freed blocks stay in the default pool between calls.
    int pools = 0;
    CHECK(cuDeviceGetAttribute(
        &pools, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, device));
    if (pools) {
      CUmemoryPool pool;
      CHECK(cuDeviceGetDefaultMemPool(&pool, device));
      cuuint64_t keep = UINT64_MAX;
      CHECK(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                                  &keep));
    }
  });
  CUcontext current = nullptr;
  CHECK(cuCtxGetCurrent(&current));
  if (current != primary)
    CHECK(cuCtxSetCurrent(primary));
  return primary;
}

/// A module recorded at library load and loaded at its first use.
struct LazyModule {
  const void *image;
  std::mutex mutex;
  CUmodule module = nullptr;
  std::unordered_map<std::string, CUfunction> functions;
};
} // namespace

HMOE_RUNTIME_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  defaultDevice = device;
}

HMOE_RUNTIME_EXPORT LazyModule *mgpuModuleLoad(void *data,
                                               size_t /*gpuBlobSize*/) {
  auto *module = new LazyModule();
  module->image = data;
  return module;
}

HMOE_RUNTIME_EXPORT LazyModule *mgpuModuleLoadJIT(void *data,
                                                  int /*optLevel*/) {
  return mgpuModuleLoad(data, std::strlen(static_cast<char *>(data)) + 1);
}

HMOE_RUNTIME_EXPORT void mgpuModuleUnload(LazyModule *module) {
  if (!module)
    return;
  // At process exit the driver may be gone already: unload only what was
  // loaded, and ignore the result.
  if (module->module)
    cuModuleUnload(module->module);
  delete module;
}

HMOE_RUNTIME_EXPORT CUfunction mgpuModuleGetFunction(LazyModule *module,
                                                     const char *name) {
  context();
  std::lock_guard<std::mutex> lock(module->mutex);
  if (!module->module)
    CHECK(cuModuleLoadData(&module->module, module->image));
  auto [it, inserted] = module->functions.try_emplace(name, nullptr);
  if (inserted)
    CHECK(cuModuleGetFunction(&it->second, module->module, name));
  return it->second;
}

HMOE_RUNTIME_EXPORT void
mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                 intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                 intptr_t blockZ, int32_t smem, CUstream stream, void **params,
                 void **extra, size_t /*paramsCount*/) {
  context();
  // More than 48 KiB of dynamic shared memory must be asked for first.
  if (smem > 48 * 1024)
    CHECK(cuFuncSetAttribute(
        function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem));
  // An empty grid (no tokens) launches nothing.
  if (gridX == 0 || gridY == 0 || gridZ == 0)
    return;
  CHECK(cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                       smem, stream, params, extra));
}

HMOE_RUNTIME_EXPORT CUstream mgpuStreamCreate() {
  context();
  thread_local CUstream stream = nullptr;
  if (!stream)
    CHECK(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  return stream;
}

/// The per-thread stream is reused by the next call.
HMOE_RUNTIME_EXPORT void mgpuStreamDestroy(CUstream) {}

HMOE_RUNTIME_EXPORT void mgpuStreamSynchronize(CUstream stream) {
  context();
  CHECK(cuStreamSynchronize(stream));
}

HMOE_RUNTIME_EXPORT void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  context();
  CHECK(cuStreamWaitEvent(stream, event, /*flags=*/0));
}

HMOE_RUNTIME_EXPORT CUevent mgpuEventCreate() {
  context();
  CUevent event = nullptr;
  CHECK(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
  return event;
}

HMOE_RUNTIME_EXPORT void mgpuEventDestroy(CUevent event) {
  context();
  CHECK(cuEventDestroy(event));
}

HMOE_RUNTIME_EXPORT void mgpuEventSynchronize(CUevent event) {
  context();
  CHECK(cuEventSynchronize(event));
}

HMOE_RUNTIME_EXPORT void mgpuEventRecord(CUevent event, CUstream stream) {
  context();
  CHECK(cuEventRecord(event, stream));
}

HMOE_RUNTIME_EXPORT void *mgpuMemAlloc(uint64_t size, CUstream stream,
                                       bool isHostShared) {
  context();
  if (size == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  if (isHostShared)
    CHECK(cuMemAllocManaged(&ptr, size, CU_MEM_ATTACH_GLOBAL));
  else
    CHECK(cuMemAllocAsync(&ptr, size, stream));
  return reinterpret_cast<void *>(ptr);
}

HMOE_RUNTIME_EXPORT void mgpuMemFree(void *ptr, CUstream stream) {
  if (!ptr)
    return;
  context();
  CHECK(cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(ptr), stream));
}

HMOE_RUNTIME_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                                    CUstream stream) {
  context();
  CHECK(cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                      reinterpret_cast<CUdeviceptr>(src), sizeBytes, stream));
}

HMOE_RUNTIME_EXPORT void mgpuMemset32(void *dst, unsigned int value,
                                      size_t count, CUstream stream) {
  context();
  CHECK(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         stream));
}

HMOE_RUNTIME_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                      size_t count, CUstream stream) {
  context();
  CHECK(cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         stream));
}

HMOE_RUNTIME_EXPORT void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes) {
  context();
  CHECK(cuMemHostRegister(ptr, sizeBytes, /*flags=*/0));
}

HMOE_RUNTIME_EXPORT void mgpuMemHostUnregister(void *ptr) {
  context();
  CHECK(cuMemHostUnregister(ptr));
}

namespace {
/// The bytes a strided memref descriptor {allocated, aligned, offset,
/// sizes[rank], strides[rank]} spans from its aligned pointer.
struct Extent {
  char *base;
  uint64_t bytes;
};
Extent extentOf(int64_t rank, void *descriptor, int64_t elementSize) {
  auto *fields = static_cast<int64_t *>(descriptor);
  char *aligned = reinterpret_cast<char **>(descriptor)[1];
  int64_t offset = fields[2];
  int64_t last = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (fields[3 + i] == 0)
      return {aligned, 0};
    last += (fields[3 + i] - 1) * fields[3 + rank + i];
  }
  return {aligned + offset * elementSize,
          static_cast<uint64_t>((last + 1) * elementSize)};
}
} // namespace

HMOE_RUNTIME_EXPORT void
mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor, int64_t elementSize) {
  Extent e = extentOf(rank, descriptor, elementSize);
  if (e.bytes)
    mgpuMemHostRegister(e.base, e.bytes);
}

HMOE_RUNTIME_EXPORT void mgpuMemHostUnregisterMemRef(int64_t rank,
                                                     void *descriptor,
                                                     int64_t elementSize) {
  Extent e = extentOf(rank, descriptor, elementSize);
  if (e.bytes)
    mgpuMemHostUnregister(e.base);
}

//===----------------------------------------------------------------------===//
// For callers of a compiled layer (hmoe-run --target=cuda, scripts): device
// buffers and timing without linking libcuda themselves.
//===----------------------------------------------------------------------===//

/// Copies between host and device (or device and device), then waits.
HMOE_RUNTIME_EXPORT void hmoe_cuda_copy(void *dst, const void *src,
                                        size_t bytes) {
  context();
  CHECK(cuMemcpy(reinterpret_cast<CUdeviceptr>(dst),
                 reinterpret_cast<CUdeviceptr>(src), bytes));
}

HMOE_RUNTIME_EXPORT void *hmoe_cuda_alloc(size_t bytes) {
  context();
  CUdeviceptr ptr = 0;
  if (bytes)
    CHECK(cuMemAlloc(&ptr, bytes));
  return reinterpret_cast<void *>(ptr);
}

HMOE_RUNTIME_EXPORT void hmoe_cuda_free(void *ptr) {
  if (!ptr)
    return;
  context();
  CHECK(cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)));
}

/// Waits for everything queued on the device.
HMOE_RUNTIME_EXPORT void hmoe_cuda_synchronize() {
  context();
  CHECK(cuCtxSynchronize());
}

/// The device's name, or an empty string.
HMOE_RUNTIME_EXPORT const char *hmoe_cuda_device_name() {
  static char name[256];
  context();
  CUdevice device;
  CHECK(cuCtxGetDevice(&device));
  CHECK(cuDeviceGetName(name, sizeof(name), device));
  return name;
}

namespace {
/// The events bracketing timed calls on this thread's stream.
thread_local CUevent timerStart = nullptr, timerStop = nullptr;
} // namespace

/// Records the start of a timed region on the stream layers launch on.
HMOE_RUNTIME_EXPORT void hmoe_cuda_timer_start() {
  CUstream stream = mgpuStreamCreate();
  if (!timerStart) {
    CHECK(cuEventCreate(&timerStart, CU_EVENT_DEFAULT));
    CHECK(cuEventCreate(&timerStop, CU_EVENT_DEFAULT));
  }
  CHECK(cuEventRecord(timerStart, stream));
}

/// Milliseconds on the device since hmoe_cuda_timer_start (CUDA events).
HMOE_RUNTIME_EXPORT float hmoe_cuda_timer_stop() {
  CUstream stream = mgpuStreamCreate();
  CHECK(cuEventRecord(timerStop, stream));
  CHECK(cuEventSynchronize(timerStop));
  float ms = 0;
  CHECK(cuEventElapsedTime(&ms, timerStart, timerStop));
  return ms;
}
