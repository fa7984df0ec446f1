// RUN: hmoe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-lower-warp-routes,canonicalize,cse))' | FileCheck %s
// RUN: hmoe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-lower-warp-routes{emulate},canonicalize,cse))' | FileCheck %s --check-prefix=EMU

// A group-limited route over 64 experts in a loop over 2 warps
// (hmoe-tile-for-gpu's warp-route-experts), each warp its tokens.
//
// The GPU: the warp loop becomes a loop over its 64 threads, each with
// its warp's iteration (id / 32) and its lane (id % 32); the route a loop
// over the warp's tokens in which lane l reads the logits of experts l and
// l + 32 (no per-thread arrays), exchanges maxima, sums and winners by
// butterfly shuffles (xor 16, 8, 4, 2, 1), and stores its experts'
// probabilities; every lane stores the token's choices.
// CHECK-LABEL: func.func @group_limited_on_warps
// CHECK-SAME: (%[[L:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<?x2xf32>, %[[E:.*]]: memref<?x2xi32>, %[[P:.*]]: memref<?x64xf32>)
// CHECK-NOT: mapping = [#gpu.warp
// CHECK: scf.forall (%[[ID:.*]]) in (64) {
// CHECK:   %[[WARP:.*]] = arith.divui %[[ID]], %[[C32:.*]] : index
// CHECK:   %[[LANE:.*]] = arith.remui %[[ID]], %[[C32]] : index
// CHECK:   %[[T0:.*]] = arith.muli %[[WARP]]
// CHECK:   %[[LS:.*]] = memref.subview %[[L]][%[[T0]], 0]
// CHECK:   scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NOT:   memref.alloca() : memref<64x
// CHECK:       %[[AT1:.*]] = arith.addi %[[LANE]], %[[C32]] : index
// CHECK:       memref.load %[[LS]][%[[T]], %[[LANE]]]
// CHECK:       memref.load %[[LS]][%[[T]], %[[AT1]]]
// CHECK:       gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : f32
// CHECK:       gpu.shuffle  xor %{{.*}}, %c8_i32, %c32_i32 : f32
// CHECK:       gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK:       memref.store %{{.*}}, %{{.*}}[%[[T]], %{{.*}}] : memref<?x64xf32, strided
// CHECK:       gpu.shuffle  xor %{{.*}}, %c16_i32, %c32_i32 : i32
// CHECK:       memref.store %{{.*}}, %{{.*}}[%[[T]], %{{.*}}] : memref<?x2xi32, strided
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}

// Emulated: the warp loop stays, each iteration the whole warp as
// vector<32> values: a lane's logits one vector load per 32 experts, a
// shuffle a vector.shuffle with lane i taking lane i ^ mask's element,
// the winners (the same in every lane) read from lane 0 behind a cf.assert
// that every lane holds the same (the GPU form takes each lane's own).
// EMU-LABEL: func.func @group_limited_on_warps
// EMU: scf.forall (%{{.*}}) in (2) {
// EMU:   scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step
// EMU:     vector.load %{{.*}}[%[[T]], %{{.*}}] : memref<?x64xf32, strided<[64, 1], offset: ?>>, vector<32xf32>
// EMU:     vector.shuffle %{{.*}}, %{{.*}} [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<32xf32>, vector<32xf32>
// EMU:     vector.shuffle %{{.*}}, %{{.*}} [1, 0, 3, 2,
// EMU:     vector.store %{{.*}}, %{{.*}}[%[[T]], %{{.*}}] : memref<?x64xf32, strided<[64, 1], offset: ?>>, vector<32xf32>
// EMU:     %[[AT:.*]] = vector.extract %[[ATS:.*]][0] : i32 from vector<32xi32>
// EMU:     %[[ATS0:.*]] = vector.broadcast %[[AT]] : i32 to vector<32xi32>
// EMU:     %[[SAME:.*]] = arith.cmpi eq, %[[ATS]], %[[ATS0]] : vector<32xi32>
// EMU:     %[[ALL:.*]] = vector.reduction <and>, %[[SAME]] : vector<32xi1> into i1
// EMU:     cf.assert %[[ALL]], "hmoe-lower-warp-routes{emulate}: the lanes of a warp disagree on a route's winner, which every lane must hold"
// EMU: } {mapping = [#gpu.warp<linear_dim_0>]}
func.func @group_limited_on_warps(%l: memref<?x64xf32>, %w: memref<?x2xf32>,
                                  %e: memref<?x2xi32>, %p: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %n = memref.dim %w, %c0 : memref<?x2xf32>
  %per = arith.ceildivui %n, %c2 : index
  scf.forall (%i) in (2) {
    %t0 = arith.muli %i, %per : index
    %left = arith.subi %n, %t0 : index
    %rows = arith.minsi %per, %left : index
    %ls = memref.subview %l[%t0, 0] [%rows, 64] [1, 1]
        : memref<?x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
    %ws = memref.subview %w[%t0, 0] [%rows, 2] [1, 1]
        : memref<?x2xf32> to memref<?x2xf32, strided<[2, 1], offset: ?>>
    %es = memref.subview %e[%t0, 0] [%rows, 2] [1, 1]
        : memref<?x2xi32> to memref<?x2xi32, strided<[2, 1], offset: ?>>
    %ps = memref.subview %p[%t0, 0] [%rows, 64] [1, 1]
        : memref<?x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
    hmoe.route #hmoe.strategy<group_limited, groups = 4, k_groups = 2>
        level(#hmoe.gate<linear, softmax, k = 2>,
              logits %ls : memref<?x64xf32, strided<[64, 1], offset: ?>>)
        outs(%ws, %es, %ps : memref<?x2xf32, strided<[2, 1], offset: ?>>,
             memref<?x2xi32, strided<[2, 1], offset: ?>>,
             memref<?x64xf32, strided<[64, 1], offset: ?>>)
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// A route in a loop over threads is not this pass's.
// CHECK-LABEL: func.func @route_on_threads
// CHECK: hmoe.route
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}
func.func @route_on_threads(%l: memref<?x64xf32>, %w: memref<?x2xf32>,
                            %e: memref<?x2xi32>, %p: memref<?x64xf32>) {
  scf.forall (%i) in (2) {
    hmoe.route #hmoe.strategy<nested>
        level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x64xf32>)
        outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x64xf32>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}
