//===- BufferAliasing.h - which buffers certainly do not overlap -*- C++
//-*-===//
//
// What the CPU GEMM kernel's fusions and the GPU kernels' read-only
// arguments both need to know: whether two memrefs are views of different
// buffers. Known only for allocations and function arguments, traced
// through views; a caller may pass one buffer as two arguments.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_CODEGEN_BUFFERALIASING_H
#define HMOE_CODEGEN_BUFFERALIASING_H

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Value.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::hmoe {

/// The allocation or function argument `v` is a view of (through subviews,
/// casts, reshapes: upstream's skipViewLikeOps), or null where anything
/// else made it (a select, a loop's argument, a call): then what it aliases
/// is unknown.
inline Value knownBufferBase(Value v) {
  if (auto memref = dyn_cast<MemrefValue>(v))
    v = memref::skipViewLikeOps(memref);
  if (Operation *def = v.getDefiningOp())
    return hasSingleEffect<MemoryEffects::Allocate>(def, v) ? v : Value();
  auto arg = cast<BlockArgument>(v);
  Block *owner = arg.getOwner();
  if (owner->isEntryBlock() && isa<FunctionOpInterface>(owner->getParentOp()))
    return v;
  return Value();
}

/// Whether `x` and `y` are certainly views of different buffers: known,
/// different bases, not two function arguments.
inline bool disjointBuffers(Value x, Value y) {
  Value bx = knownBufferBase(x), by = knownBufferBase(y);
  return bx && by && bx != by &&
         !(isa<BlockArgument>(bx) && isa<BlockArgument>(by));
}

} // namespace mlir::hmoe

#endif // HMOE_CODEGEN_BUFFERALIASING_H
