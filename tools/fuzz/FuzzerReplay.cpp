//===- FuzzerReplay.cpp - run fuzzer inputs without libFuzzer -------------===//
//
// The main of the fuzz targets in builds without libFuzzer
// (HMOE_ENABLE_FUZZERS off): runs each file named on the command line, or
// every file of a named directory, through LLVMFuzzerTestOneInput once. The
// regression inputs in test/Fuzz replay this way in every build; a finding
// crashes exactly as it did under libFuzzer. Arguments starting with '-'
// (libFuzzer flags) are ignored so the same command lines work for both.
//
//===----------------------------------------------------------------------===//

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool runFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    llvm::errs() << "error: cannot read '" << path
                 << "': " << buffer.getError().message() << "\n";
    return false;
  }
  llvm::outs() << "Running: " << path << "\n";
  llvm::outs().flush();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()),
                         bytes.size());
  return true;
}

int main(int argc, char **argv) {
  std::vector<std::string> files;
  for (llvm::StringRef arg : llvm::ArrayRef(argv + 1, argc - 1)) {
    if (arg.starts_with("-"))
      continue;
    if (!llvm::sys::fs::is_directory(arg)) {
      files.push_back(arg.str());
      continue;
    }
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(arg, ec), end; it != end && !ec;
         it.increment(ec))
      if (!llvm::sys::fs::is_directory(it->path()))
        files.push_back(it->path());
    if (ec) {
      llvm::errs() << "error: cannot list '" << arg << "': " << ec.message()
                   << "\n";
      return 1;
    }
  }
  // Directory order is the file system's; sort for reproducible logs.
  llvm::sort(files);
  for (const std::string &file : files)
    if (!runFile(file))
      return 1;
  llvm::outs() << "Executed " << files.size() << " inputs\n";
  return 0;
}
