// RUN: hmoe-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(hmoe-distribute-dispatch))' %s
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-distribute-dispatch{chunk-tokens=0}))' %s 2>&1 | FileCheck %s --check-prefix=OPTION

// OPTION: hmoe-distribute-dispatch: expected chunk-tokens >= 1 and 1 <= block-threads <= 1024

func.func @on_tensors(%e: tensor<?x2xi32>, %st: tensor<?xi32>, %so: tensor<?x2xi32>, %off: tensor<5xi32>) -> tensor<5xi32> {
  // expected-error @+1 {{'hmoe.dispatch' op must be bufferized before it is distributed over the GPU (it still has tensor operands)}}
  %a, %b, %c = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 4
      outs(%st, %so, %off : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
  return %c : tensor<5xi32>
}
