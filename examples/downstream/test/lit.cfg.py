# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "DOWNSTREAM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.downstream_obj_root, "test")

llvm_config.use_default_substitutions()
# downstream-opt from this build, hmoe-opt from the installed package.
llvm_config.add_tool_substitutions(
    ["downstream-opt", "downstream-capi", "hmoe-opt", "mlir-opt"],
    [config.downstream_tools_dir, config.hmoe_tools_dir, config.llvm_tools_dir])
# The installed dialect and pass plugin.
config.substitutions.append(
    ("%hmoe_plugin", os.path.join(config.hmoe_library_dir, "HMoEPlugin.so")))
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# hmoe built with sanitizers: stock mlir-opt cannot load its plugin.
if "-fsanitize=" in config.cxx_flags:
    config.available_features.add("sanitized")
