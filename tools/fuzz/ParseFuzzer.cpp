//===- ParseFuzzer.cpp - fuzz parsing and verification of hmoe IR ---------===//
//
// Any text goes to the parser and the verifiers of every dialect hmoe-opt
// loads. Bad input must come back as a diagnostic. IR that verifies must
// survive a round trip: printed (custom and generic form), parsed again and
// verified, it prints to the same text. That catches custom assembly that
// prints what it cannot parse, and verifiers that accept what they reject
// on the way back.
//
//===----------------------------------------------------------------------===//

#include "MLIRInput.h"

#include "mlir/IR/OperationSupport.h"

using namespace mlir;
using namespace mlir::hmoe;

static std::string print(ModuleOp module, bool generic) {
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, flags);
  return text;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::Input input;
  OwningOpRef<ModuleOp> module = input.parse(data, size);
  if (!module)
    return 0;
  for (bool generic : {false, true}) {
    std::string printed = print(*module, generic);
    fuzz::Input again;
    OwningOpRef<ModuleOp> reparsed = again.parse(
        reinterpret_cast<const uint8_t *>(printed.data()), printed.size());
    if (!reparsed)
      fuzz::finding(llvm::Twine("verified IR printed in ") +
                        (generic ? "generic" : "custom") +
                        " form does not parse and verify again",
                    printed);
    std::string reprinted = print(*reparsed, generic);
    if (reprinted != printed)
      fuzz::finding(llvm::Twine("round trip in ") +
                        (generic ? "generic" : "custom") +
                        " form changes the IR; first print:\n" + printed +
                        "\nsecond print:",
                    reprinted);
  }
  return 0;
}
