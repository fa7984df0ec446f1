// RUN: hmoe-opt %s --hmoe-lower-routing-to-loops --verify-diagnostics --split-input-file

// The routing ops are lowered to loops on buffers: bufferize them first.
func.func @still_tensors(%e: tensor<?x2xi32>, %o1: tensor<?xi32>, %o2: tensor<?x2xi32>, %o3: tensor<9xi32>)
    -> tensor<?xi32> {
  // expected-error @+1 {{'hmoe.dispatch' op must be bufferized before it is lowered to loops (it still has tensor operands)}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8
      outs(%o1, %o2, %o3 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return %st : tensor<?xi32>
}
