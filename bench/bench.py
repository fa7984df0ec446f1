"""hmoe against PyTorch (eager, torch.compile), JAX (jit, XLA CPU) and IREE
(llvm-cpu), and against the machine's limits, side by side in one run.

    bench/run.sh [--quick]        (sets up bench/.venv, builds, runs this)

Every workload is f32 (plus bf16-weight rows of W1 and W2 for hmoe), on the
same thread count for every runner (--threads, default: all cores). Times
are medians over --repetitions calls after warm-up (compilation excluded for
every runner). Each peer's result is checked against hmoe's before its time
is reported. The GEMM ceiling is the best of three sources (PyTorch's BLAS,
NumPy/OpenBLAS with the host's own kernels, an upstream-MLIR transform-
dialect matmul); the run ends with the issue's targets, PASS or MISS.
"""

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

from hmoe.layer import Gate, Layer, decode, encode  # noqa: E402
import transform_matmul  # noqa: E402

W1 = Layer(strategy="nested", fanout=[4, 8],
           gates=[Gate("laplace", "softmax", k=2), Gate("laplace", "softmax", k=2)],
           d=512, expert="ffn", expert_activation="gelu", hidden=1024, name="w1")
W2 = Layer(strategy="group_limited", fanout=[64],
           gates=[Gate("linear", "sigmoid", k=8, scale=2.5)], groups=8,
           k_groups=4, group_score="sum_top", top_m=2, d=1024, hidden=256,
           expert="swiglu", selection_bias=[True], name="w2")

G1_MLIR = """
func.func @g1(%x: tensor<?x1024xf32>, %g: tensor<64x1024xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %s = hmoe.score laplace %x : tensor<?x1024xf32>, %g : tensor<64x1024xf32>
      -> tensor<?x64xf32>
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x1024xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x64xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %s : tensor<?x64xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x64xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x64xf32>
  return %w, %e : tensor<?x2xf32>, tensor<?x2xi32>
}
"""

# The expert stage of W1 alone (hmoe.experts on a dispatch plan), to rate
# the expert GEMMs against the GEMM ceiling.
W1_EXPERTS_MLIR = """
func.func @experts(%x: tensor<?x512xf32>, %st: tensor<?xi32>,
                   %off: tensor<33xi32>, %w1: tensor<32x1024x512xf32>,
                   %w2: tensor<32x512x1024xf32>) -> tensor<?x512xf32> {
  %o = hmoe.experts %x : tensor<?x512xf32>, %st : tensor<?xi32>,
      %off : tensor<33xi32>
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 1024>,
              w1 %w1 : tensor<32x1024x512xf32>, w2 %w2 : tensor<32x512x1024xf32>)
      -> tensor<?x512xf32>
  return %o : tensor<?x512xf32>
}
"""

GEMM_MLIR = """
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @gemm(%a: tensor<?x{K}xf32>, %w: tensor<{N}x{K}xf32>) -> tensor<?x{N}xf32> {{
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %a, %c0 : tensor<?x{K}xf32>
  %e = tensor.empty(%m) : tensor<?x{N}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x{N}xf32>) -> tensor<?x{N}xf32>
  %r = linalg.generic {{indexing_maps = [#a, #w, #c],
                       iterator_types = ["parallel", "parallel", "reduction"]}}
      ins(%a, %w : tensor<?x{K}xf32>, tensor<{N}x{K}xf32>)
      outs(%init : tensor<?x{N}xf32>) {{
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }} -> tensor<?x{N}xf32>
  return %r : tensor<?x{N}xf32>
}}
"""


def layer_flops(layer):
    """FLOPs per token: a multiply-add is 2; a distance term 3."""
    D, H, K = layer.d, layer.hidden, layer.num_chosen
    E = layer.num_experts
    if layer.strategy == "nested":
        n = layer.fanout[0] + layer.fanout[0] * layer.fanout[1]
        gates = 3 * D * n
    else:
        gates = 2 * D * E
    mats = 3 if layer.expert == "swiglu" else 2
    return gates + K * mats * 2 * D * H


def layer_bytes(layer, T, experts_used=None):
    """Compulsory DRAM traffic: every gate weight and the weights of the
    experts used (all when unknown) once, x read, y written."""
    params = layer.param_shapes(T)
    frac = 1.0 if experts_used is None else experts_used / layer.num_experts
    n = 0.0
    for name, s, _ in params:
        if name == "x":
            continue
        size = int(np.prod(s))
        n += size * frac if name in ("w1", "w_up", "w2", "b1", "b2") else size
    return 4 * (n + 2 * T * layer.d)


