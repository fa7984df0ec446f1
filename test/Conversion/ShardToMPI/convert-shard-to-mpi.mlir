// RUN: hmoe-opt %s --hmoe-convert-shard-to-mpi --split-input-file | FileCheck %s
// RUN: hmoe-opt %s --hmoe-convert-shard-to-mpi --split-input-file --convert-scf-to-cf --convert-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// What hmoe-decompose writes for an experts_on layer: the rank (after a
// one-time check of the world's size) and a sum over the world, on
// MPI_COMM_WORLD, each call's return code asserted MPI_SUCCESS (0; with
// --convert-to-llvm the casts go and the call's i32 is compared); the grid
// erased, MPICH's ABI set.
// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">}
// CHECK-NOT: shard.grid
// CHECK: memref.global "private" @hmoe_mpi_world_checked_ep : memref<i32> = dense<0>
// CHECK-LABEL: func.func @f
// CHECK: %[[WORLD:.*]] = mpi.comm_world : !mpi.comm
// CHECK: %[[FLAG:.*]] = memref.get_global @hmoe_mpi_world_checked_ep : memref<i32>
// CHECK: %[[DONE:.*]] = memref.load %[[FLAG]][] : memref<i32>
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[DONE]], %c0_i32 : i32
// CHECK: scf.if %[[FIRST]] {
// CHECK:   %[[RV0:.*]] = mpi.allreduce(%{{.*}}, %{{.*}}, MPI_SUM, %[[WORLD]]) : memref<1xi32>, memref<1xi32> -> !mpi.retval
// CHECK:   %[[CODE0:.*]] = builtin.unrealized_conversion_cast %[[RV0]] : !mpi.retval to i32
// CHECK:   %[[OK0:.*]] = arith.cmpi eq, %[[CODE0]], %{{.*}} : i32
// CHECK:   cf.assert %[[OK0]], "MPI_Allreduce of the world-size check failed (an MPI error returned to the layer)"
// CHECK:   %[[SIZE:.*]] = memref.load
// CHECK:   %[[OK:.*]] = arith.cmpi eq, %[[SIZE]], %c2_i32 : i32
// CHECK:   cf.assert %[[OK]], "the MPI world must have the 2 processes of shard.grid @ep (one per part of the experts)"
// CHECK:   memref.store %c1_i32, %[[FLAG]][] : memref<i32>
// CHECK: }
// CHECK: %[[RV1:.*]], %[[RANK:.*]] = mpi.comm_rank(%[[WORLD]]) : !mpi.retval, i32
// CHECK: %[[CODE1:.*]] = builtin.unrealized_conversion_cast %[[RV1]] : !mpi.retval to i32
// CHECK: cf.assert %{{.*}}, "MPI_Comm_rank failed (an MPI error returned to the layer)"
// CHECK: %[[INDEX:.*]] = arith.index_cast %[[RANK]] : i32 to index
// CHECK: %[[IN:.*]] = bufferization.to_buffer %arg0 read_only : tensor<?x16xf32> to memref<?x16xf32>
// CHECK: %[[T:.*]] = memref.dim %[[IN]], %c0 : memref<?x16xf32>
// CHECK: %[[OUT:.*]] = memref.alloc(%[[T]]) : memref<?x16xf32>
// CHECK: %[[W:.*]] = mpi.comm_world : !mpi.comm
// CHECK: %[[FLATIN:.*]] = memref.collapse_shape %[[IN]] {{\[\[}}0, 1]] : memref<?x16xf32> into memref<?xf32>
// CHECK: %[[FLATOUT:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1]] : memref<?x16xf32> into memref<?xf32>
// CHECK: %[[RV2:.*]] = mpi.allreduce(%[[FLATIN]], %[[FLATOUT]], MPI_SUM, %[[W]]) : memref<?xf32>, memref<?xf32> -> !mpi.retval
// CHECK: %[[CODE2:.*]] = builtin.unrealized_conversion_cast %[[RV2]] : !mpi.retval to i32
// CHECK: %[[OK2:.*]] = arith.cmpi eq, %[[CODE2]], %{{.*}} : i32
// CHECK: cf.assert %[[OK2]], "MPI_Allreduce failed (an MPI error returned to the layer)"
// CHECK: %[[SUM:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<?x16xf32> to tensor<?x16xf32>
// CHECK: return %[[SUM]], %[[INDEX]]
// LLVM-DAG: llvm.func @MPI_Allreduce(!llvm.ptr, !llvm.ptr, i32, i32, i32, i32) -> i32
// LLVM-DAG: llvm.func @MPI_Comm_rank(i32, !llvm.ptr) -> i32
// LLVM: %[[RC:.*]] = llvm.call @MPI_Comm_rank
// LLVM: llvm.icmp "eq" %[[RC]], %{{.*}} : i32
// LLVM-NOT: !mpi.retval
// LLVM: // -----
shard.grid @ep(shape = 2)
func.func @f(%partial: tensor<?x16xf32>) -> (tensor<?x16xf32>, index) {
  %rank = shard.process_linear_index on @ep : index
  %sum = shard.all_reduce %partial on @ep grid_axes = [0] reduction = sum
      : tensor<?x16xf32> -> tensor<?x16xf32>
  return %sum, %rank : tensor<?x16xf32>, index
}

