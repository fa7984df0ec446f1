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

/// The m16n8 shape of one mma.sync step (its K: `stepDepth`), and the
/// threads of a warp (whose lane ids the fragment layouts are written in).
inline constexpr int64_t kMMARows = 16, kMMACols = 8;
inline constexpr int64_t kWarpSize = 32;

/// A contraction C[m, n] += A[m, k] * B[n, k] (the form of every hmoe GEMM:
/// weights are rows along K) accumulated in f32: A and B both bf16 or both
/// f16, extended to f32 (m16n8k16 steps), or with `tf32` both f32 (m16n8k8
/// steps on inputs rounded to TF32); N a static multiple of 8 and K of the
/// step's depth (M may be anything: rows are stepped 16 at a time and
/// masked).
///
/// A may also be gathered rows: C[m, n] += S[rows[m], k] * B[n, k], the
/// op's first input the integer row indices (map (m)) and the body reading
/// S (a tensor or buffer from outside the op) at (index_cast(rows[m]),
/// linalg.index k). That is how hmoe-tile-for-gpu{tensor-cores} fuses an
/// expert's gather of token rows into its GEMMs: the lanes read the token
/// rows themselves instead of a copy of them.
struct WarpMMAContraction {
  unsigned m, n, k;    // loop positions
  int64_t cols, depth; // static N and K
  Type inputType;      // bf16, f16, or f32 (run as TF32)
  Value rowSource;     // S of gathered rows; null where A is the first input

  bool isTF32() const { return inputType.isF32(); }
  /// K of one mma.sync step: m16n8k16 for bf16/f16, m16n8k8 for TF32.
  int64_t stepDepth() const { return isTF32() ? 8 : 16; }
  /// Elements of A or B in one 32-bit fragment register.
  int64_t perRegister() const { return isTF32() ? 1 : 2; }
};

std::optional<WarpMMAContraction> matchWarpMMAContraction(Operation *op,
                                                          bool tf32);

} // namespace mlir::hmoe

#endif // HMOE_LIB_CODEGEN_GPU_WARPMMA_H
