"""Compiles a layer into a folder, loads it, compiles another into the same
folder while the first is loaded, then loads and calls both: the library
hmoe-compile copies beside a layer (libomp) must be replaced, not rewritten
in place under a process that has it mapped."""

import ctypes
import os
import subprocess
import sys

hmoe_compile, layer, out = sys.argv[1:4]
libs = []
for name in ("first", "second"):
    lib = os.path.join(out, f"lib{name}.so")
    subprocess.run([hmoe_compile, layer, "-o", lib], check=True,
                   stdout=subprocess.DEVNULL)
    libs.append(ctypes.CDLL(lib))
    print(f"loaded {name}", flush=True)
for name, lib in zip(("first", "second"), libs):
    lib.hmoe_free.argtypes = [ctypes.c_void_p]
    lib.hmoe_free(None)
    print(f"called {name}", flush=True)
