// RUN: hmoe-opt %s -split-input-file -hmoe-add-into-entries -verify-diagnostics

// The destination-passing entry's name is taken.

// expected-error @below {{'func.func' op cannot get a destination-passing entry: @layer_into is already defined; rename it (or lower without the entries: into-entries=0)}}
func.func @layer(%x: memref<4xf32>) -> memref<4xf32>
    attributes {hmoe.abi = (tensor<4xf32>) -> tensor<4xf32>} {
  %y = memref.alloc() : memref<4xf32>
  return %y : memref<4xf32>
}
func.func @layer_into() {
  return
}

// -----

// expected-error @below {{'func.func' op cannot get a destination-passing entry: @other_result_shapes is already defined; rename it (or lower without the entries: into-entries=0)}}
func.func @other(%x: memref<4xf32>) -> memref<4xf32>
    attributes {hmoe.abi = (tensor<4xf32>) -> tensor<4xf32>} {
  %y = memref.alloc() : memref<4xf32>
  return %y : memref<4xf32>
}
func.func @other_result_shapes() {
  return
}
