// RUN: hmoe-opt --split-input-file '--hmoe-mark-read-only-kernel-args=floats' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --hmoe-mark-read-only-kernel-args %s | FileCheck %s --check-prefix=INDEX

// By default only integer buffers are marked (INDEX): the gather's token
// indices, not its f32 rows; no kernel below but the first reads one.
// INDEX-LABEL: gpu.func @gather
// INDEX-SAME: (%{{.*}}: memref<?x8xf32>, %{{.*}}: memref<?xi32> {llvm.readonly}, %{{.*}}: memref<?x8xf32>)
// INDEX-SAME: attributes {hmoe.read_only_args}
// INDEX-NOT: hmoe.read_only_args

// The caller's buffers that the kernel only reads are read-only; a fresh
// allocation it writes cannot overlap them.
// CHECK-LABEL: gpu.func @gather
// CHECK-SAME: (%{{.*}}: memref<?x8xf32> {llvm.readonly}, %{{.*}}: memref<?xi32> {llvm.readonly}, %{{.*}}: memref<?x8xf32>)
// CHECK-SAME: attributes {hmoe.read_only_args}
module attributes {gpu.container_module} {
  func.func @host(%x: memref<?x8xf32>, %idx: memref<?xi32>, %n: index) -> memref<?x8xf32> {
    %c1 = arith.constant 1 : index
    %out = memref.alloc(%n) : memref<?x8xf32>
    gpu.launch_func @kernels::@gather blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%x : memref<?x8xf32>, %idx : memref<?xi32>, %out : memref<?x8xf32>)
    return %out : memref<?x8xf32>
  }
  gpu.module @kernels {
    gpu.func @gather(%x: memref<?x8xf32>, %idx: memref<?xi32>, %out: memref<?x8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %t = memref.load %idx[%c0] : memref<?xi32>
      %r = arith.index_cast %t : i32 to index
      %v = memref.load %x[%r, %c0] : memref<?x8xf32>
      memref.store %v, %out[%c0, %c0] : memref<?x8xf32>
      gpu.return
    }
  }
}

// -----

