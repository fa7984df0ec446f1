// RUN: not hmoe-opt --hmoe-lower-to-nvvm='toolkit=%t/no-cuda' %s 2>&1 | FileCheck %s

// A missing toolkit is an error before any work, naming where it looked.
// CHECK: error: no CUDA toolkit found at '{{.*}}no-cuda' (no bin/ptxas there): the NVVM pipeline needs ptxas and libdevice; pass toolkit=<dir> or set CUDA_HOME
// CHECK-NOT: llvm.func
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %s = hmoe.score linear %x : tensor<?x8xf32>, %g : tensor<4x8xf32>
      -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}
