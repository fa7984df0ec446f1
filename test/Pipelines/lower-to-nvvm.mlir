// REQUIRES: cuda-toolkit
// RUN: hmoe-opt --hmoe-lower-to-nvvm='format=isa chip=sm_90a' %s | FileCheck %s
// RUN: hmoe-opt --hmoe-lower-to-nvvm %s | grep -c 'gpu.binary' | FileCheck %s --check-prefix=BINARIES
// RUN: hmoe-opt --hmoe-lower-to-nvvm %s | grep -o '#gpu.object<#nvvm.target<[^>]*>, [a-z"]' | sort | uniq -c | FileCheck %s --check-prefix=FATBIN
// RUN: hmoe-opt --hmoe-lower-to-nvvm='format=isa chip=sm_80' %s | FileCheck %s --check-prefix=MATH
// RUN: hmoe-opt --hmoe-lower-to-nvvm='format=isa chip=sm_90a' %s | grep -o 'minnctapersm [0-9]*' | sort | uniq -c | FileCheck %s --check-prefix=LOCAL
// RUN: hmoe-opt --hmoe-lower-to-nvvm='format=isa chip=sm_90a local-array-min-blocks-per-sm=0' %s | not grep minnctapersm
// RUN: hmoe-opt --hmoe-lower-to-nvvm='format=isa chip=sm_90a min-blocks-per-sm=2' %s | grep -c '.minnctapersm 2' | FileCheck %s --check-prefix=OCCUPANCY

// The register budget is ptxas's choice unless min-blocks-per-sm asks for
// a number of blocks per SM: then every kernel says so to ptxas. Without
// it, kernels with much state per thread get one all the same: here the
// routing kernel, whose per-token arrays are in local memory, gets 1
// (local-array-min-blocks-per-sm; 0 leaves it to ptxas too); kernels
// with tensor-core steps, which this layer has none of without
// tensor-cores, get 2 (test/GPU/ptxas-tensor-cores.test).
// LOCAL: 1 minnctapersm 1
// LOCAL-NOT: minnctapersm
// OCCUPANCY: 5

// By default (chip=sm_80,sm_90a, format=fatbin) each kernel's binary holds
// one object, the fatbin hmoe-link-fatbin made of both chips' images: 5
// kernels, 5 binaries, 5 fatbins (an object's string, no `assembly =`).
// BINARIES: 5
// FATBIN: 5 #gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, "
// FATBIN-NOT: sm_90a

// The softmax's f32 exp is the CPU path's polynomial (hmoe-approximate-math
// in the kernels, what the CPU run of the GPU schedule checks), not
// libdevice's __nv_expf (whose ex2.approx would show in the PTX); the
// score GEMM's multiply-adds are FMAs (hmoe-allow-fma-contraction): no
// separately rounded f32 multiply or add is left.
// MATH: module attributes {gpu.container_module}
// MATH-NOT: {{ex2.approx|mul.rn.f32|add.rn.f32}}
// MATH: fma.rn.f32
// MATH-NOT: {{ex2.approx|mul.rn.f32|add.rn.f32}}

// The host side of a layer lowered for the GPU: device memory and launches
// on one stream (the mgpu* runtime functions gpu-to-llvm calls), 256
// threads per block, the kernels as PTX for the
// chosen chip; nothing of memref or bufferization is left.
// The layer allocates its results and calls its destination-passing
// twin (hmoe-add-into-entries), which holds the launches.
// CHECK: module attributes {gpu.container_module}
// CHECK: llvm.func @g1(
// CHECK:   llvm.call @mgpuMemAlloc(
// CHECK:   llvm.call @g1_into(
// CHECK: llvm.func @g1_into(
// CHECK:   %[[STREAM:.*]] = llvm.call @mgpuStreamCreate()
// CHECK:   %[[BUF:.*]] = llvm.call @mgpuMemAlloc(%{{.*}}, %[[STREAM]], %{{.*}})
// CHECK:   gpu.launch_func <%[[STREAM]] : !llvm.ptr> @g1_kernel::@g1_kernel blocks in
// CHECK:   gpu.launch_func <%[[STREAM]] : !llvm.ptr> @{{.*}}::@g1_kernel blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%[[T256:.*]], %{{.*}}, %{{.*}})
// CHECK:   llvm.call @mgpuMemFree(%[[BUF]], %[[STREAM]])
// CHECK:   llvm.call @mgpuStreamSynchronize(%[[STREAM]])
// CHECK:   llvm.call @mgpuStreamDestroy(%[[STREAM]])
// CHECK:   llvm.return
// CHECK: gpu.binary @g1_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90a
// The last kernel is score -> normalise -> top-k for a block of tokens:
// the distance GEMM's multiply-adds, the distances' square roots, a
// barrier, then the routing's NaN guards, in one kernel (the experts'
// norms, the same for every block, are the kernels before it).
// CHECK: gpu.binary @g1_kernel_3 [{{.*}}fma.rn.f32{{.*}}sqrt.approx.f32{{.*}}bar.sync{{.*}}setp.nan.f32
// CHECK-NOT: memref.
// CHECK-NOT: bufferization.
func.func @g1(%x: tensor<?x64xf32>, %g: tensor<16x64xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %s = hmoe.score laplace %x : tensor<?x64xf32>, %g : tensor<16x64xf32>
      -> tensor<?x16xf32>
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x64xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x16xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %s : tensor<?x16xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x16xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x16xf32>
  return %w, %e : tensor<?x2xf32>, tensor<?x2xi32>
}
