# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "HMOE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".c"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.hmoe_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%hmoe_src_root", config.hmoe_src_root))
config.substitutions.append(("%hmoe_obj_root", config.hmoe_obj_root))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.hmoe_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["hmoe-opt", "hmoe-run", "hmoe-parse-fuzzer", "hmoe-lower-fuzzer",
     "hmoe-npy-fuzzer", "hmoe-mutator-stats", "hmoe-capi-test", "hmoe-compile",
     "mlir-opt", "mlir-runner", "llvm-readelf", "llvm-nm"],
    tool_dirs)

# What mlir-runner loads to print (vector.print) in execution tests.
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(os.path.dirname(config.llvm_tools_dir), "lib",
                  "libmlir_c_runner_utils.so")))

# A sanitizer build's plugin needs the sanitizer runtime in the process that
# loads it, which stock mlir-opt does not have: such tests say
# `UNSUPPORTED: sanitized`.
if config.hmoe_sanitized:
    config.available_features.add("sanitized")

# The CUDA toolkit, found as hmoe-lower-to-nvvm finds it: tests that run
# ptxas say `REQUIRES: cuda-toolkit` (no GPU is needed; CI machines without
# the toolkit skip them).
def find_cuda_toolkit():
    for var in ("CUDA_HOME", "CUDA_ROOT", "CUDA_PATH"):
        if os.environ.get(var):
            yield os.environ[var]
    yield "/usr/local/cuda"


for cuda in find_cuda_toolkit():
    ptxas = os.path.join(cuda, "bin", "ptxas")
    if os.access(ptxas, os.X_OK):
        config.available_features.add("cuda-toolkit")
        config.substitutions.append(("%ptxas", ptxas))
        config.substitutions.append(("%cuda_home", cuda))
        config.substitutions.append(
            ("%cuda_stub", os.path.join(cuda, "lib64", "stubs", "libcuda.so")))
        config.environment["CUDA_HOME"] = cuda
        break

# libhmoe_cuda_runtime.so was built (the toolkit was found at configure
# time): hmoe-compile --target=cuda works. `cuda-driver`: this machine has
# an NVIDIA driver (a GPU), so CUDA layers would really run.
if config.hmoe_cuda_runtime:
    config.available_features.add("cuda-runtime")
try:
    import ctypes
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass

# Expert parallelism runs: hmoe found MPICH at configure time and mpiexec
# is here. Tests that start MPI processes say `REQUIRES: mpi`.
# MPICH's launcher by name: where OpenMPI is installed too, `mpiexec` may
# be OpenMPI's, whose processes would each see a world of one.
mpiexec = next(filter(None, map(shutil.which, (
    "mpiexec.hydra", "mpiexec.mpich", "mpiexec"))), None)
if config.hmoe_mpi and mpiexec:
    config.available_features.add("mpi")
    config.substitutions.append(("%mpiexec", mpiexec))
    # scripts/sanitize.sh turns UCX's mmap hook off (it breaks ASan).
    llvm_config.with_system_environment(["UCX_MEM_MMAP_HOOK_MODE"])
# The Python package as built (the extension hmoe._hmoe): not in a
# sanitizer build (lib/CMakeLists.txt). Tests that import it say
# `REQUIRES: python-package`.
python_packages = os.path.join(config.hmoe_obj_root, "python_packages")
if os.path.isdir(os.path.join(python_packages, "hmoe")):
    config.available_features.add("python-package")
    config.substitutions.append(("%hmoe_packages", python_packages))

# The dialect and pass plugin for stock mlir-opt (test/Plugin).
config.substitutions.append(
    ("%hmoe_plugin", os.path.join(config.hmoe_obj_root, "lib", "HMoEPlugin.so")))

# The integration tests drive hmoe-run from Python (NumPy reference in
# python/hmoe).
config.substitutions.append(("%python", config.python_executable))
# The C compiler hmoe was built with (hmoe-compile's test builds a C caller).
config.substitutions.append(("%cc", config.c_compiler))
config.environment["PYTHONPATH"] = os.path.join(config.hmoe_src_root, "python")
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# The host's AVX-512 BF16 (Linux): tests that run code compiled for a named
# AVX-512 BF16 CPU, whatever the host's own schedule, say
# `REQUIRES: host-avx512bf16`.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split()
                      for line in cpuinfo if line.startswith("flags")), [])
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd",
            "avx512_vnni", "avx512_bf16"} <= set(flags):
        config.available_features.add("host-avx512bf16")
except OSError:
    pass
