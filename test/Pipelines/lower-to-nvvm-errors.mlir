// RUN: not hmoe-opt --hmoe-lower-to-nvvm='toolkit=%t/no-cuda' %s 2>&1 | FileCheck %s
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_75' %s 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_80,sm_70 thread-stage-bytes=128 thread-stages=2' %s 2>&1 | FileCheck %s --check-prefix=LIST
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_90x' %s 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_80a' %s 2>&1 | FileCheck %s --check-prefix=SUFFIX
// RUN: not hmoe-opt --hmoe-lower-to-cpu='gpu-mapped thread-stages=2' %s 2>&1 | FileCheck %s --check-prefix=STAGES

// A missing toolkit is an error before any work, naming where it looked.
// CHECK: error: no CUDA toolkit found at '{{.*}}no-cuda' (no bin/ptxas there): the NVVM pipeline needs ptxas and libdevice; pass toolkit=<dir> or set CUDA_HOME
// CHECK-NOT: llvm.func

// A chip before sm_80 is an error before any work (LLVM's NVPTX back end
// aborted on the kernels' mma.sync and cp.async for it), toolkit or not.
// OLD: error: chip 'sm_75' is not one the kernels can target: expected sm_80 or later (sm_<number>, or sm_<number>a from sm_90a), which their mma.sync on bf16/f16 and cp.async need
// OLD-NOT: llvm.func
// LIST: error: chip 'sm_70' is not one the kernels can target
// NAME: error: chip 'sm_90x' is not one the kernels can target
// SUFFIX: error: chip 'sm_80a' is not one the kernels can target
// A second stage of nothing (thread-stages without thread-stage-bytes)
// is an error, not a silent no-op.
// STAGES: error: hmoe-stage-thread-contractions: stages=2 with k-tile-bytes=0 (off) stages nothing
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %s = hmoe.score linear %x : tensor<?x8xf32>, %g : tensor<4x8xf32>
      -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}
