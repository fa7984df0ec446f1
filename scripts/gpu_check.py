"""The GPU check: layers compiled ahead of time here, run on a GPU machine
that has no LLVM/MLIR (scripts/gpu-check.sh drives it).

    gpu_check.py prepare --hmoe-compile PATH --out DIR [--target cuda|cpu]
                         [--groups g1,g2,...] [--bf16-groups g1,...]
                         [--tf32-groups g1,...] [--bench]
        compiles every case of the integration-matrix groups, those of the
        bf16 groups in bf16 too (for cuda on tensor cores, the default, and
        once more on the threads' GEMMs: tensor-cores=0), those of the TF32
        groups in f32 with tf32 (for cpu emulated: gpu-mapped tensor-cores
        tf32),
        and, with --bench, W1/W2 in f32 and bf16 (bf16 also on tensor
        cores, f32 also in TF32) and G1, to DIR/lib*.so with hmoe-compile, and writes
        DIR/manifest.json.
    gpu_check.py check --dir DIR [--limit N]
        calls each library on the case's seeded inputs (device buffers for
        cuda libraries) and compares with the float64 reference at
        docs/numerics.md's tolerances.
    gpu_check.py guards --dir DIR
        calls the stage functions of test/Tools/Inputs/stages.mlir (compiled
        by prepare) with index operands in and out of range, each in a
        process of its own: in range must return, out of range must end
        the process with a run-time check's report (on the GPU a device
        assert: CUDA_ERROR_ASSERT), never return results.
    gpu_check.py bench --dir DIR [--tokens 1,16,4096] [--device cuda|cpu]
        measures the device's copy bandwidth and dense bf16/f32 GEMM rates,
        times W1/W2 (f32 and bf16) and G1 (CUDA events) against PyTorch
        eager and torch.compile on the same GPU and against each one's
        floor (bytes / bandwidth, FLOPs / dense rate), and W1's expert stage
        alone (bf16) against the dense bf16 rate.

Only NumPy is needed to check (PyTorch to benchmark). A library is called
through its packed entry `_mlir_<layer>` (MLIR's ExecutionEngine
convention: a pointer per descriptor word, then one to the results), the
same way hmoe-run --library calls it; --target cpu libraries take host
buffers, so this driver is tested on machines without a GPU
(test/GPU/gpu-check-driver.test).
"""

import argparse
import ctypes
import functools
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
sys.path.insert(0, os.path.join(ROOT, "bench", "routes"))

from hmoe.layer import decode, encode  # noqa: E402
from hmoe.run import compare_with_reference  # noqa: E402
from dispatch import (DISPATCH_EXPERTS, DISPATCH_K,  # noqa: E402
                      DISPATCH_KINDS, check_dispatch, dispatch_capacity,
                      dispatch_inputs, dispatch_mlir, dispatch_reference)

DEFAULT_GROUPS = "gemm,special,shared,penalty"
DEFAULT_BF16_GROUPS = "gemm,shared"
# The staged tensor-core GEMMs' options (32-bit shared addresses: without
# them wide/ffn_512's expert kernel spilled on sm_80).
STAGED = "warp-stage-bytes=128 short-pointers"
WGMMA = "warp-wgmma chip=sm_90a"
THREAD_STAGED = "thread-stage-bytes=128 block-rows=64"
THREAD_STAGED2 = THREAD_STAGED + " thread-stages=2"
DEFAULT_TF32_GROUPS = "gemm,wide"
NUMPY_TYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32,
               "i64": np.int64, "bf16": np.uint16, "f16": np.uint16}


# Index operands from a caller (not from the layer's own dispatch), in and
# out of range: (stage function of test/Tools/Inputs/stages.mlir, its
# arguments, and the arguments to replace for each bad call).
def _guard_cases():
    f32, i32 = np.float32, np.int32
    so = np.array([[0, 1], [2, -1], [5, 4]], i32)
    plan = [np.ones((3, 8), f32), np.array([0, 2, 1, 0, 2, 1], i32),
            np.array([0, 2, 3, 3, 6], i32), np.ones((4, 8, 8), f32)]
    return [
        ("dispatch", [np.array([[0, 1], [3, 2]], i32)],
         {"expert 4 of 4": {0: np.array([[0, 1], [4, 2]], i32)}}),
        ("combine", [np.ones((6, 8), f32), so, np.ones((3, 2), f32)],
         {"slot 6 of 6": {1: np.where(so == 5, 6, so).astype(i32)},
          "slot -2": {1: np.where(so == 1, -2, so).astype(i32)}}),
        ("experts", plan,
         {"token 3 of 3": {1: np.array([0, 2, 3, 0, 2, 1], i32)},
          "offsets past the slots": {2: np.array([0, 2, 3, 3, 7], i32)},
          "offsets going down": {2: np.array([0, 3, 2, 3, 6], i32)}}),
    ]


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


def descriptor_words(rank):
    """Words of a rank-`rank` memref descriptor: allocated and aligned
    pointers, offset, sizes, strides (hmoe/Support/MemRefDescriptor.h)."""
    return 3 + 2 * rank


