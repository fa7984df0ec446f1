// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 split-tf32 row-tiles=1 prefetch=false}))' %s | FileCheck %s
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 split-tf32 tf32 row-tiles=1 prefetch=false}))' %s | FileCheck %s
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 emulate split-tf32 row-tiles=1}))' %s | FileCheck %s --check-prefix=EMU

// Split TF32 (3xTF32, the split-tf32 option, over tf32): each f32 v the
// lane loads becomes big (v truncated to TF32, the low 13 bits cleared, so
// it cannot round past the largest f32; a NaN stays NaN), small (the TF32
// rounding of v - big, exact in f32; 0 where v is not finite) and cross
// (big where v is finite, else 0); each m16n8k8 step becomes three on the
// same accumulators: small A x cross B, cross A x small B, then big x big
// (so an infinity reaches the sum through big x big only, as in f32;
// small x small, under f32's rounding, is left out).
// matrix-gpu-mapped-tensor-cores.test checks the emulated form against the
// float64 reference at f32's tolerance, which plain TF32 fails, and the
// warp_gates group's infinite gate row, which small x inf made NaN.
// CHECK-LABEL: func.func @split
// CHECK:     scf.for {{.*}} iter_args(%[[C0:[^ ]*]] = %{{.*}}, %[[C1:[^ ]*]] = %{{.*}}, %[[C2:[^ ]*]] = %{{.*}}, %[[C3:[^ ]*]] = %{{.*}})
// B's first register, in full: the bits, finite, NaN, truncated.
// CHECK:      %[[V:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: %[[BITS:.*]] = arith.bitcast %[[V]] : f32 to i32
// CHECK-NEXT: %[[EXPMASK:.*]] = arith.constant 2139095040 : i32
// CHECK-NEXT: %[[EXP:.*]] = arith.andi %[[BITS]], %[[EXPMASK]] : i32
// CHECK-NEXT: %[[FIN:.*]] = arith.cmpi ne, %[[EXP]], %[[EXPMASK]] : i32
// CHECK-NEXT: %[[LOW:.*]] = arith.constant -8192 : i32
// CHECK-NEXT: %[[TRUNC:.*]] = arith.andi %[[BITS]], %[[LOW]] : i32
// CHECK-NEXT: %[[NAN:.*]] = arith.cmpf uno, %[[V]], %[[V]] : f32
// CHECK-NEXT: %[[QNAN:.*]] = arith.constant 2147475456 : i32
// CHECK-NEXT: %[[SPECIAL:.*]] = arith.select %[[NAN]], %[[QNAN]], %[[BITS]] : i32
// CHECK-NEXT: %[[BIGBITS:.*]] = arith.select %[[FIN]], %[[TRUNC]], %[[SPECIAL]] : i32
// CHECK-NEXT: %[[BIG:.*]] = arith.bitcast %[[BIGBITS]] : i32 to f32
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: arith.subf %[[V]], %[[BIG]] : f32
// Then, for each of B's two registers and A's four, its three parts.
// CHECK:      %[[Sb0:.*]] = arith.select %[[Fb0:.*]], %{{.*}}, %[[Zb0:.*]] : f32
// CHECK-NEXT: %[[Xb0:.*]] = arith.select %[[Fb0]], %[[Bb0:.*]], %[[Zb0]] : f32
// CHECK-NEXT: %[[IBb0:.*]] = arith.bitcast %[[Bb0]] : f32 to i32
// CHECK-NEXT: %[[ISb0:.*]] = arith.bitcast %[[Sb0]] : f32 to i32
// CHECK-NEXT: %[[IXb0:.*]] = arith.bitcast %[[Xb0]] : f32 to i32
// CHECK:      %[[Sb1:.*]] = arith.select %[[Fb1:.*]], %{{.*}}, %[[Zb1:.*]] : f32
// CHECK-NEXT: %[[Xb1:.*]] = arith.select %[[Fb1]], %[[Bb1:.*]], %[[Zb1]] : f32
// CHECK-NEXT: %[[IBb1:.*]] = arith.bitcast %[[Bb1]] : f32 to i32
// CHECK-NEXT: %[[ISb1:.*]] = arith.bitcast %[[Sb1]] : f32 to i32
// CHECK-NEXT: %[[IXb1:.*]] = arith.bitcast %[[Xb1]] : f32 to i32
// CHECK:      %[[Sa0:.*]] = arith.select %[[Fa0:.*]], %{{.*}}, %[[Za0:.*]] : f32
// CHECK-NEXT: %[[Xa0:.*]] = arith.select %[[Fa0]], %[[Ba0:.*]], %[[Za0]] : f32
// CHECK-NEXT: %[[IBa0:.*]] = arith.bitcast %[[Ba0]] : f32 to i32
// CHECK-NEXT: %[[ISa0:.*]] = arith.bitcast %[[Sa0]] : f32 to i32
// CHECK-NEXT: %[[IXa0:.*]] = arith.bitcast %[[Xa0]] : f32 to i32
// CHECK:      %[[Sa1:.*]] = arith.select %[[Fa1:.*]], %{{.*}}, %[[Za1:.*]] : f32
// CHECK-NEXT: %[[Xa1:.*]] = arith.select %[[Fa1]], %[[Ba1:.*]], %[[Za1]] : f32
// CHECK-NEXT: %[[IBa1:.*]] = arith.bitcast %[[Ba1]] : f32 to i32
// CHECK-NEXT: %[[ISa1:.*]] = arith.bitcast %[[Sa1]] : f32 to i32
// CHECK-NEXT: %[[IXa1:.*]] = arith.bitcast %[[Xa1]] : f32 to i32
// CHECK:      %[[Sa2:.*]] = arith.select %[[Fa2:.*]], %{{.*}}, %[[Za2:.*]] : f32
// CHECK-NEXT: %[[Xa2:.*]] = arith.select %[[Fa2]], %[[Ba2:.*]], %[[Za2]] : f32
// CHECK-NEXT: %[[IBa2:.*]] = arith.bitcast %[[Ba2]] : f32 to i32
// CHECK-NEXT: %[[ISa2:.*]] = arith.bitcast %[[Sa2]] : f32 to i32
// CHECK-NEXT: %[[IXa2:.*]] = arith.bitcast %[[Xa2]] : f32 to i32
// CHECK:      %[[Sa3:.*]] = arith.select %[[Fa3:.*]], %{{.*}}, %[[Za3:.*]] : f32
// CHECK-NEXT: %[[Xa3:.*]] = arith.select %[[Fa3]], %[[Ba3:.*]], %[[Za3]] : f32
// CHECK-NEXT: %[[IBa3:.*]] = arith.bitcast %[[Ba3]] : f32 to i32
// CHECK-NEXT: %[[ISa3:.*]] = arith.bitcast %[[Sa3]] : f32 to i32
// CHECK-NEXT: %[[IXa3:.*]] = arith.bitcast %[[Xa3]] : f32 to i32
// CHECK:     %[[S1:.*]] = nvvm.mma.sync A[%[[ISa0]], %[[ISa1]], %[[ISa2]], %[[ISa3]]]  B[%[[IXb0]], %[[IXb1]]]  C[%[[C0]], %[[C1]], %[[C2]], %[[C3]]]
// CHECK-SAME:  multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>
// CHECK:     %[[D0:.*]] = llvm.extractvalue %[[S1]][0]
// CHECK:     %[[S2:.*]] = nvvm.mma.sync A[%[[IXa0]], %[[IXa1]], %[[IXa2]], %[[IXa3]]]  B[%[[ISb0]], %[[ISb1]]]  C[%[[D0]],
// CHECK:     %[[E0:.*]] = llvm.extractvalue %[[S2]][0]
// CHECK:     nvvm.mma.sync A[%[[IBa0]], %[[IBa1]], %[[IBa2]], %[[IBa3]]]  B[%[[IBb0]], %[[IBb1]]]  C[%[[E0]],
// CHECK-NOT: nvvm.mma.sync
// CHECK:     scf.yield

