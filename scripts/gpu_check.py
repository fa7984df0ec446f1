"""The GPU check: layers compiled ahead of time here, run on a GPU machine
that has no LLVM/MLIR (scripts/gpu-check.sh drives it).

    gpu_check.py prepare --hmoe-compile PATH --out DIR [--target cuda|cpu]
                         [--groups g1,g2,...] [--bench]
        compiles every case of the integration-matrix groups (and, with
        --bench, W1/W2 in f32 and bf16 and G1) to DIR/lib*.so with
        hmoe-compile, and writes DIR/manifest.json.
    gpu_check.py check --dir DIR [--limit N]
        calls each library on the case's seeded inputs (device buffers for
        cuda libraries) and compares with the float64 reference at
        docs/numerics.md's tolerances.
    gpu_check.py bench --dir DIR
        times W1/W2/G1 (CUDA events) against PyTorch eager and
        torch.compile on the same GPU.

Only NumPy is needed to check (PyTorch to benchmark). A library is called
through its packed entry `_mlir_<layer>` (MLIR's ExecutionEngine
convention: a pointer per descriptor word, then one to the results), the
same way hmoe-run --library calls it; --target cpu libraries take host
buffers, so this driver is tested on machines without a GPU
(test/GPU/gpu-check-driver.test).
"""

import argparse
import ctypes
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "test", "Integration"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from hmoe.layer import decode, encode  # noqa: E402
from hmoe.run import compare_with_reference  # noqa: E402

DEFAULT_GROUPS = "gemm,special,shared,penalty"
NUMPY_TYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32,
               "i64": np.int64, "bf16": np.uint16, "f16": np.uint16}


def result_types(mlir, function):
    """[(numpy dtype, rank)] of @function's results, from its signature."""
    m = re.search(r"func\.func @" + re.escape(function) +
                  r"\(.*?\)\s*->\s*\(?([^{]*?)\)?\s*\{", mlir, re.S)
    if not m:
        raise ValueError(f"no signature for @{function}")
    out = []
    for shape, elem in re.findall(r"tensor<((?:[0-9?]+x)*)(\w+)>", m.group(1)):
        out.append((NUMPY_TYPES[elem], shape.count("x")))
    return out


