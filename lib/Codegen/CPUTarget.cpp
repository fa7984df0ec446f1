//===- CPUTarget.cpp - the CPU a layer is compiled for, and its schedule --===//

#include "hmoe/Codegen/CPUTarget.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
std::string featureString(const llvm::StringMap<bool> &enabled) {
  SmallVector<std::string> parts;
  for (const auto &entry : enabled)
    if (entry.getValue())
      parts.push_back("+" + entry.getKey().str());
  llvm::sort(parts);
  return llvm::join(parts, ",");
}
} // namespace

FailureOr<CPUTarget> mlir::hmoe::resolveCPUTarget(StringRef name,
                                                  std::string &error) {
  CPUTarget target;
  llvm::StringMap<bool> enabled;
  if (name == "native") {
    target.cpu = llvm::sys::getHostCPUName().str();
    enabled = llvm::sys::getHostCPUFeatures();
  } else {
    if (llvm::X86::parseArchX86(name, /*Only64Bit=*/true) ==
        llvm::X86::CK_None) {
      error = ("unknown target CPU '" + name +
               "'; expected native or an x86-64 CPU LLVM knows (znver3, "
               "znver4, znver5, skylake-avx512, sapphirerapids, x86-64-v3, "
               "...)")
                  .str();
      return failure();
    }
    target.cpu = name.str();
    SmallVector<StringRef> features;
    llvm::X86::getFeaturesForCPU(name, features, /*NeedPlus=*/false);
    for (StringRef f : features)
      enabled[f] = true;
  }
  target.features = featureString(enabled);
  return target;
}

std::string mlir::hmoe::missingHostFeatures(StringRef features) {
  // What the host reports, plus the baseline of its CPU model that it does
  // not list (x87, cmov, ...) unless it reports them off.
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  SmallVector<StringRef> implied;
  llvm::X86::getFeaturesForCPU(llvm::sys::getHostCPUName(), implied,
                               /*NeedPlus=*/false);
  for (StringRef f : implied)
    host.try_emplace(f, true);
  SmallVector<StringRef> wanted, missing;
  features.split(wanted, ',', -1, /*KeepEmpty=*/false);
  // Only instruction-set extensions the generated code may use count: a
  // virtual machine often hides system features (pku, mwaitx, rdpru) that
  // compute code never issues.
  auto isInstructionSet = [](StringRef f) {
    return llvm::any_of(
        ArrayRef<StringRef>{"sse",  "ssse",   "avx",        "amx",    "fma",
                            "f16c", "bmi",    "lzcnt",      "popcnt", "movbe",
                            "cmov", "cx",     "x87",        "mmx",    "sha",
                            "aes",  "pclmul", "vpclmulqdq", "gfni",   "vaes",
                            "adx",  "prfchw"},
        [&](StringRef prefix) { return f.starts_with(prefix); });
  };
  for (StringRef f : wanted)
    if (f.consume_front("+") && isInstructionSet(f) && !host.lookup(f))
      missing.push_back(f);
  return llvm::join(missing, ",");
}

bool CPUTarget::has(StringRef feature) const {
  SmallVector<StringRef> all;
  StringRef(features).split(all, ',');
  return llvm::is_contained(all, ("+" + feature).str());
}

ArrayRef<CPUSchedule> mlir::hmoe::cpuSchedules() {
  // Register tiles: the accumulators and a row vector of each operand stay
  // within the register file (32 zmm for AVX-512, 16 ymm for AVX2 and SSE).
  // AVX-512, measured on a 2-core Zen 5 (W1, T = 4096, f32): 8x3 112 ms,
  // 4x4 116, 6x4 119, 4x6 120, 5x5 127, 4x7 145, 3x8 146, 2x12 220; bf16
  // 71-73 ms for all of 8x3, 4x6, 6x4, 4x4. f32 GEMMs with whole panels
  // of 32 weight rows take the packed outer-product kernel of 8 rows
  // (16 accumulators): W1 / W2 at T = 4096 111-115 / 188-191 ms against
  // 128-148 / 231-242 with the inner-product tile (8 rows: 107 ms for W1's
  // expert stage, 12 rows 111-118, 14 rows 120-136, 10 rows 111-124). With
  // AVX2 (6 rows of 2 ymm) it measured no faster than the tile (198 ms
  // both, znver3 code on the same host): not used there.
  //
  // BF16 dot products pay where vdpbf16ps outruns two f32 FMAs (Zen 4 and
  // Zen 5: W1 bf16 1.6x f32 and more). Golden Cove / Raptor Cove (Sapphire
  // and Emerald Rapids) issue FMAs on two ports: on an Emerald Rapids guest
  // (2 threads, a 4096 x 512 x 1024 bf16 GEMM, medians of 20 calls,
  // alternating) dot products took 28.9-30.2 ms, bf16 extended to f32
  // panels while packing 17.0-23.3 (f32 itself 17.2-23.2; W1 / W2 bf16
  // 16-36% / 6-35% faster): those CPUs take the f32 kernel. Not measured:
  // Granite Rapids, Cooper Lake (left on dot products).
  //
  // Every schedule's inner-product tile prefetches the next column tile's
  // weight rows into L2 (prefetchTiles = 1, the field's default): on a
  // 2-core Zen 4, W1 at T = 8-64 (weights streamed from memory) 1.2-1.5x
  // faster, with AVX-512 and with AVX2 code alike; weights that stay in L3
  // between calls pay about 10% at T = 1 (hmoe-vectorize-contractions'
  // description). Not yet measured on other CPUs.
  static const CPUSchedule schedules[] = {
      {"avx512-bf16-two-fma-ports", "avx512f,avx512bf16",
       "sapphirerapids,emeraldrapids", /*vectorWidth=*/16, /*tileRows=*/8,
       /*tileCols=*/3, /*rowsPerTask=*/64, /*taskBytes=*/256 << 10,
       /*kBlock=*/0, /*bf16Dot=*/false, /*routeTileTokens=*/32,
       /*packedRows=*/8},
      {"avx512-bf16", "avx512f,avx512bf16", "", 16, 8, 3, 64, 256 << 10, 0,
       true, 32, 8},
      {"avx512", "avx512f", "", 16, 8, 3, 64, 256 << 10, 0, false, 32, 8},
      {"avx2", "avx2,fma", "", 8, 4, 3, 64, 256 << 10, 0, false, 32},
      {"generic", "", "", 4, 4, 3, 64, 256 << 10, 0, false, 32},
  };
  return schedules;
}

const CPUSchedule &mlir::hmoe::scheduleFor(const CPUTarget &target) {
  for (const CPUSchedule &schedule : cpuSchedules()) {
    SmallVector<StringRef> required;
    schedule.requiredFeatures.split(required, ',', -1, /*KeepEmpty=*/false);
    SmallVector<StringRef> cpus;
    schedule.cpus.split(cpus, ',', -1, /*KeepEmpty=*/false);
    if (llvm::all_of(required, [&](StringRef f) { return target.has(f); }) &&
        (cpus.empty() || llvm::is_contained(cpus, target.cpu)))
      return schedule;
  }
  llvm_unreachable("the last schedule requires nothing");
}
