// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-rowwise))' --split-input-file %s | FileCheck %s

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#col = affine_map<(i, j) -> (j)>

// The distance epilogue: per row, 8-lane vectors over the first 16 columns
// (row norm broadcast, column norm and element loaded), then a scalar copy
// of the body for the last 4.
// CHECK-LABEL: func.func @epilogue
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %c16 step %c8
// CHECK:     %[[XX:.*]] = memref.load %arg0[%[[I]]]
// CHECK:     vector.broadcast %[[XX]] : f32 to vector<8xf32>
// CHECK:     vector.load %arg1[%[[J]]] : memref<20xf32>, vector<8xf32>
// CHECK:     vector.load %arg2[%[[I]], %[[J]]] : memref<?x20xf32>, vector<8xf32>
// CHECK:     arith.maximumf {{.*}} : vector<8xf32>
// CHECK:     math.sqrt {{.*}} : vector<8xf32>
// CHECK:     vector.store {{.*}}, %arg2[%[[I]], %[[J]]]
// CHECK:   scf.for %[[T:.*]] = %c16 to %c20 step %c1
// CHECK:     math.sqrt {{.*}} : f32
// CHECK:     memref.store {{.*}}, %arg2[%[[I]], %[[T]]]
// CHECK-NOT: linalg.generic
func.func @epilogue(%xx: memref<?xf32>, %ww: memref<20xf32>,
                    %dot: memref<?x20xf32>) {
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#row, #col, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%xx, %ww : memref<?xf32>, memref<20xf32>) outs(%dot : memref<?x20xf32>) {
  ^bb0(%a: f32, %b: f32, %d: f32):
    %s = arith.addf %a, %b : f32
    %t = arith.mulf %two, %d : f32
    %u = arith.subf %s, %t : f32
    %c = arith.maximumf %u, %zero : f32
    %r = math.sqrt %c : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// Row norms: lanes accumulate, one reassociating sum per row onto the
// initial value, then the scalar remainder.
// CHECK-LABEL: func.func @row_norms
// CHECK: scf.parallel
// CHECK:   %[[LANES:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %cst) -> (vector<8xf32>)
// CHECK:     arith.mulf {{.*}} : vector<8xf32>
// CHECK:     arith.addf %[[ACC]], {{.*}} : vector<8xf32>
// CHECK:   %[[INIT:.*]] = memref.load %arg1
// CHECK:   %[[SUM:.*]] = vector.reduction <add>, %[[LANES]], %[[INIT]] fastmath<reassoc>
// CHECK:   %[[ROW:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[SUM]]) -> (f32)
// CHECK:   memref.store %[[ROW]], %arg1
func.func @row_norms(%x: memref<?x36xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x36xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// Left alone: an index op in the body (a gather), an inner dimension
// shorter than a vector, a dynamic inner dimension, a max-reduction.
// CHECK-LABEL: func.func @not_taken
// CHECK-NOT: vector.
// CHECK-COUNT-4: linalg.generic
func.func @not_taken(%x: memref<?x16xf32>, %small: memref<?x4xf32>,
                     %dyn: memref<?x?xf32>, %out: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%x : memref<?x16xf32>) {
  ^bb0(%o: f32):
    %j = linalg.index 1 : index
    %i = arith.index_cast %j : index to i32
    %f = arith.sitofp %i : i32 to f32
    linalg.yield %f : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%small : memref<?x4xf32>) {
  ^bb0(%o: f32):
    %e = math.exp %o : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%dyn : memref<?x?xf32>) {
  ^bb0(%o: f32):
    %e = math.exp %o : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x16xf32>) outs(%out : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  }
  return
}