class Library:
    """A layer library made by hmoe-compile, called on NumPy arrays."""

    def __init__(self, path, function, results, target):
        self.lib = ctypes.CDLL(os.path.abspath(path))
        self.entry = getattr(self.lib, "_mlir_" + function)
        self.entry.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        # The destination-passing entry (hmoe-add-into-entries), if any.
        self.into = getattr(self.lib, "_mlir_" + function + "_into", None)
        if self.into is not None:
            self.into.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
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

    @staticmethod
    def descriptors(arrays, pointers):
        """The memref descriptor words of dense `arrays` at `pointers`."""
        words = []
        for a, ptr in zip(arrays, pointers):
            strides = [s // a.itemsize for s in a.strides] if a.size else \
                [int(np.prod(a.shape[i + 1:])) for i in range(a.ndim)]
            words += [ptr, ptr, 0] + list(a.shape) + strides
        return words

    def invoke(self, arrays, pointers):
        """Calls the layer; returns the result descriptor words."""
        words = self.descriptors(arrays, pointers)
        arg_words = (ctypes.c_int64 * max(len(words), 1))(*words)
        out_words = (ctypes.c_int64 *
                     sum(descriptor_words(rank)
                         for _, rank in self.results))()
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
            at += descriptor_words(rank)
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

    def time_into(self, arrays, reps):
        """As `time`, through the layer's _into entry: the results written
        into buffers made once (device memory for CUDA), as an application
        reusing its output tensors calls it; None without that entry."""
        if self.into is None:
            return None
        arrays = [np.ascontiguousarray(a) for a in arrays]
        pointers, owned = self.upload(arrays)
        # One allocating call for the results' shapes.
        first = self.invoke(arrays, pointers)
        shapes = [r.shape for r in self.download(first)]
        self.free_results(first, pointers)
        outs = [np.empty(shape, dtype)
                for shape, (dtype, _) in zip(shapes, self.results)]
        out_pointers, out_owned = self.upload(outs)
        words = self.descriptors(arrays + outs, pointers + out_pointers)
        arg_words = (ctypes.c_int64 * max(len(words), 1))(*words)
        args = (ctypes.c_void_p * max(len(words), 1))()
        for i in range(len(words)):
            args[i] = ctypes.addressof(arg_words) + 8 * i
        seconds = []
        for r in range(reps + 1):
            if self.cuda:
                self.lib.hmoe_cuda_timer_start()
            start = time.perf_counter()
            self.into(args)
            elapsed = (self.lib.hmoe_cuda_timer_stop() * 1e-3 if self.cuda
                       else time.perf_counter() - start)
            if r:
                seconds.append(elapsed)
        for ptr in owned + out_owned:
            self.lib.hmoe_cuda_free(ptr)
        return float(np.median(seconds))

    def free_results(self, words, inputs):
        """Frees what the layer allocated (never an input it returned)."""
        at, freed = 0, set(inputs)
        for _, rank in self.results:
            allocated = words[at]
            at += descriptor_words(rank)
            if allocated and allocated not in freed:
                self.lib.hmoe_free(allocated)
                freed.add(allocated)


def compile_layer(hmoe_compile, mlir, function, out, target, workdir,
                  pipeline_options=None):
    path = os.path.join(workdir, function + ".mlir")
    with open(path, "w") as f:
        f.write(mlir)
    command = [hmoe_compile, f"--target={target}", path, "-o", out,
               f"--function={function}"]
    if pipeline_options:
        command.append(f"--pipeline-options={pipeline_options}")
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def bench_layers():
    import bench as benchmod
    return {"W1": benchmod.W1, "W2": benchmod.W2}, benchmod.G1_MLIR


def experts_mlir(dtype):
    """bench.py's W1 expert stage alone (hmoe.experts on a dispatch plan),
    tokens and weights in `dtype`; the output is f32 (hmoe.experts
    accumulates and returns f32)."""
    t = {"f32": "f32", "bf16": "bf16"}[dtype]
    return f"""
func.func @experts(%x: tensor<?x512x{t}>, %st: tensor<?xi32>,
                   %off: tensor<33xi32>, %w1: tensor<32x1024x512x{t}>,
                   %w2: tensor<32x512x1024x{t}>) -> tensor<?x512xf32> {{
  %o = hmoe.experts %x : tensor<?x512x{t}>, %st : tensor<?xi32>,
      %off : tensor<33xi32>
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 1024>,
              w1 %w1 : tensor<32x1024x512x{t}>,
              w2 %w2 : tensor<32x512x1024x{t}>)
      -> tensor<?x512xf32>
  return %o : tensor<?x512xf32>
}}
"""


def experts_inputs(T, dtype, seed=7):
    """A dispatch plan for W1's expert stage: K = 4 random experts of 32 per
    token, grouped by expert (as hmoe.dispatch would)."""
    import bench as benchmod
    rng = np.random.default_rng(seed)
    K = 4
    experts = rng.integers(0, 32, (T, K))
    slot_token = (np.argsort(experts.reshape(-1), kind="stable") // K
                  ).astype(np.int32)
    counts = np.bincount(experts.reshape(-1), minlength=32)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    params = benchmod.W1.random_params(T, 2)
    x, w1, w2 = (encode(params[n], dtype) for n in ("x", "w1", "w2"))
    return [x, slot_token, offsets, w1, w2], 2 * 2 * T * K * 512 * 1024


def device_limits(torch, device):
    """Measured limits of `device`: copy bandwidth (bytes/s, a 1 GiB
    device-to-device copy), dense GEMM rates (FLOP/s, 8192^3, bf16, f32
    without TF32, and f32 with TF32 allowed; on a CPU the last is f32's)."""
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def timed(fn, reps=5):
        fn()
        sync()
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    n = (1 << 28) if cuda else (1 << 22)
    a = torch.ones(n, dtype=torch.float32, device=device)
    b = torch.empty_like(a)
    bandwidth = 2 * 4 * n / timed(lambda: b.copy_(a))
    del a, b
    m = 8192 if cuda else 512
    x = torch.randn(m, m, device=device, dtype=torch.bfloat16)
    bf16 = 2 * m ** 3 / timed(lambda: x @ x)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
    y = x.float()
    f32 = 2 * m ** 3 / timed(lambda: y @ y)
    tf32 = f32
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        tf32 = 2 * m ** 3 / timed(lambda: y @ y)
        torch.backends.cuda.matmul.allow_tf32 = False
    return bandwidth, bf16, f32, tf32


def layer_floor(name, layer, T, dtype, limits, tf32=False):
    """max(compulsory bytes / bandwidth, FLOPs / the dense rate of the
    weights' type, f32 at the TF32 rate with `tf32`), bench.py's byte and
    FLOP counts (bf16: half the bytes)."""
    import bench as benchmod
    bandwidth, bf16, f32, tf32_rate = limits
    if tf32:
        f32 = tf32_rate
    if name == "G1":
        flops = 3 * T * 64 * 1024
        nbytes = 4 * (T * 1024 + 64 * 1024 + T * 4)
    else:
        flops = T * benchmod.layer_flops(layer)
        nbytes = benchmod.layer_bytes(layer, T) * (0.5 if dtype == "bf16"
                                                   else 1.0)
    return max(flops / (bf16 if dtype == "bf16" else f32), nbytes / bandwidth)


def prepare(args):
    from matrix import group_cases
    os.makedirs(args.out, exist_ok=True)
    manifest = {"target": args.target, "cases": [], "bench": []}
    # (group, dtype or None, pipeline options or None): the groups as the
    # matrix has them, the bf16 groups as compiled by default (for cuda on
    # tensor cores) and, for cuda, on the threads' GEMMs too, the TF32
    # groups' f32 layers with their expert GEMMs on tensor cores in TF32
    # (on the CPU, the same schedule emulated).
    builds = [(g, None, None) for g in args.groups.split(",")]
    for group in filter(None, args.bf16_groups.split(",")):
        builds.append((group, "bf16", None))
        if args.target == "cuda":
            builds.append((group, "bf16", "tensor-cores=0"))
    # The tensor-core GEMMs' A and B staged in workgroup memory, two
    # stages filled by cp.async (not yet the default): checked against the
    # reference, and (wide/ffn_512: past 48 KB, dynamic workgroup memory)
    # memcheck's and racecheck's case for the copies and barriers.
    if args.target == "cuda":
        for group in ("gemm", "wide"):
            builds.append((group, "bf16", STAGED))
        # The fragments read by ldmatrix from the staged tiles.
        builds.append(("wide", "bf16", STAGED + " warp-ldmatrix"))
        # Warpgroup MMA (sm_90a: H100 and H200): wide's expert GEMMs as
        # wgmma steps reading the tiles through descriptors (stop 42;
        # checked on the CPU only against an emulation of the hardware's
        # 128-byte swizzle, so this is the check of that model).
        builds.append(("wide", "bf16", STAGED + " " + WGMMA))
        # And with 4 stages (copies 3 K tiles ahead; 164864 bytes).
        builds.append(("wide", "bf16", STAGED + " " + WGMMA + " warp-stages=4"))
    # The threads' contractions (routing GEMMs, f32 expert GEMMs) reading
    # K tiles the block's threads copy into workgroup memory, blocks of 64
    # tokens (thread-stage-bytes, block-rows; stop 43; not the default
    # until timed): against the reference, and racecheck's case for the
    # copies and the barriers around them; with two stages too (the next K
    # tile's cp.async copies in flight while the threads read this one).
    if args.target == "cuda":
        builds.append(("gemm", None, THREAD_STAGED))
        builds.append(("gemm", None, THREAD_STAGED2))
    # Routes in kernels of their own (fuse-routes=0, stop 44; not the
    # default until timed): against the reference.
    if args.target == "cuda":
        builds.append(("gemm", None, "fuse-routes=0"))
    # Every route that fits on a warp per token (stop 47; by default only
    # those over more than 128 experts): the shuffles on the device.
    if args.target == "cuda":
        builds.append(("warp", None, "warp-route-experts=0"))
    tf32 = "tf32" if args.target == "cuda" else "gpu-mapped tensor-cores tf32"
    for group in filter(None, args.tf32_groups.split(",")):
        builds.append((group, "f32", tf32))
        # Split TF32 (3xTF32, not the default until timed): the same
        # layers at f32's own tolerance, on the GPU's tensor cores.
        if args.target == "cuda":
            builds.append((group, "f32", "split-tf32"))
    # Split TF32's routing scores on tensor cores (the warp_gates group:
    # Laplace, Gaussian and linear score GEMMs that fit the warps).
    if args.target == "cuda":
        builds.append(("warp_gates", "f32", "split-tf32"))
    # A race on purpose: wide/ffn_512 staged without the barrier per K
    # tile (warp-test-drop-barrier), for racecheck to report (gpu-check.sh
    # stage 2; else its clean racecheck of the staged kernels would prove
    # nothing). Listed apart from the cases: its results may be wrong.
    # (group, dtype, variant, the one case to build or None for all, the
    # manifest's list it goes to)
    lists = [b + (None, "cases") for b in builds]
    # Capacity in score order on the device (stop 46: a thread per
    # assignment counting its expert's larger weights, in place of one
    # thread's radix selects): ties, long experts, group-limited and
    # per-group layers.
    if args.target == "cuda":
        for name in ("capacity/score/equal_weights", "capacity/score/long",
                     "capacity/score/long_equal_weights",
                     "capacity/score/ceil/group_limited/c=0.5/T=40",
                     "capacity/score/hi_moe/per_group/c=0.9/T=23"):
            lists.append(("capacity", None, None, name, "cases"))
    if args.target == "cuda":
        lists.append(("wide", "bf16", STAGED + " warp-test-drop-barrier",
                      "wide/ffn_512", "races"))
    manifest["races"] = []
    for group, dtype, variant, only, into in lists:
        cases = group_cases(group)
        if cases is None:
            sys.exit(f"unknown group {group}")
        if only and only not in [case[0] for case in cases]:
            sys.exit(f"no case {only} in group {group}")
        for name, layer, T, seed, make_params in cases:
            if only and name != only:
                continue
            layer.name = "layer"
            if dtype:
                layer.dtype = dtype
            tag = "-".join(filter(None, [group, name, dtype, variant]))
            file = re.sub(r"[^A-Za-z0-9_.-]", "-", tag)
            lib = os.path.join(args.out, f"lib{file}.so")
            mlir = layer.mlir()
            compile_layer(args.hmoe_compile, mlir, "layer", lib, args.target,
                          args.out, variant)
            entry = {"group": group, "name": name,
                     "lib": os.path.basename(lib),
                     "results": [[np.dtype(t).str, r]
                                 for t, r in result_types(mlir, "layer")]}
            if dtype:
                entry["dtype"] = dtype
            if variant:
                entry["variant"] = variant
            manifest[into].append(entry)
            print(f"compiled {tag}")
    if args.bench:
        def add_bench(name, dtype, function, mlir, lib_name, variant=None):
            """Compiles one benchmark library (with `variant` as pipeline
            options) and lists it in the manifest."""
            lib = os.path.join(args.out, lib_name)
            # Benchmarks run on H100/H200 only: an sm_90a image (half the
            # default fatbin, whose sm_80 image and PTX took the prepared
            # directory to 63 of the 64 MiB a device call may carry).
            options = variant or ""
            if args.target == "cuda" and "chip=" not in options:
                options = (options + " chip=sm_90a").strip()
            compile_layer(args.hmoe_compile, mlir, function, lib, args.target,
                          args.out, options)
            entry = {"name": name, "dtype": dtype, "function": function}
            if variant:
                entry["variant"] = variant
            if m := re.search(r"chip=(\S+)", options):
                entry["chip"] = m.group(1)
            entry["lib"] = lib_name
            entry["results"] = [[np.dtype(t).str, r]
                                for t, r in result_types(mlir, function)]
            manifest["bench"].append(entry)

        layers, g1 = bench_layers()
        mlirs = {}
        for name, layer in layers.items():
            for dtype in ("f32", "bf16"):
                layer.name = name.lower()
                layer.dtype = dtype
                mlirs[name, dtype] = layer.mlir()
                add_bench(name, dtype, layer.name, mlirs[name, dtype],
                          f"lib{name}-{dtype}.so")
        # The expert stage alone with bf16 weights: the grouped GEMMs' rate.
        add_bench("W1-experts", "bf16", "experts", experts_mlir("bf16"),
                  "libW1-experts-bf16.so")
        add_bench("G1", "f32", "g1", g1, "libG1.so")
        for kind in DISPATCH_KINDS:
            add_bench(f"dispatch-{kind}", "f32", "dispatch",
                      dispatch_mlir(kind), f"libdispatch-{kind}.so")
        # Routing alone on router logits (bench/routes): DeepSeek-V3's
        # (256 experts: a warp per token by default, warp-route-experts)
        # and G1's (64: a thread per token), each also the other way
        # (stop 47: the warp's lanes share the experts in registers, where
        # a thread kept 2 KB of arrays in local memory), and R256's warp
        # route with ptxas's own register budget (the default gives
        # kernels with per-thread arrays, here the winners' few,
        # .minnctapersm 1).
        from route_bench import route_cases
        for route, (mlir, _) in route_cases(1).items():
            add_bench(f"route-{route}", "f32", "route", mlir,
                      f"libroute-{route}.so")
            if args.target != "cuda":
                continue
            others = ({"threads": "warp-route-experts=-1",
                       "ptxas": "local-array-min-blocks-per-sm=0"}
                      if route == "R256" else {"warp": "warp-route-experts=0"})
            for suffix, other in others.items():
                add_bench(f"route-{route}", "f32", "route", mlir,
                          f"libroute-{route}-{suffix}.so", other)
        if args.target == "cuda":
            # bf16 on the threads' GEMMs against tensor cores (mma.sync,
            # the default).
            for name in layers:
                add_bench(name, "bf16", name.lower(), mlirs[name, "bf16"],
                          f"lib{name}-bf16-threads.so", "tensor-cores=0")
            add_bench("W1-experts", "bf16", "experts", experts_mlir("bf16"),
                      "libW1-experts-bf16-threads.so", "tensor-cores=0")
            # The tensor-core kernel A/Bs, W1 and its expert stage each:
            # each K step's fragments loaded right before its mma.sync
            # (stop 26) against the default (fragments one step ahead;
            # stop 36 settled the others of that time: one 16-row tile
            # per warp, gathers into scratch, element-wise copies, whose
            # libraries no longer travel), and each lane's fragments loaded
            # as 4-byte registers in the PTX ISA's K order (stop 37) against
            # runs of 8 bytes (the default), and
            # A and B staged in workgroup memory per K tile of 64 and 128
            # bytes of a row, double-buffered by cp.async (stops 39-41; the
            # stages carried across output tiles since stop 41; not the
            # default until timed; 128 halves to 64 where two stages pass
            # 80 KB, as W1's do), the fragments then read by ldmatrix from
            # swizzled, unpadded tiles (ldm64, and ldm128, which fits 80 KB
            # unpadded; stop 41; ldm128np without the fragments prefetched
            # a K step ahead within a K tile, as stop 40's staged loop),
            # the warpgroups' wgmma steps on those tiles (wgmma; stop 42),
            # both with 4 stages, copies 3 K tiles ahead, one block an SM
            # (wgmma4, ldm128s4; stop 42),
            # and the default with 32-bit shared and local addresses
            # (short-pointers; stop 40).
            for suffix, variant in (
                    ("noprefetch", "warp-prefetch=0"),
                    ("loads4", "warp-load-bytes=4"),
                    ("stage32", "warp-stage-bytes=32 short-pointers"),
                    ("stage64", "warp-stage-bytes=64 short-pointers"),
                    ("ldm64", "warp-stage-bytes=64 short-pointers "
                              "warp-ldmatrix"),
                    ("ldm128", "warp-stage-bytes=128 short-pointers "
                               "warp-ldmatrix"),
                    ("ldm128np", "warp-stage-bytes=128 short-pointers "
                                 "warp-ldmatrix warp-prefetch=0"),
                    ("wgmma", STAGED + " " + WGMMA),
                    ("wgmma4", STAGED + " " + WGMMA + " warp-stages=4"),
                    ("ldm128s4", STAGED + " warp-ldmatrix warp-stages=4"),
                    ("short", "short-pointers")):
                add_bench("W1", "bf16", "w1", mlirs["W1", "bf16"],
                          f"libW1-bf16-tc-{suffix}.so", variant)
                add_bench("W1-experts", "bf16", "experts",
                          experts_mlir("bf16"),
                          f"libW1-experts-bf16-tc-{suffix}.so", variant)
            # (The threads' A/Bs of stops 32-34, gathers copied first, one
            # column per K step, a row per thread and 4-byte loads, were
            # timed on an H200 at stop 36 and each default kept,
            # bench/RESULTS.md; their libraries no longer travel, to leave
            # room under the device call's 64 MiB.)
            # The threads' GEMMs from K tiles in workgroup memory
            # (tstage: thread-stage-bytes=128, stop 43), with blocks of 64
            # tokens (tstage64; rows64 alone): G1's routing GEMM (2 x 2
            # register tiles reading B's rows from L1, 5% of the f32 rate
            # at stop 36), W1 f32 and its expert stage on the threads; and
            # with two stages (tstage64s2: cp.async copies of the next K
            # tile while this one is read).
            for suffix, variant in (("tstage", "thread-stage-bytes=128"),
                                    ("tstage64", THREAD_STAGED),
                                    ("tstage64s2", THREAD_STAGED2),
                                    ("rows64", "block-rows=64")):
                add_bench("G1", "f32", "g1", g1, f"libG1-f32-{suffix}.so",
                          variant)
                add_bench("W1", "f32", "w1", mlirs["W1", "f32"],
                          f"libW1-f32-{suffix}.so", variant)
            add_bench("W1-experts", "bf16", "experts", experts_mlir("bf16"),
                      "libW1-experts-bf16-threads-tstage.so",
                      "tensor-cores=0 thread-stage-bytes=128")
            add_bench("W2", "bf16", "w2", mlirs["W2", "bf16"],
                      "libW2-bf16-tc-stage64.so",
                      "warp-stage-bytes=64 short-pointers")
            # f32 with the expert GEMMs in TF32 (the opt-in) against exact
            # f32.
            for name in layers:
                add_bench(name, "f32", name.lower(), mlirs[name, "f32"],
                          f"lib{name}-f32-tf32.so", "tf32")
            add_bench("W1", "f32", "w1", mlirs["W1", "f32"],
                      "libW1-f32-tf32-loads4.so", "tf32 warp-load-bytes=4")
            # And split TF32 (three m16n8k8 steps per step, f32's
            # accuracy): against exact f32 (its floor) and plain TF32.
            for name in layers:
                add_bench(name, "f32", name.lower(), mlirs[name, "f32"],
                          f"lib{name}-f32-split-tf32.so", "split-tf32")
            # And G1: its Laplace distance GEMM (the routing kernel's 3.28
            # of 3.43 ms at T = 65536, stop 36) on tensor cores.
            add_bench("G1", "f32", "g1", g1, "libG1-f32-split-tf32.so",
                      "split-tf32")
            # The register budget A/B: G1 (routing) and W1 bf16 with a
            # budget for 2 blocks per SM in every kernel, and G1 with
            # ptxas's own choice in its routing kernels too (the default
            # budgets those with per-thread arrays, which ptxas spilled).
            add_bench("G1", "f32", "g1", g1, "libG1-f32-occ2.so",
                      "min-blocks-per-sm=2")
            add_bench("G1", "f32", "g1", g1, "libG1-f32-ptxas.so",
                      "local-array-min-blocks-per-sm=0")
            # And on the staged, double-buffered routing GEMM (stop 44:
            # at 128 registers, 2 blocks of 64 tokens an SM, ptxas spills
            # nothing in G1's routing kernel on sm_90a).
            add_bench("G1", "f32", "g1", g1, "libG1-f32-tstage64s2occ2.so",
                      THREAD_STAGED2 + " local-array-min-blocks-per-sm=2")
            # G1's route in a kernel of its own (fuse-routes=0, stop 44):
            # the fused kernel routes one token per thread, 16 (or 64) of
            # 256 threads busy after the GEMM, and its per-token arrays
            # hold it to one block an SM; unfused, the GEMM kernel takes 72
            # registers and the route's every thread routes a token (the
            # scores, 16.8 MB at T = 65536, written and read back).
            # (Stop 45: its route kernel, its arrays now registers, takes
            # 162 registers, 128 without spills under a budget for 2
            # blocks an SM: unfused-occ2.)
            # (Stop 47: G1's route on a warp per token, fused and in its
            # own kernel, which then takes 32 registers, not 162.)
            for suffix, variant in (("unfused", "fuse-routes=0"),
                                    ("unfused-occ2", "fuse-routes=0 "
                                     "local-array-min-blocks-per-sm=2"),
                                    ("unfused-tstage64s2",
                                     "fuse-routes=0 " + THREAD_STAGED2),
                                    ("warp", "warp-route-experts=0"),
                                    ("unfused-warp", "fuse-routes=0 "
                                     "warp-route-experts=0")):
                add_bench("G1", "f32", "g1", g1, f"libG1-f32-{suffix}.so",
                          variant)
            # The routing kernels' per-token arrays left in local memory
            # (thread-array-elements=0) against the default, which makes
            # them registers (stop 45: G1's fused routing kernel had an
            # 832-byte stack frame, W2's group-limited one 712; now none).
            add_bench("G1", "f32", "g1", g1, "libG1-f32-localarrays.so",
                      "thread-array-elements=0")
            add_bench("W2", "bf16", "w2", mlirs["W2", "bf16"],
                      "libW2-bf16-localarrays.so", "thread-array-elements=0")
            # W2 bf16 and the f32 layers too: the budget is not the
            # default until every layer has been timed with it (stop 36:
            # W1 bf16 7% and G1 14% faster; stop 37, ptxas: W2 f32's
            # kernel_3 spills 20 bytes under it on sm_90a).
            for name, dtype in (("W1", "bf16"), ("W2", "bf16"),
                                ("W1", "f32"), ("W2", "f32")):
                add_bench(name, dtype, name.lower(), mlirs[name, dtype],
                          f"lib{name}-{dtype}-occ2.so", "min-blocks-per-sm=2")
            # The combine's columns cyclic over a warp's lanes (the
            # default) against a block of adjacent columns per thread, and
            # against one column at a time (cols1: each lane's 4-byte
            # loads, the weights loaded per column; before stop 38's
            # 16-byte groups).
            for name in layers:
                add_bench(name, "bf16", name.lower(), mlirs[name, "bf16"],
                          f"lib{name}-bf16-blockedcols.so",
                          "cyclic-columns=0")
                add_bench(name, "bf16", name.lower(), mlirs[name, "bf16"],
                          f"lib{name}-bf16-cols1.so",
                          "cyclic-group-bytes=4")
    # The run-time checks of index operands from a caller (on the GPU in
    # kernels: a device assert), each call with one bad operand.
    manifest["guards"] = []
    stages_path = os.path.join(ROOT, "test", "Tools", "Inputs", "stages.mlir")
    with open(stages_path) as f:
        stages = f.read()
    for function, arguments, bad in _guard_cases():
        lib = f"libguard-{function}.so"
        # (H100/H200 only, as the benchmarks: an sm_90a image.)
        compile_layer(args.hmoe_compile, stages, function,
                      os.path.join(args.out, lib), args.target, args.out,
                      "chip=sm_90a" if args.target == "cuda" else None)
        results = [[np.dtype(t).str, r]
                   for t, r in result_types(stages, function)]
        calls = [("in range", {})] + list(bad.items())
        for what, replaced in calls:
            inputs = [replaced.get(i, a) for i, a in enumerate(arguments)]
            npz = re.sub(r"[^A-Za-z0-9_.-]", "-", f"guard-{function}-{what}")
            np.savez(os.path.join(args.out, npz + ".npz"), *inputs)
            manifest["guards"].append(
                {"function": function, "what": what, "lib": lib,
                 "inputs": npz + ".npz", "results": results,
                 "fails": bool(replaced)})
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
    listed = manifest.get("races", []) if args.races else manifest["cases"]
    entries = [(i, e) for i, e in enumerate(listed)
               if re.search(args.match, e["lib"])
               and runs_here(e, manifest)][:args.limit or None]
    if args.only is not None:
        entries = [(args.only, listed[args.only])]
    if not entries:
        # A --match that names nothing (a renamed library) is no pass.
        print(f"no case matches {args.match!r}")
        return 1
    if args.isolate:
        return check_isolated(args, entries)
    # The matrix's cases of the groups the entries run (each group once).
    cases = {}
    for _, entry in entries:
        if entry["group"] not in cases:
            cases[entry["group"]] = {c[0]: c for c in
                                     group_cases(entry["group"])}
    failed = run = 0
    for _, entry in entries:
        name, layer, T, seed, make_params = \
            cases[entry["group"]][entry["name"]]
        layer.name = "layer"
        if entry.get("dtype"):
            layer.dtype = entry["dtype"]
        # (A library that cannot be loaded ends the process: check
        # --isolate reports it as that case's failure.)
        lib = Library(os.path.join(args.dir, entry["lib"]), "layer",
                      results_of(entry), target)
        try:
            params = make_params(layer, T, seed) if make_params else \
                layer.random_params(T, seed)
            inputs = [encode(params[n], t)
                      for n, _, t in layer.param_shapes(T)]
            got = lib(inputs)
            got[0] = decode(got[0], layer.dtype)
            failures, summary = compare_with_reference(
                layer, params, got,
                tf32="tf32" in entry.get("variant", "").split())
        except Exception as e:  # report and go on
            failures, summary = [str(e)], "error"
        run += 1
        failed += bool(failures)
        how = ", ".join(filter(None, [target, entry.get("dtype"),
                                      entry.get("variant")]))
        print(f"{'PASS' if not failures else 'FAIL'}: "
              f"{entry['group']}/{entry['name']} ({how}): {summary}")
        for message in failures:
            print("    " + message)
    print(f"{run - failed} of {run} cases passed")
    return 1 if failed else 0


def guards(args):
    """Each guard call in a process of its own (`guards --only I`): a call
    with an index out of range must exit with a run-time check's report
    (CPU: hmoe_check_failed; CUDA: the device assert, CUDA_ERROR_ASSERT,
    which the runtime reports), one in range must return."""
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    listed = manifest.get("guards", [])
    if args.only is not None:
        entry = listed[args.only]
        lib = Library(os.path.join(args.dir, entry["lib"]), entry["function"],
                      results_of(entry), manifest["target"])
        with np.load(os.path.join(args.dir, entry["inputs"])) as npz:
            inputs = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        lib(inputs)
        print("returned")
        return 0
    failed = 0
    for index, entry in enumerate(listed):
        name = f"{entry['function']} ({entry['what']})"
        done = run_alone("guards", args.dir, index, args.timeout)
        if done is None:
            print(f"FAIL: {name}: still running after {args.timeout} s")
            failed += 1
            continue
        report = [l for l in done.stderr.splitlines()
                  if "run-time check failed" in l]
        if entry["fails"]:
            ok = done.returncode != 0 and bool(report) and \
                "returned" not in done.stdout
            verdict = f"exit {done.returncode}: {report[0] if report else ''}"
        else:
            ok = done.returncode == 0 and "returned" in done.stdout
            verdict = f"exit {done.returncode}"
        print(f"{'PASS' if ok else 'FAIL'}: {name}: {verdict}")
        if not ok:
            print("    " + (done.stdout + done.stderr).strip()[-2000:])
        failed += not ok
    print(f"{len(listed) - failed} of {len(listed)} guard calls passed")
    return 1 if failed or not listed else 0


def run_alone(command, directory, index, timeout, extra=()):
    """`gpu_check.py COMMAND --dir DIRECTORY --only INDEX` in a process of
    its own: the finished process, or None if it ran past `timeout` s."""
    argv = [sys.executable, os.path.abspath(__file__), command,
            "--dir", directory, "--only", str(index), *extra]
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def check_isolated(args, entries):
    """Each case in a process of its own (`check --only I`), so that a case
    that crashes, exits from a CUDA error or hangs is reported as that
    case's FAIL and the others still run: the first run on a new GPU."""
    failed = 0
    for index, entry in entries:
        done = run_alone("check", args.dir, index, args.isolate,
                         ["--races"] if args.races else [])
        if done is None:
            output = (f"FAIL: {entry['lib']}: still running "
                      f"after {args.isolate} s")
            ok = False
        else:
            lines = [l for l in done.stdout.splitlines()
                     if not l.endswith("cases passed")]
            output = "\n".join(lines)
            ok = done.returncode == 0
            if not ok and "FAIL" not in output:
                # It died before its verdict: say how.
                output = (f"FAIL: {entry['lib']}: exit "
                          f"{done.returncode}\n" + output + "\n" +
                          done.stderr.strip()[-2000:]).strip()
        print(output, flush=True)
        failed += not ok
    print(f"{len(entries) - failed} of {len(entries)} cases passed")
    return 1 if failed else 0


def bench_inputs(entry, T, layers):
    """(library inputs, parameters by name, Layer or None) of benchmark
    `entry` at T tokens: seeded, the same in every run (W1's expert stage:
    no parameters by name, experts_inputs gives its FLOPs)."""
    name = entry["name"]
    if name == "W1-experts":
        return experts_inputs(T, entry["dtype"])[0], {}, None
    if name == "G1":
        rng = np.random.default_rng(3)
        x = rng.standard_normal((T, 1024)).astype(np.float32)
        g = rng.standard_normal((64, 1024)).astype(np.float32)
        return [x, g], {"x": x, "gate0": g}, None
    layer = layers[name]
    layer.dtype = entry["dtype"]
    params = layer.random_params(T, 2)
    return ([encode(params[n], t) for n, _, t in layer.param_shapes(T)],
            params, layer)


def bench_entries(args, manifest):
    return [e for e in manifest["bench"]
            if re.search(args.match, e["lib"]) and runs_here(e, manifest)]


@functools.lru_cache(maxsize=None)
def device_chip():
    """The GPU's sm_XY (nvidia-smi's compute capability), or None."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return "sm_" + out[0].replace(".", "") if out else None


def runs_here(entry, manifest):
    """Whether this device can run `entry`: a build for one chip only
    (`chip=` in its options, as warp-wgmma's sm_90a) needs that chip; it
    is reported as skipped elsewhere, never counted as passed."""
    m = re.search(r"chip=(\S+)", entry.get("variant", ""))
    built_for = m.group(1) if m else entry.get("chip")
    if manifest["target"] != "cuda" or not built_for:
        return True
    chip = device_chip()
    # sm_90a code runs on sm_90 devices (H100, H200) only.
    if chip is None or chip != built_for.rstrip("a"):
        print(f"SKIP: {entry['lib']}: built for {built_for} only, the "
              f"device is {chip}")
        return False
    return True


def profile(args):
    """Calls each matching benchmark library twice (a warm-up, then once)
    at each T, and nothing else on the device: for a profiler (ncu) to
    read its kernels' times."""
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    layers, _ = bench_layers()
    for entry in bench_entries(args, manifest):
        lib = Library(os.path.join(args.dir, entry["lib"]), entry["function"],
                      results_of(entry), manifest["target"])
        for T in [int(t) for t in args.tokens.split(",")]:
            inputs, _, _ = bench_inputs(entry, T, layers)
            sec = lib.time(inputs, 1)
            print(f"{entry['lib']} T={T}: {sec * 1e3:.3f} ms", flush=True)
    return 0


def bench(args):
    import torch
    import peers as peermod
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    layers, _ = bench_layers()
    fns = peermod.torch_fns()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    name_of = torch.cuda.get_device_name(0) if cuda else "CPU"
    print(f"device: {name_of}, torch {torch.__version__}")
    limits = device_limits(torch, device)
    print(f"measured: copy bandwidth {limits[0] / 1e9:.0f} GB/s, dense GEMM "
          f"{limits[1] / 1e12:.1f} TFLOP/s bf16, {limits[2] / 1e12:.1f} "
          f"TFLOP/s f32 (no TF32), {limits[3] / 1e12:.1f} TFLOP/s f32 with "
          f"TF32 allowed")

    def torch_time(fn, tensors, reps):
        sync = torch.cuda.synchronize if cuda else (lambda: None)
        for _ in range(2):
            fn(*tensors)
        sync()
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            fn(*tensors)
            sync()
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    print(f"{'workload':10} {'T':>6} {'hmoe':>10} {'eager':>10} "
          f"{'compile':>10} {'floor':>10}  hmoe vs eager, vs compile; "
          f"hmoe / floor")
    tokens = [int(t) for t in args.tokens.split(",")]
    compile_tokens = {int(t) for t in args.compile_tokens.split(",") if t}
    for entry in bench_entries(args, manifest):
        name = entry["name"]
        lib = Library(os.path.join(args.dir, entry["lib"]), entry["function"],
                      results_of(entry), manifest["target"])
        if name.startswith("dispatch-"):
            # The dispatch alone, checked against NumPy, against the bytes
            # it must read and write.
            kind = name[len("dispatch-"):]
            T = args.experts_tokens
            inputs = dispatch_inputs(T)
            expected = dispatch_reference(*inputs, kind)
            kept = expected[1]
            got = lib(inputs)
            ok = check_dispatch(inputs, kind, got, expected)
            sec = lib.time(inputs, args.reps)
            # Bytes an assignment moves: its expert, its slot and its
            # slot's token (i32 each), and its weight in score order.
            floor = T * DISPATCH_K * (16 if kind == "score" else 12) / \
                limits[0]
            # PyTorch as a user writes it, on the same device; its results
            # must equal hmoe's.
            fn = peermod.torch_dispatch(kind, DISPATCH_EXPERTS,
                                        dispatch_capacity(T, kind))
            tensors = [torch.as_tensor(a, device=device) for a in inputs]
            same = all(np.array_equal(t.cpu().numpy(), h)
                       for t, h in zip(fn(*tensors), got))
            eager = torch_time(fn, tensors, args.reps)
            print(f"dispatch alone ({kind}, T = {T}, K = {DISPATCH_K}, E = "
                  f"{DISPATCH_EXPERTS}): {sec * 1e3:.3f} ms, PyTorch "
                  f"{eager * 1e3:.3f} ms = {eager / sec:.2f}x, "
                  f"{sec / floor:.1f}x the floor; {kept.sum()} of "
                  f"{T * DISPATCH_K} kept: "
                  f"{'agrees with NumPy' if ok else 'MISMATCH with NumPy'}, "
                  f"{'PyTorch the same' if same else 'PyTorch DIFFERS'}",
                  flush=True)
            continue
        if name.startswith("route-"):
            # A route alone, checked against PyTorch's on the same device
            # (bench/routes), against the bytes it must move: the logits
            # read, the probabilities (an output of hmoe.route) and the
            # choices written.
            from route_bench import check as check_route
            from route_bench import route_cases, torch_routes
            route = name[len("route-"):]
            T = args.experts_tokens
            inputs = route_cases(T)[route][1]
            got = lib(inputs)
            fn = torch_routes()[route]
            tensors = [torch.as_tensor(a, device=device) for a in inputs]
            want = [t.cpu().numpy() for t in fn(*tensors)]
            ok = check_route(route, (got[0], got[1].astype(np.int64)),
                             (want[0], want[1]))
            sec = lib.time(inputs, args.reps)
            eager = torch_time(fn, tensors, args.reps)
            experts, k = inputs[0].shape[1], got[0].shape[1]
            floor = T * (8 * experts + 8 * k) / limits[0]
            how = f", {entry['variant']}" if entry.get("variant") else ""
            print(f"route alone ({route}{how}, T = {T}): {sec * 1e3:.3f} ms, "
                  f"PyTorch {eager * 1e3:.3f} ms = {eager / sec:.2f}x, "
                  f"{sec / floor:.1f}x the floor: "
                  f"{'agrees with PyTorch' if ok else 'MISMATCH with PyTorch'}",
                  flush=True)
            continue
        if name == "W1-experts":
            # The grouped expert GEMMs alone against the dense rate.
            T = args.experts_tokens
            inputs, flops = experts_inputs(T, entry["dtype"])
            sec = lib.time(inputs, args.reps)
            rate = limits[1] if entry["dtype"] == "bf16" else limits[2]
            how = entry["dtype"] + (f", {entry['variant']}"
                                    if entry.get("variant") else "")
            print(f"W1 expert stage alone ({how}, T = {T}, K = 4): "
                  f"{sec * 1e3:.3f} ms, {flops / sec / 1e12:.1f} TFLOP/s = "
                  f"{flops / sec / rate:.0%} of the dense "
                  f"{entry['dtype']} rate")
            continue
        for T in tokens:
            inputs, params, layer = bench_inputs(entry, T, layers)
            sec = lib.time(inputs, args.reps)
            tf32 = "tf32" in entry.get("variant", "").split()
            floor = layer_floor(name, layer, T, entry["dtype"], limits, tf32)
            tensors = None
            def peer_time(fn, what):
                # A peer that fails (an op without a bf16 kernel, a loop
                # torch.compile cannot take) is reported, not fatal. The
                # peers' tensors are made once per row, when a peer runs.
                nonlocal tensors
                if tensors is None:
                    dtype = (torch.bfloat16 if entry["dtype"] == "bf16"
                             else torch.float32)
                    tensors = [torch.as_tensor(np.asarray(a, np.float32),
                                               device=device).to(dtype)
                               for a in peermod.peer_weights(name, params,
                                                             "torch")]
                try:
                    return torch_time(fn, tensors, args.reps)
                except Exception as e:
                    first = str(e).strip().splitlines()[0][:120]
                    print(f"  {what} failed on {name}-{entry['dtype']}: "
                          f"{first}")
                    return float("nan")

            if entry.get("variant"):
                # The same layer compiled otherwise: hmoe against the floor
                # (its peers are the rows above); TF32 also against eager
                # PyTorch with TF32 allowed, the same rounding of inputs.
                line = (f"{name + '-' + entry['dtype']:10} {T:6} "
                        f"{sec * 1e3:9.3f}ms  with {entry['variant']}; "
                        f"{sec / floor:.2f}x the floor")
                if tf32 and cuda:
                    torch.backends.cuda.matmul.allow_tf32 = True
                    eager = peer_time(fns[name], "eager (TF32)")
                    torch.backends.cuda.matmul.allow_tf32 = False
                    line += (f"; eager with TF32 {eager * 1e3:.3f}ms = "
                             f"{eager / sec:.2f}x")
                print(line, flush=True)
                continue
            # torch.compile recompiles for new shapes (tens of seconds
            # each): only at the tokens the targets name; compiled once,
            # in its first round's warm-up calls.
            compiled_fn = (torch.compile(fns[name]) if T in compile_tokens
                           else None)
            # Eager PyTorch's times moved up to 2x between runs (its
            # per-expert loop is bound by the host's launches): hmoe and
            # its peers are timed in turns, `rounds` times, each a median
            # of `reps` calls; the median of the rounds is reported, and
            # how far the rounds spread, so a ratio's noise shows.
            runs = {"hmoe": [sec], "eager": [], "compile": []}
            for r in range(args.rounds):
                if r:
                    runs["hmoe"].append(lib.time(inputs, args.reps))
                runs["eager"].append(peer_time(fns[name], "eager"))
                if compiled_fn is not None:
                    runs["compile"].append(
                        peer_time(compiled_fn, "torch.compile"))
            sec, eager, compiled = (
                float(np.median(runs[k])) if runs[k] else float("nan")
                for k in ("hmoe", "eager", "compile"))
            # The same library into buffers of the caller's (no result
            # allocations, no synchronisation before the launches).
            try:
                into = lib.time_into(inputs, args.reps)
            except Exception as e:  # the main row still prints
                print(f"  into the caller's buffers failed: {e}")
                into = None
            spread = ", ".join(
                f"{k} {(max(v) - min(v)) / np.median(v):.0%}"
                for k, v in runs.items() if len(v) > 1 and np.median(v) > 0)
            print(f"{name + '-' + entry['dtype']:10} {T:6} {sec * 1e3:9.3f}ms "
                  f"{eager * 1e3:9.3f}ms {compiled * 1e3:9.3f}ms "
                  f"{floor * 1e3:9.3f}ms  {eager / sec:.2f}x, "
                  f"{compiled / sec:.2f}x; {sec / floor:.2f}x"
                  + (f"; into the caller's buffers {into * 1e3:.3f}ms"
                     if into is not None else "")
                  + (f" (spread over {args.rounds} rounds: {spread})"
                     if spread else ""), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--hmoe-compile", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--target", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--groups", default=DEFAULT_GROUPS)
    p.add_argument("--bf16-groups", default=DEFAULT_BF16_GROUPS,
                   help="groups also compiled in bf16 (and, for cuda, once "
                   "more with tensor-cores=0)")
    p.add_argument("--tf32-groups", default=DEFAULT_TF32_GROUPS,
                   help="groups also compiled in f32 with their expert GEMMs "
                   "in TF32 on tensor cores (checked at the TF32 tolerance)")
    p.add_argument("--bench", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("--dir", required=True)
    c.add_argument("--limit", type=int, default=0)
    c.add_argument("--match", default="",
                   help="only the cases whose library name matches this "
                   "regular expression")
    c.add_argument("--only", type=int, default=None,
                   help="the case of this index in the manifest alone")
    c.add_argument("--races", action="store_true",
                   help="the variants with a race on purpose (for "
                   "racecheck) instead of the cases")
    c.add_argument("--isolate", type=float, default=0,
                   help="each case in a process of its own, stopped after "
                   "this many seconds")
    g = sub.add_parser("guards")
    g.add_argument("--dir", required=True)
    g.add_argument("--only", type=int, default=None,
                   help="call the guard of this index in the manifest here")
    g.add_argument("--timeout", type=float, default=60,
                   help="seconds each guard call's process may run")
    b = sub.add_parser("bench")
    b.add_argument("--dir", required=True)
    b.add_argument("--tokens", default="1,16,4096")
    b.add_argument("--reps", type=int, default=10)
    b.add_argument("--rounds", type=int, default=3,
                   help="times hmoe, eager and torch.compile are each timed, "
                   "in turns (the median reported, with the spread)")
    b.add_argument("--compile-tokens", default="4096",
                   help="token counts at which torch.compile is timed too")
    b.add_argument("--experts-tokens", type=int, default=16384,
                   help="T of W1's expert stage alone and of the dispatch "
                   "alone")
    b.add_argument("--match", default="",
                   help="only the libraries whose name matches this regular "
                   "expression")
    b.add_argument("--device", default="cuda",
                   help="cuda; cpu (with --target cpu libraries) tests "
                   "this script without a GPU")
    f = sub.add_parser("profile")
    f.add_argument("--dir", required=True)
    f.add_argument("--match", default="")
    f.add_argument("--tokens", default="4096")
    args = ap.parse_args()
    if args.command == "prepare":
        prepare(args)
        return 0
    if args.command == "check":
        return check(args)
    if args.command == "profile":
        return profile(args)
    if args.command == "guards":
        return guards(args)
    bench(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
