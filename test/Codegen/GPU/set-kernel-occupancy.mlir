// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy)' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=3})' %s | FileCheck %s --check-prefix=ALL3
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=0})' %s | FileCheck %s --check-prefix=MMA
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=0 mma-min-blocks-per-sm=4 local-array-min-blocks-per-sm=3})' %s | FileCheck %s --check-prefix=EACH
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=0 mma-min-blocks-per-sm=0 local-array-min-blocks-per-sm=0})' %s | FileCheck %s --check-prefix=NONE
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy{min-blocks-per-sm=33})' %s 2>&1 | FileCheck %s --check-prefix=ERROR
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy{mma-min-blocks-per-sm=-1})' %s 2>&1 | FileCheck %s --check-prefix=ERROR-MMA
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(hmoe-set-kernel-occupancy{local-array-min-blocks-per-sm=40})' %s 2>&1 | FileCheck %s --check-prefix=ERROR-LOCAL

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

// -----

// No more blocks than the launches' dynamic workgroup memory lets an SM
// hold (the SM's bytes over the launch's plus the 1 KB a block reserves,
// for the smallest SM of the gpu.module's targets, at least 1): on sm_90a
// (228 KB) 164864 bytes (4 stages of W1's wgmma tiles) leave room for 1,
// 82944 (2 stages) for 2; with sm_86 among the targets (100 KB) 82944
// leaves 1; a launch of unknown size, or a chip this pass does not know,
// leaves the kernel as it is.
// CHECK-LABEL: gpu.module @hopper
// CHECK: gpu.func @four() kernel attributes {nvvm.minctasm = 1 : i32}
// CHECK: gpu.func @two() kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @unknown() kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK-LABEL: gpu.module @ampere_too
// CHECK: gpu.func @two() kernel attributes {nvvm.minctasm = 1 : i32}
// CHECK-LABEL: gpu.module @new_chip
// CHECK: gpu.func @two() kernel attributes {nvvm.minctasm = 2 : i32}
module attributes {gpu.container_module} {
  func.func @host(%size: i32) {
    %c1 = arith.constant 1 : index
    %four = arith.constant 164864 : i32
    %two = arith.constant 82944 : i32
    gpu.launch_func @hopper::@four blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) dynamic_shared_memory_size %four
    gpu.launch_func @hopper::@two blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) dynamic_shared_memory_size %two
    gpu.launch_func @hopper::@unknown blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) dynamic_shared_memory_size %size
    gpu.launch_func @ampere_too::@two blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) dynamic_shared_memory_size %two
    gpu.launch_func @new_chip::@two blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) dynamic_shared_memory_size %four
    return
  }
  gpu.module @hopper [#nvvm.target<chip = "sm_90a">] {
    gpu.func @four() kernel {
      gpu.return
    }
    gpu.func @two() kernel {
      gpu.return
    }
    gpu.func @unknown() kernel {
      gpu.return
    }
  }
  gpu.module @ampere_too [#nvvm.target<chip = "sm_90a">, #nvvm.target<chip = "sm_86">] {
    gpu.func @two() kernel {
      gpu.return
    }
  }
  gpu.module @new_chip [#nvvm.target<chip = "sm_100a">] {
    gpu.func @two() kernel {
      gpu.return
    }
  }
}
