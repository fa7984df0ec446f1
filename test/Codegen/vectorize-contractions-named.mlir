// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions))' --split-input-file %s | FileCheck %s

// Named ops are matched by linalg's contraction interface and their maps,
// as generics are: linalg.matmul with a transposed B and linalg.contract
// become the same register-tiled FMA loops reading a, w and c.
// CHECK-LABEL: func.func @matmul_transposed_b
// CHECK-SAME: (%[[A:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<32x64xf32>, %[[C:.*]]: memref<?x32xf32>)
// CHECK-NOT: linalg.matmul
// CHECK: vector.load %[[A]]
// CHECK: vector.load %[[W]]
// CHECK: vector.fma
// CHECK-NOT: linalg.matmul
// CHECK: return
func.func @matmul_transposed_b(%a: memref<?x64xf32>, %w: memref<32x64xf32>, %c: memref<?x32xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %w : memref<?x64xf32>, memref<32x64xf32>) outs(%c : memref<?x32xf32>)
  return
}

// -----

// CHECK-LABEL: func.func @contract_bf16
// CHECK-SAME: (%[[A:.*]]: memref<?x64xbf16>, %[[W:.*]]: memref<32x64xbf16>, %[[C:.*]]: memref<?x32xf32>)
// CHECK-NOT: linalg.contract
// CHECK: %[[AV:.*]] = vector.load %[[A]]{{.*}} vector<8xbf16>
// CHECK-NEXT: arith.extf %[[AV]] : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma
// CHECK-NOT: linalg.contract
// CHECK: return
func.func @contract_bf16(%a: memref<?x64xbf16>, %w: memref<32x64xbf16>, %c: memref<?x32xf32>) {
  linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %w : memref<?x64xbf16>, memref<32x64xbf16>) outs(%c : memref<?x32xf32>)
  return
}

// -----

// A plain matmul reads B by columns (maps (m, k), (k, n)): not this
// kernel's layout, left for the loops.
// CHECK-LABEL: func.func @matmul_plain
// CHECK: linalg.matmul
// CHECK-NOT: vector.fma
func.func @matmul_plain(%a: memref<?x64xf32>, %w: memref<64x32xf32>, %c: memref<?x32xf32>) {
  linalg.matmul ins(%a, %w : memref<?x64xf32>, memref<64x32xf32>) outs(%c : memref<?x32xf32>)
  return
}
