// RUN: hmoe-opt %s -split-input-file -verify-diagnostics

// Attribute parse and verification errors: one case each.

// expected-error @below {{expected '<'}}
func.func @f() attributes {a = #hmoe.gate<activation, softmax, k = 1>} {
  return
}

// -----

// expected-error @below {{expected ','}}
func.func @f() attributes {a = #hmoe.gate<laplace<tanh>, softmax, k = 1>} {
  return
}

// -----

// expected-error @below {{unknown score 'cosine'; expected one of linear, laplace, gaussian, activation<f>}}
func.func @f() attributes {a = #hmoe.gate<cosine, softmax, k = 1>} {
  return
}

// -----

// expected-error @below {{unknown activation 'swish'; expected one of tanh, sigmoid, relu, gelu, silu}}
func.func @f() attributes {a = #hmoe.gate<activation<swish>, softmax, k = 1>} {
  return
}

// -----

// expected-error @below {{unknown normalization 'sparsemax'; expected one of softmax, sigmoid}}
func.func @f() attributes {a = #hmoe.gate<linear, sparsemax, k = 1>} {
  return
}

// -----

// expected-error @below {{unknown gate parameter 'top'; expected k, temperature, renormalize or scale}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, top = 2>} {
  return
}

// -----

// expected-error @below {{'k' is given twice}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, k = 2>} {
  return
}

// -----

// expected-error @below {{gate needs 'k = <children to choose>'}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax>} {
  return
}

// -----

// expected-error @below {{expected 'true' or 'false'}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, renormalize = yes>} {
  return
}

// -----

// expected-error @below {{gate must choose k >= 1 children; got k = 0}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 0>} {
  return
}

// -----

// expected-error @below {{temperature must be positive and finite; got 0}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, temperature = 0.0>} {
  return
}

// -----

// expected-error @below {{temperature must be positive and finite; got -2}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, temperature = -2.0>} {
  return
}

// -----

// expected-error @below {{temperature must be positive and finite; got INF}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, temperature = 0x7FF0000000000000>} {
  return
}

// -----

// expected-error @below {{scale must be finite; got nan}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, scale = 0x7FF8000000000000>} {
  return
}

// -----

// expected-error @below {{unknown strategy 'tree'; expected one of nested, group_limited, per_group}}
func.func @f() attributes {a = #hmoe.strategy<tree>} {
  return
}

// -----

// expected-error @below {{the nested strategy takes no group parameters; its groups are the gates' levels}}
func.func @f() attributes {a = #hmoe.strategy<nested, groups = 2>} {
  return
}

// -----

// expected-error @below {{group_limited needs 'groups' >= 1; got 0}}
func.func @f() attributes {a = #hmoe.strategy<group_limited, k_groups = 1>} {
  return
}

// -----

// expected-error @below {{group_limited needs 1 <= k_groups <= groups (4); got k_groups = 5}}
func.func @f() attributes {a = #hmoe.strategy<group_limited, groups = 4, k_groups = 5>} {
  return
}

// -----

// expected-error @below {{group_limited needs 1 <= k_groups <= groups (4); got k_groups = 0}}
func.func @f() attributes {a = #hmoe.strategy<group_limited, groups = 4>} {
  return
}

// -----

// expected-error @below {{group score sum_top<m> needs m >= 1; got m = 0}}
func.func @f() attributes {a = #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<0>>} {
  return
}

// -----

// expected-error @below {{unknown group score 'mean'; expected one of max, sum_top<m>}}
func.func @f() attributes {a = #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = mean>} {
  return
}

// -----

// expected-error @below {{unknown strategy parameter 'm'; expected groups, k_groups or group_score}}
func.func @f() attributes {a = #hmoe.strategy<group_limited, groups = 4, k_groups = 2, m = 2>} {
  return
}

// -----

// expected-error @below {{per_group needs 'groups' >= 1; got 0}}
func.func @f() attributes {a = #hmoe.strategy<per_group>} {
  return
}

// -----

// expected-error @below {{per_group takes only 'groups'; every group is kept, and the gate's k is chosen in each}}
func.func @f() attributes {a = #hmoe.strategy<per_group, groups = 4, k_groups = 2>} {
  return
}

// -----

// expected-error @below {{unknown expert kind 'moe'; expected one of ffn, swiglu, linear}}
func.func @f() attributes {a = #hmoe.expert<moe>} {
  return
}

// -----

// expected-error @below {{ffn experts need 'activation = <f>'}}
func.func @f() attributes {a = #hmoe.expert<ffn, hidden = 8>} {
  return
}

// -----

// expected-error @below {{ffn experts need 'hidden = <H>' with H >= 1; got 0}}
func.func @f() attributes {a = #hmoe.expert<ffn, activation = relu>} {
  return
}

// -----

// expected-error @below {{swiglu experts take no activation (SwiGLU's is always silu)}}
func.func @f() attributes {a = #hmoe.expert<swiglu, activation = silu, hidden = 8>} {
  return
}

// -----

// expected-error @below {{swiglu experts need 'hidden = <H>' with H >= 1; got -1}}
func.func @f() attributes {a = #hmoe.expert<swiglu, hidden = -1>} {
  return
}

// -----

// expected-error @below {{linear experts take no activation}}
func.func @f() attributes {a = #hmoe.expert<linear, activation = relu>} {
  return
}

