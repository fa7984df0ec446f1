"""A compiled layer library's two entries side by side on this CPU: the
allocating one (`_mlir_ciface_<f>`, each result a fresh buffer the caller
frees with hmoe_free, as an application calling it per batch does) and the
destination-passing one (`_mlir_ciface_<f>_into`, the results written into
the caller's buffers, reused from call to call; against the allocating
entry followed by the copy into the application's own tensors that it
replaces), and a library built
without the second entry (`into-entries=0`: the code before it existed) for
the allocating entry's own cost.

    PYTHONPATH=python python/.venv/bin/python bench/aot_into.py \
        --hmoe-compile build/bin/hmoe-compile [--tokens 64,1024,4096]

Medians of --reps calls after a warm-up, the three variants taken in turns
(this host's timing drifts); every variant's results are checked equal,
bit for bit, to the allocating entry's.
"""

import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "test", "Integration"))

import bench as benchmod  # noqa: E402
from dispatch import dispatch_inputs, dispatch_mlir  # noqa: E402

DTYPES = {"f32": np.float32, "i32": np.int32, "i64": np.int64}


def signature(mlir, function):
    """[(shape, dtype)] of the inputs and of the results of @function (the
    tensor types of its func.func line; -1 for a dynamic size)."""
    import re
    head = mlir[mlir.index(f"@{function}("):]
    head = head[:head.index("{\n")]
    args, results = head.split("->")

    def types(text):
        out = []
        for dims, elem in re.findall(r"tensor<((?:[0-9?]+x)*)(\w+)>", text):
            shape = [-1 if d == "?" else int(d) for d in dims.split("x")[:-1]]
            out.append((shape, DTYPES[elem]))
        return out
    return types(args), types(results)


def descriptor(array):
    """A memref descriptor of `array` (contiguous): allocated, aligned,
    offset, sizes, strides, as 8-byte words."""
    words = [array.ctypes.data, array.ctypes.data, 0, *array.shape,
             *(s // array.itemsize for s in array.strides)]
    return (ctypes.c_int64 * len(words))(*words)


class Library:
    def __init__(self, path, function, results):
        self.lib = ctypes.CDLL(path)
        self.entry = getattr(self.lib, "_mlir_ciface_" + function)
        self.into = getattr(self.lib, "_mlir_ciface_" + function + "_into",
                            None)
        self.lib.hmoe_free.argtypes = [ctypes.c_void_p]
        self.results = results

    def call(self, args):
        """The allocating entry; returns the results as NumPy copies and
        frees the library's buffers."""
        words = sum(3 + 2 * len(s) for s, _ in self.results)
        out = (ctypes.c_int64 * words)()
        self.entry(out, *args)
        arrays, at = [], 0
        for shape, dtype in self.results:
            rank = len(shape)
            sizes = out[at + 3:at + 3 + rank]
            n = int(np.prod(sizes)) if rank else 1
            buf = (ctypes.c_char * (n * np.dtype(dtype).itemsize)).from_address(
                out[at + 1]) if n else b""
            arrays.append(np.frombuffer(bytes(buf), dtype).reshape(sizes))
            self.lib.hmoe_free(out[at])
            at += 3 + 2 * rank
        return arrays

    def call_only(self, args, out, copy_to=None):
        """The allocating entry as an application calls it per batch: the
        results copied into its own buffers `copy_to` (when given), then
        freed."""
        self.entry(out, *args)
        at = 0
        for i, (shape, _) in enumerate(self.results):
            if copy_to is not None and copy_to[i].nbytes:
                ctypes.memmove(copy_to[i].ctypes.data, out[at + 1],
                               copy_to[i].nbytes)
            self.lib.hmoe_free(out[at])
            at += 3 + 2 * len(shape)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hmoe-compile", required=True)
    p.add_argument("--tokens", default="64,1024,4096")
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--layers", default="W1,W2,G1,dispatch-dropless,"
                   "dispatch-score")
    args = p.parse_args()
    layers = {"W1": (benchmod.W1.mlir(), "w1", benchmod.W1),
              "W2": (benchmod.W2.mlir(), "w2", benchmod.W2),
              "G1": (benchmod.G1_MLIR, "g1", None)}
    for kind in ("dropless", "score"):
        layers["dispatch-" + kind] = (dispatch_mlir(kind), "dispatch", kind)
    work = tempfile.mkdtemp(prefix="hmoe-aot-into-")
    print(f"{'layer':17} {'T':>6} {'before (alloc)':>15} {'alloc':>10} "
          f"{'alloc+copy':>11} {'into':>10} {'into vs alloc+copy':>19} "
          f"{'alloc vs before':>16}")
    for name in args.layers.split(","):
        mlir, function, layer = layers[name]
        src = os.path.join(work, function + ".mlir")
        with open(src, "w") as f:
            f.write(mlir)
        libs = {}
        for variant, options in (("before", "into-entries=0"), ("now", "")):
            out = os.path.join(work, variant, f"lib{function}.so")
            command = [args.hmoe_compile, src, "-o", out,
                       f"--function={function}"]
            if options:
                command.append(f"--pipeline-options={options}")
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            inputs, results = signature(mlir, function)
            libs[variant] = Library(out, function, results)
        for T in (int(t) for t in args.tokens.split(",")):
            rng = np.random.default_rng(T)
            if isinstance(layer, str):
                arrays = list(dispatch_inputs(T))
            elif layer is not None:
                params = layer.random_params(T, 1)
                arrays = [np.ascontiguousarray(params[n], np.float32)
                          for n, _, _ in layer.param_shapes(T)]
            else:
                arrays = [rng.standard_normal((T, 1024)).astype(np.float32),
                          rng.standard_normal((64, 1024)).astype(np.float32)]
            descs = [descriptor(a) for a in arrays]
            call_args = [ctypes.byref(d) for d in descs]
            expected = libs["now"].call(call_args)
            before = libs["before"].call(call_args)
            outs = [np.empty_like(e) for e in expected]
            out_descs = [descriptor(o) for o in outs]
            into_args = call_args + [ctypes.byref(d) for d in out_descs]
            libs["now"].into(*into_args)
            for e, b, o in zip(expected, before, outs):
                if e.tobytes() != b.tobytes() or e.tobytes() != o.tobytes():
                    sys.exit(f"{name} T={T}: the entries' results differ")
            words = sum(3 + 2 * len(s) for s, _ in libs["now"].results)
            scratch = (ctypes.c_int64 * words)()
            runs = {
                "before": lambda: libs["before"].call_only(call_args, scratch),
                "alloc": lambda: libs["now"].call_only(call_args, scratch),
                "alloc+copy": lambda: libs["now"].call_only(call_args, scratch,
                                                            outs),
                "into": lambda: libs["now"].into(*into_args),
            }
            times = {k: [] for k in runs}
            for fn in runs.values():
                fn()
            for _ in range(args.reps):
                for k, fn in runs.items():
                    t0 = time.perf_counter()
                    fn()
                    times[k].append(time.perf_counter() - t0)
            med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
            print(f"{name:17} {T:6} {med['before']:12.3f} ms "
                  f"{med['alloc']:7.3f} ms {med['alloc+copy']:8.3f} ms "
                  f"{med['into']:7.3f} ms "
                  f"{med['alloc+copy'] / med['into']:18.2f}x "
                  f"{med['before'] / med['alloc']:15.2f}x", flush=True)


if __name__ == "__main__":
    main()
