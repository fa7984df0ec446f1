// RUN: hmoe-opt %s --hmoe-lower-routing-to-loops=vector-width=16 --split-input-file | FileCheck %s

// A route is routed 16 tokens at a time when its per-lane scratch fits the
// 64 KiB a group of lanes may take on a thread's stack (routeScratchElements
// x 4 bytes x 16 lanes). DeepSeek-V3's route (256 experts, 8 groups, top 8)
// fits: about 3 x 256 + 3 x 8 + 3 x 8 elements (the level's probabilities;
// the keys and a probabilities copy; the winners; the groups), 51 KiB.
// CHECK-LABEL: func.func @deepseek_v3
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: memref.alloca() : memref<4096xf32>
// CHECK: vector<16xf32>
func.func @deepseek_v3(%l: memref<?x256xf32>, %b: memref<256xf32>, %w: memref<?x8xf32>, %e: memref<?x8xi32>, %p: memref<?x256xf32>) {
  hmoe.route #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 8, scale = 2.5>, logits %l : memref<?x256xf32>, selection_bias %b : memref<256xf32>)
      outs(%w, %e, %p : memref<?x8xf32>, memref<?x8xi32>, memref<?x256xf32>)
  return
}

// -----

// 1024 experts do not fit (over 3072 elements a lane, 192 KiB for 16): the
// route stays scalar, one token at a time.
// CHECK-LABEL: func.func @wide
// CHECK-NOT: vector<16x
// CHECK: memref.alloca() : memref<1024xf32>
// CHECK-NOT: vector<16x
// CHECK: return
func.func @wide(%l: memref<?x1024xf32>, %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x1024xf32>) {
  hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x1024xf32>)
      outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x1024xf32>)
  return
}

// -----

// per_group picks k in every group: 8 x 32 = 256 winners, each with a
// position, probability and weight a lane (over 1500 elements with the
// probabilities and keys): scalar.
// CHECK-LABEL: func.func @per_group_many_winners
// CHECK-NOT: vector<16x
// CHECK: return
func.func @per_group_many_winners(%l: memref<?x256xf32>, %w: memref<?x256xf32>, %e: memref<?x256xi32>, %p: memref<?x256xf32>) {
  hmoe.route #hmoe.strategy<per_group, groups = 8>
      level(#hmoe.gate<linear, softmax, k = 32>, logits %l : memref<?x256xf32>)
      outs(%w, %e, %p : memref<?x256xf32>, memref<?x256xi32>, memref<?x256xf32>)
  return
}
