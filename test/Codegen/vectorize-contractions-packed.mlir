// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=3 vector-width=4 rows-per-task=16}),canonicalize)' --split-input-file %s | FileCheck %s

// With packed-rows, an f32 contraction whose weight rows come in whole
// panels of 2 x vector-width (here 16 rows: two panels of 8) chooses at run
// time: from rows-per-task rows of a, the weights are packed into K-major
// panels (4 x 4 transposes in registers: two shuffle steps) and an
// outer-product kernel of 3 rows x 2 vectors accumulates in lanes; below
// that, the inner-product tile (lane sums).
// CHECK-LABEL: func.func @packed
// CHECK-SAME: (%[[A:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<16x64xf32>, %[[C:.*]]: memref<?x16xf32>)
// CHECK: %[[N:.*]] = memref.dim %[[A]], %{{.*}}
// CHECK: %[[MANY:.*]] = arith.cmpi uge, %[[N]], %{{.*}} : index
// CHECK: scf.if %[[MANY]] {
// CHECK:   %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x64x8xf32>
// The packing: (panel, block of 4 k) in parallel, 4 weight rows loaded,
// transposed (block 1, then block 2), stored as 4 k rows of the panel.
// CHECK:   scf.parallel (%[[PANEL:.*]], %[[KB:.*]]) =
// CHECK-COUNT-4: vector.load %[[W]]
// CHECK:     %[[T0:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 4, 2, 6]
// CHECK:     %[[T1:.*]] = vector.shuffle %{{.*}}, %{{.*}} [1, 5, 3, 7]
// CHECK:     vector.shuffle {{.*}} [0, 1, 4, 5]
// CHECK:     vector.shuffle {{.*}} [2, 3, 6, 7]
// CHECK-COUNT-4: vector.store %{{.*}}, %[[P]][%[[PANEL]], %{{.*}}, %{{.*}}] : memref<2x64x8xf32>, vector<4xf32>
// CHECK:   scf.parallel (%{{.*}}) = {{.*}} {
// The kernel: per k, the panel's two vectors and each row's a[r, k]
// broadcast, 6 FMAs into the 3 x 2 accumulators, then 6 vector stores.
// CHECK:     %[[ACC:.*]]:6 = scf.for %[[K:.*]] = {{.*}} iter_args
// CHECK:       %[[LO:.*]] = vector.load %[[P]][%{{.*}}, %[[K]], %{{.*}}] : memref<2x64x8xf32>, vector<4xf32>
// CHECK:       %[[HI:.*]] = vector.load %[[P]][%{{.*}}, %[[K]], %{{.*}}] : memref<2x64x8xf32>, vector<4xf32>
// CHECK:       %[[A0:.*]] = memref.load %[[A]][%{{.*}}, %[[K]]]
// CHECK:       %[[S0:.*]] = vector.broadcast %[[A0]] : f32 to vector<4xf32>
// CHECK:       vector.fma %[[S0]], %[[LO]], %{{.*}} : vector<4xf32>
// CHECK:       vector.fma %[[S0]], %[[HI]], %{{.*}} : vector<4xf32>
// CHECK-COUNT-4: vector.fma
// CHECK:       scf.yield
// CHECK-COUNT-6: vector.store %[[ACC]]#{{[0-5]}}, %[[C]]
// CHECK:   } {hmoe.dynamic_tasks}
// CHECK:   memref.dealloc %[[P]] : memref<2x64x8xf32>
// CHECK: } else {
// CHECK:   scf.parallel
// CHECK:     vector.load %[[W]]
// CHECK:     vector.fma
// CHECK:     vector.shuffle
// CHECK-NOT: memref.alloc
// CHECK: return
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=4 vector-width=4 rows-per-task=16}),canonicalize)' --split-input-file %s | FileCheck %s --check-prefix=REM

