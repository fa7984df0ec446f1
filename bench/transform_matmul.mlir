// Payload of bench/transform_matmul.py: an f32 GEMM, C = A B with A [M, K],
// B [K, N], C [M, N] row-major, as one upstream linalg.matmul (on tensors,
// between memref arguments), and a @main that times it for mlir-runner.
// The schedule that compiles @matmul is transform_matmul_schedule.mlir.
// $M, $N, $K and $REPS are filled in by transform_matmul.py (string.Template).

!a = memref<${M}x${K}xf32>
!b = memref<${K}x${N}xf32>
!c = memref<${M}x${N}xf32>
!ta = tensor<${M}x${K}xf32>
!tb = tensor<${K}x${N}xf32>
!tc = tensor<${M}x${N}xf32>

func.func @matmul(%A: !a, %B: !b, %C: !c) {
  // `restrict`: no other to_tensor of these buffers; C is written in place.
  %a = bufferization.to_tensor %A restrict : !a to !ta
  %b = bufferization.to_tensor %B restrict : !b to !tb
  %c = bufferization.to_tensor %C restrict writable : !c to !tc
  %zero = arith.constant 0.0 : f32
  %init = linalg.fill ins(%zero : f32) outs(%c : !tc) -> !tc
  %r = linalg.matmul ins(%a, %b : !ta, !tb) outs(%init : !tc) -> !tc
  bufferization.materialize_in_destination %r in restrict writable %C
      : (!tc, !c) -> ()
  return
}

func.func private @rtclock() -> f64

// A[i, k] = (i + 2k) mod 13 - 6 and B[k, j] = (3k + j) mod 11 - 5: small
// integers, so every partial sum of C is an integer below 2^24 and exact in
// f32 whatever the summation order; the checksums (f64, exact below 2^53)
// can then be compared for equality with NumPy's.
func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c11 = arith.constant 11 : index
  %c13 = arith.constant 13 : index
  %m = arith.constant ${M} : index
  %n = arith.constant ${N} : index
  %k = arith.constant ${K} : index
  %f5 = arith.constant 5.0 : f32
  %f6 = arith.constant 6.0 : f32
  %A = memref.alloc() {alignment = 64} : !a
  %B = memref.alloc() {alignment = 64} : !b
  %C = memref.alloc() {alignment = 64} : !c
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %k step %c1 {
      %j2 = arith.muli %j, %c2 : index
      %s = arith.addi %i, %j2 : index
      %r = arith.remui %s, %c13 : index
      %ri = arith.index_cast %r : index to i32
      %rf = arith.sitofp %ri : i32 to f32
      %v = arith.subf %rf, %f6 : f32
      memref.store %v, %A[%i, %j] : !a
    }
  }
  scf.for %i = %c0 to %k step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %i3 = arith.muli %i, %c3 : index
      %s = arith.addi %i3, %j : index
      %r = arith.remui %s, %c11 : index
      %ri = arith.index_cast %r : index to i32
      %rf = arith.sitofp %ri : i32 to f32
      %v = arith.subf %rf, %f5 : f32
      memref.store %v, %B[%i, %j] : !b
    }
  }

  // One call to warm up, then the best of $REPS timed calls.
  func.call @matmul(%A, %B, %C) : (!a, !b, !c) -> ()
  %reps = arith.constant ${REPS} : index
  %inf = arith.constant 1.0e30 : f64
  %best = scf.for %it = %c0 to %reps step %c1 iter_args(%b = %inf) -> f64 {
    %t0 = func.call @rtclock() : () -> f64
    func.call @matmul(%A, %B, %C) : (!a, !b, !c) -> ()
    %t1 = func.call @rtclock() : () -> f64
    %dt = arith.subf %t1, %t0 : f64
    %nb = arith.minimumf %b, %dt : f64
    scf.yield %nb : f64
  }
  // Printed as integers (vector.print of an f64 keeps 6 digits).
  %ns_per_s = arith.constant 1.0e9 : f64
  %best_ns = arith.mulf %best, %ns_per_s : f64
  %best_i = arith.fptosi %best_ns : f64 to i64
  vector.print %best_i : i64

  // Checksums of C: sum C[i, j] and sum C[i, j] * ((7i + 3j) mod 5 + 1).
  %zero = arith.constant 0.0 : f64
  %sum:2 = scf.for %i = %c0 to %m step %c1 iter_args(%s0 = %zero, %s1 = %zero)
      -> (f64, f64) {
    %row:2 = scf.for %j = %c0 to %n step %c1 iter_args(%a0 = %s0, %a1 = %s1)
        -> (f64, f64) {
      %v = memref.load %C[%i, %j] : !c
      %vd = arith.extf %v : f32 to f64
      %i7 = arith.muli %i, %c7 : index
      %j3 = arith.muli %j, %c3 : index
      %w0 = arith.addi %i7, %j3 : index
      %w1 = arith.remui %w0, %c5 : index
      %w2 = arith.addi %w1, %c1 : index
      %wi = arith.index_cast %w2 : index to i64
      %wf = arith.sitofp %wi : i64 to f64
      %vw = arith.mulf %vd, %wf : f64
      %n0 = arith.addf %a0, %vd : f64
      %n1 = arith.addf %a1, %vw : f64
      scf.yield %n0, %n1 : f64, f64
    }
    scf.yield %row#0, %row#1 : f64, f64
  }
  %sum0 = arith.fptosi %sum#0 : f64 to i64
  %sum1 = arith.fptosi %sum#1 : f64 to i64
  vector.print %sum0 : i64
  vector.print %sum1 : i64
  // (-buffer-deallocation-pipeline frees %A, %B and %C.)
  return
}
