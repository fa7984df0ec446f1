//===- CPUTarget.h - the CPU a layer is compiled for, and its schedule -*- C++
//-*-===//
//
// The CPU pipeline's choices that depend on the machine (vector width,
// register tile, task sizes, BF16 dot products) come from one table of
// schedules, keyed by the target CPU's features and, where cores with the
// same features differ in speed, its name: the host by default, or a CPU
// that LLVM knows by name. A compiled module records its target
// (`hmoe.target_cpu`, `hmoe.target_features`), so that a runner generates
// code for that CPU and refuses a host that lacks its features.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_CODEGEN_CPUTARGET_H
#define HMOE_CODEGEN_CPUTARGET_H

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::hmoe {

/// Module attributes naming the CPU a module was compiled for (declared and
/// verified by the dialect).
constexpr llvm::StringLiteral kTargetCpuAttr =
    HMoEDialect::TargetCpuAttrHelper::getNameStr();
constexpr llvm::StringLiteral kTargetFeaturesAttr =
    HMoEDialect::TargetFeaturesAttrHelper::getNameStr();

/// The CPU a layer is compiled for.
struct CPUTarget {
  /// LLVM's name for it (znver5, skylake-avx512, x86-64-v3, ...).
  std::string cpu;
  /// LLVM's feature string for it ("+avx2,+fma,...").
  std::string features;

  /// Whether the target has LLVM feature `feature` ("avx512bf16").
  bool has(llvm::StringRef feature) const;
};

/// `native` (the host) or an x86-64 CPU that LLVM knows by name. Fails with
/// `error` set for an unknown name.
FailureOr<CPUTarget> resolveCPUTarget(llvm::StringRef name, std::string &error);

/// The instruction-set features of `features` (a "+a,-b" string) that the
/// host lacks, comma-separated, or "".
std::string missingHostFeatures(llvm::StringRef features);

/// Sizes of the CPU code for one kind of target. A table of these, not code,
/// decides what the CPU pipeline emits for a target.
struct CPUSchedule {
  llvm::StringLiteral name;
  /// The LLVM features a target needs for this schedule, comma-separated.
  llvm::StringLiteral requiredFeatures;
  /// LLVM's names of the CPUs this schedule is for, comma-separated (""
  /// for any CPU with the features).
  llvm::StringLiteral cpus;
  /// f32 lanes of a vector register.
  int64_t vectorWidth;
  /// The GEMM register tile: tileRows x tileCols accumulators.
  int64_t tileRows, tileCols;
  /// Rows of a GEMM task (a thread's work item) and bytes of weight rows
  /// per task (about the L2 cache).
  int64_t rowsPerTask, taskBytes;
  /// K elements per pass over a task (0: all of K).
  int64_t kBlock;
  /// bf16 GEMMs use AVX-512 BF16 dot products (vdpbf16ps).
  bool bf16Dot;
  /// Tokens per hmoe.route tile (a thread's work item).
  int64_t routeTileTokens;
  /// Rows of the packed-weight outer-product GEMM kernel (0: not used).
  int64_t packedRows = 0;
  /// Column tiles ahead whose weight rows the GEMM tile prefetches.
  int64_t prefetchTiles = 1;
};

/// The schedule table, most capable target first.
llvm::ArrayRef<CPUSchedule> cpuSchedules();

/// The first schedule of the table that `target` can run and that is for
/// its CPU.
const CPUSchedule &scheduleFor(const CPUTarget &target);

} // namespace mlir::hmoe

#endif // HMOE_CODEGEN_CPUTARGET_H