// A block's last rows (1-3 after its 4-row tiles) are one tile of 1, 2 or 4
// rows, chosen at run time, in a loop of at most one iteration; in the
// 4-row tile (3 rows left) the fourth row reads the block's last again
// (minui) and is not stored.
// REM-LABEL: func.func @packed
// REM: scf.parallel (%{{[a-z0-9_]+}}) = {{.*}} {
// REM:   arith.minsi
// REM:   %[[END:.*]] = arith.minsi
// REM:   scf.for %{{.*}} = %{{.*}} to %[[FULL:.*]] step %c4 {
// REM-COUNT-8: vector.store
// REM:   scf.for %[[ROW:.*]] = %[[FULL]] to %[[END]] step %c4 {
// REM:     %[[REM:.*]] = arith.subi %[[END]], %[[ROW]]
// REM:     arith.cmpi ule, %[[REM]], %c1
// REM:     scf.if
// REM-COUNT-2: vector.store
// REM:     } else {
// REM:     arith.cmpi ule, %[[REM]], %c2
// REM:     scf.if
// REM-COUNT-4: vector.store
// REM:     } else {
// REM:       %[[LAST:.*]] = arith.subi %[[END]], %c1
// REM:       %[[R3:.*]] = arith.addi %[[ROW]], %c3
// REM:       %[[CLAMPED:.*]] = arith.minui %[[R3]], %[[LAST]]
// REM:       scf.for
// REM:         memref.load %{{.*}}[%[[CLAMPED]], %{{.*}}]
// REM:       }
// REM-COUNT-6: vector.store
// REM:       %[[COUNTS:.*]] = arith.cmpi ugt, %[[REM]], %c3
// REM:       scf.if %[[COUNTS]] {
// REM-NEXT:    vector.store %{{.*}}, %{{.*}}[%[[CLAMPED]], %{{.*}}]
// REM-NEXT:    vector.store %{{.*}}, %{{.*}}[%[[CLAMPED]], %{{.*}}]
// REM-NEXT:  }
// REM: } {hmoe.dynamic_tasks}
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @packed(%a: memref<?x64xf32>, %w: memref<16x64xf32>,
                  %out: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=3 vector-width=4}))' --split-input-file %s | FileCheck %s --check-prefix=PARTIAL
// 10 weight rows are no whole panels of 8: the inner-product tile only.
// PARTIAL-LABEL: func.func @partial_panel
// PARTIAL-NOT: scf.if
// PARTIAL-NOT: memref.alloc
// PARTIAL: vector.shuffle
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @partial_panel(%a: memref<?x64xf32>, %w: memref<10x64xf32>,
                         %out: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<10x64xf32>)
      outs(%out : memref<?x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=2 vector-width=8 bf16-dot rows-per-task=16}),canonicalize)' --split-input-file %s | FileCheck %s --check-prefix=BF16
// bf16 x bf16 with dot products: the packing unit is a pair of K elements
// (32 bits), so the weights are transposed as i32 lanes and a panel row
// holds 8 columns x 2 K elements; the kernel broadcasts a row's pair
// a[r, 2u], a[r, 2u + 1] and takes dot products.
// BF16-LABEL: func.func @packed_bf16
// BF16-SAME: (%[[A:.*]]: memref<?x64xbf16>, %[[W:.*]]: memref<16x64xbf16>, %[[C:.*]]: memref<?x16xf32>)
// BF16: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x32x32xbf16>
// BF16: scf.parallel
// BF16:   %[[ROW:.*]] = vector.load %[[W]][%{{.*}}, %{{.*}}] : memref<16x64xbf16>, vector<16xbf16>
// BF16:   vector.bitcast %[[ROW]] : vector<16xbf16> to vector<8xi32>
// BF16:   vector.shuffle {{.*}} : vector<8xi32>, vector<8xi32>
// BF16:   %[[UNITS:.*]] = vector.bitcast %{{.*}} : vector<8xi32> to vector<16xbf16>
// BF16:   vector.store %[[UNITS]], %[[P]]
// BF16: scf.for %[[U:.*]] = {{.*}} iter_args
// BF16:   %[[LO:.*]] = vector.load %[[P]][%{{.*}}, %[[U]], %{{.*}}] : memref<1x32x32xbf16>, vector<16xbf16>
// BF16:   %[[K:.*]] = arith.muli %[[U]], %{{.*}} : index
// BF16:   %[[PAIR:.*]] = vector.load %[[A]][%{{.*}}, %[[K]]] : memref<?x64xbf16>, vector<2xbf16>
// BF16:   %[[UNIT:.*]] = vector.bitcast %[[PAIR]] : vector<2xbf16> to vector<1xi32>
// BF16:   %[[SPLAT:.*]] = vector.broadcast %[[UNIT]] : vector<1xi32> to vector<8xi32>
// BF16:   %[[B:.*]] = vector.bitcast %[[SPLAT]] : vector<8xi32> to vector<16xbf16>
// BF16:   x86vector.avx512.dot %{{.*}}, %[[B]], %[[LO]] : vector<16xbf16> -> vector<8xf32>
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @packed_bf16(%a: memref<?x64xbf16>, %w: memref<16x64xbf16>,
                       %out: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xbf16>, memref<16x64xbf16>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %m = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=2 vector-width=8 rows-per-task=16}),canonicalize)' --split-input-file %s | FileCheck %s --check-prefix=EXTEND
