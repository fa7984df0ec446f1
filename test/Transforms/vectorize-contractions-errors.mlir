// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-rows=0}))' %s 2>&1 | FileCheck %s

// CHECK: error: hmoe-vectorize-contractions: every option must be at least 1
func.func @f() {
  return
}
