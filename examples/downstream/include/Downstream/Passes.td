//===- Passes.td - the downstream project's own pass -------*- tablegen -*-===//

#ifndef DOWNSTREAM_PASSES_TD
#define DOWNSTREAM_PASSES_TD

include "mlir/Pass/PassBase.td"

def DownstreamCountExperts : Pass<"downstream-count-experts"> {
  let summary = "Annotate every hmoe.moe with its expert count and the "
                "number of experts a token uses";
  let description = [{
    Reads each layer's routing tree through hmoe's C++ API and records
    `downstream.experts` (E) and `downstream.experts_per_token` (K) on the
    op: what a compiler embedding hmoe might use for its own cost model.
  }];
  let dependentDialects = ["::mlir::hmoe::HMoEDialect"];
}

#endif // DOWNSTREAM_PASSES_TD