// bf16 x bf16 without dot products: the weights are extended to f32 while
// packing (f32 panels, the f32 kernel), and each task extends its row
// tile's a rows once per K chunk into a [rows, chunk] f32 scratch that the
// kernel broadcasts from (the chunk is all of K = 64 here, so scratch
// column k is a's column k).
// EXTEND-LABEL: func.func @packed_bf16_extended
// EXTEND-SAME: (%[[A:.*]]: memref<?x64xbf16>, %[[W:.*]]: memref<16x64xbf16>, %[[C:.*]]: memref<?x16xf32>)
// EXTEND: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x64x16xf32>
// EXTEND: scf.parallel
// EXTEND:   %[[ROW:.*]] = vector.load %[[W]][%{{.*}}, %{{.*}}] : memref<16x64xbf16>, vector<8xbf16>
// EXTEND:   arith.extf %[[ROW]] : vector<8xbf16> to vector<8xf32>
// EXTEND:   vector.shuffle {{.*}} : vector<8xf32>, vector<8xf32>
// EXTEND:   vector.store %{{.*}}, %[[P]]{{.*}} : memref<1x64x16xf32>, vector<8xf32>
// EXTEND: scf.parallel
// EXTEND:   %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x64xf32>
// EXTEND:   scf.for %[[R:.*]] =
// EXTEND:     scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EXTEND:       %[[A0:.*]] = vector.load %[[A]][%[[R]], %[[K]]] : memref<?x64xbf16>, vector<8xbf16>
// EXTEND:       %[[E0:.*]] = arith.extf %[[A0]] : vector<8xbf16> to vector<8xf32>
// EXTEND:       vector.store %[[E0]], %[[S]][%{{.*}}, %[[K]]] : memref<2x64xf32>, vector<8xf32>
// EXTEND:       %[[A1:.*]] = vector.load %[[A]][%{{.*}}, %[[K]]] : memref<?x64xbf16>, vector<8xbf16>
// EXTEND:       %[[E1:.*]] = arith.extf %[[A1]] : vector<8xbf16> to vector<8xf32>
// EXTEND:       vector.store %[[E1]], %[[S]][%{{.*}}, %[[K]]] : memref<2x64xf32>, vector<8xf32>
// EXTEND:     scf.for %{{.*}} = {{.*}} {
// EXTEND:       scf.for %[[U:.*]] = {{.*}} iter_args
// EXTEND:         vector.load %[[P]][%{{.*}}, %[[U]], %{{.*}}] : memref<1x64x16xf32>, vector<8xf32>
// EXTEND:         %[[X0:.*]] = memref.load %[[S]][%{{.*}}, %[[U]]] : memref<2x64xf32>
// EXTEND:         %[[B0:.*]] = vector.broadcast %[[X0]] : f32 to vector<8xf32>
// EXTEND:         vector.fma %[[B0]]
// EXTEND-NOT: x86vector.avx512.dot
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @packed_bf16_extended(%a: memref<?x64xbf16>, %w: memref<16x64xbf16>,
                                %out: memref<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xbf16>, memref<16x64xbf16>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %m = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=2 vector-width=8 rows-per-task=16 k-block=8320}),canonicalize)' --split-input-file %s | FileCheck %s --check-prefix=HEAP
// A K chunk whose scratch would take more than 16 KiB of stack (2 rows x
// 8320 f32 here) has it allocated on the heap per task, and freed.
// HEAP-LABEL: func.func @extended_scratch_on_heap
// HEAP: scf.parallel
// HEAP: scf.parallel
// HEAP:   %[[S:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x8320xf32>
// HEAP:   memref.dealloc %[[S]] : memref<2x8320xf32>
// HEAP:   scf.reduce
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @extended_scratch_on_heap(%a: memref<?x8320xbf16>, %w: memref<16x8320xbf16>,
                                    %out: memref<?x16xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x8320xbf16>, memref<16x8320xbf16>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %m = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
