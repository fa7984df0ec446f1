"""Decode-sized calls (T = 1 to 64 tokens) on this CPU, for a change to the
generated code that has no option to turn it off: this build's hmoe against
another build's, side by side in one run, with each layer's floor.

    PYTHONPATH=build/python_packages python/.venv/bin/python \
        bench/decode_calls.py --baseline /tmp/old/python_packages [--rounds 5]

(--baseline: the `python_packages` folder of the other build, e.g. a copy
of build/python_packages taken before the change.) Without --baseline it
prints this build's times alone.

Layers: a GEMM alone (the first of a D = 512, H = 1024 FFN expert, its rows
the tokens), top-2 linear-gated GELU FFN layers whose expert weights stay in
the L3 cache between calls (E = 8, D = 256, H = 512: 8 MiB) or stream from
memory (E = 16, D = 512, H = 1024: 64 MiB), a Laplace-gated one (G1's gate,
64 x 1024, whose rows each call centres and norms, in front of 64 experts,
H = 128: 64 MiB), and W1 of bench/bench.py (32 experts, 128 MiB). Each round
runs every layer in a fresh process per build, the builds in turns (the
first of a round alternates); a time is the best of `layer.time`'s calls in
a round (about 50 ms of calls), the median over rounds. Both builds' outputs
are compared, bit for bit.

Floor: the larger of two lower bounds, printed with which it is. Memory:
the bytes of the expert weights a call's routing picks (from the layer's
counts), the gates', x's and y's, once, over the read bandwidth measured
here (bench.py's measure_read_bandwidth: a streaming sum of 256 MiB on all
threads); meaningful for weights that do not fit in the caches
(cache-resident layers run well below it). Compute: the FLOPs of the GEMMs
(the routed rows' expert GEMMs; gates not counted) over an f32 GEMM rate
measured here: bench/.venv's NumPy/OpenBLAS with the host's own kernels
(bench.py's measure_openblas, square 512 to 2048) where bench/setup.sh has
made that venv, else this build's own GEMM at 2048^3 (the Debian NumPy and
PyTorch of python/.venv run a generic BLAS at a few GFLOP/s: no ceiling).
The run prints which.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENS = [1, 2, 4, 8, 16, 32, 64]


# c[m, n] = a[m, k] * w[n, k] (w's rows the output columns, as hmoe's
# expert weights).
GEMM = """
func.func @gemm(%a: tensor<{m}x{k}xf32>, %w: tensor<{n}x{k}xf32>)
    -> tensor<{m}x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %t = tensor.dim %a, %c0 : tensor<{m}x{k}xf32>
  %e = tensor.empty(%t) : tensor<{m}x{n}xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>)
      -> tensor<{m}x{n}xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %w : tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>)
      outs(%f : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}"""


def layers():
    """(name, source, weight scale): sources hmoe.compile takes."""
    import dataclasses

    import hmoe
    sys.path.append(HERE)
    from bench import W1  # noqa: E402

    def ffn(dim, experts, hidden, score="linear"):
        return hmoe.LayerSpec(
            dim=dim,
            levels=[hmoe.Level(hmoe.Gate(score, k=2), fanout=experts)],
            expert=hmoe.Expert("ffn", activation="gelu", hidden=hidden),
            stats=["load"])

    # One FFN expert's first GEMM alone (N = 1024, K = 512: 2 MiB of w).
    gemm = GEMM.format(m="?", n=1024, k=512)
    return [("GEMM N=1024 K=512 (2 MiB)", gemm, 1.0),
            ("E=8 D=256 H=512 (8 MiB)", ffn(256, 8, 512), 1.0),
            ("E=16 D=512 H=1024 (64 MiB)", ffn(512, 16, 1024), 1.0),
            # A Laplace gate's weight rows are centred and normed every
            # call (they are arguments, not constants): G1's gate, 64 x
            # 1024, in front of 64 MiB of experts.
            ("Laplace E=64 D=1024 H=128 (64 MiB)",
             ffn(1024, 64, 128, score="laplace"), 0.05),
            ("W1 (128 MiB)", dataclasses.replace(W1, stats=["load"]).mlir(),
             0.05)]


def worker():
    """Times every layer at every T with the hmoe on sys.path; prints JSON:
    {"native": the extension's path, layer: {T: [seconds, output digest,
    bytes read, GEMM FLOPs]}}."""
    import hmoe
    from hmoe import _hmoe
    rng = np.random.default_rng(0)
    result = {"native": os.path.realpath(_hmoe.__file__)}
    for name, source, scale in layers():
        layer = hmoe.compile(source, options="target-cpu=native")
        args = layer.arguments
        weights = [(rng.standard_normal(s) * scale).astype(np.float32)
                   for (_, s, _) in args[1:]]
        layer.bind(weights)
        dim = args[0][1][1]
        result[name] = {}
        for T in TOKENS:
            x = rng.standard_normal((T, dim)).astype(np.float32)
            out = layer(x)
            y, stats = out if isinstance(out, tuple) else (out, None)
            # Expert weights: [E, rows, cols] (these layers have no biases);
            # the GEMM's w is read whole.
            experts = len(stats["load"]) if stats else 1
            expert_ws = [w for w in weights
                         if stats and w.ndim == 3 and w.shape[0] == experts]
            expert_bytes = sum(w.nbytes for w in expert_ws)
            other_bytes = sum(w.nbytes for w in weights) - expert_bytes
            digest = hashlib.sha1(np.ascontiguousarray(y)).hexdigest()
            used = int(np.count_nonzero(stats["load"])) if stats else 1
            nbytes = (expert_bytes * used / experts + other_bytes + x.nbytes
                      + y.nbytes)
            # A multiply-add per weight element and routed row (the GEMM:
            # per row of x).
            if stats:
                rows = int(np.sum(stats["load"]))
                flops = sum(2 * w[0].size * rows for w in expert_ws)
            else:
                flops = 2 * weights[0].size * T
            once = min(layer.time(x, 3))
            reps = int(min(3000, max(3, 0.05 / max(once, 1e-7))))
            result[name][T] = [min(layer.time(x, reps)), digest, nbytes,
                               flops]
    print(json.dumps(result))


def own_gemm_rate(n=2048):
    """f32 flop/s of this build's GEMM (c = a w^T) at n^3, best of 3."""
    import hmoe
    layer = hmoe.compile(GEMM.format(m="?", n=n, k=n),
                         options="target-cpu=native")
    rng = np.random.default_rng(0)
    layer.bind([rng.standard_normal((n, n)).astype(np.float32)])
    x = rng.standard_normal((n, n)).astype(np.float32)
    return 2 * n ** 3 / min(layer.time(x, 3))


