// Sizes at the limits the verifier enforces (T x K slots up to 2^31 - 1,
// test/Dialect/HMoE/invalid.mlir has the ones past them) lower, alone and in
// the whole pipeline, with no error and no overflow.
// RUN: hmoe-opt --convert-hmoe-to-linalg --split-input-file --verify-diagnostics %s
// RUN: hmoe-opt --hmoe-lower-to-cpu --split-input-file --verify-diagnostics %s

// At the limit it lowers (-verify-diagnostics fails on any unexpected error).
func.func @at_the_limit(%e: tensor<1073741823x2xi32>)
    -> (tensor<2147483646xi32>, tensor<1073741823x2xi32>, tensor<9xi32>) {
  %st0 = tensor.empty() : tensor<2147483646xi32>
  %so0 = tensor.empty() : tensor<1073741823x2xi32>
  %off0 = tensor.empty() : tensor<9xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<1073741823x2xi32> num_experts = 8
      outs(%st0, %so0, %off0 : tensor<2147483646xi32>, tensor<1073741823x2xi32>, tensor<9xi32>)
      -> tensor<2147483646xi32>, tensor<1073741823x2xi32>, tensor<9xi32>
  return %st, %so, %off : tensor<2147483646xi32>, tensor<1073741823x2xi32>,
                          tensor<9xi32>
}
