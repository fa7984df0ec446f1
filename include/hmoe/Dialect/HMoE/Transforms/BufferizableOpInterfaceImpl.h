//===- BufferizableOpInterfaceImpl.h - bufferizing routing ops --*- C++ -*-===//

#ifndef HMOE_DIALECT_HMOE_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define HMOE_DIALECT_HMOE_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;

namespace hmoe {
/// Attaches BufferizableOpInterface to hmoe.route, hmoe.dispatch and
/// hmoe.stats: each bufferizes to its memref form, writing its destinations
/// in place.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace hmoe
} // namespace mlir

#endif // HMOE_DIALECT_HMOE_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
