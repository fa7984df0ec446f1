// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 split-tf32 row-tiles=1 prefetch=false}))' %s | FileCheck %s
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 split-tf32 tf32 row-tiles=1 prefetch=false}))' %s | FileCheck %s
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 emulate split-tf32 row-tiles=1}))' %s | FileCheck %s --check-prefix=EMU

// Split TF32 (3xTF32, the split-tf32 option, over tf32): each f32 the lane
// loads is big + small, big its TF32 rounding (the rounding of
// warp-contractions-to-mma-tf32.mlir) and small the TF32 rounding of
// v - big (exact in f32), 0 where big is not finite; each m16n8k8 step
// becomes three on the same accumulators, small A x big B, big A x small
// B, then big x big (small x small, under f32's rounding, left out).
// matrix-gpu-mapped-tensor-cores.test checks the emulated form against the
// float64 reference at f32's tolerance, which plain TF32 fails.
// CHECK-LABEL: func.func @split
// CHECK:     scf.for {{.*}} iter_args(%[[C0:[^ ]*]] = %{{.*}}, %[[C1:[^ ]*]] = %{{.*}}, %[[C2:[^ ]*]] = %{{.*}}, %[[C3:[^ ]*]] = %{{.*}})
// B's first register: the f32 bits, then their parts.
// CHECK:     %[[XB0:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// CHECK:     %[[RB0:.*]] = arith.bitcast %[[XB0]] : f32 to i32
// CHECK:     %[[VB0:.*]] = arith.bitcast %[[RB0]] : i32 to f32
// CHECK:     %[[BIGB0:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK:     %[[EXPB:.*]] = arith.andi %{{.*}}, %{{.*}} : i32
// CHECK:     %[[FINB:.*]] = arith.cmpi ne, %[[EXPB]], %{{.*}} : i32
// CHECK:     %[[RESTB:.*]] = arith.subf %[[VB0]], %[[BIGB0]] : f32
// CHECK:     %[[RESTB32:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[SMALLB0:.*]] = arith.select %[[FINB]], %[[RESTB32]], %[[ZERO]] : f32
// CHECK-NEXT: %[[IBIGB0:.*]] = arith.bitcast %[[BIGB0]] : f32 to i32
// CHECK-NEXT: %[[ISMALLB0:.*]] = arith.bitcast %[[SMALLB0]] : f32 to i32
// The second's likewise.
// CHECK:     arith.constant 0.000000e+00 : f32
// CHECK-NEXT: arith.select
// CHECK-NEXT: %[[IBIGB1:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK-NEXT: %[[ISMALLB1:.*]] = arith.bitcast %{{.*}} : f32 to i32
// A's four registers, each split the same way.
// CHECK-COUNT-4: arith.subf
// CHECK:     %[[S1:.*]] = nvvm.mma.sync A[%[[SA0:[^,]*]], %[[SA1:[^,]*]], %[[SA2:[^,]*]], %[[SA3:[^,]*]]]  B[%[[IBIGB0]], %[[IBIGB1]]]  C[%[[C0]], %[[C1]], %[[C2]], %[[C3]]]
// CHECK-SAME:  multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>
// CHECK:     %[[D0:.*]] = llvm.extractvalue %[[S1]][0]
// CHECK:     %[[S2:.*]] = nvvm.mma.sync A[%[[BA0:[^,]*]], %[[BA1:[^,]*]], %[[BA2:[^,]*]], %[[BA3:[^,]*]]]  B[%[[ISMALLB0]], %[[ISMALLB1]]]  C[%[[D0]],
// CHECK:     %[[E0:.*]] = llvm.extractvalue %[[S2]][0]
// CHECK:     nvvm.mma.sync A[%[[BA0]], %[[BA1]], %[[BA2]], %[[BA3]]]  B[%[[IBIGB0]], %[[IBIGB1]]]  C[%[[E0]],
// CHECK-NOT: nvvm.mma.sync
// CHECK:     scf.yield

// Emulated: each element the step reads split by the same code, the three
// products added small ones first.
// EMU-LABEL: func.func @split
// EMU: %[[A:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// EMU: %[[B:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// EMU: %[[ABIG:.*]] = arith.bitcast %{{.*}} : i32 to f32
// EMU: arith.subf %[[A]], %[[ABIG]] : f32
// EMU: %[[ASMALL:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// EMU: %[[BBIG:.*]] = arith.bitcast %{{.*}} : i32 to f32
// EMU: arith.subf %[[B]], %[[BBIG]] : f32
// EMU: %[[BSMALL:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// EMU: %[[P1:.*]] = arith.mulf %[[ASMALL]], %[[BBIG]] : f32
// EMU: %[[S1:.*]] = arith.addf %{{.*}}, %[[P1]] : f32
// EMU: %[[P2:.*]] = arith.mulf %[[ABIG]], %[[BSMALL]] : f32
// EMU: %[[S2:.*]] = arith.addf %[[S1]], %[[P2]] : f32
// EMU: %[[P3:.*]] = arith.mulf %[[ABIG]], %[[BBIG]] : f32
// EMU: arith.addf %[[S2]], %[[P3]] : f32
// EMU-NOT: nvvm.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @split(%a: memref<?x8xf32>, %w: memref<8x8xf32>, %c: memref<?x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<?x8xf32>, memref<8x8xf32>) outs(%c : memref<?x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
