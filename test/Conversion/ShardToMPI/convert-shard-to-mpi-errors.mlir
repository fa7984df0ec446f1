// RUN: hmoe-opt %s --hmoe-convert-shard-to-mpi --split-input-file -verify-diagnostics
// RUN: not hmoe-opt %s --hmoe-convert-shard-to-mpi="gpu=true" --split-input-file 2>&1 | FileCheck %s --check-prefix=GPU

// What the pass does not lower: an error at the op. With gpu (the GPU
// pipelines), every shard op is an error at the op saying why.
// GPU-COUNT-8: op comes from an experts_on layer: expert parallelism is lowered for the CPU only (hmoe-lower-to-cpu without gpu-mapped)

shard.grid @grid(shape = 2x2)
func.func @f() -> index {
  // expected-error @below {{'shard.process_linear_index' op on @grid: hmoe-convert-shard-to-mpi lowers collectives over a one-dimensional grid of static size, at least 1 (the MPI world) only}}
  %i = shard.process_linear_index on @grid : index
  return %i : index
}

// -----

// A grid of no processes (its world-size check could never pass).
shard.grid @none(shape = 0)
func.func @f() -> index {
  // expected-error @below {{'shard.process_linear_index' op on @none: hmoe-convert-shard-to-mpi lowers collectives over a one-dimensional grid of static size, at least 1 (the MPI world) only}}
  %i = shard.process_linear_index on @none : index
  return %i : index
}

// -----

// Grids of two sizes: each is the whole MPI world, which has one.
shard.grid @two(shape = 2)
shard.grid @four(shape = 4)
func.func @f(%t: tensor<8xf32>) -> (index, tensor<8xf32>) {
  %i = shard.process_linear_index on @two : index
  // expected-error @below {{'shard.all_reduce' op on @four of 4 processes, but @two of this module has 2; expected grids of one size (each is the whole MPI world)}}
  %s = shard.all_reduce %t on @four grid_axes = [0]
      : tensor<8xf32> -> tensor<8xf32>
  return %i, %s : index, tensor<8xf32>
}

// -----

shard.grid @ep(shape = 2)
func.func @f(%t: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @below {{'shard.all_reduce' op hmoe-convert-shard-to-mpi lowers sums, maxima and minima over grid axis 0 only}}
  %s = shard.all_reduce %t on @ep grid_axes = [0] reduction = product
      : tensor<8xf32> -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

shard.grid @ep(shape = 2)
func.func @f(%t: tensor<8xbf16>) -> tensor<8xbf16> {
  // expected-error @below {{'shard.all_reduce' op all-reduces 'bf16'; expected f32, f64, i32 or i64 (what MPI reduces natively)}}
  %s = shard.all_reduce %t on @ep grid_axes = [0]
      : tensor<8xbf16> -> tensor<8xbf16>
  return %s : tensor<8xbf16>
}

// -----

shard.grid @ep(shape = 2)
func.func @f(%t: tensor<8xf32>) -> tensor<16xf32> {
  // expected-error @below {{'shard.all_gather' op is not lowered by hmoe-convert-shard-to-mpi (shard.process_linear_index and shard.all_reduce are)}}
  %g = shard.all_gather %t on @ep grid_axes = [0] gather_axis = 0
      : tensor<8xf32> -> tensor<16xf32>
  return %g : tensor<16xf32>
}

// -----

func.func @hmoe_mpi_world_checked_ep() {
  return
}
shard.grid @ep(shape = 2)
func.func @f() -> index {
  // expected-error @below {{'shard.process_linear_index' op needs the symbol @hmoe_mpi_world_checked_ep for its world-size check; the module defines it otherwise}}
  %i = shard.process_linear_index on @ep : index
  return %i : index
}
