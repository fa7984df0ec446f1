// The CPU schedule follows the target: bf16 x bf16 GEMMs with whole panels
// take AVX-512 BF16 dot products on Zen 4 (pairs of K packed as bf16), and
// on Sapphire and Emerald Rapids, whose two FMA ports outrun vdpbf16ps,
// bf16 panels extended to f32 once while packing and the f32 kernel (as on
// AVX-512 without BF16).
// RUN: hmoe-opt --hmoe-lower-to-cpu=target-cpu=znver4 --mlir-print-ir-after=hmoe-vectorize-contractions %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=DOT
// RUN: hmoe-opt --hmoe-lower-to-cpu=target-cpu=emeraldrapids --mlir-print-ir-after=hmoe-vectorize-contractions %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=EXTEND
// RUN: hmoe-opt --hmoe-lower-to-cpu=target-cpu=sapphirerapids --mlir-print-ir-after=hmoe-vectorize-contractions %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=EXTEND
// RUN: hmoe-opt --hmoe-lower-to-cpu=target-cpu=skylake-avx512 --mlir-print-ir-after=hmoe-vectorize-contractions %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=EXTEND
// Every schedule's GEMM tile prefetches the next column tile's weight rows
// into L2; prefetch-tiles=0 turns it off.
// RUN: hmoe-opt --hmoe-lower-to-cpu=target-cpu=znver3 --mlir-print-ir-after=hmoe-vectorize-contractions %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=PREFETCH
// RUN: hmoe-opt --hmoe-lower-to-cpu=target-cpu=znver4 --mlir-print-ir-after=hmoe-vectorize-contractions %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=PREFETCH
// RUN: hmoe-opt '--hmoe-lower-to-cpu=target-cpu=znver4 prefetch-tiles=0' --mlir-print-ir-after=hmoe-vectorize-contractions %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOPREFETCH
// PREFETCH: memref.prefetch %{{.*}}, read, locality<2>, data : memref<32x64xbf16>
// NOPREFETCH: IR Dump After HMoEVectorizeContractions
// NOPREFETCH-NOT: memref.prefetch
// DOT: memref.alloc() {alignment = 64 : i64} : memref<1x32x64xbf16>
// DOT: x86vector.avx512.dot
// EXTEND: memref.alloc() {alignment = 64 : i64} : memref<1x64x32xf32>
// EXTEND: arith.extf %{{.*}} : vector<16xbf16> to vector<16xf32>
// EXTEND: memref.alloca() {alignment = 64 : i64} : memref<8x64xf32>
// EXTEND-NOT: x86vector.avx512.dot
// EXTEND: vector.fma
// EXTEND-NOT: x86vector.avx512.dot
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @gemm(%a: tensor<?x64xbf16>, %w: tensor<32x64xbf16>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %a, %c0 : tensor<?x64xbf16>
  %e = tensor.empty(%m) : tensor<?x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x64xbf16>, tensor<32x64xbf16>) outs(%init : tensor<?x32xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %p = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}
