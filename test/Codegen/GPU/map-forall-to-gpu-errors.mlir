// RUN: hmoe-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(hmoe-map-forall-to-gpu))' %s

func.func @host_store(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{accesses a buffer on the host, outside any GPU block loop}}
  memref.store %cst, %x[%c0] : memref<4xf32>
  return
}

// -----

func.func @unthreaded_write(%x: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    // expected-error @+1 {{writes a buffer inside a GPU block loop but outside its thread loops}}
    memref.store %cst, %x[%b] : memref<4xf32>
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @dynamic_threads(%x: memref<?xf32>, %n: index) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    // expected-error @+1 {{is mapped to GPU threads but has a dynamic trip count}}
    scf.forall (%t) in (%n) {
      memref.store %cst, %x[%t] : memref<?xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @too_many_threads(%x: memref<?x?xf32>) {
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{needs 64 x 32 threads per block, more than 1024}}
  scf.forall (%b) in (4) {
    scf.forall (%i, %j) in (32, 64) {
      memref.store %cst, %x[%i, %j] : memref<?x?xf32>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @nested_blocks(%x: memref<?xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%a) in (4) {
    // expected-error @+1 {{is mapped to GPU blocks but nested in another loop or launch}}
    scf.forall (%b) in (4) {
      scf.forall (%t) in (4) {
        memref.store %cst, %x[%t] : memref<?xf32>
      } {mapping = [#gpu.thread<x>]}
    } {mapping = [#gpu.block<y>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @grid_too_tall(%x: memref<?xf32>) {
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{needs 70000 blocks along y; a CUDA grid has at most 65535}}
  scf.forall (%e, %b) in (70000, 4) {
    scf.forall (%t) in (4) {
      memref.store %cst, %x[%t] : memref<?xf32>
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

func.func @workgroup_buffer_in_two_loops(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    // expected-error @+1 {{is a workgroup buffer used by thread loops with no op of the kernel around them all}}
    %tiles = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      %tile = memref.view %tiles[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<linear_dim_0>]}
    scf.forall (%t) in (64) {
      %tile = memref.view %tiles[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
      %v = memref.load %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %v, %x[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @workgroup_buffer_outside_views(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1 : i8
  scf.forall (%b) in (4) {
    // expected-error @+1 {{is a workgroup buffer used outside memref.view in GPU thread loops}}
    %tiles = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      memref.store %cst, %tiles[%t] : memref<256xi8, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @two_workgroup_buffers_in_one_loop(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %first = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    // expected-error @+1 {{is a second workgroup buffer in one GPU thread loop or op of the block}}
    %second = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      %a = memref.view %first[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
      %c = memref.view %second[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %a[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %c[%t] : memref<64xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

func.func @workgroup_buffer_not_bytes(%x: memref<64xf32>) {
  scf.forall (%b) in (4) {
    // expected-error @+1 {{is a workgroup buffer of type 'memref<64xf32, #gpu.address_space<workgroup>>'; expected a static 1-D i8 buffer}}
    %tiles = memref.alloca() : memref<64xf32, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      %v = memref.load %tiles[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %v, %x[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// A buffer of a loop of thread loops (a K loop: copy, then read) and
// another used inside that loop would overlap while both are live.
func.func @workgroup_buffer_inside_another_scope(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %tiles = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    // expected-error @+1 {{is a second workgroup buffer in one GPU thread loop or op of the block}}
    %more = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    scf.for %k = %c0 to %c4 step %c1 {
      scf.forall (%t) in (64) {
        %tile = memref.view %tiles[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
        memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<linear_dim_0>]}
      scf.forall (%t) in (64) {
        %tile = memref.view %tiles[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
        %other = memref.view %more[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
        %v = memref.load %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
        memref.store %v, %other[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<linear_dim_0>]}
    }
  } {mapping = [#gpu.block<x>]}
  return
}
