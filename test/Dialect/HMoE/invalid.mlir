// RUN: hmoe-opt %s -split-input-file -verify-diagnostics

// Op verification and parse errors: one case each.

func.func @f(%x: tensor<16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{operand #0 must be [T, D] tokens (rank 2, static width >= 1): ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<16xf32>'}}
  %y = hmoe.moe %x : tensor<16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{operand #0 must be [T, D] tokens (rank 2, static width >= 1): ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<?x?xf32>'}}
  %y = hmoe.moe %x : tensor<?x?xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf16>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 gate weight has element type 'f16'; expected 'f32', the input's element type}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf16>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %b: tensor<8xf16>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 gate bias has element type 'f16'; expected 'f32', the input's element type}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>, bias %b : tensor<8xf16>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 gate weight must have rank >= 2; got 'tensor<8xf32>'}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x12xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 gate weight has shape [8, 12]; its D dim must be 16}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x12xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<?x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 gate weight has shape [?, 16]; fan-out dims must be static}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<?x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<4x16xf32>, %h: tensor<3x2x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 2 gate weight has shape [3, 2, 16]; expected [4, 2, 16] (one gate per node of the level above) or [2, 16] (one gate shared by the level)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x16xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, weight %h : tensor<3x2x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<0x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 has no children}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<0x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 gate chooses k = 9 of only 8 children; expected k <= 8}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 9>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<2x16xf32>, %h: tensor<4x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{'group_limited' routing has one gate over all experts; got 2 levels}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<group_limited, groups = 2, k_groups = 1>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<2x16xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, weight %h : tensor<4x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<2x4x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{gate weight has shape [2, 4, 16]; expected [4, 16] (one gate over all experts)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<2x4x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{expected the 8 experts to divide into 3 equal groups}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<group_limited, groups = 3, k_groups = 1>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{group score sum_top<3> needs m <= experts per group (2)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<3>>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{gate chooses k = 3 experts but the 1 kept groups hold only 2}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<group_limited, groups = 4, k_groups = 1>
      level(#hmoe.gate<linear, softmax, k = 3>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{gate chooses k = 3 experts in each group but a group holds only 2}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<per_group, groups = 4>
      level(#hmoe.gate<linear, softmax, k = 3>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %b: tensor<7xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 gate bias has shape [7]; expected [8] (the gate weights' shape without D)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>, bias %b : tensor<7xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<4x16xf32>, %h: tensor<4x2x16xf32>, %s: tensor<2xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 2 selection bias has shape [2]; expected [4, 2] (the gate weights' shape without D)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x16xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, weight %h : tensor<4x2x16xf32>, selection_bias %s : tensor<2xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %rs: tensor<4xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{router_scale has shape [4]; expected [8] ([E], one scale per expert)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      router_scale %rs : tensor<4xf32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<?x16x16xf32>) {
  // expected-error @below {{expert weight 'w1' must have a static shape; got 'tensor<?x16x16xf32>'}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<?x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xbf16>) {
  // expected-error @below {{expert weight 'w1' has element type 'bf16'; expected 'f32', the input's element type}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xbf16>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16xf32>) {
  // expected-error @below {{expert weight 'w1' must be rank 3 ([E, D_out, D]); got 'tensor<8x16xf32>'}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %c: tensor<8x16x16xf32>) {
  // expected-error @below {{linear experts take no 'w2' weights}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>, w2 %c : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %c: tensor<8x16x16xf32>) {
  // expected-error @below {{linear experts take no 'w_up' weights}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>, w_up %c : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %c: tensor<8x16xf32>) {
  // expected-error @below {{linear experts take no 'b2' weights}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>, b2 %c : tensor<8x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>) {
  // expected-error @below {{expert weight 'w1' has shape [4, 16, 16]; expected [8, 16, 16] ([E, D_out, D])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %c: tensor<8x15xf32>) {
  // expected-error @below {{expert bias 'b1' has shape [8, 15]; expected [8, 16] ([E, D_out])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>, b1 %c : tensor<8x15xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %c: tensor<8x16x4xf32>) {
  // expected-error @below {{swiglu experts need 'w_up' ([E, H, D])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<swiglu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w2 %c : tensor<8x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %u: tensor<8x4x16xf32>, %b: tensor<8x4xf32>, %c: tensor<8x16x4xf32>) {
  // expected-error @below {{swiglu experts take no 'b1' weights}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<swiglu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w_up %u : tensor<8x4x16xf32>, b1 %b : tensor<8x4xf32>, w2 %c : tensor<8x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %u: tensor<8x4x16xf32>, %c: tensor<8x16x4xf32>) {
  // expected-error @below {{ffn experts take no 'w_up' weights}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w_up %u : tensor<8x4x16xf32>, w2 %c : tensor<8x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>) {
  // expected-error @below {{ffn experts need 'w2' ([E, D_out, H])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %a : tensor<8x4x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %c: tensor<8x16x32xf32>) {
  // expected-error @below {{expert weight 'w1' has shape [8, 16, 16]; expected [8, 32, 16] ([E, H, D])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 32>, w1 %a : tensor<8x16x16xf32>, w2 %c : tensor<8x16x32xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %u: tensor<8x5x16xf32>, %c: tensor<8x16x4xf32>) {
  // expected-error @below {{expert weight 'w_up' has shape [8, 5, 16]; expected [8, 4, 16] ([E, H, D])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<swiglu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w_up %u : tensor<8x5x16xf32>, w2 %c : tensor<8x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %b: tensor<8x5xf32>, %c: tensor<8x16x4xf32>) {
  // expected-error @below {{expert bias 'b1' has shape [8, 5]; expected [8, 4] ([E, H])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, b1 %b : tensor<8x5xf32>, w2 %c : tensor<8x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %c: tensor<8x16xf32>) {
  // expected-error @below {{expert weight 'w2' must be rank 3 ([E, D_out, H]); got 'tensor<8x16xf32>'}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w2 %c : tensor<8x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %c: tensor<8x16x3xf32>) {
  // expected-error @below {{expert weight 'w2' has shape [8, 16, 3]; expected [8, 16, 4] ([E, D_out, H])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w2 %c : tensor<8x16x3xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x4x16xf32>, %c: tensor<8x16x4xf32>, %b: tensor<8x4xf32>) {
  // expected-error @below {{expert bias 'b2' has shape [8, 4]; expected [8, 16] ([E, D_out])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w2 %c : tensor<8x16x4xf32>, b2 %b : tensor<8x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{output has shape [?, 12]; expected [?, 16] ([T, D_out])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<5x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{output has shape [4, 16]; expected [5, 16] ([T, D_out])}}
  %y = hmoe.moe %x : tensor<5x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<4x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{output has element type 'f16'; expected 'f32', the input's element type}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf16>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{capacity_factor must be positive and finite; got 0}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      capacity_factor 0.0
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{requests 1 statistics but has 0 statistic results; expected one each}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      stats [load]
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{statistic 'load' is requested twice}}
  %y:3 = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      stats [load, load]
      -> tensor<?x16xf32>, tensor<8xi64>, tensor<8xi64>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{statistic 'load' has type 'tensor<8xf32>'; expected 'tensor<8xi64>'}}
  %y:2 = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      stats [load]
      -> tensor<?x16xf32>, tensor<8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{statistic 'group_load' has type 'tensor<8xi64>'; expected 'tensor<2xi64>'}}
  %y:2 = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<linear, softmax, k = 1>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      stats [group_load]
      -> tensor<?x16xf32>, tensor<8xi64>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{lambda_intra and lambda_inter must be finite in f32 (at most 3.402823e+38 in magnitude); got INF and 1.000000e+00}}
  %y:2 = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      stats [r_intra] {lambda_intra = 0x7FF0000000000000 : f64}
      -> tensor<?x16xf32>, tensor<f32>
  return
}