class Library:
    """A layer library made by hmoe-compile, called on NumPy arrays."""

    def __init__(self, path, function, results, target):
        self.lib = ctypes.CDLL(os.path.abspath(path))
        self.entry = getattr(self.lib, "_mlir_" + function)
        self.entry.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self.results = results
        self.cuda = target == "cuda"
        self.lib.hmoe_free.argtypes = [ctypes.c_void_p]
        if self.cuda:
            self.lib.hmoe_cuda_alloc.restype = ctypes.c_void_p
            self.lib.hmoe_cuda_alloc.argtypes = [ctypes.c_size_t]
            self.lib.hmoe_cuda_free.argtypes = [ctypes.c_void_p]
            self.lib.hmoe_cuda_copy.argtypes = [ctypes.c_void_p,
                                                ctypes.c_void_p,
                                                ctypes.c_size_t]
            self.lib.hmoe_cuda_timer_stop.restype = ctypes.c_float
            self.lib.hmoe_cuda_device_name.restype = ctypes.c_char_p

    def upload(self, arrays):
        """Device copies of host arrays (cuda), or the arrays themselves;
        returns (pointers, owned device buffers)."""
        pointers, owned = [], []
        for a in arrays:
            if not self.cuda:
                pointers.append(a.ctypes.data if a.size else 0)
                continue
            ptr = self.lib.hmoe_cuda_alloc(a.nbytes) if a.nbytes else None
            if a.nbytes:
                self.lib.hmoe_cuda_copy(ptr, a.ctypes.data, a.nbytes)
            pointers.append(ptr or 0)
            owned.append(ptr)
        return pointers, owned

    def invoke(self, arrays, pointers):
        """Calls the layer; returns the result descriptor words."""
        words = []
        for a, ptr in zip(arrays, pointers):
            strides = [s // a.itemsize for s in a.strides] if a.size else \
                [int(np.prod(a.shape[i + 1:])) for i in range(a.ndim)]
            words += [ptr, ptr, 0] + list(a.shape) + strides
        arg_words = (ctypes.c_int64 * max(len(words), 1))(*words)
        out_words = (ctypes.c_int64 *
                     sum(3 + 2 * rank for _, rank in self.results))()
        args = (ctypes.c_void_p * (len(words) + 1))()
        base = ctypes.addressof(arg_words)
        for i in range(len(words)):
            args[i] = base + 8 * i
        args[len(words)] = ctypes.addressof(out_words)
        self.entry(args)
        return list(out_words)

    def download(self, words):
        """The results as host arrays (copies)."""
        out, at = [], 0
        for dtype, rank in self.results:
            aligned, offset = words[at + 1:at + 3]
            shape = words[at + 3:at + 3 + rank]
            strides = words[at + 3 + rank:at + 3 + 2 * rank]
            at += 3 + 2 * rank
            item = np.dtype(dtype).itemsize
            if 0 in shape:
                out.append(np.zeros(shape, dtype))
                continue
            span = 1 + sum((n - 1) * s for n, s in zip(shape, strides))
            host = np.empty(span, dtype)
            src = aligned + offset * item
            if self.cuda:
                self.lib.hmoe_cuda_copy(host.ctypes.data, src, span * item)
            else:
                ctypes.memmove(host.ctypes.data, src, span * item)
            out.append(np.lib.stride_tricks.as_strided(
                host, shape, [s * item for s in strides]).copy())
        return out

    def __call__(self, arrays):
        arrays = [np.ascontiguousarray(a) for a in arrays]
        pointers, owned = self.upload(arrays)
        words = self.invoke(arrays, pointers)
        results = self.download(words)
        self.free_results(words, pointers)
        for ptr in owned:
            self.lib.hmoe_cuda_free(ptr)
        return results

    def time(self, arrays, reps):
        """Seconds per call: the median of `reps` timed calls after one
        warm-up, inputs on the device once (CUDA events), results freed."""
        arrays = [np.ascontiguousarray(a) for a in arrays]
        pointers, owned = self.upload(arrays)
        seconds = []
        for r in range(reps + 1):
            if self.cuda:
                self.lib.hmoe_cuda_timer_start()
            start = time.perf_counter()
            words = self.invoke(arrays, pointers)
            elapsed = (self.lib.hmoe_cuda_timer_stop() * 1e-3 if self.cuda
                       else time.perf_counter() - start)
            self.free_results(words, pointers)
            if r:
                seconds.append(elapsed)
        for ptr in owned:
            self.lib.hmoe_cuda_free(ptr)
        return float(np.median(seconds))

    def free_results(self, words, inputs):
        """Frees what the layer allocated (never an input it returned)."""
        at, freed = 0, set(inputs)
        for _, rank in self.results:
            allocated = words[at]
            at += 3 + 2 * rank
            if allocated and allocated not in freed:
                self.lib.hmoe_free(allocated)
                freed.add(allocated)


def compile_layer(hmoe_compile, mlir, function, out, target, workdir):
    path = os.path.join(workdir, function + ".mlir")
    with open(path, "w") as f:
        f.write(mlir)
    subprocess.run([hmoe_compile, f"--target={target}", path, "-o", out,
                    f"--function={function}"], check=True,
                   stdout=subprocess.DEVNULL)


def bench_layers():
    import bench as benchmod
    return {"W1": benchmod.W1, "W2": benchmod.W2}, benchmod.G1_MLIR


def prepare(args):
    from matrix import group_cases
    os.makedirs(args.out, exist_ok=True)
    manifest = {"target": args.target, "cases": [], "bench": []}
    for group in args.groups.split(","):
        cases = group_cases(group)
        if cases is None:
            sys.exit(f"unknown group {group}")
        for name, layer, T, seed, make_params in cases:
            layer.name = "layer"
            file = re.sub(r"[^A-Za-z0-9_.-]", "-", f"{group}-{name}")
            lib = os.path.join(args.out, f"lib{file}.so")
            mlir = layer.mlir()
            compile_layer(args.hmoe_compile, mlir, "layer", lib, args.target,
                          args.out)
            manifest["cases"].append({
                "group": group, "name": name, "lib": os.path.basename(lib),
                "results": [[np.dtype(t).str, r]
                            for t, r in result_types(mlir, "layer")]})
            print(f"compiled {group}/{name}")
    if args.bench:
        layers, g1 = bench_layers()
        for name, layer in layers.items():
            for dtype in ("f32", "bf16"):
                layer.name = name.lower()
                layer.dtype = dtype
                lib = os.path.join(args.out, f"lib{name}-{dtype}.so")
                mlir = layer.mlir()
                compile_layer(args.hmoe_compile, mlir, layer.name, lib,
                              args.target, args.out)
                manifest["bench"].append({
                    "name": name, "dtype": dtype, "function": layer.name,
                    "lib": os.path.basename(lib),
                    "results": [[np.dtype(t).str, r] for t, r in
                                result_types(mlir, layer.name)]})
        lib = os.path.join(args.out, "libG1.so")
        compile_layer(args.hmoe_compile, g1, "g1", lib, args.target, args.out)
        manifest["bench"].append({
            "name": "G1", "dtype": "f32", "function": "g1",
            "lib": "libG1.so",
            "results": [[np.dtype(t).str, r]
                        for t, r in result_types(g1, "g1")]})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"prepared {len(manifest['cases'])} cases and "
          f"{len(manifest['bench'])} benchmark layers in {args.out}")


