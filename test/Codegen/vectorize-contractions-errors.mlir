// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-rows=0}))' %s 2>&1 | FileCheck %s

// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{k-block=12}))' %s 2>&1 | FileCheck %s --check-prefix=KBLOCK

// The register tile is unrolled: a huge one is refused, not emitted.
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-cols=100000}))' %s 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-rows=9 tile-cols=8}))' %s 2>&1 | FileCheck %s --check-prefix=TILE72
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-rowwise{vector-width=128}))' %s 2>&1 | FileCheck %s --check-prefix=ROWWISE
// The packed kernel's rows: 2 accumulators each.
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=33}))' %s 2>&1 | FileCheck %s --check-prefix=PACKED
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{prefetch-tiles=-1}))' %s 2>&1 | FileCheck %s --check-prefix=PREFETCH
// RUN: not hmoe-opt '--hmoe-lower-to-cpu=prefetch-tiles=4611686018427387904' %s 2>&1 | FileCheck %s --check-prefix=PREFETCH-BIG
// Widths are powers of two in every pass that takes one (a width of 3 or 6
// once computed wrong rows without a word).
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=0 vector-width=6}))' %s 2>&1 | FileCheck %s --check-prefix=WIDTH6
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-rowwise{vector-width=3}))' %s 2>&1 | FileCheck %s --check-prefix=ROWWISE3
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-lower-routing-to-loops{vector-width=12}))' %s 2>&1 | FileCheck %s --check-prefix=ROUTING12
// The pipeline checks its own.
// RUN: not hmoe-opt --hmoe-lower-to-cpu=vector-width=4096 %s 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not hmoe-opt '--hmoe-lower-to-cpu=vector-width=3 target-cpu=x86-64' %s 2>&1 | FileCheck %s --check-prefix=PIPELINE3

// CHECK: error: hmoe-vectorize-contractions: every option must be at least 1 (k-block: at least 0)
// KBLOCK: error: hmoe-vectorize-contractions: k-block (12) must be a multiple of vector-width (8)
// TILE: error: hmoe-vectorize-contractions: vector-width (8) must be at most 64 and tile-rows x tile-cols (4 x 100000) at most 64 accumulators
// TILE72: error: {{.*}}(9 x 8) at most 64 accumulators
// PACKED: error: hmoe-vectorize-contractions: packed-rows (33) must be 0 to 32 (2 accumulators a row)
// PREFETCH: error: hmoe-vectorize-contractions: prefetch-tiles (-1) must be 0 to 64
// PREFETCH-BIG: error: hmoe-vectorize-contractions: prefetch-tiles (4611686018427387904) must be 0 to 64
// WIDTH6: error: hmoe-vectorize-contractions: vector-width (6) must be a power of two
// ROWWISE: error: hmoe-vectorize-rowwise: vector-width (128) must be a power of two from 1 to 64
// ROWWISE3: error: hmoe-vectorize-rowwise: vector-width (3) must be a power of two from 1 to 64
// ROUTING12: error: hmoe-lower-routing-to-loops: vector-width (12) must be a power of two from 1 to 64
// PIPELINE: error: hmoe-lower-to-cpu: vector-width=4096: expected 0 (the target's schedule) or a power of two from 1 to 64
// PIPELINE3: error: hmoe-lower-to-cpu: vector-width=3: expected 0 (the target's schedule) or a power of two from 1 to 64
func.func @f() {
  return
}