// -----

// A module that names its MPI keeps it (and gets its ABI).
// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">}
// LLVM: // -----
// LLVM: llvm.func @MPI_Allreduce(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">} {
  shard.grid @ep(shape = 4)
  func.func @g(%partial: tensor<8xf64>) -> tensor<8xf64> {
    %sum = shard.all_reduce %partial on @ep grid_axes = [0]
        : tensor<8xf64> -> tensor<8xf64>
    return %sum : tensor<8xf64>
  }
}

// -----

// A dlti.map without an MPI implementation gets MPICH's beside its entries;
// a grid nothing names is erased. Maxima and minima (hmoe-decompose's
// process checks take the maximum of i64 fingerprints).
// CHECK: module attributes {dlti.map = #dlti.map<"other" = 1 : i32, "MPI:Implementation" = "MPICH">}
// CHECK-NOT: shard.grid
// CHECK-LABEL: func.func @h
// CHECK: mpi.allreduce(%{{.*}}, %{{.*}}, MPI_MAX, %{{.*}}) : memref<4xi64>, memref<4xi64>
// CHECK: mpi.allreduce(%{{.*}}, %{{.*}}, MPI_MIN, %{{.*}}) : memref<4xi64>, memref<4xi64>
// MPICH's MPI_INT64_T (0x4c00083a), MPI_MAX (0x58000001), MPI_MIN
// (0x58000002):
// LLVM-LABEL: func.func @h
// LLVM: %[[I64:.*]] = llvm.mlir.constant(1275070522 : i32) : i32
// LLVM: %[[MAX:.*]] = llvm.mlir.constant(1476395009 : i32) : i32
// LLVM: llvm.call @MPI_Allreduce(%{{.*}}, %{{.*}}, %{{.*}}, %[[I64]], %[[MAX]], %{{.*}})
// LLVM: %[[I64B:.*]] = llvm.mlir.constant(1275070522 : i32) : i32
// LLVM: %[[MIN:.*]] = llvm.mlir.constant(1476395010 : i32) : i32
// LLVM: llvm.call @MPI_Allreduce(%{{.*}}, %{{.*}}, %{{.*}}, %[[I64B]], %[[MIN]], %{{.*}})
module attributes {dlti.map = #dlti.map<"other" = 1 : i32>} {
  shard.grid @ep(shape = 2)
  shard.grid @unused(shape = 4)
  func.func @h(%partial: tensor<4xi64>) -> (tensor<4xi64>, tensor<4xi64>) {
    %most = shard.all_reduce %partial on @ep grid_axes = [0] reduction = max
        : tensor<4xi64> -> tensor<4xi64>
    %least = shard.all_reduce %partial on @ep grid_axes = [0] reduction = min
        : tensor<4xi64> -> tensor<4xi64>
    return %most, %least : tensor<4xi64>, tensor<4xi64>
  }
}

// -----

// A grid of one process: the world-size check says "1 process".
// CHECK-LABEL: func.func @one
// CHECK: cf.assert %{{.*}}, "the MPI world must have the 1 process of shard.grid @solo (it holds all the experts)"
shard.grid @solo(shape = 1)
func.func @one() -> index {
  %rank = shard.process_linear_index on @solo : index
  return %rank : index
}
