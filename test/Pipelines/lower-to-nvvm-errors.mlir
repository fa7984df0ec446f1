// RUN: not hmoe-opt --hmoe-lower-to-nvvm='toolkit=%t/no-cuda' %s 2>&1 | FileCheck %s
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_75' %s 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_80,sm_70 thread-stage-bytes=128 thread-stages=2' %s 2>&1 | FileCheck %s --check-prefix=LIST
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_90x' %s 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=sm_80a' %s 2>&1 | FileCheck %s --check-prefix=SUFFIX
// RUN: not hmoe-opt --hmoe-lower-to-cpu='gpu-mapped thread-stages=2' %s 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='format=xyz' %s 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='chip=' %s 2>&1 | FileCheck %s --check-prefix=NOCHIP
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='features=+ptx80,garbage' %s 2>&1 | FileCheck %s --check-prefix=FEATURES
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='features=+sm_90a,+ptx80a' %s 2>&1 | FileCheck %s --check-prefix=PTXSUFFIX
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='thread-array-elements=-1' %s 2>&1 | FileCheck %s --check-prefix=ARRAYS
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='cyclic-group-bytes=-16' %s 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='thread-jam=-1' %s 2>&1 | FileCheck %s --check-prefix=JAM
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='thread-load-bytes=-1' %s 2>&1 | FileCheck %s --check-prefix=LOADS
// RUN: not hmoe-opt --hmoe-lower-to-nvvm='warp-route-experts=-7' %s 2>&1 | FileCheck %s --check-prefix=WARP

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
// Option values the pipeline does not take, before any work (an unknown
// format was reported by gpu-module-to-binary with exit status 0, a
// feature LLVM does not know warned about and ignored, negative sizes read
// as the defaults they are below).
// FORMAT: error: hmoe-lower-to-nvvm: format=xyz: expected isa (PTX text), bin (cubin) or fatbin
// FORMAT-NOT: llvm.func
// NOCHIP: error: hmoe-lower-to-nvvm: chip is empty: expected one or more chips, comma-separated (sm_80, sm_90a, ...)
// FEATURES: error: hmoe-lower-to-nvvm: features=+ptx80,garbage: 'garbage' is not a PTX feature: expected +ptx<version> (or +sm_<number>), comma-separated
// PTXSUFFIX: error: hmoe-lower-to-nvvm: features=+sm_90a,+ptx80a: '+ptx80a' is not a PTX feature
// ARRAYS: error: hmoe-lower-to-nvvm: thread-array-elements=-1: expected 0 (arrays left in local memory) or more
// GROUP: error: hmoe-lower-to-nvvm: cyclic-group-bytes=-16: expected 0 or more (below an element's size: a column a group)
// JAM: error: hmoe-lower-to-nvvm: thread-jam=-1: expected 1 (a column at a time) or more
// LOADS: error: hmoe-lower-to-nvvm: thread-load-bytes=-1: expected 0 (off) or a power of two from 2 to 64
// WARP: error: hmoe-lower-to-nvvm: warp-route-experts=-7: expected -1 (no route on warps), 0 (every route one warp can take) or more
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %s = hmoe.score linear %x : tensor<?x8xf32>, %g : tensor<4x8xf32>
      -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}
