//===- CUDAToolkit.h - finding the CUDA toolkit -----------------*- C++ -*-===//

#ifndef HMOE_CODEGEN_GPU_CUDATOOLKIT_H
#define HMOE_CODEGEN_GPU_CUDATOOLKIT_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::hmoe {

/// The CUDA toolkit to compile kernels with: `option` if set, else the
/// first of $CUDA_HOME, $CUDA_ROOT, $CUDA_PATH and /usr/local/cuda that
/// holds bin/ptxas; empty if none does.
std::string resolveCUDAToolkit(llvm::StringRef option);

/// Reads a chip's name, `sm_<number>` or `sm_<number>a` (architecture-
/// specific): its number into `version`, whether it ends in `a` into
/// `archSpecific`. False, leaving both unspecified, if `name` is neither.
bool parseSMName(llvm::StringRef name, unsigned long long &version,
                 bool &archSpecific);

} // namespace mlir::hmoe

#endif // HMOE_CODEGEN_GPU_CUDATOOLKIT_H
