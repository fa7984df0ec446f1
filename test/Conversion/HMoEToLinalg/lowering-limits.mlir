// Inputs that verify but that the lowering cannot take fail the pass with an
// error at the op (never an assert, a crash or invalid IR), alone and in the
// whole pipeline.
// RUN: hmoe-opt --convert-hmoe-to-linalg --split-input-file --verify-diagnostics %s
// RUN: hmoe-opt --hmoe-lower-to-cpu --split-input-file --verify-diagnostics %s

// Slot indices are i32: a static T x k beyond 2^31 - 1 would wrap.
func.func @too_many_slots(%e: tensor<1100000000x2xi32>)
    -> (tensor<2200000000xi32>, tensor<1100000000x2xi32>, tensor<9xi32>) {
  // expected-error @below {{'hmoe.dispatch' op has 2200000000 (token, choice) slots; slot indices are i32, so the lowering supports at most 2^31 - 1 (T x k)}}
  %st, %so, %off = hmoe.dispatch %e num_experts = 8
      : tensor<1100000000x2xi32> -> tensor<2200000000xi32>,
        tensor<1100000000x2xi32>, tensor<9xi32>
  return %st, %so, %off : tensor<2200000000xi32>, tensor<1100000000x2xi32>,
                          tensor<9xi32>
}

// -----

// A whole layer reports at the layer: its stages carry its location.
func.func @layer_too_many_slots(%x: tensor<1500000000x8xf32>,
                                %gate0: tensor<4x8xf32>,
                                %w1: tensor<4x8x8xf32>)
    -> tensor<1500000000x8xf32> {
  // expected-error @below {{'hmoe.dispatch' op has 3000000000 (token, choice) slots}}
  %y = hmoe.moe %x : tensor<1500000000x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %gate0 : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %w1 : tensor<4x8x8xf32>)
      -> tensor<1500000000x8xf32>
  return %y : tensor<1500000000x8xf32>
}

// -----

// At the limit it lowers (-verify-diagnostics fails on any unexpected error).
func.func @at_the_limit(%e: tensor<1073741823x2xi32>)
    -> (tensor<2147483646xi32>, tensor<1073741823x2xi32>, tensor<9xi32>) {
  %st, %so, %off = hmoe.dispatch %e num_experts = 8
      : tensor<1073741823x2xi32> -> tensor<2147483646xi32>,
        tensor<1073741823x2xi32>, tensor<9xi32>
  return %st, %so, %off : tensor<2147483646xi32>, tensor<1073741823x2xi32>,
                          tensor<9xi32>
}
