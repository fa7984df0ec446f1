// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=3}))' %s | FileCheck %s --check-prefix=ALL3
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=0}))' %s | FileCheck %s --check-prefix=MMA
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=0 mma-min-blocks-per-sm=4 local-array-min-blocks-per-sm=3}))' %s | FileCheck %s --check-prefix=EACH
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=0 mma-min-blocks-per-sm=0 local-array-min-blocks-per-sm=0}))' %s | FileCheck %s --check-prefix=NONE
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=33}))' %s 2>&1 | FileCheck %s --check-prefix=ERROR
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{mma-min-blocks-per-sm=-1}))' %s 2>&1 | FileCheck %s --check-prefix=ERROR-MMA
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-set-kernel-occupancy{local-array-min-blocks-per-sm=40}))' %s 2>&1 | FileCheck %s --check-prefix=ERROR-LOCAL

// Every kernel gets the minimum number of blocks per SM (PTX
// .minnctapersm) ptxas budgets registers for; device functions that are
// not kernels are left alone. With min-blocks-per-sm=0 only kernels with
// much state per thread get one: tensor-core steps (mma-min-blocks-per-sm,
// default 2), arrays in local memory (local-array-min-blocks-per-sm,
// default 1), the larger where a kernel has both; with all three 0,
// nothing is set.
// CHECK-LABEL: gpu.module @kernels
// CHECK: gpu.func @k0() kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @k1() kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @mma({{.*}}) kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @local({{.*}}) kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @both({{.*}}) kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @helper()
// CHECK-NOT: nvvm.minctasm
// ALL3: gpu.func @k0() kernel attributes {nvvm.minctasm = 3 : i32}
// ALL3: gpu.func @k1() kernel attributes {nvvm.minctasm = 3 : i32}
// ALL3: gpu.func @mma({{.*}}) kernel attributes {nvvm.minctasm = 3 : i32}
// ALL3: gpu.func @local({{.*}}) kernel attributes {nvvm.minctasm = 3 : i32}
// MMA: gpu.func @k0() kernel {
// MMA: gpu.func @k1() kernel {
// MMA: gpu.func @mma({{.*}}) kernel attributes {nvvm.minctasm = 2 : i32}
// MMA: gpu.func @local({{.*}}) kernel attributes {nvvm.minctasm = 1 : i32}
// MMA: gpu.func @both({{.*}}) kernel attributes {nvvm.minctasm = 2 : i32}
// MMA: gpu.func @helper() {
// EACH: gpu.func @k0() kernel {
// EACH: gpu.func @mma({{.*}}) kernel attributes {nvvm.minctasm = 4 : i32}
// EACH: gpu.func @local({{.*}}) kernel attributes {nvvm.minctasm = 3 : i32}
// EACH: gpu.func @both({{.*}}) kernel attributes {nvvm.minctasm = 4 : i32}
// NONE-NOT: nvvm.minctasm
// ERROR: hmoe-set-kernel-occupancy: min-blocks-per-sm must be in [0, 32], got 33
// ERROR-MMA: hmoe-set-kernel-occupancy: mma-min-blocks-per-sm must be in [0, 32], got -1
// ERROR-LOCAL: hmoe-set-kernel-occupancy: local-array-min-blocks-per-sm must be in [0, 32], got 40
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k0() kernel {
      gpu.return
    }
    gpu.func @k1() kernel {
      gpu.return
    }
    gpu.func @mma(%a: vector<2xf16>, %b: vector<2xf16>, %c: f32) kernel {
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c]
          {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
           shape = #nvvm.shape<m = 16, n = 8, k = 16>}
          : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      gpu.return
    }
    gpu.func @local(%i: index, %v: f32) kernel {
      %scratch = memref.alloca() : memref<8xf32>
      memref.store %v, %scratch[%i] : memref<8xf32>
      gpu.return
    }
    gpu.func @both(%a: vector<2xf16>, %b: vector<2xf16>, %c: f32, %i: index) kernel {
      %scratch = memref.alloca() : memref<8xf32>
      memref.store %c, %scratch[%i] : memref<8xf32>
      %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c]
          {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
           shape = #nvvm.shape<m = 16, n = 8, k = 16>}
          : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      gpu.return
    }
    gpu.func @helper() {
      gpu.return
    }
  }
}
