// RUN: hmoe-opt %s --hmoe-lower-to-cpu --mlir-print-ir-after=convert-bufferization-to-memref -o /dev/null 2>&1 | FileCheck %s

// The loop over experts is an scf.forall until bufferization; it becomes an
// scf.parallel before buffer deallocation, which does not look into
// foralls: the gathered tokens and hidden rows of every expert were never
// freed (100 MB a call of a 32-expert layer at T = 4096).
// CHECK-LABEL: func.func @ffn
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c4) step
// CHECK:   %[[ROWS:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x16xf32>
// CHECK:   %[[HIDDEN:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x32xf32>
// CHECK-DAG:   memref.dealloc %[[ROWS]]
// CHECK-DAG:   memref.dealloc %[[HIDDEN]]
// CHECK: scf.reduce
// CHECK-NOT: scf.forall
func.func @ffn(%x: tensor<?x16xf32>, %g: tensor<4x16xf32>, %w1: tensor<4x32x16xf32>,
               %w2: tensor<4x16x32xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 32>,
              w1 %w1 : tensor<4x32x16xf32>, w2 %w2 : tensor<4x16x32xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