def results_of(entry):
    return [(np.dtype(t), r) for t, r in entry["results"]]


def check(args):
    from matrix import group_cases
    np.seterr(all="ignore")
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    target = manifest["target"]
    cases = {}
    for entry in manifest["cases"]:
        if entry["group"] not in cases:
            cases[entry["group"]] = {c[0]: c for c in
                                     group_cases(entry["group"])}
    failed = run = 0
    for entry in manifest["cases"][:args.limit or None]:
        name, layer, T, seed, make_params = \
            cases[entry["group"]][entry["name"]]
        layer.name = "layer"
        params = make_params(layer, T, seed) if make_params else \
            layer.random_params(T, seed)
        lib = Library(os.path.join(args.dir, entry["lib"]), "layer",
                      results_of(entry), target)
        inputs = [encode(params[n], t) for n, _, t in layer.param_shapes(T)]
        try:
            got = lib(inputs)
            got[0] = decode(got[0], layer.dtype)
            failures, summary = compare_with_reference(layer, params, got)
        except Exception as e:  # report and go on
            failures, summary = [str(e)], "error"
        run += 1
        failed += bool(failures)
        print(f"{'PASS' if not failures else 'FAIL'}: "
              f"{entry['group']}/{entry['name']} ({target}): {summary}")
        for message in failures:
            print("    " + message)
    print(f"{run - failed} of {run} cases passed")
    return 1 if failed else 0


def bench(args):
    import torch
    import peers as peermod
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    layers, _ = bench_layers()
    fns = peermod.torch_fns()
    device = torch.device("cuda")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")

    def torch_time(fn, tensors, reps):
        for _ in range(2):
            fn(*tensors)
        start, stop = (torch.cuda.Event(enable_timing=True) for _ in range(2))
        times = []
        for _ in range(reps):
            start.record()
            fn(*tensors)
            stop.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(stop) * 1e-3)
        return float(np.median(times))

    print(f"{'workload':10} {'T':>6} {'hmoe':>10} {'eager':>10} "
          f"{'compile':>10}  hmoe vs eager, vs compile")
    for entry in manifest["bench"]:
        name = entry["name"]
        lib = Library(os.path.join(args.dir, entry["lib"]), entry["function"],
                      results_of(entry), manifest["target"])
        for T in [int(t) for t in args.tokens.split(",")]:
            if name == "G1":
                rng = np.random.default_rng(3)
                x = rng.standard_normal((T, 1024)).astype(np.float32)
                g = rng.standard_normal((64, 1024)).astype(np.float32)
                inputs, params = [x, g], {"x": x, "g": g}
            else:
                layer = layers[name]
                layer.dtype = entry["dtype"]
                params = layer.random_params(T, 2)
                inputs = [encode(params[n], t)
                          for n, _, t in layer.param_shapes(T)]
            sec = lib.time(inputs, args.reps)
            dtype = torch.bfloat16 if entry["dtype"] == "bf16" else torch.float32
            tensors = [torch.as_tensor(np.asarray(a, np.float32),
                                       device=device).to(dtype)
                       for a in peermod.peer_weights(name, params, "torch")]
            eager = torch_time(fns[name], tensors, args.reps)
            compiled_fn = torch.compile(fns[name])
            try:
                compiled = torch_time(compiled_fn, tensors, args.reps)
            except Exception as e:  # torch.compile may not handle the loop
                print(f"  torch.compile failed on {name}: {e}")
                compiled = float("nan")
            print(f"{name + '-' + entry['dtype']:10} {T:6} {sec * 1e3:9.3f}ms "
                  f"{eager * 1e3:9.3f}ms {compiled * 1e3:9.3f}ms  "
                  f"{eager / sec:.2f}x, {compiled / sec:.2f}x")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--hmoe-compile", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--target", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--groups", default=DEFAULT_GROUPS)
    p.add_argument("--bench", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("--dir", required=True)
    c.add_argument("--limit", type=int, default=0)
    b = sub.add_parser("bench")
    b.add_argument("--dir", required=True)
    b.add_argument("--tokens", default="1,16,4096")
    b.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    if args.command == "prepare":
        prepare(args)
        return 0
    if args.command == "check":
        return check(args)
    bench(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
