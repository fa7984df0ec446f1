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
// CHECK:     vector.load %arg1[%[[J]]] : memref<20xf32>, vector<8xf32>
// CHECK:     vector.load %arg2[%[[I]], %[[J]]] : memref<?x20xf32>, vector<8xf32>
// CHECK:     vector.broadcast %[[XX]] : f32 to vector<8xf32>
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
#col = affine_map<(i, j) -> (j)>

// Row sums kept in f64 (a Laplace gate's ||w'||^2 and m.w' per row, from
// f32 rows): f64 lanes, extended from the f32 loads, one reassociating sum.
// CHECK-LABEL: func.func @row_sums_f64
// CHECK: scf.parallel
// CHECK:   %[[LANES:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %cst) -> (vector<8xf64>)
// CHECK:     %[[S:.*]] = vector.load %arg0{{.*}} : memref<?x20xf32>, vector<8xf32>
// CHECK:     %[[M:.*]] = vector.load %arg1{{.*}} : memref<20xf32>, vector<8xf32>
// CHECK:     arith.extf %[[S]] : vector<8xf32> to vector<8xf64>
// CHECK:     arith.extf %[[M]] : vector<8xf32> to vector<8xf64>
// CHECK:     arith.mulf {{.*}} : vector<8xf64>
// CHECK:     arith.addf %[[ACC]], {{.*}} : vector<8xf64>
// CHECK:   %[[INIT:.*]] = memref.load %arg2
// CHECK:   %[[SUM:.*]] = vector.reduction <add>, %[[LANES]], %[[INIT]] fastmath<reassoc> : vector<8xf64> into f64
// CHECK:   %[[ROW:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[SUM]]) -> (f64)
// CHECK:     arith.mulf {{.*}} : f64
// CHECK:   memref.store %[[ROW]], %arg2
// CHECK-NOT: linalg.generic
func.func @row_sums_f64(%s: memref<?x20xf32>, %m: memref<20xf32>,
                        %out: memref<?xf64>) {
  linalg.generic {indexing_maps = [#id, #col, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%s, %m : memref<?x20xf32>, memref<20xf32>) outs(%out : memref<?xf64>) {
  ^bb0(%a: f32, %b: f32, %acc: f64):
    %a64 = arith.extf %a : f32 to f64
    %b64 = arith.extf %b : f32 to f64
    %p = arith.mulf %b64, %a64 : f64
    %r = arith.addf %acc, %p : f64
    linalg.yield %r : f64
  }
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>

// Column sums (the mean of a Laplace gate's rows, finite elements only):
// the rows in order (scf.for, not parallel: they all add into out), each
// adding 8-lane vectors into out[j], then the scalar remainder; every
// element sums in the same order as the loops it replaces.
// CHECK-LABEL: func.func @column_sums
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c1
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %c16 step %c8
// CHECK:     %[[W:.*]] = vector.load %arg0[%[[I]], %[[J]]] : memref<64x20xf32>, vector<8xf32>
// CHECK:     %[[O:.*]] = vector.load %arg1[%[[J]]] : memref<20xf32>, vector<8xf32>
// CHECK:     arith.select {{.*}} : vector<8xi1>, vector<8xf32>
// CHECK:     %[[N:.*]] = arith.addf %[[O]], {{.*}} : vector<8xf32>
// CHECK:     vector.store %[[N]], %arg1[%[[J]]] : memref<20xf32>, vector<8xf32>
// CHECK:   scf.for %[[T:.*]] = %c16 to %c20 step %c1
// CHECK:     memref.load %arg1[%[[T]]] : memref<20xf32>
// CHECK:     memref.store {{.*}}, %arg1[%[[T]]] : memref<20xf32>
// CHECK-NOT: linalg.generic
func.func @column_sums(%w: memref<64x20xf32>, %out: memref<20xf32>) {
  %inf = arith.constant 0x7F800000 : f32
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 0.015625 : f32
  linalg.generic {indexing_maps = [#id, #col],
                  iterator_types = ["reduction", "parallel"]}
      ins(%w : memref<64x20xf32>) outs(%out : memref<20xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %a = math.absf %v : f32
    %finite = arith.cmpf olt, %a, %inf : f32
    %t = arith.mulf %v, %inv : f32
    %term = arith.select %finite, %t, %zero : f32
    %r = arith.addf %acc, %term : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>

// A column sum reading a view of its own output: the loops read out as each
// row updated it, a row's lanes would all be loaded before any store. Left
// to the loop lowering.
// CHECK-LABEL: func.func @column_sum_of_itself
// CHECK-NOT: vector.
// CHECK: linalg.generic
func.func @column_sum_of_itself(%buf: memref<3x8xf32>) {
  %rows = memref.subview %buf[0, 0] [2, 8] [1, 1] : memref<3x8xf32> to memref<2x8xf32, strided<[8, 1]>>
  %sum = memref.subview %buf[1, 0] [1, 8] [1, 1] : memref<3x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  linalg.generic {indexing_maps = [#id, #col],
                  iterator_types = ["reduction", "parallel"]}
      ins(%rows : memref<2x8xf32, strided<[8, 1]>>)
      outs(%sum : memref<8xf32, strided<[1], offset: 8>>) {
  ^bb0(%v: f32, %acc: f32):
    %r = arith.addf %acc, %v : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// Left alone: the column index used as a value, an inner dimension
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

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// A row gather (an expert's rows of x, by token): the token is loaded and
// cast as a scalar (per vector of the row: the output may alias the tokens
// for all LLVM knows), the row copied in vectors, the remainder in scalars;
// the output's unused block argument is not read.
// CHECK-LABEL: func.func @gather_rows
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %c32 step %c8
// CHECK-NOT:   vector.load %arg2
// CHECK:     %[[TOK:.*]] = memref.load %arg1[%[[I]]] : memref<?xi32>
// CHECK:     %[[T:.*]] = arith.index_cast %[[TOK]] : i32 to index
// CHECK:     %[[V:.*]] = vector.load %arg0[%[[T]], %[[J]]] : memref<?x36xf32>, vector<8xf32>
// CHECK:     vector.store %[[V]], %arg2[%[[I]], %[[J]]]
// CHECK:   scf.for %[[R:.*]] = %c32 to %c36 step %c1
// CHECK:     memref.load %arg0[%{{.*}}, %[[R]]] : memref<?x36xf32>
// CHECK-NOT: linalg.generic
func.func @gather_rows(%x: memref<?x36xf32>, %tokens: memref<?xi32>,
                       %out: memref<?x36xf32>) {
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%out : memref<?x36xf32>) {
  ^bb0(%t: i32, %o: f32):
    %j = linalg.index 1 : index
    %ti = arith.index_cast %t : i32 to index
    %v = memref.load %x[%ti, %j] : memref<?x36xf32>
    linalg.yield %v : f32
  }
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>

// The combine: per token and choice, the slot and weight are scalars and
// the branch on a dropped choice is taken once for the whole vector; the
// sum over choices is carried in lanes, the weight splat into them.
// CHECK-LABEL: func.func @combine
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %c16 step %c8
// CHECK:     %[[ZERO:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK:     %[[SUM:.*]] = scf.for %[[K:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (vector<8xf32>)
// CHECK:       %[[SLOT:.*]] = memref.load %arg0[%[[I]], %[[K]]] : memref<?x2xi32>
// CHECK:       %[[W:.*]] = memref.load %arg1[%[[I]], %[[K]]] : memref<?x2xf32>
// CHECK:       %[[KEPT:.*]] = arith.cmpi sge, %[[SLOT]]
// CHECK:       %[[NEXT:.*]] = scf.if %[[KEPT]] -> (vector<8xf32>)
// CHECK:         %[[S:.*]] = arith.index_cast %[[SLOT]] : i32 to index
// CHECK:         %[[Y:.*]] = vector.load %arg2[%[[S]], %[[J]]] : memref<?x16xf32>, vector<8xf32>
// CHECK:         %[[WS:.*]] = vector.broadcast %[[W]] : f32 to vector<8xf32>
// CHECK:         %[[P:.*]] = arith.mulf %[[WS]], %[[Y]] : vector<8xf32>
// CHECK:         %[[A:.*]] = arith.addf %[[ACC]], %[[P]] : vector<8xf32>
// CHECK:         scf.yield %[[A]] : vector<8xf32>
// CHECK:       } else {
// CHECK:         scf.yield %[[ACC]] : vector<8xf32>
// CHECK:       scf.yield %[[NEXT]] : vector<8xf32>
// CHECK:     vector.store %[[SUM]], %arg3[%[[I]], %[[J]]]
// CHECK-NOT: linalg.generic
func.func @combine(%slot_of: memref<?x2xi32>, %weights: memref<?x2xf32>,
                   %y: memref<?x16xf32>, %out: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  %c0_i32 = arith.constant 0 : i32
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%out : memref<?x16xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %sum = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %zero) -> (f32) {
      %slot = memref.load %slot_of[%i, %k] : memref<?x2xi32>
      %w = memref.load %weights[%i, %k] : memref<?x2xf32>
      %kept = arith.cmpi sge, %slot, %c0_i32 : i32
      %next = scf.if %kept -> (f32) {
        %s = arith.index_cast %slot : i32 to index
        %v = memref.load %y[%s, %j] : memref<?x16xf32>
        %p = arith.mulf %w, %v : f32
        %a = arith.addf %acc, %p : f32
        scf.yield %a : f32
      } else {
        scf.yield %acc : f32
      }
      scf.yield %next : f32
    }
    linalg.yield %sum : f32
  }
  return
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// Left alone: a load at a column other than the lane index (j + 1), the
// lane index in a non-last position, a branch on a value that differs
// between lanes, and loads from the buffer being written (itself and
// through a view).
// CHECK-LABEL: func.func @gathers_not_taken
// CHECK-NOT: vector.
// CHECK-COUNT-5: linalg.generic
func.func @gathers_not_taken(%x: memref<?x17xf32>, %sq: memref<16x16xf32>,
                             %tokens: memref<?xi32>, %out: memref<?x16xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%out : memref<?x16xf32>) {
  ^bb0(%t: i32, %o: f32):
    %j = linalg.index 1 : index
    %j1 = arith.addi %j, %c1 : index
    %ti = arith.index_cast %t : i32 to index
    %v = memref.load %x[%ti, %j1] : memref<?x17xf32>
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%out : memref<?x16xf32>) {
  ^bb0(%t: i32, %o: f32):
    %j = linalg.index 1 : index
    %ti = arith.index_cast %t : i32 to index
    %v = memref.load %sq[%j, %ti] : memref<16x16xf32>
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%out : memref<?x16xf32>) {
  ^bb0(%o: f32):
    %pos = arith.cmpf ogt, %o, %zero : f32
    %r = scf.if %pos -> (f32) {
      scf.yield %o : f32
    } else {
      scf.yield %zero : f32
    }
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%out : memref<?x16xf32>) {
  ^bb0(%t: i32, %o: f32):
    %j = linalg.index 1 : index
    %ti = arith.index_cast %t : i32 to index
    %v = memref.load %out[%ti, %j] : memref<?x16xf32>
    linalg.yield %v : f32
  }
  %c0 = arith.constant 0 : index
  %n = memref.dim %out, %c0 : memref<?x16xf32>
  %view = memref.subview %out[0, 0] [%n, 16] [1, 1]
      : memref<?x16xf32> to memref<?x16xf32, strided<[16, 1]>>
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%out : memref<?x16xf32>) {
  ^bb0(%t: i32, %o: f32):
    %j = linalg.index 1 : index
    %ti = arith.index_cast %t : i32 to index
    %v = memref.load %view[%ti, %j] : memref<?x16xf32, strided<[16, 1]>>
    linalg.yield %v : f32
  }
  return
}
