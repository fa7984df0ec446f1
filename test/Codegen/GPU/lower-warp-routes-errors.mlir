// RUN: hmoe-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(hmoe-lower-warp-routes))'

// 48 experts: not a whole number of registers per lane.
func.func @experts_not_a_multiple_of_32(%l: memref<?x48xf32>,
    %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x48xf32>) {
  scf.forall (%i) in (2) {
    // expected-error @+1 {{is in a loop over GPU warps, but one warp cannot route it: expected one gate over a multiple of 32 experts, at most 512}}
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x48xf32>)
        outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x48xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Two levels: not one gate.
func.func @two_levels(%l1: memref<?x32xf32>, %l2: memref<?x32x32xf32>,
    %w: memref<?x1xf32>, %e: memref<?x1xi32>, %p: memref<?x1024xf32>) {
  scf.forall (%i) in (2) {
    // expected-error @+1 {{one warp cannot route it}}
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 1>, logits %l1 : memref<?x32xf32>)
        level(#hmoe.gate<linear, softmax, k = 1>, logits %l2 : memref<?x32x32xf32>)
        outs(%w, %e, %p : memref<?x1xf32>, memref<?x1xi32>, memref<?x1024xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// The threads of a loop over warps need a static count.
func.func @dynamic_warps(%n: index, %l: memref<?x64xf32>,
    %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x64xf32>) {
  // expected-error @+1 {{is a loop over GPU warps holding a route; expected one dimension, a static trip count and no results}}
  scf.forall (%i) in (%n) {
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x64xf32>)
        outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x64xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
