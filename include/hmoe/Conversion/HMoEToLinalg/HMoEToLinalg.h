//===- HMoEToLinalg.h - hmoe to linalg on tensors ---------------*- C++ -*-===//
//
// The public entry points of the conversion, for a compiler that embeds
// hmoe in its own pipeline (the passes in Conversion/Passes.td are thin
// drivers over them).
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_CONVERSION_HMOETOLINALG_HMOETOLINALG_H
#define HMOE_CONVERSION_HMOETOLINALG_HMOETOLINALG_H

namespace mlir {
class ConversionTarget;
class RewritePatternSet;

namespace hmoe {

/// How the conversion shapes what it emits.
struct HMoEToLinalgOptions {
  /// Laplace and Gaussian scores in the centred GEMM form (see
  /// hmoe-fuse-distance), otherwise the direct form.
  bool gemmFormDistances = false;
  /// The expert loop's temporaries (gathered rows, hidden activations) are
  /// each expert's rows of stage-wide [slots, cols] tensors instead of
  /// tensors allocated per expert: what a GPU kernel, which cannot
  /// allocate, needs.
  bool expertStageScratch = false;
  /// > 0: the expert loop runs over (expert, tile of this many of its rows)
  /// instead of over experts, for as many tiles as an expert could have
  /// (most are empty): a GPU's blocks get tiles of comparable size however
  /// the tokens spread over experts. Needs expertStageScratch.
  int64_t expertRowTile = 0;
  /// > 0: the row tile instead of expertRowTile for experts whose GEMMs run
  /// on tensor cores (bf16/f16 weights; f32 ones with expertMMAF32), where
  /// a warp steps over more rows with each B fragment it loads.
  int64_t expertMMARowTile = 0;
  bool expertMMAF32 = false;
};

/// Patterns converting hmoe.moe (through its stages), hmoe.score,
/// hmoe.experts and hmoe.combine to linalg, tensor, arith, math and scf on
/// tensors. hmoe.route, hmoe.dispatch and hmoe.stats are left as they are
/// (destination-passing, bufferizable, route tileable).
void populateHMoEToLinalgPatterns(RewritePatternSet &patterns,
                                  const HMoEToLinalgOptions &options);

/// Only the GEMM form of Laplace and Gaussian scores (whole layers are
/// decomposed to reach them).
void populateHMoEDistanceToGemmPatterns(RewritePatternSet &patterns);

/// What populateHMoEToLinalgPatterns produces is legal; hmoe.moe,
/// hmoe.score, hmoe.experts and hmoe.combine are illegal; the routing ops
/// stay legal.
void configureHMoEToLinalgTarget(ConversionTarget &target);

} // namespace hmoe
} // namespace mlir

#endif // HMOE_CONVERSION_HMOETOLINALG_HMOETOLINALG_H