// -----

// expected-error @below {{linear experts have no hidden size}}
func.func @f() attributes {a = #hmoe.expert<linear, hidden = 8>} {
  return
}

// -----

// expected-error @below {{unknown expert parameter 'width'; expected activation or hidden}}
func.func @f() attributes {a = #hmoe.expert<ffn, activation = relu, hidden = 8, width = 2>} {
  return
}

// -----

// Gates compute in f32: 1e-300 would round to 0 there.
// expected-error @below {{temperature must be a normal f32 (between 1.175494e-38 and 3.402823e+38); got 1.000000e-300}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, temperature = 1.0e-300>} {
  return
}

// -----

// expected-error @below {{temperature must be a normal f32 (between 1.175494e-38 and 3.402823e+38); got 1.000000e+39}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, temperature = 1.0e+39>} {
  return
}

// -----

// expected-error @below {{scale must be finite in f32 (|scale| <= 3.402823e+38); got -1.000000e+39}}
func.func @f() attributes {a = #hmoe.gate<linear, softmax, k = 1, scale = -1.0e+39>} {
  return
}

// -----

// Whole numbers are accepted for float parameters (ops.mlir), other
// literals are not.
// expected-error @below {{expected floating point literal}}
#bad = #hmoe.gate<linear, softmax, k = 2, scale = true>

// -----

// Discardable attributes of the dialect.

// expected-error @below {{'hmoe.abi' must be a function type (the layer function's signature), got "f"}}
func.func @abi_not_a_type() attributes {hmoe.abi = "f"} {
  return
}

// -----

// expected-error @below {{'hmoe.abi' must be a function type (the layer function's signature), got tensor<2xf32>}}
func.func @abi_not_a_function_type() attributes {hmoe.abi = tensor<2xf32>} {
  return
}

// -----

// expected-error @below {{'hmoe.abi' belongs on a function, not on builtin.module}}
module attributes {hmoe.abi = () -> ()} {
}

// -----

// expected-error @below {{'hmoe.abi' has 2 arguments and 0 results, the function 1 and 0}}
func.func @abi_arity(%a: tensor<2xf32>) attributes {hmoe.abi = (tensor<2xf32>, tensor<2xf32>) -> ()} {
  return
}

// -----

// expected-error @below {{'hmoe.into_abi' must be a function type (the signature of the layer whose results the function writes), got "f"}}
func.func @into_abi_not_a_type() attributes {hmoe.into_abi = "f"} {
  return
}

// -----

// expected-error @below {{'hmoe.into_abi' belongs on a function, not on builtin.module}}
module attributes {hmoe.into_abi = () -> ()} {
}

// -----

// expected-error @below {{'hmoe.into_abi' describes a layer of 1 arguments and 1 results, so the function takes 2 arguments (inputs, then result buffers) and returns nothing; it has 1 arguments and 1 results}}
func.func @into_abi_arity(%a: memref<2xf32>) -> memref<2xf32> attributes {hmoe.into_abi = (tensor<2xf32>) -> tensor<2xf32>} {
  return %a : memref<2xf32>
}

// -----

// expected-error @below {{'hmoe.shapes_of' must be a function type (the signature of the layer whose result sizes the function writes), got 3 : i64}}
func.func @shapes_of_not_a_type() attributes {hmoe.shapes_of = 3} {
  return
}

// -----

// expected-error @below {{'hmoe.shapes_of' describes a layer of 1 arguments, so the function takes 2 arguments (inputs, then the sizes' buffer) and returns nothing; it has 1 arguments and 0 results}}
func.func @shapes_of_arity(%a: memref<2xf32>) attributes {hmoe.shapes_of = (tensor<2xf32>) -> tensor<2xf32>} {
  return
}

// -----

// expected-error @below {{'hmoe.target_cpu' must be a string, got 3 : i64}}
module attributes {hmoe.target_cpu = 3} {
}

// -----

// expected-error @below {{'hmoe.target_features' belongs on a module, not on func.func}}
func.func @features_on_function() attributes {hmoe.target_features = "+avx2"} {
  return
}

// -----

// expected-error @below {{unknown attribute 'hmoe.tile': the hmoe dialect defines 'hmoe.abi', 'hmoe.into_abi', 'hmoe.shapes_of', 'hmoe.target_cpu', 'hmoe.target_features', 'hmoe.dynamic_tasks' and 'hmoe.read_only_args'}}
func.func @unknown() attributes {hmoe.tile = 4} {
  return
}

// -----

// expected-error @below {{'hmoe.dynamic_tasks' belongs on an scf.parallel, not on func.func}}
func.func @tasks_on_function() attributes {hmoe.dynamic_tasks} {
  return
}

// -----

func.func @tasks_not_unit(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @below {{'hmoe.dynamic_tasks' is a unit attribute, got 2 : i64}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.reduce
  } {hmoe.dynamic_tasks = 2}
  return
}

// -----

// expected-error @below {{'hmoe.read_only_args' is a unit attribute, got true}}
func.func @read_only_args_not_unit() attributes {hmoe.read_only_args = true} {
  return
}

// -----

// expected-error @below {{'hmoe.read_only_args' belongs on a GPU kernel function, not on builtin.module}}
module attributes {hmoe.read_only_args} {
}
