// An experts_on layer (expert parallelism) through hmoe-lower-to-cpu: the
// process's rank and three all-reduces (the one-time world-size check, the
// processes' agreement on tokens and routing parameters, the partial
// outputs) become calls into MPI (MPICH's ABI), nothing of the shard
// dialect is left; without runtime-checks, no agreement check. The GPU
// schedule refuses such a layer at the op (so does hmoe-lower-to-nvvm:
// lower-to-nvvm-experts-on.mlir).
// RUN: hmoe-opt --hmoe-lower-to-cpu %s | FileCheck %s --check-prefixes=CHECK,CHECKED
// RUN: hmoe-opt --hmoe-lower-to-cpu=runtime-checks=0 %s | FileCheck %s --check-prefixes=CHECK,UNCHECKED
// RUN: not hmoe-opt --hmoe-lower-to-cpu=gpu-mapped %s 2>&1 | FileCheck %s --check-prefix=GPU

// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">
// CHECK-NOT: shard.
// CHECK-DAG: llvm.func @MPI_Allreduce(!llvm.ptr, !llvm.ptr, i32, i32, i32, i32) -> i32
// CHECK-DAG: llvm.func @MPI_Comm_rank(i32, !llvm.ptr) -> i32
// CHECK-DAG: llvm.mlir.global private @hmoe_mpi_world_checked_ep(0 : i32)
// CHECK-LABEL: llvm.func @layer(
// CHECKED-COUNT-3: llvm.call @MPI_Allreduce
// UNCHECKED-COUNT-2: llvm.call @MPI_Allreduce
// CHECK-NOT: llvm.call @MPI_Allreduce
// GPU: error: 'shard.process_linear_index' op comes from an experts_on layer: expert parallelism is lowered for the CPU only
shard.grid @ep(shape = 2)
func.func @layer(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
    %w1: tensor<4x8x16xf32>, %w2: tensor<4x16x8xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 8>,
              w1 %w1 : tensor<4x8x16xf32>, w2 %w2 : tensor<4x16x8xf32>)
      experts_on @ep
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
