// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 row-tiles=1},canonicalize,cse))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 row-tiles=1 prefetch=0},canonicalize,cse))' %s | FileCheck %s --check-prefix=NOPF
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 row-tiles=1 test-drop-barrier},canonicalize,cse))' %s | FileCheck %s --check-prefix=DROP
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate stage-bytes=64 row-tiles=1},canonicalize,cse))' %s | FileCheck %s --check-prefix=EMU
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 row-tiles=1 ldmatrix prefetch=0},canonicalize,cse))' %s | FileCheck %s --check-prefix=LDM
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 row-tiles=1 ldmatrix},canonicalize,cse))' %s | FileCheck %s --check-prefix=LDMPF
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 row-tiles=1 stages=4},canonicalize,cse))' %s | FileCheck %s --check-prefix=S4
// A and B through workgroup memory (stage-bytes), double-buffered: per K
// tile of 32 bf16 (64 bytes of a row; rows padded to 96 bytes, 48
// elements) the 64 threads of two warps copy A's 16 rows (past the end,
// the last row) and each warp its 16 rows of B by cp.async
// (nvgpu.device_async_copy, 8 bf16 around L1) into one of two stages of
// 4608 bytes: the first output tile's K tile 0 into stage 0 after a named
// barrier over those 64 threads (whatever read the buffer before is
// done); per K tile kt a wait for the thread's copies and the barrier,
// then what follows (K tile kt + 1, or the next output tile's K tile 0)
// into the other stage while the lanes read their fragments (8-byte
// runs) from this one. warp-contractions-to-mma-staged-run.mlir runs it.
// CHECK-LABEL: func.func @staged
// CHECK-SAME: (%[[A:.*]]: memref<?x64xbf16>, %[[W:.*]]: memref<32x64xbf16>, %[[C:.*]]: memref<?x32xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C1536:.*]] = arith.constant 1536 : index
// CHECK-DAG: %[[C4608:.*]] = arith.constant 4608 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[ID:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[N64:.*]] = arith.constant 64 : i32
// CHECK: %[[ROWS:.*]] = memref.dim %[[C]]
// CHECK: %[[BUF:.*]] = memref.alloca() {alignment = 16 : i64} : memref<9216xi8, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%[[TID:.*]]) in (64) {
// CHECK:   %[[WARP:.*]] = arith.divui %[[TID]], %[[C32:.*]] : index
// CHECK:   %[[LANE:.*]] = arith.remui %[[TID]], %[[C32]] : index
// CHECK:   %[[B0:.*]] = arith.muli %[[WARP]], %[[C16:.*]] : index
// CHECK:   %[[WV:.*]] = memref.subview %[[W]][%[[B0]], 0] [16, 64]
// Once per warp loop: the barrier, then, where the loop has it (two K
// tiles per 16-row tile), its K tile 0 into stage 0; committed either way
// (the groups count K tiles).
// CHECK:   nvvm.barrier id = %[[ID]] number_of_threads = %[[N64]]
// CHECK:   %[[UP:.*]] = arith.addi %[[ROWS]], %{{.*}} : index
// CHECK:   %[[MTILES:.*]] = arith.divui %[[UP]], %[[C16:.*]] : index
// CHECK:   %[[ALL:.*]] = arith.muli %[[MTILES]], %[[C2]] : index
// CHECK:   %[[ANY:.*]] = arith.cmpi ugt, %[[ALL]], %[[C0]] : index
// CHECK:   scf.if %[[ANY]] {
// CHECK:     %[[TA:.*]] = memref.view %[[BUF]][%[[C0]]][] : memref<9216xi8, #gpu.address_space<workgroup>> to memref<16x48xbf16, #gpu.address_space<workgroup>>
// CHECK:     %[[TB:.*]] = memref.view %[[BUF]][%[[C1536]]][] : memref<9216xi8, #gpu.address_space<workgroup>> to memref<32x48xbf16, #gpu.address_space<workgroup>>
// CHECK:     %[[LAST:.*]] = arith.subi %[[ROWS]], %[[C1]] : index
// A: chunk tid of 64 (16 rows x 4 chunks of 8), row m0 + chunk / 4 clamped
// to the last, cp.async where A starts 16-byte aligned.
// CHECK:     scf.for %[[CA:.*]] = %[[TID]] to %{{.*}} step %{{.*}} {
// CHECK:       %[[RA:.*]] = arith.divui %[[CA]], %{{.*}} : index
// CHECK:       %[[QA:.*]] = arith.remui %[[CA]], %{{.*}} : index
// CHECK:       %[[COLA:.*]] = arith.muli %[[QA]], %{{.*}} : index
// CHECK:       %[[CLAMP:.*]] = arith.minui %[[RA]], %[[LAST]] : index
// CHECK:       scf.if
// CHECK:         nvgpu.device_async_copy %[[A]][%[[CLAMP]], %[[COLA]]], %[[TA]][%[[RA]], %[[COLA]]], 8 {bypassL1} : memref<?x64xbf16> to memref<16x48xbf16, #gpu.address_space<workgroup>>
// CHECK:       } else {
// CHECK:         memref.load %[[A]][%[[CLAMP]], %[[COLA]]]
// B: the warp's 16 rows, chunk lane of 32, into its rows of the B tile.
// CHECK:     scf.for %[[CB:.*]] = %[[LANE]] to %{{.*}} step %[[C32]] {
// CHECK:       %[[RB:.*]] = arith.divui %[[CB]], %{{.*}} : index
// CHECK:       %[[TO:.*]] = arith.addi %[[B0]], %[[RB]] : index
// CHECK:       nvgpu.device_async_copy %[[WV]][%[[RB]], %{{.*}}], %[[TB]][%[[TO]], %{{.*}}], 8 {bypassL1}
// CHECK:   nvvm.cp.async.commit.group
// No barrier of the output tile's own: the stages carry across tiles.
// CHECK-NEXT:   scf.for %[[M0:.*]] = %{{.*}} to %[[ROWS]] step %[[C16]] {
// CHECK-NOT: nvvm.barrier
// CHECK:     %[[SUMS:.*]]:8 = scf.for %[[KT:.*]] = %[[C0]] to %[[C64]] step %[[C32]] iter_args(
// CHECK:       nvvm.cp.async.wait.group 0
// CHECK:       nvvm.barrier id = %[[ID]] number_of_threads = %[[N64]]
// The loop's K tiles counted (tile m0 / 16 of one along N, two K tiles
// each); the copy of the one after this (two stages: one ahead), where the
// loop has it, into its stage, then committed either way.
// CHECK:       %[[T:.*]] = arith.divui %[[M0]], %[[C16]] : index
// CHECK:       %[[T2:.*]] = arith.muli %[[T]], %[[C2]] : index
// CHECK:       %[[KI:.*]] = arith.divui %[[KT]], %[[C32]] : index
// CHECK:       %[[COUNT:.*]] = arith.addi %[[T2]], %[[KI]] : index
// CHECK:       %[[NEXT:.*]] = arith.addi %[[COUNT]], %[[C1]] : index
// CHECK:       %[[HAS:.*]] = arith.cmpi ult, %[[NEXT]], %[[ALL]] : index
// CHECK:       scf.if %[[HAS]] {
// CHECK:         %[[NT:.*]] = arith.divui %[[NEXT]], %[[C2]] : index
// CHECK:         %[[NK:.*]] = arith.remui %[[NEXT]], %[[C2]] : index
// CHECK:         %[[TOK:.*]] = arith.muli %[[NK]], %[[C32]] : index
// CHECK:         %[[TOM:.*]] = arith.muli %[[NT]], %[[C16]] : index
// Its stage, (count + 1) % 2, is the K tile's own index there (two K
// tiles a tile, two stages): CSE made them one.
// CHECK:         %[[OFF1:.*]] = arith.muli %[[NK]], %[[C4608]] : index
// CHECK:         %[[TA1:.*]] = memref.view %[[BUF]][%[[OFF1]]][]
// CHECK:         %[[OFFB1:.*]] = arith.addi %[[OFF1]], %[[C1536]] : index
// CHECK:         %[[TB1:.*]] = memref.view %[[BUF]][%[[OFFB1]]][]
// CHECK:         %[[FROM1:.*]] = arith.addi %[[TOM]], %{{.*}} : index
// CHECK:         %[[ROW1:.*]] = arith.minui %[[FROM1]], %{{.*}} : index
// CHECK:         %[[KA:.*]] = arith.addi %[[TOK]], %{{.*}} : index
// CHECK:         nvgpu.device_async_copy %[[A]][%[[ROW1]], %[[KA]]], %[[TA1]][
// CHECK:         nvgpu.device_async_copy %[[WV]][%{{.*}}, %{{.*}}], %[[TB1]][
// CHECK:       nvvm.cp.async.commit.group
// CHECK-NEXT:  %[[STAGE:.*]] = arith.remui %[[COUNT]], %[[C2]] : index
// The K steps of this stage's tile, from workgroup memory, prefetched
// (the default): the first step's fragments loaded before the K-step
// loop, which carries them and loads the next step's (min(k0 + 16, 16):
// the last again) before its mma.sync steps, not unrolled.
// CHECK:       %[[OFF:.*]] = arith.muli %[[STAGE]], %[[C4608]] : index
// CHECK:       %[[TAK:.*]] = memref.view %[[BUF]][%[[OFF]]][]
// CHECK:       %[[OFFB:.*]] = arith.addi %[[OFF]], %[[C1536]] : index
// CHECK:       %[[TBK:.*]] = memref.view %[[BUF]][%[[OFFB]]][]
// CHECK:       vector.load %[[TAK]][%{{.*}}, %{{.*}}] {alignment = 8 : i64} : memref<16x48xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// CHECK:       vector.load %[[TBK]][%{{.*}}, %{{.*}}] {alignment = 8 : i64} : memref<32x48xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// CHECK:       scf.for %[[K0:.*]] = %[[C0]] to %[[C32]] step %[[C16]] iter_args(
// CHECK:         %[[KN:.*]] = arith.addi %[[K0]], %[[C16]] : index
// CHECK:         %[[KNEXT:.*]] = arith.minui %[[KN]], %[[C16]] : index
// CHECK:         %[[KA2:.*]] = arith.addi %[[KNEXT]], %{{.*}} : index
// CHECK:         vector.load %[[TAK]][%{{.*}}, %[[KA2]]] {alignment = 8 : i64} : memref<16x48xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// CHECK:         vector.load %[[TBK]][%{{.*}}, %[[KA2]]] {alignment = 8 : i64} : memref<32x48xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// CHECK:         nvvm.mma.sync
// CHECK:         nvvm.mma.sync
// CHECK:       } {llvm.loop_annotation
// CHECK:     vector.store %{{.*}}, %{{.*}} {alignment = 8 : i64} : memref<?x16xf32
//
// Four stages: three K tiles copied before the loop (a commit group each),
// each K tile waits with two groups in flight and copies the K tile three
// after it (count + 3), into stage (count + 3) % 4. Only the GPU form says
// how far ahead it copies and waits: the emulation copies synchronously.
// S4-LABEL: func.func @staged
// S4: memref.alloca() {alignment = 16 : i64} : memref<18432xi8, #gpu.address_space<workgroup>>
// S4-COUNT-3: nvvm.cp.async.commit.group
// S4-NOT: nvvm.cp.async.commit.group
// S4: scf.for
// S4: nvvm.cp.async.wait.group 2
// S4: %[[AHEAD:.*]] = arith.addi %{{.*}}, %c3 : index
// S4-NEXT: arith.cmpi ult, %[[AHEAD]], %{{.*}} : index
// S4: %[[STAGE:.*]] = arith.remui %[[AHEAD]], %c4 : index
// S4-NEXT: arith.muli %[[STAGE]], %c4608 : index
// S4: nvvm.cp.async.commit.group
//
// test-drop-barrier (testing only): the K tiles' barrier left out, the
// warp loop's first kept; gpu-check's racecheck must see the race.
// DROP-LABEL: func.func @staged
// DROP: nvvm.barrier
// DROP: scf.for
// DROP: nvvm.cp.async.wait.group 0
// DROP-NOT: nvvm.barrier
// DROP: nvvm.mma.sync
//
// Without prefetch (session 40's staged loop): each K step's loads right
// before its mma.sync steps, in the loop.
// NOPF-LABEL: func.func @staged
// NOPF: nvvm.cp.async.wait.group 0
// NOPF: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// NOPF-NOT: nvvm.mma.sync
// NOPF: vector.load
// NOPF: nvvm.mma.sync
// NOPF: nvvm.mma.sync
// NOPF-NOT: llvm.loop_annotation
// NOPF: vector.store
//
// With ldmatrix: rows not padded (32 elements, 64 bytes: two stages of
// 48 rows) but swizzled, a row's 16-byte chunk c (4 a row) at
// c ^ (row / 2) % 4 (rows 2 apart share a 128-byte line's banks), by the
// copies and by the ldmatrix addresses alike; the ISA's K order in K steps
// of 16, each 8-column step's B fragment two 8 x 8 matrices (lane l names
// B row l % 8 of the step, K half l / 8 % 2), each row tile's A fragment
// four (row l % 16, half l / 16). Without prefetch, so each K step's
// addresses are in its iteration (prefetch reads the same ones a step
// earlier, as the CHECK lines above show for the 8-byte loads).
// LDM-LABEL: func.func @staged
// LDM-DAG: %[[C2:.*]] = arith.constant 2 : index
// LDM-DAG: %[[C4:.*]] = arith.constant 4 : index
// LDM-DAG: %[[C8:.*]] = arith.constant 8 : index
// LDM-DAG: %[[C16:.*]] = arith.constant 16 : index
// LDM: memref.alloca() {alignment = 16 : i64} : memref<6144xi8, #gpu.address_space<workgroup>>
// LDM: %[[LANE:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// LDM: %[[B0:.*]] = arith.muli %{{.*}}, %[[C16]] : index
// LDM: %[[TA0:.*]] = memref.view {{.*}} to memref<16x32xbf16, #gpu.address_space<workgroup>>
// A's copy: chunk q of row r goes to chunk q ^ (r / 2) % 4.
// LDM: %[[CR:.*]] = arith.divui %{{.*}}, %[[C4]] : index
// LDM: %[[CQ:.*]] = arith.remui %{{.*}}, %[[C4]] : index
// LDM: %[[CCOL:.*]] = arith.muli %[[CQ]], %[[C8]] : index
// LDM: %[[CP:.*]] = arith.divui %[[CR]], %[[C2]] : index
// LDM: %[[CS:.*]] = arith.remui %[[CP]], %[[C4]] : index
// LDM: %[[CC:.*]] = arith.divui %[[CCOL]], %[[C8]] : index
// LDM: %[[CX:.*]] = arith.xori %[[CC]], %[[CS]] : index
// LDM: %[[CTO:.*]] = arith.muli %[[CX]], %[[C8]] : index
// LDM: nvgpu.device_async_copy %{{.*}}[%{{.*}}, %[[CCOL]]], %[[TA0]][%[[CR]], %[[CTO]]], 8 {bypassL1}
// LDM: nvvm.cp.async.wait.group 0
// LDM: scf.if
// LDM: nvvm.cp.async.commit.group
// LDM: %[[TA:.*]] = memref.view {{.*}} to memref<16x32xbf16, #gpu.address_space<workgroup>>
// LDM: %[[TB:.*]] = memref.view {{.*}} to memref<32x32xbf16, #gpu.address_space<workgroup>>
// LDM: scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step %[[C16]] iter_args(
// LDM:   %[[BR:.*]] = arith.remui %[[LANE]], %[[C8]] : index
// LDM:   %[[BROW:.*]] = arith.addi %[[B0]], %[[BR]] : index
// LDM:   %[[BQ:.*]] = arith.divui %[[LANE]], %[[C8]] : index
// LDM:   %[[BH:.*]] = arith.remui %[[BQ]], %[[C2]] : index
// LDM:   %[[BOFF:.*]] = arith.muli %[[BH]], %[[C8]] : index
// LDM:   %[[BK:.*]] = arith.addi %[[K0]], %[[BOFF]] : index
// LDM:   %[[BP:.*]] = arith.divui %[[BROW]], %[[C2]] : index
// LDM:   %[[BS:.*]] = arith.remui %[[BP]], %[[C4]] : index
// LDM:   %[[BC:.*]] = arith.divui %[[BK]], %[[C8]] : index
// LDM:   %[[BX:.*]] = arith.xori %[[BC]], %[[BS]] : index
// LDM:   %[[BCOL:.*]] = arith.muli %[[BX]], %[[C8]] : index
// LDM:   nvgpu.ldmatrix %[[TB]][%[[BROW]], %[[BCOL]]] {numTiles = 2 : i32, transpose = false} : memref<32x32xbf16, #gpu.address_space<workgroup>> -> vector<2x2xbf16>
// LDM:   nvgpu.ldmatrix %[[TB]]
// LDM:   %[[AR:.*]] = arith.remui %[[LANE]], %[[C16]] : index
// LDM:   %[[AQ:.*]] = arith.divui %[[LANE]], %[[C16]] : index
// LDM:   %[[AH:.*]] = arith.remui %[[AQ]], %[[C2]] : index
// LDM:   %[[AOFF:.*]] = arith.muli %[[AH]], %[[C8]] : index
// LDM:   %[[AK:.*]] = arith.addi %[[K0]], %[[AOFF]] : index
// LDM:   %[[AP:.*]] = arith.divui %[[AR]], %[[C2]] : index
// LDM:   %[[AS:.*]] = arith.remui %[[AP]], %[[C4]] : index
// LDM:   %[[AC:.*]] = arith.divui %[[AK]], %[[C8]] : index
// LDM:   %[[AX:.*]] = arith.xori %[[AC]], %[[AS]] : index
// LDM:   %[[ACOL:.*]] = arith.muli %[[AX]], %[[C8]] : index
// LDM:   nvgpu.ldmatrix %[[TA]][%[[AR]], %[[ACOL]]] {numTiles = 4 : i32, transpose = false} : memref<16x32xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// LDM:   nvvm.mma.sync
// LDM:   nvvm.mma.sync
// LDM-NOT: vector.load %[[TA]]
//
// ldmatrix prefetched (the default): inside the K-step loop, the next
// step's addresses from min(k0 + 16, 16), swizzled as the others.
// LDMPF-LABEL: func.func @staged
// LDMPF: scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step %[[S:.*]] iter_args({{.*}}) -> ({{.*}}, i32) {
// LDMPF:   %[[KN:.*]] = arith.addi %[[K0]], %[[S]] : index
// LDMPF:   %[[KNEXT:.*]] = arith.minui %[[KN]], %[[S]] : index
// LDMPF:   %[[AK:.*]] = arith.addi %[[KNEXT]], %{{.*}} : index
// LDMPF:   %[[AC:.*]] = arith.divui %[[AK]], %{{.*}} : index
// LDMPF:   %[[AX:.*]] = arith.xori %[[AC]], %{{.*}} : index
// LDMPF:   %[[ACOL:.*]] = arith.muli %[[AX]], %{{.*}} : index
// LDMPF:   nvgpu.ldmatrix %{{.*}}[%{{.*}}, %[[ACOL]]] {numTiles = 4 : i32, transpose = false}
// LDMPF:   %[[BK:.*]] = arith.addi %[[KNEXT]], %{{.*}} : index
// LDMPF:   %[[BC:.*]] = arith.divui %[[BK]], %{{.*}} : index
// LDMPF:   %[[BX:.*]] = arith.xori %[[BC]], %{{.*}} : index
// LDMPF:   %[[BCOL:.*]] = arith.muli %[[BX]], %{{.*}} : index
// LDMPF:   nvgpu.ldmatrix %{{.*}}[%{{.*}}, %[[BCOL]]] {numTiles = 2 : i32, transpose = false}
// LDMPF:   nvvm.mma.sync
// LDMPF: } {llvm.loop_annotation
//
// Emulated: the warps' loop interchanged with the K tiles: both warps'
// lanes copy the first tile's K tile 0 into stage 0 (thread warp * 32 +
// lane), where there are rows; per tile every warp's accumulators into the
// [2 warps x 2 tiles, 32, 4] registers; per K tile both warps' lanes make
// the next copy (K tile kt + 1, or the next tile's K tile 0) into the
// other stage, then both warps run their steps from this stage; then both
// store.
// EMU-LABEL: func.func @staged
// EMU-DAG: %[[C1536:.*]] = arith.constant 1536 : index
// EMU-DAG: %[[C4608:.*]] = arith.constant 4608 : index
// EMU: %[[BUF:.*]] = memref.alloca() {alignment = 16 : i64} : memref<9216xi8>
// EMU: %[[ACC:.*]] = memref.alloca() : memref<4x32x4xf32>
// EMU-NOT: scf.forall
// EMU: scf.if %{{.*}} {
// EMU:   scf.for %[[W2:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:     %[[TA0:.*]] = memref.view %[[BUF]][%{{.*}}][] : memref<9216xi8> to memref<16x48xbf16>
// EMU:     %[[TB0:.*]] = memref.view %[[BUF]][%[[C1536]]][] : memref<9216xi8> to memref<32x48xbf16>
// EMU:     scf.for %[[L2:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:       %[[WT:.*]] = arith.muli %[[W2]], %{{.*}} : index
// EMU:       %[[T2:.*]] = arith.addi %[[WT]], %[[L2]] : index
// EMU:       scf.for %{{.*}} = %[[T2]] to %{{.*}} step %{{.*}} {
// EMU:         vector.store %{{.*}}, %[[TA0]][{{.*}}] {alignment = 16 : i64} : memref<16x48xbf16>, vector<8xbf16>
// EMU:       scf.for %{{.*}} = %[[L2]] to %{{.*}} step %{{.*}} {
// EMU:         vector.store %{{.*}}, %[[TB0]][{{.*}}] {alignment = 16 : i64} : memref<32x48xbf16>, vector<8xbf16>
// EMU: scf.for %[[M0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:   scf.for %[[W1:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:     memref.subview
// EMU:     scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:       memref.store %{{.*}}, %[[ACC]]
// EMU:   scf.for %[[KT:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:     %[[T:.*]] = arith.divui %[[M0]], %{{.*}} : index
// EMU:     %[[COUNT:.*]] = arith.addi
// EMU:     %[[STAGE:.*]] = arith.remui %[[COUNT]], %{{.*}} : index
// EMU:     %[[NEXT:.*]] = arith.addi %[[COUNT]], %{{.*}} : index
// EMU:     %[[HAS:.*]] = arith.cmpi ult, %[[NEXT]], %{{.*}} : index
// EMU:     scf.if %[[HAS]] {
// EMU:       %[[OTHER:.*]] = arith.remui %[[NEXT]], %{{.*}} : index
// EMU:       scf.for %[[W3:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:         %[[OFF1:.*]] = arith.muli %[[OTHER]], %[[C4608]] : index
// EMU:         %[[TA1:.*]] = memref.view %[[BUF]][%[[OFF1]]][]
// EMU:         %[[OFFB1:.*]] = arith.addi %[[OFF1]], %[[C1536]] : index
// EMU:         %[[TB1:.*]] = memref.view %[[BUF]][%[[OFFB1]]][]
// EMU:         vector.store %{{.*}}, %[[TA1]][{{.*}}] {alignment = 16 : i64} : memref<16x48xbf16>, vector<8xbf16>
// EMU:         vector.store %{{.*}}, %[[TB1]][{{.*}}] {alignment = 16 : i64} : memref<32x48xbf16>, vector<8xbf16>
// EMU:     scf.for %[[W4:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:       %[[OFF:.*]] = arith.muli %[[STAGE]], %[[C4608]] : index
// EMU:       %[[TA:.*]] = memref.view %[[BUF]][%[[OFF]]][]
// EMU:       %[[OFFB:.*]] = arith.addi %[[OFF]], %[[C1536]] : index
// EMU:       %[[TB:.*]] = memref.view %[[BUF]][%[[OFFB]]][]
// EMU:       vector.load %[[TB]]{{.*}} {alignment = 8 : i64} : memref<32x48xbf16>, vector<4xbf16>
// EMU:       vector.load %[[TA]]{{.*}} {alignment = 8 : i64} : memref<16x48xbf16>, vector<4xbf16>
// EMU:       memref.store %{{.*}}, %[[ACC]]
// EMU:   scf.for %[[W5:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:     memref.load %[[ACC]]
// EMU:     vector.store %{{.*}} : memref<?x16xf32
// EMU-NOT: nvvm.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @staged(%a: memref<?x64xbf16>, %w: memref<32x64xbf16>, %c: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %rows = memref.dim %c, %c0 : memref<?x32xf32>
  scf.forall (%i) = (0) to (32) step (16) {
    %wv = memref.subview %w[%i, 0] [16, 64] [1, 1] : memref<32x64xbf16> to memref<16x64xbf16, strided<[64, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [%rows, 16] [1, 1] : memref<?x32xf32> to memref<?x16xf32, strided<[32, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<?x64xbf16>, memref<16x64xbf16, strided<[64, 1], offset: ?>>)
        outs(%cv : memref<?x16xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Gathered rows: the copy reads the token index of each (clamped) row of
// A's tile and copies that row of x; the lanes read no indices themselves.
// CHECK-LABEL: func.func @gathered_rows
// CHECK-SAME: (%[[X:.*]]: memref<?x64xbf16>, %[[TOK:.*]]: memref<?xi32>
// CHECK: nvvm.barrier
// CHECK: %[[ROW:.*]] = arith.minui
// CHECK: %[[T:.*]] = memref.load %[[TOK]][%[[ROW]]] : memref<?xi32>
// CHECK: %[[S:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK: nvgpu.device_async_copy %[[X]][%[[S]], %{{.*}}], %{{.*}}, 8 {bypassL1} : memref<?x64xbf16>
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: scf.if
// CHECK:   memref.load %[[TOK]]
// CHECK:   nvgpu.device_async_copy %[[X]]
// CHECK:   nvvm.cp.async.commit.group
// CHECK-NOT: memref.load %[[TOK]]
// CHECK: nvvm.mma.sync
// EMU-LABEL: func.func @gathered_rows
// EMU: memref.load %{{.*}} : memref<?xi32>
// EMU-NOT: nvvm.
#mapRow = affine_map<(m, n, k) -> (m)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @gathered_rows(%x: memref<?x64xbf16>, %tokens: memref<?xi32>, %w: memref<8x64xbf16>, %c: memref<?x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapRow, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%tokens, %w : memref<?xi32>, memref<8x64xbf16>)
        outs(%c : memref<?x8xf32>) {
    ^bb0(%t: i32, %y: bf16, %acc: f32):
      %r = arith.index_cast %t : i32 to index
      %k = linalg.index 2 : index
      %xv = memref.load %x[%r, %k] : memref<?x64xbf16>
      %xf = arith.extf %xv : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Warps splitting M (each its own rows of A and C) would put different
// rows into A's shared tile: not staged, the lanes read global memory.
// CHECK-LABEL: func.func @warps_split_rows
// CHECK-NOT: nvvm.barrier
// CHECK-NOT: memref.view
// CHECK: nvvm.mma.sync
// EMU-LABEL: func.func @warps_split_rows
// EMU-NOT: memref<{{[0-9]+}}xi8>
// EMU: scf.forall
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @warps_split_rows(%a: memref<64x64xbf16>, %w: memref<16x64xbf16>, %c: memref<64x16xf32>) {
  scf.forall (%i) = (0) to (64) step (32) {
    %av = memref.subview %a[%i, 0] [32, 64] [1, 1] : memref<64x64xbf16> to memref<32x64xbf16, strided<[64, 1], offset: ?>>
    %cv = memref.subview %c[%i, 0] [32, 16] [1, 1] : memref<64x16xf32> to memref<32x16xf32, strided<[16, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%av, %w : memref<32x64xbf16, strided<[64, 1], offset: ?>>, memref<16x64xbf16>)
        outs(%cv : memref<32x16xf32, strided<[16, 1], offset: ?>>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
