// An experts_on layer through convert-hmoe-to-linalg and hmoe-fuse-distance
// directly (without hmoe-decompose first): the stages on linalg, the
// collectives left as shard ops for hmoe-convert-shard-to-mpi, and no
// process checks (hmoe-decompose{process-checks} adds those).
// RUN: hmoe-opt %s --convert-hmoe-to-linalg | FileCheck %s
// RUN: hmoe-opt %s --hmoe-fuse-distance | FileCheck %s --check-prefix=FUSE

// CHECK-LABEL: func.func @layer
// CHECK-NOT: hmoe.moe
// CHECK: shard.process_linear_index on @ep : index
// CHECK-NOT: cf.assert
// CHECK: linalg.
// CHECK: shard.all_reduce %{{.*}} on @ep grid_axes = [0] : tensor<?x16xf32> -> tensor<?x16xf32>
// FUSE-LABEL: func.func @layer
// FUSE: shard.process_linear_index on @ep : index
// FUSE: hmoe.experts
// FUSE: shard.all_reduce
shard.grid @ep(shape = 2)
func.func @layer(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
    %w1: tensor<4x8x16xf32>, %w2: tensor<4x16x8xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 8>,
              w1 %w1 : tensor<4x8x16xf32>, w2 %w2 : tensor<4x16x8xf32>)
      experts_on @ep
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
