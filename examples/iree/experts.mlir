// The expert and combine stages, given a routing plan (what hmoe.dispatch
// makes): FFN experts on their tokens, weighted back into token rows.
func.func @experts(%x: tensor<?x16xf32>, %slot_token: tensor<?xi32>,
                   %offsets: tensor<9xi32>, %w1: tensor<8x32x16xf32>,
                   %w2: tensor<8x16x32xf32>, %slot_of: tensor<?x2xi32>,
                   %weights: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %h = hmoe.experts %x : tensor<?x16xf32>, %slot_token : tensor<?xi32>,
      %offsets : tensor<9xi32>
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 32>,
              w1 %w1 : tensor<8x32x16xf32>, w2 %w2 : tensor<8x16x32xf32>)
      -> tensor<?x16xf32>
  %y = hmoe.combine %h, %slot_of, %weights
      : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
