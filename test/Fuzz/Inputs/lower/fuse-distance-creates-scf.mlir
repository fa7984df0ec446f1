// Found by hmoe-lower-fuzzer (hmoe-fuse-distance alone, fresh context): the
// pass emitted scf.if/scf.for without declaring the SCF dialect, and creating
// an op of an unloaded dialect crashed.
func.func @f(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %s = hmoe.score laplace %x : tensor<?x8xf32>, %w : tensor<4x8xf32>, bias %b : tensor<4xf32> -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}