// Two caller's buffers may be one: what the kernel writes through one it
// may read through the other.
// CHECK-LABEL: gpu.func @copy_between_arguments
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>)
// CHECK-SAME: kernel {{[{]$}}
module attributes {gpu.container_module} {
  func.func @host(%a: memref<4xf32>, %b: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@copy_between_arguments blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%a : memref<4xf32>, %b : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @copy_between_arguments(%a: memref<4xf32>, %b: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<4xf32>
      memref.store %v, %b[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// Views of one allocation share memory (here two halves, passed as two
// arguments, one written: neither is read-only); views of two do not (the
// second launch). Writes to the kernel's own memory (a private array, a
// heap allocation through a view, a workgroup buffer) do not count, nor
// does a barrier (gpu.barrier, or a named nvvm.barrier as staged tiles
// have), nor a cp.async copy into workgroup memory and its commit and
// wait (the copy reads the argument).
// CHECK-LABEL: gpu.func @halves
// CHECK-SAME: (%{{.*}}: memref<4xf32, strided<[1]>>, %{{.*}}: memref<4xf32, strided<[1], offset: 4>>)
// CHECK-SAME: kernel {{[{]$}}
// CHECK-LABEL: gpu.func @two_buffers
// CHECK-SAME: (%{{.*}}: memref<4xf32> {llvm.readonly}, %{{.*}}: memref<4xf32>)
// CHECK-SAME: workgroup
// CHECK-SAME: attributes {hmoe.read_only_args}
module attributes {gpu.container_module} {
  func.func @host() {
    %c1 = arith.constant 1 : index
    %buf = memref.alloc() : memref<8xf32>
    %lo = memref.subview %buf[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
    %hi = memref.subview %buf[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
    gpu.launch_func @kernels::@halves blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%lo : memref<4xf32, strided<[1]>>, %hi : memref<4xf32, strided<[1], offset: 4>>)
    %p = memref.alloc() : memref<4xf32>
    %q = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@two_buffers blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%p : memref<4xf32>, %q : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @halves(%lo: memref<4xf32, strided<[1]>>, %hi: memref<4xf32, strided<[1], offset: 4>>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %lo[%c0] : memref<4xf32, strided<[1]>>
      memref.store %v, %hi[%c0] : memref<4xf32, strided<[1], offset: 4>>
      gpu.return
    }
    gpu.func @two_buffers(%p: memref<4xf32>, %q: memref<4xf32>) workgroup(%shared: memref<4xf32, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %p[%c0] : memref<4xf32>
      %private = memref.alloca() : memref<4xf32>
      memref.store %v, %private[%c0] : memref<4xf32>
      %heap = memref.alloc() : memref<4xf32>
      %view = memref.subview %heap[1] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 1>>
      memref.store %v, %view[%c0] : memref<2xf32, strided<[1], offset: 1>>
      memref.dealloc %heap : memref<4xf32>
      memref.store %v, %shared[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %id = arith.constant 1 : i32
      %count = arith.constant 32 : i32
      nvvm.barrier id = %id number_of_threads = %count
      %copied = nvgpu.device_async_copy %p[%c0], %shared[%c0], 4 : memref<4xf32> to memref<4xf32, #gpu.address_space<workgroup>>
      nvvm.cp.async.commit.group
      nvvm.cp.async.wait.group 0
      %w = memref.load %shared[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      memref.store %w, %q[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// A call whose effects are unknown may write anything: nothing is marked.
// CHECK-LABEL: gpu.func @unknown_call
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>)
// CHECK-SAME: kernel {{[{]$}}
module attributes {gpu.container_module} {
  func.func @host() {
    %c1 = arith.constant 1 : index
    %p = memref.alloc() : memref<4xf32>
    %q = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@unknown_call blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%p : memref<4xf32>, %q : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    llvm.func @opaque()
    gpu.func @unknown_call(%p: memref<4xf32>, %q: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %p[%c0] : memref<4xf32>
      llvm.call @opaque() : () -> ()
      memref.store %v, %q[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// memref.copy writes its target.
// CHECK-LABEL: gpu.func @copy
// CHECK-SAME: (%{{.*}}: memref<4xf32> {llvm.readonly}, %{{.*}}: memref<4xf32>)
module attributes {gpu.container_module} {
  func.func @host() {
    %c1 = arith.constant 1 : index
    %p = memref.alloc() : memref<4xf32>
    %q = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@copy blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%p : memref<4xf32>, %q : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @copy(%p: memref<4xf32>, %q: memref<4xf32>) kernel {
      memref.copy %p, %q : memref<4xf32> to memref<4xf32>
      gpu.return
    }
  }
}

// -----

// What a select (or a loop argument, a call) returns may be any buffer:
// here it is %p, which the kernel writes through its second argument.
// CHECK-LABEL: gpu.func @selected
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>)
// CHECK-SAME: kernel {{[{]$}}
module attributes {gpu.container_module} {
  func.func @host(%c: i1) {
    %c1 = arith.constant 1 : index
    %p = memref.alloc() : memref<4xf32>
    %q = memref.alloc() : memref<4xf32>
    %either = arith.select %c, %p, %q : memref<4xf32>
    gpu.launch_func @kernels::@selected blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%p : memref<4xf32>, %either : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @selected(%p: memref<4xf32>, %either: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %p[%c0] : memref<4xf32>
      memref.store %v, %either[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// A linalg op declares its writes (and has recursive effects too): the
// fill's output is written.
// CHECK-LABEL: gpu.func @fill
// CHECK-SAME: (%{{.*}}: memref<4xf32> {llvm.readonly}, %{{.*}}: memref<4xf32>)
module attributes {gpu.container_module} {
  func.func @host() {
    %c1 = arith.constant 1 : index
    %p = memref.alloc() : memref<4xf32>
    %q = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%p : memref<4xf32>, %q : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @fill(%p: memref<4xf32>, %q: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %p[%c0] : memref<4xf32>
      linalg.fill ins(%v : f32) outs(%q : memref<4xf32>)
      gpu.return
    }
  }
}

// -----

// A kernel that came with llvm.readonly on an argument this pass does not
// find read-only (LLVM's readonly: not written through that pointer) is
// not marked: every readonly pointer of a marked kernel becomes noalias.
// CHECK-LABEL: gpu.func @given_readonly
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32> {llvm.readonly}, %{{.*}}: memref<4xf32>)
// CHECK-SAME: kernel {{[{]$}}
module attributes {gpu.container_module} {
  func.func @host(%a: memref<4xf32>, %b: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %out = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@given_readonly blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%a : memref<4xf32>, %b : memref<4xf32>, %out : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @given_readonly(%a: memref<4xf32>, %b: memref<4xf32> {llvm.readonly}, %out: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %b[%c0] : memref<4xf32>
      memref.store %v, %a[%c0] : memref<4xf32>
      memref.store %v, %out[%c0] : memref<4xf32>
      gpu.return
    }
  }
}
