// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-rows=0}))' %s 2>&1 | FileCheck %s

// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{k-block=12}))' %s 2>&1 | FileCheck %s --check-prefix=KBLOCK

// The register tile is unrolled: a huge one is refused, not emitted.
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-cols=100000}))' %s 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-rows=9 tile-cols=8}))' %s 2>&1 | FileCheck %s --check-prefix=TILE72
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-rowwise{vector-width=128}))' %s 2>&1 | FileCheck %s --check-prefix=ROWWISE
// The packed kernel's rows: 2 accumulators each, a power-of-two width.
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=33}))' %s 2>&1 | FileCheck %s --check-prefix=PACKED
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=4 vector-width=6}))' %s 2>&1 | FileCheck %s --check-prefix=PACKED-WIDTH
// The pipeline's options reach the passes.
// RUN: not hmoe-opt --hmoe-lower-to-cpu=vector-width=4096 %s 2>&1 | FileCheck %s --check-prefix=PIPELINE

// CHECK: error: hmoe-vectorize-contractions: every option must be at least 1 (k-block: at least 0)
// KBLOCK: error: hmoe-vectorize-contractions: k-block (12) must be a multiple of vector-width (8)
// TILE: error: hmoe-vectorize-contractions: vector-width (8) must be at most 64 and tile-rows x tile-cols (4 x 100000) at most 64 accumulators
// TILE72: error: {{.*}}(9 x 8) at most 64 accumulators
// PACKED: error: hmoe-vectorize-contractions: packed-rows (33) must be 0 to 32 (2 accumulators a row), and vector-width a power of two with it
// PACKED-WIDTH: error: hmoe-vectorize-contractions: packed-rows (4) must be 0 to 32
// ROWWISE: error: hmoe-vectorize-rowwise: vector-width (128) must be between 1 and 64
// The pipeline's vector-width reaches the routing loops first.
// PIPELINE: error: hmoe-lower-routing-to-loops: vector-width (4096) must be between 1 and 64
func.func @f() {
  return
}
