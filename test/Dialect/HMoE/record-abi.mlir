// RUN: hmoe-opt --hmoe-record-abi --split-input-file --verify-diagnostics %s | FileCheck %s

// Public functions with a body get their tensor signature; a declaration of
// a C library function (the real expf) is fine.
// Their tensor arguments are the caller's inputs: not writable in place
// (bufferization copies a tensor updated in place); other arguments, and
// an argument that says otherwise, are left as they are.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%{{.*}}: tensor<?x8xf32> {bufferization.writable = false}, %{{.*}}: index, %{{.*}}: tensor<2xf32> {bufferization.writable = true})
// CHECK-SAME: hmoe.abi = (tensor<?x8xf32>, index, tensor<2xf32>) -> tensor<?x8xf32>
// CHECK: func.func private @expf(f32) -> f32
// CHECK-NOT: hmoe.abi
// CHECK-NOT: writable
func.func @layer(%x: tensor<?x8xf32>, %n: index,
                 %s: tensor<2xf32> {bufferization.writable = true}) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
func.func private @expf(f32) -> f32

// -----

// Definitions named like what the lowered code calls would be called
// instead of it (a layer named @memset recursed until the stack overflowed).
// expected-error @below {{'func.func' op defines @memset, a name the lowered code cannot have: the generated code calls the C library or runtime function of that name; rename it}}
func.func @memset(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}

// -----

// A NUL in a layer's name (the JIT failed to link it, then corrupted the
// heap).
// expected-error @below {{'func.func' op defines @"a\00b", a name the lowered code cannot have: it contains a NUL character; rename it}}
func.func @"a\00b"(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}

// -----

// expected-error @below {{'func.func' op defines @expf}}
func.func private @expf(%a: f32) -> f32 {
  return %a : f32
}

// -----

// expected-error @below {{'memref.global' op defines @memcpy}}
memref.global "private" constant @memcpy : memref<2xf32> = dense<[1.0, 2.0]>

// -----

// expected-error @below {{names starting with '_' are reserved to the C implementation}}
func.func @_mlir_ciface_layer() {
  return
}

// -----

// expected-error @below {{mgpu* are the GPU runtime's functions}}
func.func @mgpuMemAlloc() {
  return
}

// -----

// expected-error @below {{defines @hmoe_check_failed}}
func.func @hmoe_check_failed() {
  return
}

// -----

// Functions are found through FunctionOpInterface; one whose signature is
// not a builtin function type (an llvm.func, already lowered) gets none.
// CHECK-LABEL: llvm.func @scale
// CHECK-NOT: hmoe.abi
llvm.func @scale(%a: f32) -> f32 {
  llvm.return %a : f32
}

// -----

// What hmoe-compile's libraries define beside the layer: the JIT ran such a
// module, its library failed to link ("multiple definition of hmoe_free").
// expected-error @below {{'func.func' op defines @hmoe_free, a name the lowered code cannot have: hmoe-compile's libraries define it}}
func.func private @hmoe_free(%a: f32) -> f32 {
  return %a : f32
}

// -----

// What hmoe-compile's runtime source calls: with -Bsymbolic the library's
// buffer cache would lock through the layer's function.
// expected-error @below {{defines @pthread_mutex_lock, a name the lowered code cannot have: the generated code calls the C library or runtime function of that name}}
func.func private @pthread_mutex_lock() {
  return
}

// -----

// expected-error @below {{defines @hmoe_layer_signature, a name the lowered code cannot have: hmoe-compile's libraries define it}}
func.func private @hmoe_layer_signature() {
  return
}

// -----

// A layer may be named hmoe_...; an llvm.func declaration of a reserved
// name is a declaration, as a func.func's is.
// CHECK-LABEL: func.func @hmoe_layer
// CHECK-SAME: hmoe.abi
// CHECK: llvm.func @hmoe_check_failed(!llvm.ptr)
func.func @hmoe_layer(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
llvm.func @hmoe_check_failed(!llvm.ptr)

// -----

// A layer lowered already: lowering its module again found the lowering's
// own declaration of hmoe_check_failed and said to rename it.
// expected-error @below {{'llvm.func' op is a layer lowered already (an llvm.func with hmoe.abi): a module is lowered once}}
llvm.func @lowered(%arg0: !llvm.ptr) attributes {hmoe.abi = (tensor<8xf32>) -> tensor<8xf32>} {
  llvm.return
}
