



















func.func @bufferize(%l: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?xi32>, tensor<8xi64>) {
  %c0 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %t = tensor.dim %l, %c0 : tensor<?x8xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x8xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  %tk = arith.muli %t, %c2 : index
  %st0 = tensor.empty(%tk) : tensor<?xi32>
  %so0 = tensor.empty(%t) : tensor<?x2xi32>
  %off0 = tensor.empty() : tensor<9xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8
      outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  %load0 = tensor.empty() : tensor<8xi64>
  %load = hmoe.stats [load] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32>
      outs(%load0 : tensor<8xi64>) -> tensor<8xi64>
  return %w, %st, %load : tensor<?x2xf32>, tensor<?xi32>, tensor<8xi64>
}

