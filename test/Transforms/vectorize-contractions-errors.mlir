// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-rows=0}))' %s 2>&1 | FileCheck %s

// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{k-block=12}))' %s 2>&1 | FileCheck %s --check-prefix=KBLOCK

// CHECK: error: hmoe-vectorize-contractions: every option must be at least 1 (k-block: at least 0)
// KBLOCK: error: hmoe-vectorize-contractions: k-block (12) must be a multiple of vector-width (8)
func.func @f() {
  return
}
