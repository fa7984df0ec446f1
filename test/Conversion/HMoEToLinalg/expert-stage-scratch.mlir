// RUN: hmoe-opt --convert-hmoe-to-linalg=expert-stage-scratch %s | FileCheck %s

// With expert-stage-scratch the loop over experts allocates nothing: each
// expert's gathered rows and hidden rows are its rows [lo, lo + n) of
// stage-wide [slots, cols] tensors carried as further shared outputs, and
// inserted back into them (what a GPU kernel, which cannot allocate, needs).
// CHECK-LABEL: func.func @experts_swiglu
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[ST:.*]]: tensor<?xi32>, %[[OFF:.*]]: tensor<5xi32>
// CHECK: %[[SLOTS:.*]] = tensor.dim %[[ST]]
// CHECK: %[[OUT:.*]] = tensor.empty(%[[SLOTS]]) : tensor<?x16xf32>
// CHECK: %[[XS0:.*]] = tensor.empty(%[[SLOTS]]) : tensor<?x16xf32>
// CHECK: %[[H0:.*]] = tensor.empty(%[[SLOTS]]) : tensor<?x32xf32>
// CHECK: %[[UP0:.*]] = tensor.empty(%[[SLOTS]]) : tensor<?x32xf32>
// CHECK: %{{.*}}:4 = scf.forall (%[[E:.*]]) in (4) shared_outs(%[[ACC:.*]] = %[[OUT]], %[[XS:.*]] = %[[XS0]], %[[H:.*]] = %[[H0]], %[[UP:.*]] = %[[UP0]])
// CHECK-NOT: tensor.empty
// CHECK:   %[[N:.*]] = arith.subi
// CHECK:   %[[XSE:.*]] = tensor.extract_slice %[[XS]][%[[LO:.*]], 0] [%[[N]], 16] [1, 1]
// CHECK:   %[[ROWS:.*]] = linalg.generic {{.*}} outs(%[[XSE]] : tensor<?x16xf32>)
// CHECK:   %[[HE:.*]] = tensor.extract_slice %[[H]][%[[LO]], 0] [%[[N]], 32] [1, 1]
// CHECK:   %[[HZ:.*]] = linalg.fill ins(%{{.*}}) outs(%[[HE]] : tensor<?x32xf32>)
// CHECK:   %[[HP:.*]] = linalg.generic {{.*}} ins(%[[ROWS]], %{{.*}}) outs(%[[HZ]] : tensor<?x32xf32>)
// CHECK:   %[[UPE:.*]] = tensor.extract_slice %[[UP]][%[[LO]], 0] [%[[N]], 32] [1, 1]
// CHECK:   %[[UPZ:.*]] = linalg.fill ins(%{{.*}}) outs(%[[UPE]] : tensor<?x32xf32>)
// CHECK:   %[[UPP:.*]] = linalg.generic {{.*}} ins(%[[ROWS]], %{{.*}}) outs(%[[UPZ]] : tensor<?x32xf32>)
// CHECK:   %[[ACT:.*]] = linalg.generic {{.*}} ins(%[[UPP]] : tensor<?x32xf32>) outs(%[[HP]] : tensor<?x32xf32>)
// CHECK-NOT: tensor.empty
// CHECK:   scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[ROWS]] into %[[XS]][%[[LO]], 0] [%[[N]], 16]
// CHECK-NEXT: tensor.parallel_insert_slice %[[ACT]] into %[[H]][%[[LO]], 0] [%[[N]], 32]
// CHECK-NEXT: tensor.parallel_insert_slice %[[UPP]] into %[[UP]][%[[LO]], 0] [%[[N]], 32]
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[ACC]][%[[LO]], 0] [%[[N]], 16]
func.func @experts_swiglu(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<5xi32>,
                          %w1: tensor<4x32x16xf32>, %wu: tensor<4x32x16xf32>,
                          %w2: tensor<4x16x32xf32>) -> tensor<?x16xf32> {
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<5xi32>
      experts(#hmoe.expert<swiglu, hidden = 32>,
              w1 %w1 : tensor<4x32x16xf32>, w_up %wu : tensor<4x32x16xf32>,
              w2 %w2 : tensor<4x16x32xf32>)
      -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

// RUN: hmoe-opt --convert-hmoe-to-linalg='expert-stage-scratch expert-row-tile=16' %s | FileCheck %s --check-prefix=TILES

// With expert-row-tile the loop is over (expert, tile of 16 of its rows),
// ceil(slots / 16) tiles (as many as an expert could fill); a tile's rows
// start 16 per tile into the expert's, clamped to its end, so the tiles
// past its rows are empty.
// TILES-LABEL: func.func @experts_swiglu
// TILES: %[[SLOTS:.*]] = tensor.dim %[[ST:.*]], %{{.*}} : tensor<?xi32>
// TILES: %[[SLOTS2:.*]] = tensor.dim %[[ST]], %{{.*}} : tensor<?xi32>
// TILES: %[[NT:.*]] = affine.apply #{{.*}}()[%[[SLOTS2]]]
// TILES: scf.forall (%[[E:.*]], %[[TILE:.*]]) in (4, %[[NT]]) shared_outs(
// TILES:   %[[B:.*]] = arith.index_cast %{{.*}} : i32 to index
// TILES:   %[[E1:.*]] = arith.index_cast %{{.*}} : i32 to index
// TILES:   %[[SKIP:.*]] = arith.muli %[[TILE]], %{{.*}} : index
// TILES:   %[[START:.*]] = arith.addi %[[B]], %[[SKIP]] : index
// TILES:   %[[LO:.*]] = arith.minsi %[[START]], %[[E1]] : index
// TILES:   %[[LO16:.*]] = arith.addi %[[LO]], %{{.*}} : index
// TILES:   %[[HI:.*]] = arith.minsi %[[LO16]], %[[E1]] : index
// TILES:   %[[N:.*]] = arith.subi %[[HI]], %[[LO]] : index
// TILES:   tensor.extract_slice %{{.*}}[%[[LO]]] [%[[N]]] [1] : tensor<?xi32> to tensor<?xi32>
