//===- TilingInterfaceImpl.h - tiling hmoe.route over tokens ----*- C++ -*-===//

#ifndef HMOE_DIALECT_HMOE_TRANSFORMS_TILINGINTERFACEIMPL_H
#define HMOE_DIALECT_HMOE_TRANSFORMS_TILINGINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;

namespace hmoe {
/// Attaches TilingInterface to hmoe.route: one parallel loop over tokens,
/// whose scalar implementation routes one token (RoutingLoops.h).
void registerTilingInterfaceExternalModels(DialectRegistry &registry);
} // namespace hmoe
} // namespace mlir

#endif // HMOE_DIALECT_HMOE_TRANSFORMS_TILINGINTERFACEIMPL_H
