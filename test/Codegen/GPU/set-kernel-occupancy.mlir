// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=0}))' %s | FileCheck %s --check-prefix=NONE
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=33}))' %s 2>&1 | FileCheck %s --check-prefix=ERROR

// Every kernel gets the minimum number of blocks per SM (PTX
// .minnctapersm) ptxas budgets registers for; device functions that are
// not kernels are left alone. With 0, nothing is set.
// CHECK-LABEL: gpu.module @kernels
// CHECK: gpu.func @k0() kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @k1() kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @helper()
// CHECK-NOT: nvvm.minctasm
// NONE-NOT: nvvm.minctasm
// ERROR: hmoe-set-kernel-occupancy: min-blocks-per-sm must be in [0, 32], got 33
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k0() kernel {
      gpu.return
    }
    gpu.func @k1() kernel {
      gpu.return
    }
    gpu.func @helper() {
      gpu.return
    }
  }
}
