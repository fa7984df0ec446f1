// Hostile: slot and offset indices from outside the layer segfaulted
// hmoe.combine and hmoe.experts; now checked at run time
// (test/Tools/hmoe-run-checks.test runs them).
func.func @f(%x: tensor<?x8xf32>, %st: tensor<?xi32>, %off: tensor<5xi32>, %a: tensor<4x8x8xf32>, %so: tensor<?x2xi32>, %w: tensor<?x2xf32>) -> tensor<?x8xf32> {
  %o = hmoe.experts %x : tensor<?x8xf32>, %st : tensor<?xi32>, %off : tensor<5xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>) -> tensor<?x8xf32>
  %y = hmoe.combine %o, %so, %w : tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