def experts_used(peers, name, params):
    """Distinct experts the layer's routing picks (from PyTorch's routing,
    which bench.py checks against hmoe), or None without torch."""
    fns = peers.available.get("torch")
    if not fns:
        return None
    import torch
    args = [torch.from_numpy(a) for a in params]
    with torch.inference_mode():
        experts, _ = fns["route_" + name](*args)
    return int(torch.unique(experts).numel())


# --- runners -----------------------------------------------------------------

def run_hmoe(hmoe_run, mlir, function, inputs, reps, workdir, pipeline=None,
             outputs=1):
    """(median seconds, results) of hmoe-run on `inputs`."""
    mlir_path = os.path.join(workdir, f"{function}.mlir")
    with open(mlir_path, "w") as f:
        f.write(mlir)
    args = [hmoe_run, mlir_path, f"--function={function}",
            f"--benchmark-repetitions={reps}"]
    if pipeline:
        args.append(f"--pipeline={pipeline}")
    for i, a in enumerate(inputs):
        p = os.path.join(workdir, f"{function}_in{i}.npy")
        np.save(p, a)
        args.append(f"--input=@{p}")
    outs = [os.path.join(workdir, f"{function}_out{i}.npy") for i in range(outputs)]
    args += [f"--output=@{p}" for p in outs]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    m = re.search(r"median ([0-9.]+) ms", proc.stdout)
    return float(m.group(1)) / 1e3, [np.load(p) for p in outs]


def time_call(fn, reps, sync=lambda r: r):
    sync(fn())  # warm-up (and compilation)
    t = time.perf_counter()
    sync(fn())
    first = time.perf_counter() - t
    if first > 10.0:
        return first  # a very slow runner: one timed call is enough
    if first > 2.0:
        reps = min(reps, 2)  # a slow runner: fewer calls keep the run short
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        sync(fn())
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def rel_err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30))


