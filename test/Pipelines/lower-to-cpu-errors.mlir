// Option values hmoe-lower-to-cpu does not take are errors before any
// work, naming the option, its value and what it takes (the builder read
// them as "the target's schedule" or "never" before). hmoe-reject-pipeline-
// options reports them in place of the pipeline.
// RUN: not hmoe-opt --hmoe-lower-to-cpu=vector-width=-7 %s 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: not hmoe-opt --hmoe-lower-to-cpu=tile-rows=-1 %s 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not hmoe-opt --hmoe-lower-to-cpu=tile-cols=-1 %s 2>&1 | FileCheck %s --check-prefix=COLS
// RUN: not hmoe-opt --hmoe-lower-to-cpu=k-block=-2 %s 2>&1 | FileCheck %s --check-prefix=KBLOCK
// RUN: not hmoe-opt --hmoe-lower-to-cpu=packed-rows=-2 %s 2>&1 | FileCheck %s --check-prefix=PACKED
// RUN: not hmoe-opt --hmoe-lower-to-cpu=prefetch-tiles=-2 %s 2>&1 | FileCheck %s --check-prefix=PREFETCH
// RUN: not hmoe-opt --hmoe-lower-to-cpu=parallel-experts=-1 %s 2>&1 | FileCheck %s --check-prefix=EXPERTS
// RUN: not hmoe-opt --hmoe-lower-to-cpu=adaptive-rows=-1 %s 2>&1 | FileCheck %s --check-prefix=ADAPTIVE
// RUN: not hmoe-opt --hmoe-lower-to-cpu=serial-work=-1 %s 2>&1 | FileCheck %s --check-prefix=SWORK
// RUN: not hmoe-opt --hmoe-lower-to-cpu=serial-work=2147483649 %s 2>&1 | FileCheck %s --check-prefix=SWORK-BIG
// RUN: not hmoe-opt '--hmoe-lower-to-cpu=gpu-mapped thread-jam=0' %s 2>&1 | FileCheck %s --check-prefix=JAM
// RUN: not hmoe-opt '--hmoe-lower-to-cpu=gpu-mapped thread-load-bytes=-16' %s 2>&1 | FileCheck %s --check-prefix=LOADS
// RUN: not hmoe-opt '--hmoe-lower-to-cpu=gpu-mapped warp-route-experts=-2' %s 2>&1 | FileCheck %s --check-prefix=WARP
// The least values each takes are accepted.
// RUN: hmoe-opt '--hmoe-lower-to-cpu=vector-width=0 tile-rows=0 tile-cols=0 k-block=-1 packed-rows=-1 prefetch-tiles=-1 parallel-experts=0 adaptive-rows=0 serial-single=0 serial-work=0' %s -o /dev/null
// RUN: hmoe-opt '--hmoe-lower-to-cpu=gpu-mapped thread-jam=1 thread-load-bytes=0 warp-route-experts=-1' %s -o /dev/null

// WIDTH: error: hmoe-lower-to-cpu: vector-width=-7: expected 0 (the target's schedule) or a power of two from 1 to 64
// WIDTH-NOT: llvm.func
// ROWS: error: hmoe-lower-to-cpu: tile-rows=-1: expected 0 (the target's schedule) or more
// COLS: error: hmoe-lower-to-cpu: tile-cols=-1: expected 0 (the target's schedule) or more
// KBLOCK: error: hmoe-lower-to-cpu: k-block=-2: expected -1 (the target's schedule), 0 (all of K) or more
// PACKED: error: hmoe-lower-to-cpu: packed-rows=-2: expected -1 (the target's schedule), 0 (never) or more
// PREFETCH: error: hmoe-lower-to-cpu: prefetch-tiles=-2: expected -1 (the target's schedule), 0 (never) or more
// EXPERTS: error: hmoe-lower-to-cpu: parallel-experts=-1: expected 0 (never) or more
// ADAPTIVE: error: hmoe-lower-to-cpu: adaptive-rows=-1: expected 0 (never) or more
// SWORK: error: hmoe-lower-to-cpu: serial-work=-1: expected 0 (never) to 2^31
// SWORK-BIG: error: hmoe-lower-to-cpu: serial-work=2147483649: expected 0 (never) to 2^31
// JAM: error: hmoe-lower-to-cpu: thread-jam=0: expected 1 (a column at a time) or more
// LOADS: error: hmoe-lower-to-cpu: thread-load-bytes=-16: expected 0 (off) or a power of two from 2 to 64
// WARP: error: hmoe-lower-to-cpu: warp-route-experts=-2: expected -1 (no route on warps), 0 (every route one warp can take) or more
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %s = hmoe.score linear %x : tensor<?x8xf32>, %g : tensor<4x8xf32>
      -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}
