// Hostile: route levels with T = 3 and a dynamic T (1 at run time) read
// past the second level's buffer; now the pipeline inserts a run-time check
// (test/Tools/hmoe-run-checks.test runs it).
func.func @f(%l1: tensor<3x4xf32>, %l2: tensor<?x4x8xf32>, %o29: tensor<3x4xf32>, %o30: tensor<3x4xi32>, %o31: tensor<3x32xf32>) -> (tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l1 : tensor<3x4xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l2 : tensor<?x4x8xf32>) outs(%o29, %o30, %o31 : tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>) -> tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>
  return %w, %e, %p : tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>
}
