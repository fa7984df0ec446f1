// RUN: hmoe-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(hmoe-lower-warp-routes))'

// 48 experts: not a whole number of registers per lane.
func.func @experts_not_a_multiple_of_32(%l: memref<?x48xf32>,
    %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x48xf32>) {
  scf.forall (%i) in (2) {
    // expected-error @+1 {{is in a loop over GPU warps, but one warp cannot route it: expected one gate over a multiple of 32 experts, at most 512, in at most 16 groups, with at most 64 selections (top-k and group top-m winners)}}
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

// 64 groups: more than a warp route's straight-line code takes (LLVM took
// minutes over 64 groups' scores and the pick of 57).
func.func @too_many_groups(%l: memref<?x128xf32>,
    %w: memref<?x4xf32>, %e: memref<?x4xi32>, %p: memref<?x128xf32>) {
  scf.forall (%i) in (2) {
    // expected-error @+1 {{in at most 16 groups}}
    hmoe.route #hmoe.strategy<group_limited, groups = 64, k_groups = 57, group_score = sum_top<2>>
        level(#hmoe.gate<linear, sigmoid, k = 4>, logits %l : memref<?x128xf32>)
        outs(%w, %e, %p : memref<?x4xf32>, memref<?x4xi32>, memref<?x128xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// 16 groups of 8 experts choosing 5 each: 80 selections.
func.func @too_many_selections(%l: memref<?x128xf32>,
    %w: memref<?x80xf32>, %e: memref<?x80xi32>, %p: memref<?x128xf32>) {
  scf.forall (%i) in (2) {
    // expected-error @+1 {{with at most 64 selections}}
    hmoe.route #hmoe.strategy<per_group, groups = 16>
        level(#hmoe.gate<linear, softmax, k = 5>, logits %l : memref<?x128xf32>)
        outs(%w, %e, %p : memref<?x80xf32>, memref<?x80xi32>, memref<?x128xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// The threads of a loop over warps need a static count.
func.func @dynamic_warps(%n: index, %l: memref<?x64xf32>,
    %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x64xf32>) {
  // expected-error @+1 {{is a loop over GPU warps holding a route; expected one dimension from 0 by 1, a static trip count and no results}}
  scf.forall (%i) in (%n) {
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x64xf32>)
        outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x64xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// A loop from 2 by 2: its iteration is not the warp's index.
func.func @not_normalized(%l: memref<?x64xf32>,
    %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x64xf32>) {
  // expected-error @+1 {{expected one dimension from 0 by 1}}
  scf.forall (%i) = (2) to (6) step (2) {
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x64xf32>)
        outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x64xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Two routes in one warp loop.
func.func @two_routes(%l: memref<?x64xf32>,
    %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x64xf32>) {
  // expected-error @+1 {{is a loop over GPU warps holding two routes; expected one}}
  scf.forall (%i) in (2) {
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x64xf32>)
        outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x64xf32>)
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x64xf32>)
        outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x64xf32>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