def row_agreement(got, want, tol=1e-4):
    """Fraction of tokens whose output rows agree (a near tie may send a
    token elsewhere in one runner and not the other)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = max(np.max(np.abs(want)), 1e-30)
    return float(np.mean(np.max(np.abs(got - want), axis=1) / scale <= tol))


class Peers:
    def __init__(self, threads, want):
        self.threads = threads
        self.available = {}
        if "torch" in want:
            try:
                import torch
                torch.set_num_threads(threads)
                import peers
                self.torch = torch
                self.available["torch"] = peers.torch_fns()
                # Default options, as a user would call it (shapes that
                # change between calls are made dynamic automatically).
                self.available["torch.compile"] = {
                    k: torch.compile(v) for k, v in peers.torch_fns().items()}
            except Exception as e:  # report and go on
                print(f"# torch unavailable: {e}")
        if "jax" in want:
            try:
                import jax
                import peers
                self.jax = jax
                self.available["jax"] = peers.jax_fns()
            except Exception as e:
                print(f"# jax unavailable: {e}")
        if "iree" in want:
            found = subprocess.run([sys.executable, "-c", "import iree.compiler, iree.runtime"],
                                   capture_output=True)
            if found.returncode == 0:
                self.available["iree"] = "iree"
            else:
                print("# iree unavailable")

    def run(self, peer, name, args, reps):
        """(median seconds, first result as numpy)."""
        import peers
        if peer.startswith("torch"):
            t_args = [self.torch.from_numpy(a) for a in
                      peers.peer_weights(name, args, "torch")]
            fn = self.available[peer][name]
            with self.torch.inference_mode():
                sec = time_call(lambda: fn(*t_args), reps)
                out = fn(*t_args)
            return sec, (out[0] if isinstance(out, tuple) else out).numpy()
        if peer == "jax":
            j_args = [self.jax.device_put(a) for a in
                      peers.peer_weights(name, args, "jax")]
            fn = self.available["jax"][name]
            sec = time_call(lambda: fn(*j_args), reps,
                            sync=lambda r: self.jax.block_until_ready(r))
            out = fn(*j_args)
            return sec, np.asarray(out[0] if isinstance(out, tuple) else out)
        if peer == "iree":
            return self.run_iree_isolated(name, args, reps)
        raise KeyError(peer)

    def run_iree_isolated(self, name, args, reps):
        """IREE in a child process: its runtime has crashed (SIGSEGV) on
        some of these modules, and PyTorch must not share its process."""
        with tempfile.TemporaryDirectory() as tmp:
            np.savez(os.path.join(tmp, "args.npz"), **args)
            proc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--iree-worker",
                 name, "--hmoe-run", "-", "--repetitions", str(reps),
                 "--threads", str(self.threads), "--workdir", tmp],
                capture_output=True, text=True)
            if proc.returncode:
                tail = [l for l in proc.stderr.splitlines() if "error" in l.lower()]
                raise RuntimeError(
                    f"IREE worker exited with {proc.returncode}"
                    + (" (killed by a signal)" if proc.returncode < 0 else "")
                    + (": " + tail[0] if tail else ""))
            sec = float(open(os.path.join(tmp, "seconds")).read())
            return sec, np.load(os.path.join(tmp, "out.npy"))

    def run_iree(self, name, args, reps):
        """The JAX function's StableHLO, compiled by IREE for llvm-cpu."""
        import iree.compiler as ireec
        import iree.runtime as ireert
        import peers
        j_args = peers.peer_weights(name, args, "jax")
        fn = peers.jax_fns()[name]
        hlo = fn.lower(*j_args).as_text(dialect="stablehlo")
        vmfb = ireec.compile_str(
            hlo, target_backends=["llvm-cpu"], input_type="stablehlo",
            extra_args=["--iree-llvmcpu-target-cpu=host",
                        # the sort by expert needs more than the default 32 KiB
                        "--iree-llvmcpu-stack-allocation-limit=1048576"])
        config = ireert.Config("local-task")
        ctx = ireert.SystemContext(config=config)
        vm_module = ireert.VmModule.copy_buffer(ctx.instance, vmfb)
        ctx.add_vm_module(vm_module)
        f = ctx.modules[vm_module.name]["main"]
        dev = [ireert.asdevicearray(config.device, a) for a in j_args]
        sec = time_call(lambda: f(*dev), reps,
                        sync=lambda r: [x.to_host() for x in
                                        (r if isinstance(r, (list, tuple)) else [r])])
        out = f(*dev)
        out = out[0] if isinstance(out, (list, tuple)) else out
        return sec, out.to_host()


# --- host and limits -------------------------------------------------------------

# lscpu flags that decide which kernels a host gets (amx* are matched by prefix).
HOST_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx")


def host_info():
    """lscpu's model, CPU counts and the SIMD flags that matter here."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        out = ""
    f = dict(l.split(":", 1) for l in out.splitlines() if ":" in l)
    f = {k.strip(): v.strip() for k, v in f.items()}
    flags = f.get("Flags", "").split()
    shown = [x for x in flags if x in HOST_FLAGS or x.startswith("amx")]
    cores = int(f.get("Core(s) per socket", 0) or 0) * int(f.get("Socket(s)", 0) or 0)
    text = (f"{f.get('Model name', 'unknown CPU')} (family {f.get('CPU family', '?')}, "
            f"model {f.get('Model', '?')}), {f.get('CPU(s)', '?')} CPUs ({cores} cores, "
            f"{f.get('Thread(s) per core', '?')} thread(s) per core)"
            + (f", {f['Hypervisor vendor']} guest" if "Hypervisor vendor" in f else "")
            + f"; flags: {' '.join(shown) or 'none of ' + ', '.join(HOST_FLAGS)}"
            + ("" if any(x.startswith("amx") for x in shown) else " (no amx)"))
    return {"text": text, "model": f.get("Model name", "unknown CPU"),
            "bf16": "avx512_bf16" in flags}


# Run by measure_openblas in a child process whose environment it controls.
OPENBLAS_SCRIPT = r"""
import ctypes, glob, json, os, sys, time
import numpy as np
reps, sizes = int(sys.argv[1]), [int(n) for n in sys.argv[2:]]
core = "unknown"
for lib in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs",
                                  "libscipy_openblas*.so")):
    for sym in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename"):
        fn = getattr(ctypes.CDLL(lib), sym, None)
        if fn:
            fn.restype = ctypes.c_char_p
            core = fn().decode()
            break
blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
rng = np.random.default_rng(0)
res = {}
for n in sizes:
    a = rng.standard_normal((n, n), np.float32)
    b = rng.standard_normal((n, n), np.float32)
    a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    res[n] = 2 * n ** 3 / best
