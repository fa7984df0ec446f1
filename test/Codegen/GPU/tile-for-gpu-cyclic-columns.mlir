// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(convert-hmoe-to-linalg,func.func(hmoe-tile-for-gpu))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(convert-hmoe-to-linalg,func.func(hmoe-tile-for-gpu{cyclic-columns=0}))' %s | FileCheck %s --check-prefix=BLOCKED

// cyclic-columns (the default): the combine reads each expert row at its
// element's column inside its loop over the token's choices, so its
// columns are dealt out to threads-x cyclically: the block's rows expanded
// to [rows, 64 / 16, 16], the element's column rebuilt as i1 * 16 + i2, and
// the threads over (rows, i2): thread x takes columns x, x + 16, x + 32,
// x + 48 (a warp's lanes read adjacent elements of a row), the step loop
// i1 its own. Without it, thread x takes the 4 adjacent columns 4x .. 4x + 3.
// CHECK-LABEL: func.func @combine
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16) shared_outs
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 4, 16] : tensor<?x64xf32> into tensor<?x4x16xf32>
// CHECK: scf.forall (%[[TY:.*]], %[[TX:.*]]) in (16, 16) shared_outs(%[[OUT:.*]] = %[[ROWS]])
// CHECK:   %[[MINE:.*]] = tensor.extract_slice %[[OUT]][%{{.*}}, 0, %[[TX]]] [%{{.*}}, 4, 1] [1, 1, 1]
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} outs(%[[MINE]] : tensor<?x4x1xf32>)
// CHECK:     %[[I1:.*]] = linalg.index 1 : index
// CHECK:     %[[I2:.*]] = linalg.index 2 : index
// CHECK:     %[[LANE:.*]] = affine.apply #{{.*}}(%[[TX]])[%[[I2]]]
// CHECK:     %[[STEP:.*]] = arith.muli %[[I1]], %{{.*}} : index
// CHECK:     %[[COL:.*]] = arith.addi %[[STEP]], %[[LANE]] : index
// CHECK:     scf.for
// CHECK:       tensor.extract %{{.*}}[%{{.*}}, %[[COL]]] : tensor<?x64xf32>
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x4x16xf32> into tensor<?x64xf32>
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
