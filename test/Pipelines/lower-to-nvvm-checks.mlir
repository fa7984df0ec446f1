// REQUIRES: cuda-toolkit
// RUN: hmoe-opt --hmoe-lower-to-nvvm='format=isa chip=sm_90a' %s | FileCheck %s
// RUN: hmoe-opt --hmoe-lower-to-nvvm='format=isa chip=sm_90a runtime-checks=false' %s | FileCheck %s --check-prefix=OFF

// The host checks the sizes the verifier cannot know before it launches
// a kernel (hmoe-generate-size-checks: here a slot_token destination from
// outside whose size must be T x K, which the dispatch's kernels wrote
// past), and calls hmoe_check_failed (hmoe-compile's CUDA library defines
// it) when one fails. Index operands' values from outside the layer (here
// the expert indices) are device memory: a kernel in front of the op
// checks them, a thread an element, and a failed check is __assertfail
// (the kernel traps; the next CUDA call fails with CUDA_ERROR_ASSERT).
// CHECK: llvm.func @hmoe_check_failed(!llvm.ptr)
// CHECK-LABEL: llvm.func @dispatch_outs
// CHECK-NOT: gpu.launch_func
// CHECK: llvm.cond_br
// CHECK: gpu.launch_func {{.*}}@dispatch_outs_kernel::@dispatch_outs_kernel
// CHECK: llvm.call @hmoe_check_failed
// CHECK: .globl\09dispatch_outs_kernel\0A.extern .func __assertfail
// CHECK: call.uni __assertfail
// OFF-NOT: hmoe_check_failed
// OFF-NOT: __assertfail
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
