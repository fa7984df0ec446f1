// RUN: hmoe-opt --pass-pipeline='builtin.module(gpu.module(hmoe-carry-loop-annotations))' %s | FileCheck %s

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