print(json.dumps({"gflops": res, "core": core,
                  "blas": f"{blas['name']} {blas.get('version', '')}"}))
"""

# This workplace pins OpenBLAS to an older kernel through these (Haswell,
# 512 KiB L2), which halves it on AVX-512 hosts; unset for this one child.
OPENBLAS_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def measure_openblas(threads, sizes, reps=3, python=sys.executable):
    """Best f32 GFLOP/s of NumPy's OpenBLAS over square sizes, in a child
    process (of `python`, whose NumPy must bundle OpenBLAS: bench/.venv's)
    without OPENBLAS_PINS: (flop/s, n, description)."""
    env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_PINS}
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    proc = subprocess.run([python, "-c", OPENBLAS_SCRIPT, str(reps)]
                          + [str(n) for n in sizes],
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    r = json.loads(proc.stdout)
    n, best = max(r["gflops"].items(), key=lambda kv: kv[1])
    return best, int(n), f"{r['blas']}, kernel {r['core']}"


def measure_torch_gemm(threads):
    """Median f32 flop/s of torch.matmul (its vendor BLAS), best of the
    sizes 512^3..2048^3: (flop/s, BLAS name)."""
    import torch
    torch.set_num_threads(threads)
    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        sec = time_call(lambda: a @ b, 10)
        best = max(best, 2 * n ** 3 / sec)
    m = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return best, (m.group(1).upper() if m else "vendor BLAS")


def measure_bandwidth(threads):
    """DRAM bandwidth of a 512 MiB copy (read + written bytes), bytes/s."""
    import torch
    torch.set_num_threads(threads)
    src = torch.empty(2 ** 27)
    src.fill_(1.0)
    dst = torch.empty_like(src)
    sec = time_call(lambda: dst.copy_(src), 10)
    return 2 * src.numel() * 4 / sec


def measure_read_bandwidth(threads):
    """DRAM read bandwidth: a streaming sum of 256 MiB (read bytes only),
    bytes/s; the floor of calls that stream weights and write little."""
    import torch
    torch.set_num_threads(threads)
    a = torch.ones(2 ** 26)
    sec = time_call(lambda: a.sum(), 10)
    return a.numel() * 4 / sec


def measure_limits(threads, quick):
    """The GEMM ceiling (best of three sources, each printed) and the DRAM
    bandwidth: (ceiling flop/s, its source, bandwidth bytes/s)."""
    sources = []  # (name, flop/s or None, detail)
    try:
        gf, blas = measure_torch_gemm(threads)
        sources.append((f"PyTorch ({blas})", gf,
                        "torch.matmul, median of 10 calls at each of 512^3..2048^3, best size"))
    except Exception as e:  # report and go on
        sources.append(("PyTorch", None, f"failed: {e}"))
    sizes = (512, 1024, 2048) if quick else (512, 1024, 2048, 4096)
    try:
        gf, n, desc = measure_openblas(threads, sizes)
        sources.append(("NumPy/OpenBLAS", gf,
                        f"{desc} ({' and '.join(OPENBLAS_PINS)} unset in its process), "
                        f"best of 3 calls at each of {sizes[0]}^3..{sizes[-1]}^3, best at {n}^3"))
    except Exception as e:
        sources.append(("NumPy/OpenBLAS", None, f"failed: {e}"))
    best_mlir, notes = None, []
    for n in (1536, 2048):
        try:
            r = transform_matmul.measure(n, threads)
        except Exception as e:
            notes.append(f"n={n} failed: {str(e)[:160]}")
            continue
        shape = f"{r['M']}x{r['N']}x{r['K']}"
        if not r["ok"]:
            notes.append(f"{shape}: result differs from NumPy's, not counted")
            continue
        notes.append(f"{shape} {r['gflops']:.1f} GFLOP/s, equal to NumPy's")
        if best_mlir is None or r["gflops"] > best_mlir:
            best_mlir = r["gflops"]
    sources.append(("MLIR transform dialect", None if best_mlir is None else best_mlir * 1e9,
                    f"upstream linalg.matmul, mlir-opt + mlir-runner of "
                    f"{os.path.basename(transform_matmul.LLVM)}, OpenMP {threads} threads, "
                    f"best of 10: {'; '.join(notes)}"
                    + f"\n    schedule: {transform_matmul.describe()}"))
    measured = [(name, gf) for name, gf, _ in sources if gf]
    if not measured:
        raise RuntimeError("no GEMM ceiling source ran")
    ceiling_name, ceiling = max(measured, key=lambda s: s[1])
    print(f"\n## GEMM ceiling (f32, {threads} threads): the best of three sources")
    for name, gf, detail in sources:
        mark = "  <- the ceiling" if name == ceiling_name else ""
        val = f"{gf / 1e9:7.1f} GFLOP/s" if gf else "      - GFLOP/s"
        print(f"{name:24} {val}{mark}\n    {detail}")
    bandwidth = measure_bandwidth(threads)
    return ceiling, ceiling_name, bandwidth


def route_args(name, params):
    if name == "W1":
        return [params["x"], params["gate0"], params["gate1"]]
    return [params["x"], params["gate0"], params["select_bias0"]]


def fmt_t(sec):
    return "-" if sec is None else (f"{sec * 1e3:.2f} ms" if sec < 1 else f"{sec:.2f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--peers", default="torch,torch.compile,jax,iree")
    ap.add_argument("--quick", action="store_true",
                    help="smaller T and sweep, for a fast look")
    ap.add_argument("--iree-worker", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    if args.iree_worker:
        return iree_worker(args)
    want = args.peers.split(",")
    peers = Peers(args.threads, want)
    reps = args.repetitions
    T = 1024 if args.quick else 4096
    TG = 4096 if args.quick else 16384
    sweep = [1, 16, 256, 4096] if args.quick else [1, 16, 256, 4096, 16384, 65536]
    peer_sweep_max = {"torch": 4096 if args.quick else 16384, "jax": 4096}

    host = host_info()
    print(f"host: {host['text']}")
    print(f"every figure below: this host, {args.threads} threads per runner"
          + (" (--quick: smaller T)" if args.quick else ""))
    ceiling, ceiling_name, bandwidth = measure_limits(args.threads, args.quick)
    print(f"machine: {os.cpu_count()} cores, {args.threads} threads; GEMM ceiling "
          f"{ceiling / 1e9:.1f} GFLOP/s ({ceiling_name}); "
          f"DRAM bandwidth {bandwidth / 1e9:.1f} GB/s (512 MiB copy)")

    def floor(flops, nbytes):
        return max(flops / ceiling, nbytes / bandwidth)

    gemm_fracs = []  # GEMM kernel and expert stage vs the ceiling, for Targets
    with tempfile.TemporaryDirectory() as tmp:
        # GEMM kernel alone.
        print("\n## GEMM (x . W^T, f32), hmoe-vectorize-contractions vs the ceiling")
        for m, n, k in [(512, 512, 512), (4096, 1024, 512), (512, 256, 1024)]:
            rng = np.random.default_rng(0)
            a = rng.standard_normal((m, k), np.float32)
            w = rng.standard_normal((n, k), np.float32)
            sec, (c,) = run_hmoe(args.hmoe_run, GEMM_MLIR.format(K=k, N=n), "gemm",
                                 [a, w], reps * 2, tmp)
            err = rel_err(c, a.astype(np.float64) @ w.T.astype(np.float64))
            gf = 2 * m * n * k / sec
            gemm_fracs.append(gf / ceiling)
            print(f"{m}x{n}x{k}: {fmt_t(sec)}, {gf / 1e9:.1f} GFLOP/s = "
                  f"{gf / ceiling:.0%} of ceiling (rel. error {err:.1e})")

        # Expert stage of W1 alone.
        rng = np.random.default_rng(1)
        K = 4
        experts = rng.integers(0, 32, (T, K))
        slot_token = np.argsort(experts.reshape(-1), kind="stable") // K
        counts = np.bincount(experts.reshape(-1), minlength=32)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        params = W1.random_params(T, 2)
        sec, _ = run_hmoe(args.hmoe_run, W1_EXPERTS_MLIR, "experts",
                          [params["x"], slot_token.astype(np.int32), offsets,
                           params["w1"], params["w2"]], reps, tmp)
        gf = T * K * 2 * 2 * 512 * 1024 / sec
        expert_frac = gf / ceiling
        print(f"W1 expert stage alone (T={T}, K=4, 32 FFN experts): {fmt_t(sec)}, "
              f"{gf / 1e9:.1f} GFLOP/s = {gf / ceiling:.0%} of the GEMM ceiling")

        # Layers.
        rows = []
        for name, layer in (("W1", W1), ("W2", W2)):
            params = layer.random_params(T, 3)
            names = [n for n, _, _ in layer.param_shapes(T)]
            flops = layer_flops(layer) * T
            nbytes = layer_bytes(layer, T, experts_used(peers, name, route_args(name, params)))
            sec, (y,) = run_hmoe(args.hmoe_run, layer.mlir(), layer.name,
                                 [params[n] for n in names], reps, tmp)
            rows.append((name, T, "hmoe", sec, flops, None))
            # The same layer with bf16 tokens, gates and expert weights (the
            # same draws rounded to bf16), against this f32 run.
            bf = dataclasses.replace(layer, dtype="bf16", name=layer.name + "_bf16")
            bparams = bf.random_params(T, 3)
            try:
                bsec, (by,) = run_hmoe(
                    args.hmoe_run, bf.mlir(), bf.name,
                    [encode(bparams[n], t) for n, _, t in bf.param_shapes(T)],
                    reps, tmp)
                agree = row_agreement(decode(by, "bf16"), y, 2e-2)
                rows.append((name, T, "hmoe bf16", bsec, flops,
                             f"f32/bf16 time {sec / bsec:.2f}x; rows within 2e-2 "
                             f"of hmoe f32 {agree:.2%}"))
            except RuntimeError as e:
                rows.append((name, T, "hmoe bf16", None, flops,
                             f"failed: {str(e).strip().splitlines()[0][:100]}"))
            for peer in [p for p in want if p in peers.available]:
                try:
                    psec, py = peers.run(peer, name, params, reps)
                    agree = row_agreement(py, y)
                    rows.append((name, T, peer, psec, flops,
                                 f"rows agreeing with hmoe {agree:.2%}"))
                except Exception as e:
                    rows.append((name, T, peer, None, flops,
                                 f"failed: {str(e).splitlines()[0][:100]}"))
            rows.append((name, T, "roofline floor", floor(flops, nbytes), flops,
                         None))

        # G1: the Laplace gate alone, fused and unfused.
        params = {"x": (np.random.default_rng(4).standard_normal((TG, 1024)) * 0.3
                        ).astype(np.float32),
                  "gate0": (np.random.default_rng(5).standard_normal((64, 1024)) * 0.3
                            ).astype(np.float32)}
        flops = 3 * TG * 64 * 1024
        nbytes = 4 * (TG * 1024 + 64 * 1024 + TG * 4)
        sec, (gw, ge) = run_hmoe(args.hmoe_run, G1_MLIR, "g1",
                                 [params["x"], params["gate0"]], reps, tmp,
                                 outputs=2)
        rows.append(("G1", TG, "hmoe (fused)", sec, flops, None))
        usec, (uw, ue) = run_hmoe(args.hmoe_run, G1_MLIR, "g1",
                                  [params["x"], params["gate0"]], max(2, reps // 2),
                                  tmp, pipeline="hmoe-lower-to-cpu{fuse-distance=false}",
                                  outputs=2)
        same = float(np.mean(np.all(ue == ge, axis=1)))
        rows.append(("G1", TG, "hmoe (unfused)", usec, flops,
                     f"fused is {usec / sec:.1f}x faster; same experts "
                     f"{same:.2%}"))
        for peer in [p for p in want if p in peers.available]:
            try:
                psec, pw = peers.run(peer, "G1", params, reps)
                rows.append(("G1", TG, peer, psec, flops,
                             f"weights rel. error vs hmoe {rel_err(np.sort(pw, 1), np.sort(gw, 1)):.1e}"))
            except Exception as e:
                rows.append(("G1", TG, peer, None, flops,
                             f"failed: {str(e).splitlines()[0][:100]}"))
        rows.append(("G1", TG, "roofline floor", floor(flops, nbytes), flops, None))

        print("\n## Layers (median time; GFLOP/s; hmoe speed-up = peer time / hmoe time)")
        print(f"{'workload':8} {'T':>6} {'runner':16} {'time':>10} {'GFLOP/s':>8} "
              f"{'hmoe x':>7}  note")
        for name, t, runner, sec, flops, note in rows:
            base = next(r[3] for r in rows if r[0] == name and r[2].startswith("hmoe"))
            gf = f"{flops / sec / 1e9:.1f}" if sec else "-"
            ratio = f"{sec / base:.2f}" if sec and not runner.startswith("hmoe") else ""
            print(f"{name:8} {t:>6} {runner:16} {fmt_t(sec):>10} {gf:>8} {ratio:>7}  {note or ''}")

        # Scaling sweep for W1.
        print(f"\n## W1 scaling (median time; tokens/s); peers up to T = {peer_sweep_max}")
        sweep_peers = [p for p in ("torch", "jax") if p in peers.available]
        print(f"{'T':>6} {'hmoe':>10} {'tok/s':>9} " + " ".join(f"{p:>10}" for p in sweep_peers)
              + f" {'floor':>10}")
        sweep_times = {}  # T -> {runner: seconds}
        for t in sweep:
            params = W1.random_params(t, 6)
            names = [n for n, _, _ in W1.param_shapes(t)]
            r = max(2, reps if t <= 16384 else 2)
            sec, _ = run_hmoe(args.hmoe_run, W1.mlir(), W1.name,
                              [params[n] for n in names], r, tmp)
            cols = []
            sweep_times[t] = {"hmoe": sec}
            for p in sweep_peers:
                if t > peer_sweep_max[p]:
                    cols.append("-")
                    continue
                try:
                    sweep_times[t][p] = peers.run(p, "W1", params, r)[0]
                    cols.append(fmt_t(sweep_times[t][p]))
                except Exception:
                    cols.append("failed")
            used = experts_used(peers, "W1", route_args("W1", params))
            fl = floor(layer_flops(W1) * t, layer_bytes(W1, t, used))
            sweep_times[t]["floor"] = fl
            print(f"{t:>6} {fmt_t(sec):>10} {t / sec:>9.0f} "
                  + " ".join(f"{c:>10}" for c in cols) + f" {fmt_t(fl):>10}")

    print_targets(host, args, rows, sweep_times, ceiling, bandwidth, gemm_fracs,
                  expert_frac)


def print_targets(host, args, rows, sweep_times, ceiling, bandwidth, gemm_fracs,
                  expert_frac):
    """One line per target of issue 12: the measured figure, the target,
    PASS or MISS, and for a miss the figures of this run that explain it."""
    def time_of(name, runner):
        return next((r[3] for r in rows if r[0] == name and r[2] == runner), None)

    def best_peer(name):
        got = [(r[3], r[2]) for r in rows if r[0] == name and r[3]
               and not r[2].startswith("hmoe") and r[2] != "roofline floor"]
        return min(got) if got else (None, None)

    def line(ok, what, measured, why=""):
        print(f"{'PASS' if ok else 'MISS'}  {what}: {measured}"
              + (f"\n      why: {why}" if why and not ok else ""))

    def bound(name):
        """Which term sets the floor, and hmoe's pace against the ceiling."""
        flops = next(r[4] for r in rows if r[0] == name)
        sec = time_of(name, "hmoe") or time_of(name, "hmoe (fused)")
        kind = ("compute-bound" if flops / ceiling >= time_of(name, "roofline floor")
                * 0.999 else "bandwidth-bound")
        return (f"its floor is {kind}; hmoe runs it at {flops / sec / 1e9:.1f} GFLOP/s"
                f" = {flops / sec / ceiling:.0%} of the {ceiling / 1e9:.0f} GFLOP/s ceiling")

    # A runner faster than its floor means the floor is wrong in this run:
    # the ceiling or bandwidth measured at the start was understated (other
    # load on the host then), or the bytes counted as DRAM traffic stayed in
    # cache across the repeated calls (small T).
    # bf16 rows are not bounded by the f32 floor: an AVX-512 BF16 dot
    # product does two multiply-adds per f32 lane.
    below = [f"{r[2]} {r[0]} T={r[1]}" for r in rows
             if r[3] and r[2] != "roofline floor" and "bf16" not in r[2]
             and r[3] < 0.97 * time_of(r[0], "roofline floor")]
    below += [f"{k} W1 T={t}" for t, d in sweep_times.items() for k, v in d.items()
              if k != "floor" and v < 0.97 * d["floor"]]
    if max(gemm_fracs) > 1.03:
        below.append(f"hmoe's GEMM kernel ({max(gemm_fracs):.0%} of the ceiling)")

    def needs(sec_needed, floor_sec):
        return (f"that needs hmoe <= {fmt_t(sec_needed)} = "
                f"{sec_needed / floor_sec:.2f}x its roofline floor"
                + (" (below the floor: out of reach on this host)"
                   if sec_needed < floor_sec and not below else ""))

    kernels = (f"hmoe's GEMM kernel reached {min(gemm_fracs):.0%}-{max(gemm_fracs):.0%}"
               f" of the ceiling and W1's expert stage {expert_frac:.0%}")
    print(f"\n## Targets (host: {host['model']}, {args.threads} threads; default "
          "pipeline; figures from the tables above)")
    if below:
        print("NOTE: faster than the roofline floor / ceiling of this run: "
              + ", ".join(below) + ". Floors in this run are understated "
              "(ceiling or bandwidth measured under other load, or weights left in "
              "cache between calls at small T); judge the floor targets on an idle host.")
    for name in ("W1", "W2"):
        t = next(r[1] for r in rows if r[0] == name)
        at = f"{name} T={t}" + (" (--quick; the target is at T=4096)" if t != 4096 else "")
        sec, fl = time_of(name, "hmoe"), time_of(name, "roofline floor")
        line(sec <= 1.25 * fl, f"{at} within 1.25x of the roofline floor",
             f"hmoe {fmt_t(sec)} = {sec / fl:.2f}x the floor {fmt_t(fl)}",
             f"{bound(name)}; {kernels}")
        psec, peer = best_peer(name)
        if psec is None:
            line(False, f"{at} >= 1.5x faster than the best peer", "no peer ran")
        else:
            line(psec / sec >= 1.5, f"{at} >= 1.5x faster than the best peer",
                 f"{peer} {fmt_t(psec)} / hmoe {fmt_t(sec)} = {psec / sec:.2f}x",
                 f"{needs(psec / 1.5, fl)}; {bound(name)}")
    sec, fl = time_of("G1", "hmoe (fused)"), time_of("G1", "roofline floor")
    t = next(r[1] for r in rows if r[0] == "G1")
    line(sec <= 1.25 * fl, f"G1 T={t} within 1.25x of the roofline floor",
         f"hmoe {fmt_t(sec)} = {sec / fl:.2f}x the floor {fmt_t(fl)}", bound("G1"))
    jsec = time_of("G1", "jax")
    if jsec is None:
        line(False, f"G1 T={t} faster than JAX", "JAX did not run")
    else:
        line(jsec > sec, f"G1 T={t} faster than JAX",
             f"jax {fmt_t(jsec)} / hmoe {fmt_t(sec)} = {jsec / sec:.2f}x",
             f"{needs(jsec, fl)}; {bound('G1')}")
    for t in (1, 16):
        got = sweep_times.get(t, {})
        if "torch" not in got:
            line(False, f"W1 T={t} >= 3x PyTorch eager", "eager did not run")
            continue
        sec, esec = got["hmoe"], got["torch"]
        line(esec / sec >= 3, f"W1 T={t} >= 3x PyTorch eager",
             f"eager {fmt_t(esec)} / hmoe {fmt_t(sec)} = {esec / sec:.2f}x",
             needs(esec / 3, got["floor"]))
    for name in ("W1", "W2"):
        sec, bsec = time_of(name, "hmoe"), time_of(name, "hmoe bf16")
        what = f"{name} bf16 weights >= 1.6x faster than f32"
        if not host["bf16"]:
            print(f"n/a   {what}: this host has no avx512_bf16")
        elif bsec is None:
            line(False, what, "the bf16 layer did not run")
        else:
            flops = next(r[4] for r in rows if r[0] == name)
            line(sec / bsec >= 1.6, what,
                 f"f32 {fmt_t(sec)} / bf16 {fmt_t(bsec)} = {sec / bsec:.2f}x",
                 f"bf16 layer at {flops / bsec / 1e9:.1f} GFLOP/s, f32 at "
                 f"{flops / sec / 1e9:.1f} GFLOP/s (same FLOPs, half the weight bytes)")


def iree_worker(args):
    """Child process of Peers.run_iree_isolated."""
    peers = Peers(args.threads, [])
    params = dict(np.load(os.path.join(args.workdir, "args.npz")))
    sec, out = peers.run_iree(args.iree_worker, params, args.repetitions)
    np.save(os.path.join(args.workdir, "out.npy"), out)
    with open(os.path.join(args.workdir, "seconds"), "w") as f:
        f.write(repr(sec))


if __name__ == "__main__":
    main()
