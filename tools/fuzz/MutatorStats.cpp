//===- MutatorStats.cpp - how many mutants still parse and verify ---------===//
//
// hmoe-mutator-stats [-runs=N] FILE...
//
// Applies the IR fuzzers' structure-aware mutator (MLIRMutator.cpp) and, for
// comparison, one to three byte mutations (what a mutator that knows nothing
// of the IR does) N times to each seed file, and prints how many of the
// mutants still parse, verify (only those reach the passes under test) and
// differ from their seed once printed (a change in a comment does not).
// Seeds that do not verify themselves are skipped.
//
//===----------------------------------------------------------------------===//

#include "MLIRInput.h"
#include "MLIRMutator.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {
/// The generic form of a module that verifies, or "".
std::string canonical(const uint8_t *data, size_t size) {
  mlir::hmoe::fuzz::Input input;
  mlir::OwningOpRef<mlir::ModuleOp> module = input.parse(data, size);
  if (!module)
    return "";
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().printGenericOpForm());
  return text;
}

struct Tally {
  unsigned mutants = 0, parsed = 0, verified = 0, changed = 0;
  void add(const std::vector<uint8_t> &bytes, const std::string &seed) {
    ++mutants;
    mlir::hmoe::fuzz::Input input;
    std::string text(bytes.begin(), bytes.end());
    if (mlir::parseSourceString<mlir::ModuleOp>(
            text,
            mlir::ParserConfig(&input.context, /*verifyAfterParse=*/false),
            "mutant"))
      ++parsed;
    std::string mutant = canonical(bytes.data(), bytes.size());
    if (!mutant.empty()) {
      ++verified;
      changed += mutant != seed;
    }
  }
  void print(llvm::StringRef name) const {
    auto percent = [&](unsigned n) {
      return 100.0 * n / std::max(mutants, 1u);
    };
    llvm::outs() << llvm::format(
        "%-10s %6u mutants, %6u parse (%5.1f%%), %6u verify (%5.1f%%), %6u "
        "verify and differ from their seed (%5.1f%%)\n",
        name.str().c_str(), mutants, parsed, percent(parsed), verified,
        percent(verified), changed, percent(changed));
  }
};
} // namespace

int main(int argc, char **argv) {
  unsigned runs = 20;
  std::vector<std::string> files;
  for (llvm::StringRef arg : llvm::ArrayRef(argv + 1, argc - 1)) {
    if (arg.consume_front("-runs=")) {
      if (arg.getAsInteger(10, runs)) {
        llvm::errs() << "error: -runs= takes a number\n";
        return 1;
      }
      continue;
    }
    files.push_back(arg.str());
  }
  Tally structured, bytes;
  unsigned seeds = 0;
  std::mt19937 rng(0);
  for (const std::string &file : files) {
    auto buffer = llvm::MemoryBuffer::getFile(file);
    if (!buffer) {
      llvm::errs() << "error: cannot read '" << file << "'\n";
      return 1;
    }
    llvm::StringRef seed = (*buffer)->getBuffer();
    // Seeds that do not verify (invalid.mlir cases) say nothing about
    // what mutation keeps valid.
    std::string seedIR =
        canonical(reinterpret_cast<const uint8_t *>(seed.data()), seed.size());
    if (seedIR.empty())
      continue;
    ++seeds;
    size_t maxSize = seed.size() * 2 + 4096;
    for (unsigned i = 0; i < runs; ++i) {
      std::vector<uint8_t> data(seed.begin(), seed.end());
      data.resize(maxSize);
      data.resize(
          mlir::hmoe::fuzz::mutateIR(data.data(), seed.size(), maxSize, rng()));
      structured.add(data, seedIR);
      data.assign(seed.begin(), seed.end());
      data.resize(maxSize);
      size_t size = seed.size();
      for (unsigned n = 1 + rng() % 3; n > 0; --n)
        size = LLVMFuzzerMutate(data.data(), size, maxSize);
      data.resize(size);
      bytes.add(data, seedIR);
    }
  }
  llvm::outs() << seeds << " seeds that verify, " << runs
               << " mutants of each\n";
  structured.print("structured");
  bytes.print("bytes");
  return 0;
}
