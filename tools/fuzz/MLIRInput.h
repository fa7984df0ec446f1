//===- MLIRInput.h - fuzzer bytes to verified hmoe IR -----------*- C++ -*-===//
//
// What the IR fuzzers share: the dialects of hmoe-opt, a fresh single-threaded
// context per input (no state leaks from one input to the next), parsing and
// verifying with diagnostics collected instead of printed, and the abort that
// turns a broken property into a libFuzzer finding.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_TOOLS_FUZZ_MLIRINPUT_H
#define HMOE_TOOLS_FUZZ_MLIRINPUT_H

#include "hmoe/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace mlir::hmoe::fuzz {

inline const DialectRegistry &registry() {
  static const DialectRegistry *registry = [] {
    auto *r = new DialectRegistry;
    registerHMoEPipelineDependencies(*r);
    return r;
  }();
  return *registry;
}

/// A context for one input that counts the errors reported at a known
/// location (an op or a parsed position) and prints nothing.
class Input {
public:
  Input()
      : context(registry(), MLIRContext::Threading::DISABLED),
        handler(&context, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error) {
            ++errors;
            if (!isa<UnknownLoc>(diag.getLocation()))
              ++locatedErrors;
          }
          return success();
        }) {}

  /// The module in `data`, or null when it does not parse or verify.
  OwningOpRef<ModuleOp> parse(const uint8_t *data, size_t size) {
    // The lexer stops at a NUL terminator: give it one.
    text.assign(reinterpret_cast<const char *>(data), size);
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(text, ParserConfig(&context), "input");
    if (!module || failed(verify(*module)))
      return {};
    return module;
  }

  MLIRContext context;
  unsigned errors = 0;
  unsigned locatedErrors = 0;

private:
  ScopedDiagnosticHandler handler;
  std::string text;
};

/// Reports a broken property with the IR it concerns and aborts, which
/// libFuzzer records as a crash with the input that caused it.
[[noreturn]] inline void finding(const llvm::Twine &what,
                                 llvm::StringRef ir = {}) {
  llvm::errs() << "hmoe fuzz finding: " << what << "\n";
  if (!ir.empty())
    llvm::errs() << ir << "\n";
  llvm::errs().flush();
  abort();
}

} // namespace mlir::hmoe::fuzz

#endif // HMOE_TOOLS_FUZZ_MLIRINPUT_H