def gemm_ceiling(threads):
    """(flop/s, where it comes from)."""
    sys.path.append(HERE)
    from bench import measure_openblas
    python = os.path.join(HERE, ".venv", "bin", "python")
    why = "no bench/.venv"
    if os.path.exists(python):
        try:
            rate, n, blas = measure_openblas(threads, (512, 1024, 2048),
                                             python=python)
            return rate, f"NumPy/OpenBLAS ({blas}), best at {n}^3"
        except RuntimeError as e:
            why = f"bench/.venv's NumPy failed: {e}"
    return own_gemm_rate(), f"this build's GEMM at 2048^3; {why}"


def run_worker(package):
    env = dict(os.environ, PYTHONPATH=package)
    proc = subprocess.run([sys.executable, __file__, "--worker", "--tokens",
                           ",".join(map(str, TOKENS))], env=env,
                          capture_output=True, text=True)
    if proc.returncode or not proc.stdout.strip():
        raise RuntimeError(f"worker for {package} failed (exit "
                           f"{proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", help="another build's python_packages")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tokens", default=",".join(map(str, TOKENS)),
                    help="token counts, comma-separated")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    TOKENS[:] = [int(t) for t in args.tokens.split(",")]
    if args.worker:
        return worker()
    import hmoe
    this = os.path.dirname(os.path.dirname(os.path.abspath(hmoe.__file__)))
    builds = ([args.baseline] if args.baseline else []) + [this]
    # The limits first (a failure costs no timings), the GEMM rate before
    # PyTorch starts its own thread pool in this process.
    sys.path.append(HERE)
    from bench import measure_read_bandwidth
    threads = os.cpu_count()
    ceiling, source = gemm_ceiling(threads)
    bandwidth = measure_read_bandwidth(threads)
    runs = {b: [] for b in builds}
    for r in range(args.rounds):
        for b in (builds if r % 2 == 0 else builds[::-1]):
            runs[b].append(run_worker(b))
    # Each build's own extension (not another's found through a path).
    natives = {runs[b][0]["native"] for b in builds}
    if len(natives) != len(builds):
        raise RuntimeError(f"the builds load the same extension: {natives}")
    print(f"read bandwidth {bandwidth / 1e9:.1f} GB/s; f32 GEMM rate "
          f"{ceiling / 1e9:.1f} GFLOP/s ({source}); {threads} threads; "
          f"{args.rounds} rounds")
    head = "| layer | T |" + (" baseline |" if args.baseline else "")
    print(head + " this build | ratio | floor | bound | this / floor | "
          "outputs |")
    print("| --- | ---: |" + (" ---: |" if args.baseline else "")
          + " ---: | ---: | ---: | --- | ---: | --- |")
    for name in (n for n in runs[this][0] if n != "native"):
        for T in map(str, TOKENS):
            med = {b: statistics.median(run[name][T][0] for run in runs[b])
                   for b in builds}
            digests = {run[name][T][1] for b in builds for run in runs[b]}
            nbytes, flops = runs[this][0][name][T][2:4]
            floor, bound = max((nbytes / bandwidth, "memory"),
                               (flops / ceiling, "compute"))
            cells = [f"{med[b] * 1e6:.1f} us" for b in builds]
            ratio = (f"{med[builds[0]] / med[this]:.2f}x" if args.baseline
                     else "")
            print(f"| {name} | {T} | " + " | ".join(cells)
                  + f" | {ratio} | {floor * 1e6:.1f} us | {bound} | "
                  f"{med[this] / floor:.2f} | "
                  f"{'equal' if len(digests) == 1 else 'DIFFER'} |",
                  flush=True)


if __name__ == "__main__":
    sys.exit(main())