// -----

// Beyond f32 (the statistics compute in f32: r_intra was -inf).
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{lambda_intra and lambda_inter must be finite in f32 (at most 3.402823e+38 in magnitude); got 1.000000e+00 and 1.000000e+300}}
  %y:2 = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      stats [r_inter] {lambda_inter = 1.0e300 : f64}
      -> tensor<?x16xf32>, tensor<f32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %b: tensor<8xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{unexpected 'bias' in level clause; expected 'bias' or 'selection_bias' or 'penalty', each at most once}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested> level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>, bias %b : tensor<8xf32>, bias %b : tensor<8xf32>) experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{expected at least one 'level(...)' clause}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested> experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{unexpected 'w3' in experts clause; expected w1, w_up, b1, w2, b2, each at most once}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested> level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>) experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>, w3 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %c: tensor<8x16xf32>) {
  // expected-error @below {{experts clause needs 'w1'}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested> level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>) experts(#hmoe.expert<linear>, b1 %c : tensor<8x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{unknown statistic 'loads'; expected load, importance, group_load, group_importance, dropped, balance_loss, cv2_loss, z_loss, r_intra or r_inter}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested> level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>) experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) stats [loads] -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %b: tensor<8xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{has 2 gates but 1 gate weight operands; expected one per level}}
  %y = "hmoe.moe"(%x, %g, %a) <{expert = #hmoe.expert<linear>, gates = [#hmoe.gate<linear, softmax, k = 2>, #hmoe.gate<linear, softmax, k = 2>], operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, strategy = #hmoe.strategy<nested>}>
      : (tensor<?x16xf32>, tensor<8x16xf32>, tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %b: tensor<8xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{needs at least one routing level}}
  %y = "hmoe.moe"(%x, %a) <{expert = #hmoe.expert<linear>, gates = [], operandSegmentSizes = array<i32: 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, strategy = #hmoe.strategy<nested>}>
      : (tensor<?x16xf32>, tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %b: tensor<8xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{'gate_bias_levels' names 1 levels but there are 0 gate bias operands; expected one level per operand}}
  %y = "hmoe.moe"(%x, %g, %a) <{expert = #hmoe.expert<linear>, gates = [#hmoe.gate<linear, softmax, k = 2>], gate_bias_levels = array<i64: 0>, operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, strategy = #hmoe.strategy<nested>}>
      : (tensor<?x16xf32>, tensor<8x16xf32>, tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %b: tensor<8xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{'selection_bias_levels' names level 3; expected 0 <= level < 1}}
  %y = "hmoe.moe"(%x, %g, %b, %a) <{expert = #hmoe.expert<linear>, gates = [#hmoe.gate<linear, softmax, k = 2>], selection_bias_levels = array<i64: 3>, operandSegmentSizes = array<i32: 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, strategy = #hmoe.strategy<nested>}>
      : (tensor<?x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<2x16xf32>, %h: tensor<4x16xf32>, %b: tensor<2xf32>, %c: tensor<4xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{'gate_bias_levels' must be strictly increasing (one gate bias per level)}}
  %y = "hmoe.moe"(%x, %g, %h, %c, %b, %a) <{expert = #hmoe.expert<linear>, gates = [#hmoe.gate<linear, softmax, k = 2>, #hmoe.gate<linear, softmax, k = 2>], gate_bias_levels = array<i64: 1, 0>, operandSegmentSizes = array<i32: 1, 2, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, strategy = #hmoe.strategy<nested>}>
      : (tensor<?x16xf32>, tensor<2x16xf32>, tensor<4x16xf32>, tensor<4xf32>, tensor<2xf32>, tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @below {{operand #0 must be [T, D] tokens (rank 2, static width >= 1): ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<16xf32>'}}
  %s = hmoe.score laplace %x : tensor<16xf32>, %w : tensor<8x16xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @below {{only 'activation' scores take a function}}
  %s = "hmoe.score"(%x, %w) <{kind = #hmoe<score_kind laplace>, activation = #hmoe<activation tanh>}> : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @below {{score 'activation' needs a function}}
  %s = "hmoe.score"(%x, %w) <{kind = #hmoe<score_kind activation>}> : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x12xf32>) {
  // expected-error @below {{gate weight must be [..., N, D] with D = 16 (the input's width); got 'tensor<8x12xf32>'}}
  %s = hmoe.score linear %x : tensor<?x16xf32>, %w : tensor<8x12xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf16>) {
  // expected-error @below {{gate weight has element type 'f16'; expected 'f32', the input's element type}}
  %s = hmoe.score linear %x : tensor<?x16xf32>, %w : tensor<8x16xf16> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>, %b: tensor<7xf32>) {
  // expected-error @below {{bias has shape [7]; expected [8] (the gate weights' shape without D)}}
  %s = hmoe.score linear %x : tensor<?x16xf32>, %w : tensor<8x16xf32>, bias %b : tensor<7xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>, %b: tensor<8xbf16>) {
  // expected-error @below {{bias has element type 'bf16'; expected 'f32', the input's element type}}
  %s = hmoe.score linear %x : tensor<?x16xf32>, %w : tensor<8x16xf32>, bias %b : tensor<8xbf16> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @below {{logits has shape [?, 5]; expected [?, 8] ([T] followed by the gate weights' shape without D)}}
  %s = hmoe.score gaussian %x : tensor<?x16xf32>, %w : tensor<8x16xf32> -> tensor<?x5xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) {
  // expected-error @below {{result #0 must be ranked tensor of 32-bit float values}}
  %s = hmoe.score gaussian %x : tensor<?x16xf32>, %w : tensor<8x16xf32> -> tensor<?x8xf16>
  return
}

// -----

func.func @f(%l: tensor<3x2xf32>, %m: tensor<4x2x4xf32>, %o1: tensor<3x4xf32>, %o2: tensor<3x4xi32>, %o3: tensor<3x8xf32>) {
  // expected-error @below {{level 2 logits has 4 tokens but level 1 logits has 3; expected the same token count T}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<3x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<4x2x4xf32>) outs(%o1, %o2, %o3 : tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x8xf32>) -> tensor<3x4xf32>, tensor<3x4xi32>, tensor<3x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x2xf32>, %m: tensor<?x3x4xf32>, %o4: tensor<?x4xf32>, %o5: tensor<?x4xi32>, %o6: tensor<?x8xf32>) {
  // expected-error @below {{level 2 logits has shape [?, 3, 4]; expected [?, 2, 4] (one gate per node of the level above) or [?, 4] (one gate shared by the level)}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<?x3x4xf32>) outs(%o4, %o5, %o6 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x2xf32>, %s: tensor<3xf32>, %m: tensor<?x2x4xf32>, %o7: tensor<?x4xf32>, %o8: tensor<?x4xi32>, %o9: tensor<?x8xf32>) {
  // expected-error @below {{level 1 selection bias has shape [3]; expected [2] (the logits' shape without T)}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x2xf32>, selection_bias %s : tensor<3xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<?x2x4xf32>) outs(%o7, %o8, %o9 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x2xf32>, %s: tensor<2xf32>, %m: tensor<?x2x4xf32>, %o10: tensor<?x4xf32>, %o11: tensor<?x4xi32>, %o12: tensor<?x8xf32>) {
  // expected-error @below {{unexpected 'bias' in level clause; expected 'selection_bias', each at most once}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested> level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x2xf32>, bias %s : tensor<2xf32>) level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<?x2x4xf32>) outs(%o10, %o11, %o12 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x2xf32>, %m: tensor<?x2x4xf32>, %rs: tensor<4xf32>, %o13: tensor<?x4xf32>, %o14: tensor<?x4xi32>, %o15: tensor<?x8xf32>) {
  // expected-error @below {{router_scale has shape [4]; expected [8] ([E], one scale per expert)}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<?x2x4xf32>)
      router_scale %rs : tensor<4xf32> outs(%o13, %o14, %o15 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x2xf32>, %m: tensor<?x2x4xf32>, %o16: tensor<?x3xf32>, %o17: tensor<?x4xi32>, %o18: tensor<?x8xf32>) {
  // expected-error @below {{weights has shape [?, 3]; expected [?, 4] ([T, K], K = 4, the experts a token uses)}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<?x2x4xf32>) outs(%o16, %o17, %o18 : tensor<?x3xf32>, tensor<?x4xi32>, tensor<?x8xf32>) -> tensor<?x3xf32>, tensor<?x4xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x2xf32>, %m: tensor<?x2x4xf32>, %o19: tensor<?x4xf32>, %o20: tensor<?x2xi32>, %o21: tensor<?x8xf32>) {
  // expected-error @below {{experts has shape [?, 2]; expected [?, 4] ([T, K], K = 4, the experts a token uses)}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<?x2x4xf32>) outs(%o19, %o20, %o21 : tensor<?x4xf32>, tensor<?x2xi32>, tensor<?x8xf32>) -> tensor<?x4xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x2xf32>, %m: tensor<?x2x4xf32>, %o22: tensor<?x4xf32>, %o23: tensor<?x4xi32>, %o24: tensor<?x4xf32>) {
  // expected-error @below {{probs has shape [?, 4]; expected [?, 8] ([T, E])}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %m : tensor<?x2x4xf32>) outs(%o22, %o23, %o24 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x4xf32>) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x4xf32>
  return
}

// -----

func.func @f(%e: tensor<?x?xi32>, %o25: tensor<?xi32>, %o26: tensor<?x?xi32>, %o27: tensor<9xi32>) {
  // expected-error @below {{operand #0 must be [T, K] expert choices (rank 2, static width >= 1): ranked tensor of 32-bit signless integer values without encoding, at most 2^62 elements or memref of 32-bit signless integer values, at most 2^62 elements, but got 'tensor<?x?xi32>'}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x?xi32> num_experts = 8 outs(%o25, %o26, %o27 : tensor<?xi32>, tensor<?x?xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x?xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %o28: tensor<?xi32>, %o29: tensor<?x2xi32>, %o30: tensor<1xi32>) {
  // expected-error @below {{attribute 'num_experts' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1 whose maximum value is 2147483647}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 0 outs(%o28, %o29, %o30 : tensor<?xi32>, tensor<?x2xi32>, tensor<1xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<1xi32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{fill_order choice_rank needs a capacity_factor (without one every choice is kept)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      fill_order choice_rank
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{capacity_rounding hi_moe needs a capacity_factor}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      capacity_rounding hi_moe
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      // expected-error @below {{unknown fill_order 'first_come'; expected token_order, choice_rank or score}}
      capacity_factor 1.0 fill_order first_come
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %o31: tensor<?xi32>, %o32: tensor<?x2xi32>, %o33: tensor<9xi32>) {
  // expected-error @below {{fill_order score needs the routing weights ([T, K], f32)}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8 capacity_factor 1.0 fill_order score outs(%o31, %o32, %o33 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %w: tensor<?x2xf32>, %o31: tensor<?xi32>, %o32: tensor<?x2xi32>, %o33: tensor<9xi32>) {
  // expected-error @below {{has routing weights, which only fill_order score reads}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> weights %w : tensor<?x2xf32> num_experts = 8 capacity_factor 1.0 outs(%o31, %o32, %o33 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %w: tensor<?x3xf32>, %o31: tensor<?xi32>, %o32: tensor<?x2xi32>, %o33: tensor<9xi32>) {
  // expected-error @below {{weights has shape [?, 3]; expected [?, 2] (the shape of experts)}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> weights %w : tensor<?x3xf32> num_experts = 8 capacity_factor 1.0 fill_order score outs(%o31, %o32, %o33 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %o31: tensor<?xi32>, %o32: tensor<?x2xi32>, %o33: tensor<9xi32>) {
  // expected-error @below {{fill_order choice_rank needs a capacity_factor (without one every choice is kept)}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8 fill_order choice_rank outs(%o31, %o32, %o33 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<1x4x16xf32>, %s2: tensor<1x16x4xf32>, %u: tensor<16xf32>) {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      // expected-error @below {{shared clause needs 'w1'}}
      shared(#hmoe.expert<ffn, activation = relu, hidden = 4>, w2 %s2 : tensor<1x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<1x4x16xf32>, %s2: tensor<1x16x4xf32>, %u: tensor<16xf32>) {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      // expected-error @below {{unexpected 'w3' in shared clause; expected w1, w_up, b1, w2, b2, gate, each at most once}}
      shared(#hmoe.expert<ffn, activation = relu, hidden = 4>, w3 %s2 : tensor<1x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<1x4x16xf32>, %s2: tensor<1x16x4xf32>, %s3: tensor<4xf32>, %s4: tensor<1x8x4xf32>) {
  // expected-error @below {{shared expert weight 'w1' has shape [1, 4, 16]; expected [1, 8, 16] ([E, H, D])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      shared(#hmoe.expert<ffn, activation = relu, hidden = 8>, w1 %s1 : tensor<1x4x16xf32>, w2 %s2 : tensor<1x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<1x4x16xf32>, %s2: tensor<1x16x4xf32>, %s3: tensor<4xf32>, %s4: tensor<1x8x4xf32>) {
  // expected-error @below {{shared gate has shape [4]; expected [16] ([D])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      shared(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %s1 : tensor<1x4x16xf32>, w2 %s2 : tensor<1x16x4xf32>, gate %s3 : tensor<4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<1x4x16xf32>, %s2: tensor<1x16x4xf32>, %s3: tensor<4xf32>, %s4: tensor<1x8x4xf32>) {
  // expected-error @below {{shared swiglu experts need 'w_up' ([E, H, D])}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      shared(#hmoe.expert<swiglu, hidden = 4>, w1 %s1 : tensor<1x4x16xf32>, w2 %s2 : tensor<1x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<1x4x16xf32>, %s2: tensor<1x16x4xf32>, %s3: tensor<4xf32>, %s4: tensor<1x8x4xf32>) {
  // expected-error @below {{shared experts have output width 8; the routed experts' is 16}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      shared(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %s1 : tensor<1x4x16xf32>, w2 %s4 : tensor<1x8x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g1: tensor<2x16xf32>, %g2: tensor<2x4x16xf32>, %p: tensor<2xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{has a penalty on a layer with 2 levels; a penalty needs a layer with one level (group_limited, per_group or a flat nested layer)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 1>, weight %g1 : tensor<2x16xf32>, penalty %p : tensor<2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g2 : tensor<2x4x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %p: tensor<7xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{level 1 penalty has shape [7]; expected [8] (the gate weights' shape without D)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>, penalty %p : tensor<7xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %p: tensor<8xf32>, %a: tensor<8x16x16xf32>) {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      // expected-error @below {{unexpected 'penalty' in level clause; expected 'bias' or 'selection_bias' or 'penalty', each at most once}}
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>, penalty %p : tensor<8xf32>, penalty %p : tensor<8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<2147483648x4x16xf32>, %s2: tensor<2147483648x16x4xf32>) {
  // expected-error @below {{has 2147483648 shared experts over ? tokens; expected S <= 2^31 - 1 and S x T <= 2^31 - 1 (their slots are i32)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      shared(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %s1 : tensor<2147483648x4x16xf32>, w2 %s2 : tensor<2147483648x16x4xf32>)
      -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<65536x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>, %s1: tensor<65536x4x16xf32>, %s2: tensor<65536x16x4xf32>) {
  // expected-error @below {{has 65536 shared experts over 65536 tokens; expected S <= 2^31 - 1 and S x T <= 2^31 - 1 (their slots are i32)}}
  %y = hmoe.moe %x : tensor<65536x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      shared(#hmoe.expert<ffn, activation = relu, hidden = 4>, w1 %s1 : tensor<65536x4x16xf32>, w2 %s2 : tensor<65536x16x4xf32>)
      -> tensor<65536x16xf32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %o31: tensor<?xi32>, %o32: tensor<?x2xi32>, %o33: tensor<9xi32>) {
  // expected-error @below {{capacity_factor must be positive and finite; got -1}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8 capacity_factor -1.0 outs(%o31, %o32, %o33 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<5x2xi32>, %o34: tensor<9xi32>, %o35: tensor<5x2xi32>, %o36: tensor<9xi32>) {
  // expected-error @below {{slot_token has shape [9]; expected [10] ([T * K])}}
  %st, %so, %off = hmoe.dispatch %e : tensor<5x2xi32> num_experts = 8 outs(%o34, %o35, %o36 : tensor<9xi32>, tensor<5x2xi32>, tensor<9xi32>) -> tensor<9xi32>, tensor<5x2xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<5x2xi32>, %o37: tensor<10xi32>, %o38: tensor<5x3xi32>, %o39: tensor<9xi32>) {
  // expected-error @below {{slot_of has shape [5, 3]; expected [5, 2] (the shape of experts)}}
  %st, %so, %off = hmoe.dispatch %e : tensor<5x2xi32> num_experts = 8 outs(%o37, %o38, %o39 : tensor<10xi32>, tensor<5x3xi32>, tensor<9xi32>) -> tensor<10xi32>, tensor<5x3xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<5x2xi32>, %o40: tensor<10xi32>, %o41: tensor<5x2xi32>, %o42: tensor<8xi32>) {
  // expected-error @below {{offsets has shape [8]; expected [9] ([num_experts + 1])}}
  %st, %so, %off = hmoe.dispatch %e : tensor<5x2xi32> num_experts = 8 outs(%o40, %o41, %o42 : tensor<10xi32>, tensor<5x2xi32>, tensor<8xi32>) -> tensor<10xi32>, tensor<5x2xi32>, tensor<8xi32>
  return
}

// -----

func.func @f(%e: tensor<5x2xi32>, %o43: tensor<10xi32>, %o44: tensor<5x2xi32>, %o45: tensor<?xi32>) {
  // expected-error @below {{offsets has shape [?]; expected [9] ([num_experts + 1])}}
  %st, %so, %off = hmoe.dispatch %e : tensor<5x2xi32> num_experts = 8 outs(%o43, %o44, %o45 : tensor<10xi32>, tensor<5x2xi32>, tensor<?xi32>) -> tensor<10xi32>, tensor<5x2xi32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x?xf32>, %st: tensor<?xi32>, %off: tensor<9xi32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{operand #0 must be [T, D] tokens (rank 2, static width >= 1): ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<?x?xf32>'}}
  %o = hmoe.experts %x : tensor<?x?xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<9xi32>, %a: tensor<?x16x16xf32>) {
  // expected-error @below {{expert weight 'w1' must be [E, ...] with a static E; got 'tensor<?x16x16xf32>'}}
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<?x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %st: tensor<?x2xi32>, %off: tensor<9xi32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{operand #1 must be [slots] slot tokens (rank 1): ranked tensor of 32-bit signless integer values without encoding, at most 2^62 elements, but got 'tensor<?x2xi32>'}}
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?x2xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<8xi32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{offsets has shape [8]; expected [9] ([E + 1])}}
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<8xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<9xi32>, %a: tensor<8x4x16xf32>, %u: tensor<8x4x16xf32>) {
  // expected-error @below {{swiglu experts need 'w2' ([E, D_out, H])}}
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<swiglu, hidden = 4>, w1 %a : tensor<8x4x16xf32>, w_up %u : tensor<8x4x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<9xi32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{output has shape [?, 12]; expected [?, 16] ([slots, D_out])}}
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%o: tensor<?x?xf32>, %so: tensor<?x2xi32>, %w: tensor<?x2xf32>) {
  // expected-error @below {{operand #0 must be [slots, D_out] expert outputs (rank 2, static width): ranked tensor of 32-bit float values without encoding, at most 2^62 elements, but got 'tensor<?x?xf32>'}}
  %y = hmoe.combine %o, %so, %w : tensor<?x?xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%o: tensor<?x16xf32>, %so: tensor<?xi32>, %w: tensor<?x2xf32>) {
  // expected-error @below {{operand #1 must be [T, K] slots (rank 2, static width >= 1): ranked tensor of 32-bit signless integer values without encoding, at most 2^62 elements, but got 'tensor<?xi32>'}}
  %y = hmoe.combine %o, %so, %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%o: tensor<?x16xf32>, %so: tensor<?x2xi32>, %w: tensor<?x3xf32>) {
  // expected-error @below {{weights has shape [?, 3]; expected [T, 2] (the shape of slot_of)}}
  %y = hmoe.combine %o, %so, %w : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x3xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%o: tensor<?x16xf32>, %so: tensor<?x2xi32>, %w: tensor<?x2xf32>) {
  // expected-error @below {{output has shape [?, 12]; expected [?, 16] ([T, D_out])}}
  %y = hmoe.combine %o, %so, %w : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%p: tensor<?x?xf32>, %e: tensor<?x2xi32>, %o46: tensor<8xi64>) {
  // expected-error @below {{operand #0 must be [T, E] expert probabilities (rank 2, static width >= 1): ranked tensor of 32-bit float values without encoding, at most 2^62 elements or memref of 32-bit float values, at most 2^62 elements, but got 'tensor<?x?xf32>'}}
  %r = hmoe.stats [load] probs %p : tensor<?x?xf32>, experts %e : tensor<?x2xi32> outs(%o46 : tensor<8xi64>) -> tensor<8xi64>
  return
}

// -----

func.func @f(%p: tensor<3x8xf32>, %e: tensor<4x2xi32>, %o47: tensor<8xi64>) {
  // expected-error @below {{experts has 4 tokens but probs has 3; expected the same token count T}}
  %r = hmoe.stats [load] probs %p : tensor<3x8xf32>, experts %e : tensor<4x2xi32> outs(%o47 : tensor<8xi64>) -> tensor<8xi64>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>) {
  // expected-error @below {{requests no statistics; expected at least one}}
  "hmoe.stats"(%p, %e) <{stats = [], operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<?x8xf32>, tensor<?x2xi32>) -> ()
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %o49: tensor<8xi64>) {
  // expected-error @below {{attribute 'groups' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %r = hmoe.stats [load] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> outs(%o49 : tensor<8xi64>) {groups = 0 : i64} -> tensor<8xi64>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %o49: tensor<3xi64>) {
  // expected-error @below {{expected the 8 experts to divide into groups = 3 equal groups}}
  %r = hmoe.stats [group_load] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> outs(%o49 : tensor<3xi64>) {groups = 3 : i64} -> tensor<3xi64>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %o50: tensor<f32>) {
  // expected-error @below {{statistic 'z_loss' needs the logits operand}}
  %r = hmoe.stats [z_loss] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> outs(%o50 : tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @f(%p: tensor<3x8xf32>, %e: tensor<3x2xi32>, %l: tensor<4x8xf32>, %o51: tensor<f32>) {
  // expected-error @below {{logits has 4 tokens but experts has 3; expected the same token count T}}
  %r = hmoe.stats [z_loss] probs %p : tensor<3x8xf32>, experts %e : tensor<3x2xi32> logits %l : tensor<4x8xf32> outs(%o51 : tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %o52: tensor<i64>) {
  // expected-error @below {{statistic 'dropped' needs the slot_of operand}}
  %r = hmoe.stats [dropped] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> outs(%o52 : tensor<i64>) -> tensor<i64>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %so: tensor<?x3xi32>, %o53: tensor<i64>) {
  // expected-error @below {{slot_of has shape [?, 3]; expected [T, 2] (the shape of experts)}}
  %r = hmoe.stats [dropped] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> slot_of %so : tensor<?x3xi32> outs(%o53 : tensor<i64>) -> tensor<i64>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %o54: tensor<1xf32>) {
  // expected-error @below {{statistic 'balance_loss' has type 'tensor<1xf32>'; expected 'tensor<f32>'}}
  %r = hmoe.stats [balance_loss] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> outs(%o54 : tensor<1xf32>) -> tensor<1xf32>
  return
}

// -----

// Sizes and shapes from hostile use (issue 11): a result's token count is
// static exactly when its operands' is, no size arithmetic overflows, and
// zero widths and encodings are refused.

// A static output for a dynamic token count (T = 1 read past the output, T = 5
// returned 3 rows); tensor.cast after the layer is the way to assert a size.
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) {
  // expected-error @below {{output has shape [3, 8]; expected [?, 8] ([T, D_out])}}
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<3x8xf32>
  return
}

// -----

func.func @f(%x: tensor<5x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) {
  // expected-error @below {{output has shape [?, 8]; expected [5, 8] ([T, D_out])}}
  %y = hmoe.moe %x : tensor<5x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return
}

// -----

// Levels and destinations join their T: static and dynamic mix (the
// dynamic ones are checked at run time), two static ones must agree.
func.func @f(%l1: tensor<3x4xf32>, %l2: tensor<?x4x8xf32>, %o55: tensor<2x4xf32>, %o56: tensor<?x4xi32>, %o57: tensor<?x32xf32>) {
  // expected-error @below {{weights has 2 tokens but level 1 logits has 3; expected the same token count T}}
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l1 : tensor<3x4xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l2 : tensor<?x4x8xf32>) outs(%o55, %o56, %o57 : tensor<2x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>) -> tensor<2x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>
  return
}

// -----

func.func @f(%o: tensor<?x16xf32>, %so: tensor<?x2xi32>, %w: tensor<?x2xf32>) {
  // expected-error @below {{output has shape [4, 16]; expected [?, 16] ([T, D_out])}}
  %y = hmoe.combine %o, %so, %w : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @f(%o: tensor<?x16xf32>, %so: tensor<3x2xi32>, %w: tensor<4x2xf32>) {
  // expected-error @below {{weights has 4 tokens but slot_of has 3; expected the same token count T}}
  %y = hmoe.combine %o, %so, %w : tensor<?x16xf32>, tensor<3x2xi32>, tensor<4x2xf32> -> tensor<3x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x0xf32>, %g: tensor<4x0xf32>, %a: tensor<4x0x0xf32>) {
  // expected-error @below {{operand #0 must be [T, D] tokens (rank 2, static width >= 1): ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<?x0xf32>'}}
  %y = hmoe.moe %x : tensor<?x0xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x0xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x0x0xf32>)
      -> tensor<?x0xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32, "enc">, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) {
  // expected-error @below {{operand #0 must be [T, D] tokens (rank 2, static width >= 1): ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<?x8xf32, "enc">'}}
  %y = hmoe.moe %x : tensor<?x8xf32, "enc">, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x4294967296x4294967296xf32>) {
  // expected-error @below {{operand #2 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<4x4294967296x4294967296xf32>'}}
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x4294967296x4294967296xf32>)
      -> tensor<?x8xf32>
  return
}

// -----

// The weights must have exactly the model width, not a dynamic one.
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x?xf32>, %a: tensor<4x8x8xf32>) {
  // expected-error @below {{level 1 gate weight has shape [4, ?]; its D dim must be 8}}
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x?xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return
}

// -----

// 65536 x 65536 experts: the count wrapped in 32 bits before; expert indices
// are i32.
func.func @f(%x: tensor<?x8xf32>, %g1: tensor<65536x8xf32>, %g2: tensor<65536x8xf32>, %a: tensor<4294967296x8x8xf32>) {
  // expected-error @below {{has more than 2147483647 experts after level 2; expected at most 2^31 - 1 (expert indices are i32)}}
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g1 : tensor<65536x8xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g2 : tensor<65536x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4294967296x8x8xf32>)
      -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: tensor<3000000000x8xf32>, %a: tensor<3000000000x8x8xf32>) {
  // expected-error @below {{has 3000000000 experts; expected at most 2^31 - 1 (expert indices are i32)}}
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<per_group, groups = 1>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<3000000000x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<3000000000x8x8xf32>)
      -> tensor<?x8xf32>
  return
}

// -----

// Slot indices are i32: a static T x K past 2^31 - 1 would wrap.
func.func @f(%x: tensor<1500000000x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) {
  // expected-error @below {{has T x K = 1500000000 x 2 (token, choice) slots; slot indices are i32, so T x K must be at most 2^31 - 1}}
  %y = hmoe.moe %x : tensor<1500000000x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<1500000000x8xf32>
  return
}

// -----

func.func @f(%e: tensor<1100000000x2xi32>, %o58: tensor<2200000000xi32>, %o59: tensor<1100000000x2xi32>, %o60: tensor<9xi32>) {
  // expected-error @below {{has T x K = 1100000000 x 2 (token, choice) slots}}
  %st, %so, %off = hmoe.dispatch %e : tensor<1100000000x2xi32> num_experts = 8 outs(%o58, %o59, %o60 : tensor<2200000000xi32>, tensor<1100000000x2xi32>, tensor<9xi32>) -> tensor<2200000000xi32>, tensor<1100000000x2xi32>, tensor<9xi32>
  return
}

// -----

// T x K past int64 wrapped to a small number before: now such a tensor is
// refused by its type (at most 2^62 elements), and 2^60 x 4 by the count.
func.func @f(%e: tensor<4611686018427387904x4xi32>, %o61: tensor<0xi32>, %o62: tensor<4611686018427387904x4xi32>, %o63: tensor<9xi32>) {
  // expected-error @below {{operand #0 must be [T, K] expert choices (rank 2, static width >= 1): ranked tensor of 32-bit signless integer values without encoding, at most 2^62 elements or memref of 32-bit signless integer values, at most 2^62 elements, but got 'tensor<4611686018427387904x4xi32>'}}
  %st, %so, %off = hmoe.dispatch %e : tensor<4611686018427387904x4xi32> num_experts = 8 outs(%o61, %o62, %o63 : tensor<0xi32>, tensor<4611686018427387904x4xi32>, tensor<9xi32>) -> tensor<0xi32>, tensor<4611686018427387904x4xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<1152921504606846976x4xi32>, %o64: tensor<0xi32>, %o65: tensor<1152921504606846976x4xi32>, %o66: tensor<9xi32>) {
  // expected-error @below {{has T x K = 1152921504606846976 x 4 (token, choice) slots}}
  %st, %so, %off = hmoe.dispatch %e : tensor<1152921504606846976x4xi32> num_experts = 8 outs(%o64, %o65, %o66 : tensor<0xi32>, tensor<1152921504606846976x4xi32>, tensor<9xi32>) -> tensor<0xi32>, tensor<1152921504606846976x4xi32>, tensor<9xi32>
  return
}

// -----

// num_experts + 1 overflowed int64.
func.func @f(%e: tensor<?x2xi32>, %o67: tensor<?xi32>, %o68: tensor<?x2xi32>, %o69: tensor<1xi32>) {
  // expected-error @below {{attribute 'num_experts' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1 whose maximum value is 2147483647}}
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 9223372036854775807 outs(%o67, %o68, %o69 : tensor<?xi32>, tensor<?x2xi32>, tensor<1xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<1xi32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %st: tensor<?xi32>, %off: tensor<1xi32>, %a: tensor<0x8x8xf32>) {
  // expected-error @below {{has 0 experts; expected 1 to 2^31 - 1 (expert indices are i32)}}
  %o = hmoe.experts %x : tensor<?x8xf32>, %st : tensor<?xi32>, %off : tensor<1xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<0x8x8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%p: tensor<?x0xf32>, %e: tensor<?x2xi32>, %o70: tensor<0xi64>) {
  // expected-error @below {{operand #0 must be [T, E] expert probabilities (rank 2, static width >= 1): ranked tensor of 32-bit float values without encoding, at most 2^62 elements or memref of 32-bit float values, at most 2^62 elements, but got 'tensor<?x0xf32>'}}
  %r = hmoe.stats [load] probs %p : tensor<?x0xf32>, experts %e : tensor<?x2xi32> outs(%o70 : tensor<0xi64>) -> tensor<0xi64>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %l: tensor<?x?xf32>, %o71: tensor<f32>) {
  // expected-error @below {{operand #2 must be [T, N] top-level logits (rank 2, static width >= 1): ranked tensor of 32-bit float values without encoding, at most 2^62 elements or memref of 32-bit float values, at most 2^62 elements, but got 'tensor<?x?xf32>'}}
  %r = hmoe.stats [z_loss] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> logits %l : tensor<?x?xf32> outs(%o71 : tensor<f32>) -> tensor<f32>
  return
}

// -----

// Destination-passing routing ops: tensors in and the outs' types out, or
// memrefs in and nothing out.
func.func @f(%l: tensor<?x8xf32>, %w: memref<?x2xf32>, %e: tensor<?x2xi32>, %p: tensor<?x8xf32>) {
  // expected-error @below {{mixes tensor and memref operands; expected all tensors (before bufferization) or all memrefs (after)}}
  %r:2 = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w, %e, %p : memref<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>) -> tensor<?x2xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: tensor<?x8xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>, %p: tensor<?x8xf32>) {
  // expected-error @below {{results must have the types of its outs}}
  %r:3 = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w, %e, %p : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>) -> tensor<3x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%l: memref<?x8xf32>, %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x8xf32>) {
  // expected-error @below {{on memrefs writes its outs and has no results; got 1}}
  %r = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x8xf32>)
      outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x8xf32>) -> tensor<?x2xf32>
  return
}

// -----

func.func @f(%l: tensor<?x8xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xi32>) {
  // expected-error @below {{has 2 outs; expected 3 (weights, experts, probs)}}
  %r:2 = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w, %e : tensor<?x2xf32>, tensor<?x2xi32>) -> tensor<?x2xf32>, tensor<?x2xi32>
  return
}

// -----

func.func @f(%l: tensor<?x8xf32>, %w: tensor<?x2xf32>, %e: tensor<?x2xf32>, %p: tensor<?x8xf32>) {
  // expected-error @below {{experts has element type 'f32'; expected 'i32'}}
  %r:3 = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w, %e, %p : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x8xf32>) -> tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x8xf32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %st: tensor<?xi32>, %so: tensor<?x2xi32>) {
  // expected-error @below {{has 2 outs; expected 3 (slot_token, slot_of, offsets)}}
  %r:2 = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8
      outs(%st, %so : tensor<?xi32>, tensor<?x2xi32>) -> tensor<?xi32>, tensor<?x2xi32>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>) {
  // expected-error @below {{requests 1 statistics but has 0 statistic outs; expected one each}}
  "hmoe.stats"(%p, %e) <{stats = [#hmoe<stat load>], operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<?x8xf32>, tensor<?x2xi32>) -> ()
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{`capacity_factor` clause can appear at most once in the expansion of the oilist directive}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      capacity_factor 1.0 stats [load] capacity_factor 2.0
      -> tensor<?x16xf32>, tensor<8xi64>
  return
}

// -----

// The ODS shape constraints (rank, static width): one case each that no
// test above reaches. The diagnostic leads with what the operand is.
func.func @f(%x: tensor<?x16xf32>, %w: tensor<?x16xf32>) {
  // expected-error @below {{operand #1 must be [..., N, D] gate weights (rank >= 2, static dims): ranked tensor of 32-bit float or 16-bit float or bfloat16 type values without encoding, at most 2^62 elements, but got 'tensor<?x16xf32>'}}
  %s = hmoe.score laplace %x : tensor<?x16xf32>, %w : tensor<?x16xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: tensor<16xf32>) {
  // expected-error @below {{operand #1 must be [..., N, D] gate weights (rank >= 2, static dims)}}
  %s = hmoe.score laplace %x : tensor<?x16xf32>, %w : tensor<16xf32> -> tensor<?xf32>
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %w: tensor<?xf32>, %a: tensor<?xi32>, %b: tensor<?x2xi32>, %c: tensor<9xi32>) {
  // expected-error @below {{operand #1 must be [T, K] routing weights (rank 2, static width >= 1)}}
  %0:3 = hmoe.dispatch %e : tensor<?x2xi32> weights %w : tensor<?xf32> num_experts = 8 capacity_factor 1.0 fill_order score outs(%a, %b, %c : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%e: tensor<?x0xi32>, %a: tensor<?xi32>, %b: tensor<?x0xi32>, %c: tensor<9xi32>) {
  // expected-error @below {{operand #0 must be [T, K] expert choices (rank 2, static width >= 1)}}
  %0:3 = hmoe.dispatch %e : tensor<?x0xi32> num_experts = 8 outs(%a, %b, %c : tensor<?xi32>, tensor<?x0xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x0xi32>, tensor<9xi32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<9x1xi32>, %a: tensor<8x16x16xf32>) {
  // expected-error @below {{operand #2 must be [E + 1] expert offsets (rank 1)}}
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9x1xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%o: tensor<?x16xf32>, %so: tensor<?x2xi32>, %w: tensor<?xf32>) {
  // expected-error @below {{operand #2 must be [T, K] routing weights (rank 2, static width >= 1)}}
  %y = hmoe.combine %o, %so, %w : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%o: tensor<?x16xf32>, %so: tensor<?x2xi32>, %w: tensor<?x2xf32>) {
  // expected-error @below {{result #0 must be [T, D_out] tokens (rank 2, static width)}}
  %y = hmoe.combine %o, %so, %w : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?xf32>
  return
}

// -----

func.func @f(%p: tensor<?x8xf32>, %e: tensor<?x?xi32>, %o: tensor<8xi64>) {
  // expected-error @below {{operand #1 must be [T, K] expert choices (rank 2, static width >= 1)}}
  %r = hmoe.stats [load] probs %p : tensor<?x8xf32>, experts %e : tensor<?x?xi32> outs(%o : tensor<8xi64>) -> tensor<8xi64>
  return
}

// -----

func.func @f(%p: memref<?x8xf32>, %e: memref<?x2xi32>, %so: memref<?xi32>, %o: memref<i64>) {
  // expected-error @below {{operand #2 must be [T, K] slots (rank 2, static width >= 1): ranked tensor of 32-bit signless integer values without encoding, at most 2^62 elements or memref of 32-bit signless integer values, at most 2^62 elements, but got 'memref<?xi32>'}}
  hmoe.stats [dropped] probs %p : memref<?x8xf32>, experts %e : memref<?x2xi32> slot_of %so : memref<?xi32> outs(%o : memref<i64>)
  return
}

// -----

func.func @f(%e: tensor<?x2xi32>, %a: tensor<?xi32>, %b: tensor<?x2xi32>, %c: tensor<9xi32>) {
  // expected-error @below {{unknown capacity_rounding 'floor'; expected ceil or hi_moe}}
  %0:3 = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8 capacity_rounding floor capacity_factor 1.0 outs(%a, %b, %c : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return
}

// -----

// Expert indices are i32: at most 2^31 - 1 experts.
func.func @f(%p: tensor<?x2147483648xf32>, %e: tensor<?x2xi32>, %o: tensor<2147483648xi64>) {
  // expected-error @below {{probs has 2147483648 experts; expected 1 to 2^31 - 1}}
  %r = hmoe.stats [load] probs %p : tensor<?x2147483648xf32>, experts %e : tensor<?x2xi32> outs(%o : tensor<2147483648xi64>) -> tensor<2147483648xi64>
  return
}

// -----

// experts_on (expert parallelism): the grid, its size, the weights' share.

func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>) {
  // expected-error @below {{experts_on @ep names no shard.grid; expected the grid of processes the experts are spread over}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

shard.grid @ep(shape = 2x2)
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<2x16x16xf32>) {
  // expected-error @below {{experts_on @ep is not a one-dimensional grid of static size; expected shard.grid @ep(shape = R)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<2x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

shard.grid @ep(shape = ?)
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<2x16x16xf32>) {
  // expected-error @below {{experts_on @ep is not a one-dimensional grid of static size; expected shard.grid @ep(shape = R)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<2x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

// A grid of no processes (the verifier divided by it: SIGFPE).
shard.grid @ep(shape = 0)
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>) {
  // expected-error @below {{experts_on @ep has 0 processes; expected shard.grid @ep(shape = R) with R >= 1}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

shard.grid @ep(shape = 3)
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>) {
  // expected-error @below {{spreads 8 experts over the 3 processes of @ep; expected a number of processes that divides the experts}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

shard.grid @ep(shape = 4)
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>) {
  // expected-error @below {{has 4 experts per process (w1's first dimension); expected 2 (8 experts over the 4 processes of @ep)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

shard.grid @ep(shape = 2)
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<3x16x16xf32>) {
  // expected-error @below {{with experts_on has 3 experts per process (w1's first dimension); expected a divisor of the layer's 8 experts}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<3x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

shard.grid @ep(shape = 2)
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>,
             %b2: tensor<8x16xf32>) {
  // expected-error @below {{expert bias 'b1' has shape [8, 16]; expected [4, 16] ([E / R, D_out], the process's experts)}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>, b1 %b2 : tensor<8x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}

// -----

func.func @ep() {
  return
}
func.func @f(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>) {
  // expected-error @below {{experts_on @ep names no shard.grid; expected the grid of processes the experts are spread over}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return
}
