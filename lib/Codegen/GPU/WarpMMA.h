//===- WarpMMA.h - contractions a warp runs on tensor cores ----*- C++ -*-===//
//
// What hmoe-tile-for-gpu{tensor-cores} tiles over warps and
// hmoe-warp-contractions-to-mma lowers to nvvm.mma.sync: the two passes
// agree through this matcher, not through who built the op.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_LIB_CODEGEN_GPU_WARPMMA_H
#define HMOE_LIB_CODEGEN_GPU_WARPMMA_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::hmoe {

/// The m16n8k16 shape of one mma.sync step, and the threads of a warp
/// (whose lane ids the fragment layouts are written in).
inline constexpr int64_t kMMARows = 16, kMMACols = 8, kMMADepth = 16;
inline constexpr int64_t kWarpSize = 32;

/// A contraction C[m, n] += A[m, k] * B[n, k] (the form of every hmoe GEMM:
/// weights are rows along K) with A and B both bf16 or both f16, extended
/// to f32 and accumulated in f32, N a static multiple of 8 and K a static
/// multiple of 16 (M may be anything: rows are stepped 16 at a time and
/// masked).
struct WarpMMAContraction {
  unsigned m, n, k;    // loop positions
  int64_t cols, depth; // static N and K
  Type inputType;      // bf16 or f16
};

std::optional<WarpMMAContraction> matchWarpMMAContraction(Operation *op);

} // namespace mlir::hmoe

#endif // HMOE_LIB_CODEGEN_GPU_WARPMMA_H
