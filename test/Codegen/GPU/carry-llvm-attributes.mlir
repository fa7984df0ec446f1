// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(gpu.module(hmoe-carry-llvm-attributes))' %s | FileCheck %s

// The annotation scf-to-cf leaves on a loop's latch as a discardable
// attribute becomes the llvm.br's own loop_annotation (what the LLVM IR
// translation reads as !llvm.loop); a branch without one is left alone.
// CHECK-DAG: #[[UNROLL:.*]] = #llvm.loop_unroll<disable = true>
// CHECK-DAG: #[[ANNOTATION:.*]] = #llvm.loop_annotation<unroll = #[[UNROLL]]>
// CHECK-LABEL: llvm.func @kernel
// CHECK: llvm.cond_br %{{.*}}, ^[[BODY:.*]], ^[[EXIT:.*]]{{$}}
// CHECK: llvm.br ^{{.*}}(%{{.*}} : i64) {loop_annotation = #[[ANNOTATION]]}
// CHECK-NOT: llvm.loop_annotation
gpu.module @kernels {
  llvm.func @kernel(%n: i64) {
    %c0 = llvm.mlir.constant(0 : i64) : i64
    %c1 = llvm.mlir.constant(1 : i64) : i64
    llvm.br ^header(%c0 : i64)
  ^header(%i: i64):
    %more = llvm.icmp "slt" %i, %n : i64
    llvm.cond_br %more, ^body, ^exit
  ^body:
    %next = llvm.add %i, %c1 : i64
    llvm.br ^header(%next : i64) {llvm.loop_annotation = #llvm.loop_annotation<unroll = <disable = true>>}
  ^exit:
    llvm.return
  }
}

// -----

// In a kernel marked hmoe.read_only_args, the llvm.readonly pointers (both
// of a memref's descriptor) become noalias too, and the marker goes; others
// are left as they are, as are kernels without the marker.
// CHECK-LABEL: llvm.func @marked
// CHECK-SAME: (%{{.*}}: !llvm.ptr {llvm.noalias, llvm.readonly}, %{{.*}}: !llvm.ptr {llvm.noalias, llvm.readonly}, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64)
// CHECK-NOT: hmoe.read_only_args
// CHECK-SAME: {
// CHECK-LABEL: llvm.func @unmarked
// CHECK-SAME: (%{{.*}}: !llvm.ptr {llvm.readonly}, %{{.*}}: !llvm.ptr)
gpu.module @kernels {
  llvm.func @marked(%a0: !llvm.ptr {llvm.readonly}, %a1: !llvm.ptr {llvm.readonly}, %a2: i64, %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64) attributes {hmoe.read_only_args} {
    llvm.return
  }
  llvm.func @unmarked(%a: !llvm.ptr {llvm.readonly}, %b: !llvm.ptr) {
    llvm.return
  }
}

// -----

// Workgroup buffers (address space 3; outlining leaves their attributions
// without llvm.align) are aligned to 16 bytes, more where they were; the
// dynamic workgroup memory (gpu.dynamic_shared_memory's zero-length array)
// is external, CUDA's `extern __shared__` (internal, NVPTX demoted it to a
// one-byte static variable); other globals are left alone.
// CHECK-LABEL: gpu.module @workgroup
// CHECK: llvm.mlir.global internal @tiles() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<2048 x i8>
// CHECK: llvm.mlir.global internal @wide() {addr_space = 3 : i32, alignment = 64 : i64} : !llvm.array<64 x i8>
// CHECK: llvm.mlir.global internal @table() {addr_space = 1 : i32} : !llvm.array<8 x i8>
// CHECK: llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
// CHECK: llvm.mlir.global internal @empty_global() {addr_space = 1 : i32} : !llvm.array<0 x i8>
gpu.module @workgroup {
  llvm.mlir.global internal @tiles() {addr_space = 3 : i32} : !llvm.array<2048 x i8>
  llvm.mlir.global internal @wide() {addr_space = 3 : i32, alignment = 64 : i64} : !llvm.array<64 x i8>
  llvm.mlir.global internal @table() {addr_space = 1 : i32} : !llvm.array<8 x i8>
  llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
  llvm.mlir.global internal @empty_global() {addr_space = 1 : i32} : !llvm.array<0 x i8>
}
