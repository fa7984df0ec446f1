// Stage ops called directly with operands a user passes in, for the
// run-time checks of test/Tools/hmoe-run-checks.test.

// Levels whose token counts must agree at run time.
func.func @route(%l1: tensor<3x4xf32>, %l2: tensor<?x4x8xf32>)
    -> (tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>) {
  %w0 = tensor.empty() : tensor<3x4xf32>
  %e0 = tensor.empty() : tensor<3x4xi32>
  %p0 = tensor.empty() : tensor<3x32xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l1 : tensor<3x4xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l2 : tensor<?x4x8xf32>)
      outs(%w0, %e0, %p0 : tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>)
      -> tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>
  return %w, %e, %p : tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x32xf32>
}

// slot_of from outside: each slot must be -1 or a row of expert_output.
func.func @combine(%o: tensor<?x8xf32>, %so: tensor<?x2xi32>,
                   %w: tensor<?x2xf32>) -> tensor<?x8xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// A dispatch plan from outside: offsets non-decreasing within the slots,
// used slots naming tokens of x.
func.func @experts(%x: tensor<?x8xf32>, %st: tensor<?xi32>,
                   %off: tensor<5xi32>, %a: tensor<4x8x8xf32>)
    -> tensor<?x8xf32> {
  %o = hmoe.experts %x : tensor<?x8xf32>, %st : tensor<?xi32>,
      %off : tensor<5xi32> experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// Expert indices from outside must name one of the experts.
func.func @dispatch(%e: tensor<?x2xi32>)
    -> (tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %t = tensor.dim %e, %c0 : tensor<?x2xi32>
  %slots = arith.muli %t, %c2 : index
  %st0 = tensor.empty(%slots) : tensor<?xi32>
  %so0 = tensor.empty(%t) : tensor<?x2xi32>
  %off0 = tensor.empty() : tensor<5xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 4
      outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
  return %st, %so, %off : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
}

// A slot_token destination from outside must have T x K slots.
func.func @dispatch_outs(%e: tensor<?x2xi32>, %st0: tensor<?xi32>)
    -> (tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %e, %c0 : tensor<?x2xi32>
  %so0 = tensor.empty(%t) : tensor<?x2xi32>
  %off0 = tensor.empty() : tensor<5xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 4
      outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
  return %st, %so, %off : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
}

// A user's own size assertion (upstream tensor.cast is checked too).
func.func @cast(%x: tensor<?x8xf32>) -> tensor<3x8xf32> {
  %c = tensor.cast %x : tensor<?x8xf32> to tensor<3x8xf32>
  return %c : tensor<3x8xf32>
}

// Destinations static where the logits are not (what canonicalization
// makes of tensor.empty with a folded size): checked at run time.
func.func @route_static_outs(%l: tensor<?x4xf32>)
    -> (tensor<3x2xf32>, tensor<3x2xi32>, tensor<3x4xf32>) {
  %w0 = tensor.empty() : tensor<3x2xf32>
  %e0 = tensor.empty() : tensor<3x2xi32>
  %p0 = tensor.empty() : tensor<3x4xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x4xf32>)
      outs(%w0, %e0, %p0 : tensor<3x2xf32>, tensor<3x2xi32>, tensor<3x4xf32>)
      -> tensor<3x2xf32>, tensor<3x2xi32>, tensor<3x4xf32>
  return %w, %e, %p : tensor<3x2xf32>, tensor<3x2xi32>, tensor<3x4xf32>
}
