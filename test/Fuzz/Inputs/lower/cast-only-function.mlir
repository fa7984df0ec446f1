// Found while testing run-time checks: a function that only casts its
// argument left a bufferization.clone that the pipeline did not lower, and
// "hmoe-lower-to-cpu" succeeded with a module that failed LLVM translation
// later; now clones are lowered and hmoe-verify-llvm ends the pipeline.
func.func @cast(%x: tensor<?x8xf32>) -> tensor<3x8xf32> {
  %c = tensor.cast %x : tensor<?x8xf32> to tensor<3x8xf32>
  return %c : tensor<3x8xf32>
}
