// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{tf32 row-tiles=1 prefetch=false load-bytes=16}))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 row-tiles=1 load-bytes=16}))' %s | FileCheck %s --check-prefix=EMU
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{tf32 row-tiles=1 prefetch=false}))' %s | FileCheck %s --check-prefix=EIGHT
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{tf32 load-bytes=16}))' %s | FileCheck %s --check-prefix=TILES2

// load-bytes=16: each lane loads a run of its rows' K columns, 16 bytes
// at K = k0 + 8t for bf16 (t = lane % 4, a K step of 32), and mma step s
// of the K step takes the run's registers 2s and 2s + 1 as its two halves
// of K, for A and B alike (an mma step sums over whichever K its lanes
// hold). Behind a test that A and B start 16-byte aligned; else the PTX
// ISA's order (4-byte registers at 2t and 2t + 8, K steps of 16).
// warp-contractions-to-mma.mlir checks that order.
// CHECK-LABEL: func.func @bf16_runs16
// CHECK-SAME: (%[[A:.*]]: memref<?x64xbf16>, %[[W:.*]]: memref<8x64xbf16>
// CHECK: %[[C15:.*]] = arith.constant 15 : index
// CHECK: %[[APTR:.*]] = memref.extract_aligned_pointer_as_index %[[A]]
// CHECK: %[[AADDR:.*]] = arith.addi %[[APTR]], %{{.*}} : index
// CHECK: %[[AMIS:.*]] = arith.andi %[[AADDR]], %[[C15]] : index
// CHECK: %[[WPTR:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: %[[WADDR:.*]] = arith.addi %[[WPTR]], %{{.*}} : index
// CHECK: %[[WMIS:.*]] = arith.andi %[[WADDR]], %[[C15]] : index
// CHECK: %[[MIS:.*]] = arith.ori %[[AMIS]], %[[WMIS]] : index
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %[[MIS]], %{{.*}} : index
// CHECK: scf.if %[[ALIGNED]] {
// CHECK:   %[[T:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// CHECK:   %[[KLANE:.*]] = arith.muli %[[T]], %c8{{.*}} : index
// CHECK:   scf.for %[[K0:.*]] = %{{.*}} to %c64 step %c32{{.*}} iter_args(
// CHECK:     %[[KW:.*]] = arith.addi %[[K0]], %[[KLANE]] : index
// CHECK:     %[[BROW:.*]] = vector.load %[[W]][%{{.*}}, %[[KW]]] {alignment = 16 : i64} : memref<8x64xbf16>, vector<8xbf16>
// CHECK:     %[[B0:.*]] = vector.shuffle %[[BROW]], %[[BROW]] [0, 1]
// CHECK:     %[[B1:.*]] = vector.shuffle %[[BROW]], %[[BROW]] [2, 3]
// CHECK:     %[[B2:.*]] = vector.shuffle %[[BROW]], %[[BROW]] [4, 5]
// CHECK:     %[[B3:.*]] = vector.shuffle %[[BROW]], %[[BROW]] [6, 7]
// CHECK:     %[[B0I:.*]] = llvm.bitcast %[[B0]]
// CHECK:     %[[B1I:.*]] = llvm.bitcast %[[B1]]
// CHECK:     %[[B2I:.*]] = llvm.bitcast %[[B2]]
// CHECK:     %[[B3I:.*]] = llvm.bitcast %[[B3]]
// CHECK:     %[[KA:.*]] = arith.addi %[[K0]], %[[KLANE]] : index
// CHECK:     %[[AROW0:.*]] = vector.load %[[A]][%{{.*}}, %[[KA]]] {alignment = 16 : i64} : memref<?x64xbf16>, vector<8xbf16>
// CHECK:     %[[R00:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [0, 1]
// CHECK:     %[[R01:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [2, 3]
// CHECK:     %[[R02:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [4, 5]
// CHECK:     %[[R03:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [6, 7]
// CHECK:     %[[AROW1:.*]] = vector.load %[[A]][%{{.*}}, %[[KA]]] {alignment = 16 : i64} : memref<?x64xbf16>, vector<8xbf16>
// CHECK:     %[[R10:.*]] = vector.shuffle %[[AROW1]], %[[AROW1]] [0, 1]
// CHECK:     %[[R11:.*]] = vector.shuffle %[[AROW1]], %[[AROW1]] [2, 3]
// CHECK:     %[[R12:.*]] = vector.shuffle %[[AROW1]], %[[AROW1]] [4, 5]
// CHECK:     %[[R13:.*]] = vector.shuffle %[[AROW1]], %[[AROW1]] [6, 7]
// CHECK:     %[[A0:.*]] = llvm.bitcast %[[R00]]
// CHECK:     %[[A1:.*]] = llvm.bitcast %[[R10]]
// CHECK:     %[[A2:.*]] = llvm.bitcast %[[R01]]
// CHECK:     %[[A3:.*]] = llvm.bitcast %[[R11]]
// CHECK:     %[[A4:.*]] = llvm.bitcast %[[R02]]
// CHECK:     %[[A5:.*]] = llvm.bitcast %[[R12]]
// CHECK:     %[[A6:.*]] = llvm.bitcast %[[R03]]
// CHECK:     %[[A7:.*]] = llvm.bitcast %[[R13]]
// CHECK:     %[[STEP0:.*]] = nvvm.mma.sync A[%[[A0]], %[[A1]], %[[A2]], %[[A3]]]  B[%[[B0I]], %[[B1I]]]
// CHECK:     %[[S0:.*]] = llvm.extractvalue %[[STEP0]][0]
// CHECK:     %[[S1:.*]] = llvm.extractvalue %[[STEP0]][1]
// CHECK:     %[[S2:.*]] = llvm.extractvalue %[[STEP0]][2]
// CHECK:     %[[S3:.*]] = llvm.extractvalue %[[STEP0]][3]
// CHECK:     nvvm.mma.sync A[%[[A4]], %[[A5]], %[[A6]], %[[A7]]]  B[%[[B2I]], %[[B3I]]]  C[%[[S0]], %[[S1]], %[[S2]], %[[S3]]]
// CHECK-NOT: nvvm.mma.sync
// CHECK:     scf.yield
// CHECK: } else {
// CHECK:   scf.for %{{.*}} = %{{.*}} to %c64 step %c16{{.*}} iter_args(
// CHECK:     vector.load %[[W]]{{.*}} {alignment = 4 : i64} : memref<8x64xbf16>, vector<2xbf16>
// CHECK:     nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK:     scf.yield
// The default, 8 bytes: runs of 4 at K = k0 + 4t (K steps of 16, one mma
// step each), each run's first register the step's first half of K, its
// second the second half, for A (rows g, g + 8) and B alike.
// EIGHT-LABEL: func.func @bf16_runs16
// EIGHT: arith.andi %{{.*}}, %[[C7:.*]] : index
// EIGHT: scf.if
// EIGHT:   %[[T:.*]] = arith.remui %{{.*}}, %c4{{.*}} : index
// EIGHT:   %[[KLANE:.*]] = arith.muli %[[T]], %c4{{.*}} : index
// EIGHT:   scf.for %[[K0:.*]] = %{{.*}} to %c64 step %c16{{.*}} iter_args(
// EIGHT:     %[[KW:.*]] = arith.addi %[[K0]], %[[KLANE]] : index
// EIGHT:     %[[BROW:.*]] = vector.load %{{.*}}[%{{.*}}, %[[KW]]] {alignment = 8 : i64} : memref<8x64xbf16>, vector<4xbf16>
// EIGHT:     %[[B0:.*]] = vector.shuffle %[[BROW]], %[[BROW]] [0, 1]
// EIGHT:     %[[B1:.*]] = vector.shuffle %[[BROW]], %[[BROW]] [2, 3]
// EIGHT:     %[[B0I:.*]] = llvm.bitcast %[[B0]]
// EIGHT:     %[[B1I:.*]] = llvm.bitcast %[[B1]]
// EIGHT:     %[[AROW0:.*]] = vector.load {{.*}} {alignment = 8 : i64} : memref<?x64xbf16>, vector<4xbf16>
// EIGHT:     %[[R00:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [0, 1]
// EIGHT:     %[[R01:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [2, 3]
// EIGHT:     %[[AROW1:.*]] = vector.load {{.*}} {alignment = 8 : i64} : memref<?x64xbf16>, vector<4xbf16>
// EIGHT:     %[[R10:.*]] = vector.shuffle %[[AROW1]], %[[AROW1]] [0, 1]
// EIGHT:     %[[R11:.*]] = vector.shuffle %[[AROW1]], %[[AROW1]] [2, 3]
// EIGHT:     %[[A0:.*]] = llvm.bitcast %[[R00]]
// EIGHT:     %[[A1:.*]] = llvm.bitcast %[[R10]]
// EIGHT:     %[[A2:.*]] = llvm.bitcast %[[R01]]
// EIGHT:     %[[A3:.*]] = llvm.bitcast %[[R11]]
// EIGHT:     nvvm.mma.sync A[%[[A0]], %[[A1]], %[[A2]], %[[A3]]]  B[%[[B0I]], %[[B1I]]]
// EIGHT-NOT: nvvm.mma.sync
// EIGHT:     scf.yield
// Emulated, the same choice: the warp's A and B registers have room for
// the two mma steps of a K step ([row tile x step, lane, reg]), the lanes
// store both steps' registers (A's run of row g in registers 0 and 2 of
// step 0, then of step 1), and each step reads its own.
// EMU-LABEL: func.func @bf16_runs16
// EMU: %[[ACC:.*]] = memref.alloca() : memref<1x32x4xf32>
// EMU: %[[AREGS:.*]] = memref.alloca() : memref<2x32x4xvector<2xbf16>>
// EMU: %[[BREGS:.*]] = memref.alloca() : memref<2x32x2xvector<2xbf16>>
// EMU: scf.if
// EMU:   scf.for %{{.*}} to %c64 step %c32{{.*}} {
// EMU:     scf.for %[[LANE:[^ ]*]] =
// EMU:       %[[AROW0:.*]] = vector.load %{{.*}} {alignment = 16 : i64} : memref<?x64xbf16>, vector<8xbf16>
// EMU:       %[[R00:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [0, 1]
// EMU:       %[[R01:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [2, 3]
// EMU:       %[[R02:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [4, 5]
// EMU:       %[[R03:.*]] = vector.shuffle %[[AROW0]], %[[AROW0]] [6, 7]
// EMU:       memref.store %[[R00]], %[[AREGS]][%c0{{[_0-9]*}}, %[[LANE]], %c0{{[_0-9]*}}] :
// EMU:       memref.store %{{.*}}, %[[AREGS]][%c0{{[_0-9]*}}, %[[LANE]], %c1{{[_0-9]*}}] :
// EMU:       memref.store %[[R01]], %[[AREGS]][%c0{{[_0-9]*}}, %[[LANE]], %c2{{[_0-9]*}}] :
// EMU:       memref.store %{{.*}}, %[[AREGS]][%c0{{[_0-9]*}}, %[[LANE]], %c3{{[_0-9]*}}] :
// EMU:       memref.store %[[R02]], %[[AREGS]][%c1{{[_0-9]*}}, %[[LANE]], %c0{{[_0-9]*}}] :
// EMU:       memref.store %{{.*}}, %[[AREGS]][%c1{{[_0-9]*}}, %[[LANE]], %c1{{[_0-9]*}}] :
// EMU:       memref.store %[[R03]], %[[AREGS]][%c1{{[_0-9]*}}, %[[LANE]], %c2{{[_0-9]*}}] :
// EMU: } else {
// EMU-NOT: vector<8xbf16>
// EMU-LABEL: func.func @bf16_k48

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_runs16(%a: memref<?x64xbf16>, %w: memref<8x64xbf16>, %c: memref<?x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<?x64xbf16>, memref<8x64xbf16>)
        outs(%c : memref<?x8xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// K = 48 is not whole 32-column K steps: runs of 8 bytes (4 elements, a
// K step of 16, one mma step).
// CHECK-LABEL: func.func @bf16_k48
// CHECK: arith.andi %{{.*}}, %[[C7:.*]] : index
// CHECK: arith.andi %{{.*}}, %[[C7]] : index
// CHECK: scf.if
// CHECK:   scf.for %{{.*}} to %c48 step %c16{{.*}} iter_args(
// CHECK:     %[[BROW:.*]] = vector.load {{.*}} {alignment = 8 : i64} : memref<8x48xbf16>, vector<4xbf16>
// CHECK:     vector.shuffle %[[BROW]], %[[BROW]] [0, 1]
// CHECK:     vector.shuffle %[[BROW]], %[[BROW]] [2, 3]
// CHECK:     nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK:     scf.yield
// CHECK: } else {

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_k48(%a: memref<16x48xbf16>, %w: memref<8x48xbf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x48xbf16>, memref<8x48xbf16>)
        outs(%c : memref<16x8xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// A view starting 4 elements into its buffer: 16-byte runs would not be
// aligned, 8-byte ones are (the test still looks at the base addresses).
// CHECK-LABEL: func.func @bf16_offset4
// CHECK: arith.andi %{{.*}}, %[[C7:.*]] : index
// CHECK: scf.if
// CHECK:   vector.load {{.*}} {alignment = 8 : i64} : memref<8x64xbf16>, vector<4xbf16>
// CHECK:   vector.load {{.*}} {alignment = 8 : i64} : memref<16x64xbf16, strided<[64, 1], offset: 4>>, vector<4xbf16>
// CHECK: } else {

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_offset4(%a: memref<16x64xbf16, strided<[64, 1], offset: 4>>, %w: memref<8x64xbf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x64xbf16, strided<[64, 1], offset: 4>>, memref<8x64xbf16>)
        outs(%c : memref<16x8xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// A row stride of 66 keeps no run of 4 aligned: the ISA's order only, no
// test.
// CHECK-LABEL: func.func @bf16_stride66
// CHECK-NOT: scf.if
// CHECK-NOT: vector<4xbf16>
// CHECK-NOT: vector<8xbf16>
// CHECK: nvvm.mma.sync

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_stride66(%a: memref<16x64xbf16, strided<[66, 1]>>, %w: memref<8x64xbf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x64xbf16, strided<[66, 1]>>, memref<8x64xbf16>)
        outs(%c : memref<16x8xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// TF32: a register is one f32, so a 16-byte run is 4 of them at K = k0 +
// 4t (a K step of 16): registers 0 and 1 for the first m16n8k8 step's two
// halves, 2 and 3 for the second.
// CHECK-LABEL: func.func @tf32_runs16
// CHECK: arith.andi %{{.*}}, %[[C15:.*]] : index
// CHECK: scf.if
// CHECK:   scf.for %{{.*}} to %c32{{.*}} step %c16{{.*}} iter_args(
// CHECK:     %[[BROW:.*]] = vector.load {{.*}} {alignment = 16 : i64} : memref<8x32xf32>, vector<4xf32>
// CHECK:     vector.shuffle %[[BROW]], %[[BROW]] [0]
// CHECK:     vector.shuffle %[[BROW]], %[[BROW]] [3]
// CHECK:     nvvm.mma.sync {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 8>
// CHECK:     nvvm.mma.sync {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 8>
// CHECK-NOT: nvvm.mma.sync
// CHECK:     scf.yield
// CHECK: } else {
// CHECK:   scf.for %{{.*}} to %c32{{.*}} step %c8{{.*}} iter_args(
// CHECK:     nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK:     scf.yield

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @tf32_runs16(%a: memref<16x32xf32>, %w: memref<8x32xf32>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xf32>, memref<8x32xf32>) outs(%c : memref<16x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// 16-byte runs for 4 8-column steps (16 accumulators and twice 2 x (4 +
// 8) fragment registers: 64) would pass the register budget (40): 8-byte
// runs.
// CHECK-LABEL: func.func @bf16_budget
// CHECK: arith.andi %{{.*}}, %[[C7:.*]] : index
// CHECK: scf.if
// CHECK:   vector.load {{.*}} {alignment = 8 : i64} : memref<32x64xbf16>, vector<4xbf16>
// CHECK-NOT: vector<8xbf16>
// CHECK: } else {
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_budget(%a: memref<16x64xbf16>, %w: memref<32x64xbf16>, %c: memref<16x32xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x64xbf16>, memref<32x64xbf16>)
        outs(%c : memref<16x32xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Two row tiles of 4 8-column steps (W1's and W2's expert GEMMs): 16-byte
// runs (32 accumulators and twice 2 x (8 + 8) fragment registers: 96)
// would pass the register budget; 8-byte runs, one mma step's registers,
// hold what the ISA's order holds and are taken whatever the budget (an
// earlier rule budgeted them too, 64 > 40, and left these GEMMs in the
// ISA's order).
// TILES2-LABEL: func.func @bf16_two_tiles
// TILES2: scf.if
// TILES2: vector.load {{.*}} {alignment = 8 : i64} : memref<32x64xbf16>, vector<4xbf16>
// TILES2-NOT: vector<8xbf16>
// TILES2: nvvm.mma.sync
// TILES2: } else {
// TILES2: vector.load {{.*}} {alignment = 4 : i64} : memref<32x64xbf16>, vector<2xbf16>
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_two_tiles(%a: memref<32x64xbf16>, %w: memref<32x64xbf16>, %c: memref<32x32xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<32x64xbf16>, memref<32x64xbf16>)
        outs(%c : memref<32x32xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
