// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(convert-hmoe-to-linalg,func.func(hmoe-tile-for-gpu))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(convert-hmoe-to-linalg,func.func(hmoe-tile-for-gpu{cyclic-group-bytes=4}))' %s | FileCheck %s --check-prefix=ONE
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(convert-hmoe-to-linalg,func.func(hmoe-tile-for-gpu{cyclic-group-bytes=12}))' %s | FileCheck %s --check-prefix=TWELVE
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(convert-hmoe-to-linalg,func.func(hmoe-tile-for-gpu{cyclic-columns=0}))' %s | FileCheck %s --check-prefix=BLOCKED

// cyclic-columns (the default): the combine reads each expert row at its
// element's column inside its loop over the token's choices, so its
// columns are dealt out to threads-x cyclically, in groups of 16 bytes (4
// f32, cyclic-group-bytes): the block's rows expanded to [rows, 64 / (16 x
// 4), 16, 4], the element's column rebuilt as (i1 * 16 + i2) * 4 + i3, and
// the threads over (rows, i2): thread x takes columns 4x .. 4x + 3 (a
// warp's lanes read adjacent groups of a row, which
// hmoe-vectorize-column-loops makes one vector load each), the loops over
// i1 and i3 its own.
// CHECK-LABEL: func.func @combine
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16) shared_outs
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2, 3]] output_shape [%{{.*}}, 1, 16, 4] : tensor<?x64xf32> into tensor<?x1x16x4xf32>
// CHECK: scf.forall (%[[TY:.*]], %[[TX:.*]]) in (16, 16) shared_outs(%[[OUT:.*]] = %[[ROWS]])
// CHECK:   %[[MINE:.*]] = tensor.extract_slice %[[OUT]][%{{.*}}, 0, %[[TX]], 0] [%{{.*}}, 1, 1, 4] [1, 1, 1, 1]
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%[[MINE]] : tensor<?x1x1x4xf32>)
// CHECK:     %[[I1:.*]] = linalg.index 1 : index
// CHECK:     %[[I2:.*]] = linalg.index 2 : index
// CHECK:     %[[LANE:.*]] = affine.apply #{{.*}}(%[[TX]])[%[[I2]]]
// CHECK:     %[[STEP:.*]] = arith.muli %[[I1]], %{{.*}} : index
// CHECK:     %[[GROUP:.*]] = arith.addi %[[STEP]], %[[LANE]] : index
// CHECK:     %[[FIRST:.*]] = arith.muli %[[GROUP]], %{{.*}} : index
// CHECK:     %[[I3:.*]] = linalg.index 3 : index
// CHECK:     %[[COL:.*]] = arith.addi %[[FIRST]], %[[I3]] : index
// CHECK:     scf.for
// CHECK:       tensor.extract %{{.*}}[%{{.*}}, %[[COL]]] : tensor<?x64xf32>
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x1x16x4xf32> into tensor<?x64xf32>
// cyclic-group-bytes=12: 3 f32 rounded down to a power of two, 2 (a
// group's vector accesses are aligned to it).
// TWELVE-LABEL: func.func @combine
// TWELVE: tensor.expand_shape %{{.*}} output_shape [%{{.*}}, 2, 16, 2] : tensor<?x64xf32> into tensor<?x2x16x2xf32>
// With cyclic-group-bytes=4, one column at a time: thread x takes columns
// x, x + 16, x + 32, x + 48 (a warp's lanes read adjacent elements of a
// row), the step loop i1 its own.
// ONE-LABEL: func.func @combine
// ONE: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16) shared_outs
// ONE: %[[ROWS:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 4, 16] : tensor<?x64xf32> into tensor<?x4x16xf32>
// ONE: scf.forall (%[[TY:.*]], %[[TX:.*]]) in (16, 16) shared_outs(%[[OUT:.*]] = %[[ROWS]])
// ONE:   %[[MINE:.*]] = tensor.extract_slice %[[OUT]][%{{.*}}, 0, %[[TX]]] [%{{.*}}, 4, 1] [1, 1, 1]
// ONE:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} outs(%[[MINE]] : tensor<?x4x1xf32>)
// ONE:     %[[I1:.*]] = linalg.index 1 : index
// ONE:     %[[I2:.*]] = linalg.index 2 : index
// ONE:     %[[LANE:.*]] = affine.apply #{{.*}}(%[[TX]])[%[[I2]]]
// ONE:     %[[STEP:.*]] = arith.muli %[[I1]], %{{.*}} : index
// ONE:     %[[COL:.*]] = arith.addi %[[STEP]], %[[LANE]] : index
// ONE:     scf.for
// ONE:       tensor.extract %{{.*}}[%{{.*}}, %[[COL]]] : tensor<?x64xf32>
// ONE: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// ONE: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x4x16xf32> into tensor<?x64xf32>
// BLOCKED-LABEL: func.func @combine
// BLOCKED-NOT: tensor.expand_shape
// BLOCKED: scf.forall (%{{.*}}, %{{.*}}) in (16, 16)
// BLOCKED: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x4xf32>)
func.func @combine(%o: tensor<?x64xf32>, %so: tensor<?x2xi32>,
                   %w: tensor<?x2xf32>) -> tensor<?x64xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// 32 columns: 16 groups of 4 do not divide them, 16 of 2 do.
// CHECK-LABEL: func.func @halved
// CHECK: tensor.expand_shape %{{.*}} output_shape [%{{.*}}, 1, 16, 2] : tensor<?x32xf32> into tensor<?x1x16x2xf32>
// ONE-LABEL: func.func @halved
// ONE: tensor.expand_shape %{{.*}} output_shape [%{{.*}}, 2, 16] : tensor<?x32xf32> into tensor<?x2x16xf32>
func.func @halved(%o: tensor<?x32xf32>, %so: tensor<?x2xi32>,
                  %w: tensor<?x2xf32>) -> tensor<?x32xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<?x32xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// A combine whose columns threads-x does not divide keeps the blocked
// distribution.
// CHECK-LABEL: func.func @narrow
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @narrow(%o: tensor<?x24xf32>, %so: tensor<?x2xi32>,
                  %w: tensor<?x2xf32>) -> tensor<?x24xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<?x24xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x24xf32>
  return %y : tensor<?x24xf32>
}