// Emulated: each element the step reads split by the same code, the three
// products added small ones first (per element here, per step on the GPU).
// EMU-LABEL: func.func @split
// EMU: %[[A:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// EMU: %[[B:.*]] = vector.extract %{{.*}}[0] : f32 from vector<1xf32>
// EMU: arith.subf %[[A]], %[[ABIG:.*]] : f32
// EMU: %[[ASMALL:.*]] = arith.select %[[AFIN:.*]], %{{.*}}, %[[AZ:.*]] : f32
// EMU-NEXT: %[[ACROSS:.*]] = arith.select %[[AFIN]], %[[ABIG]], %[[AZ]] : f32
// EMU: arith.subf %[[B]], %[[BBIG:.*]] : f32
// EMU: %[[BSMALL:.*]] = arith.select %[[BFIN:.*]], %{{.*}}, %[[BZ:.*]] : f32
// EMU-NEXT: %[[BCROSS:.*]] = arith.select %[[BFIN]], %[[BBIG]], %[[BZ]] : f32
// EMU-NEXT: %[[P1:.*]] = arith.mulf %[[ASMALL]], %[[BCROSS]] : f32
// EMU-NEXT: %[[S1:.*]] = arith.addf %{{.*}}, %[[P1]] : f32
// EMU-NEXT: %[[P2:.*]] = arith.mulf %[[ACROSS]], %[[BSMALL]] : f32
// EMU-NEXT: %[[S2:.*]] = arith.addf %[[S1]], %[[P2]] : f32
// EMU-NEXT: %[[P3:.*]] = arith.mulf %[[ABIG]], %[[BBIG]] : f32
// EMU-NEXT: arith.addf %[[S2]], %[[P3]] : f32
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
