/* A C program against the installed C API (libHMoE-C.so): parse a layer
 * given on the command line, verify it and lower it to the LLVM dialect. */

#include "hmoe-c/Dialect.h"
#include "hmoe-c/Layer.h"
#include "mlir-c/IR.h"

#include <stdio.h>

static void print(MlirStringRef str, void *file) {
  fwrite(str.data, 1, str.length, (FILE *)file);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: downstream-capi '<module text>'\n");
    return 2;
  }
  MlirContext ctx = mlirContextCreate();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  hmoeRegisterPipelineDialects(registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(argv[1]));
  if (mlirModuleIsNull(module) ||
      mlirLogicalResultIsFailure(hmoeLowerToCPU(
          module, mlirStringRefCreateFromCString("target-cpu=x86-64")))) {
    fprintf(stderr, "failed\n");
    return 1;
  }
  mlirOperationPrint(mlirModuleGetOperation(module), print, stdout);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return 0;
}
