"""An f32 GEMM compiled by upstream MLIR alone (a transform-dialect
schedule, mlir-opt and mlir-runner of LLVM 22), as one source of the
benchmark's GEMM ceiling: what the machine reaches with a plain upstream
pipeline, independent of any BLAS library.

    bench/.venv/bin/python bench/transform_matmul.py [--threads N]
        [--sizes 1536,2048] [--mr 12 --nr 32 --nc 256 --kc 256] [--keep DIR]

Payload: transform_matmul.mlir (linalg.matmul and a timing @main);
schedule: transform_matmul_schedule.mlir (tiling for threads, cache and
registers, packing of B, vectorization to FMAs). The forall over row
blocks runs on OpenMP (libomp of LLVM 22). Each run checks C against
NumPy (exact checksums of an integer-valued product).
"""

import argparse
import os
import re
import string
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LLVM = os.environ.get("HMOE_LLVM_PREFIX", "/usr/lib/llvm-22")

# Register tile MR x NR of C (NR a multiple of the 16 f32 lanes of a zmm
# register; MR * NR / 16 accumulators, NR / 16 rows of B and a broadcast of
# A fit in the 32 zmm registers) and cache block KC x NC of B (256 KiB at
# 256 x 256 floats, in L2). Best of a sweep on the 2-core Zen 5 host (2
# threads, best of 12 rounds, GFLOP/s at 1536^3 / 2048^3; OpenBLAS 460):
# 12x32 462/454, 8x32 466/435, 6x64 434/421, 6x64 with NC 512 439/417.
DEFAULT_SCHEDULE = {"MR": 12, "NR": 32, "NC": 256, "KC": 256}

# After the transform interpreter: bufferize, free the packing buffers,
# forall -> OpenMP, then the standard lowering to the LLVM dialect.
PIPELINE = [
    "--one-shot-bufferize",
    "--buffer-deallocation-pipeline",
    "--convert-bufferization-to-memref",
    "--convert-linalg-to-loops",           # the fill and the packing copy
    "--scf-forall-to-parallel",
    "--convert-scf-to-openmp=num-threads={threads}",
    "--canonicalize",                      # inlines the alloca scopes it adds
    "--convert-vector-to-scf=full-unroll=true",
    "--expand-strided-metadata",
    "--lower-affine",
    "--convert-scf-to-cf",
    "--convert-vector-to-llvm",
    "--finalize-memref-to-llvm",
    "--convert-to-llvm",
    "--reconcile-unrealized-casts",
]


def shape(n, threads, sched):
    """(M, N, K) near n that the schedule tiles exactly: each thread's rows
    a multiple of MR, N of NC, K of KC (no partial tiles to mask)."""
    def up(v, m):
        return -(-v // m) * m
    return (up(n, threads * sched["MR"]), up(n, sched["NC"]), up(n, sched["KC"]))


def expected_checksums(M, N, K):
    """The two checksums @main prints, from NumPy (float64: exact here)."""
    i = np.arange(M)[:, None]
    k = np.arange(K)[None, :]
    a = ((i + 2 * k) % 13 - 6).astype(np.float64)
    kk = np.arange(K)[:, None]
    j = np.arange(N)[None, :]
    b = ((3 * kk + j) % 11 - 5).astype(np.float64)
    c = a @ b
    w = (7 * np.arange(M)[:, None] + 3 * j) % 5 + 1
    return int(c.sum()), int((c * w).sum())


def _run(args, env=None):
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        err = next((l for l in lines if "error" in l), lines[0] if lines else "")
        raise RuntimeError(f"{os.path.basename(args[0])} exited with "
                           f"{proc.returncode}: {err.strip()[:200]}")
    return proc.stdout


def measure(n, threads, sched=None, reps=10, workdir=None):
    """Compiles and runs the GEMM near n^3. Returns a dict: M, N, K,
    seconds (best of reps), gflops, ok (result equals NumPy's). Raises
    RuntimeError when a tool fails."""
    sched = dict(DEFAULT_SCHEDULE, **(sched or {}))
    if sched["NC"] % sched["NR"]:
        raise ValueError("NC must be a multiple of NR")
    M, N, K = shape(n, threads, sched)
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or tmp
        os.makedirs(work, exist_ok=True)
        subst = dict(sched, M=M, N=N, K=K, REPS=reps, THREADS=threads)
        paths = {}
        for name in ("transform_matmul.mlir", "transform_matmul_schedule.mlir"):
            with open(os.path.join(HERE, name)) as f:
                text = string.Template(f.read()).substitute(subst)
            paths[name] = os.path.join(work, name)
            with open(paths[name], "w") as f:
                f.write(text)
        llvm_ir = os.path.join(work, "transform_matmul.llvm.mlir")
        _run([os.path.join(LLVM, "bin", "mlir-opt"), paths["transform_matmul.mlir"],
              "--transform-preload-library=transform-library-paths="
              + paths["transform_matmul_schedule.mlir"],
              "--transform-interpreter"]
             + [p.format(threads=threads) for p in PIPELINE] + ["-o", llvm_ir])
        lib = os.path.join(LLVM, "lib")
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        out = _run([os.path.join(LLVM, "bin", "mlir-runner"), llvm_ir, "-e", "main",
                    "-entry-point-result=void", "-O3",
                    "-shared-libs=" + ",".join(os.path.join(lib, l) for l in (
                        "libmlir_c_runner_utils.so", "libmlir_runner_utils.so",
                        "libomp.so"))], env=env)
    values = [int(v) for v in re.findall(r"^-?\d+$", out, re.M)]
    if len(values) != 3:
        raise RuntimeError(f"unexpected mlir-runner output: {out[:200]!r}")
    ns, sums = values[0], tuple(values[1:])
    sec = ns / 1e9
    return {"M": M, "N": N, "K": K, "seconds": sec,
            "gflops": 2 * M * N * K / sec / 1e9,
            "ok": sums == expected_checksums(M, N, K)}


def describe(sched=None):
    s = dict(DEFAULT_SCHEDULE, **(sched or {}))
    return (f"forall over row blocks (OpenMP), B packed in {s['KC']}x{s['NC']} "
            f"blocks, {s['MR']}x{s['NR']} register tile, k steps of 1, "
            f"vector.contract -> outer products -> FMA")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--sizes", default="1536,2048")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--keep", help="write the generated and lowered IR here")
    for k, v in DEFAULT_SCHEDULE.items():
        ap.add_argument("--" + k.lower(), type=int, default=v)
    args = ap.parse_args()
    sched = {k: getattr(args, k.lower()) for k in DEFAULT_SCHEDULE}
    print(f"schedule: {describe(sched)}; {args.threads} threads")
    for n in (int(s) for s in args.sizes.split(",")):
        try:
            r = measure(n, args.threads, sched, args.reps, args.keep)
        except (RuntimeError, ValueError) as e:
            print(f"n={n}: failed: {e}")
            continue
        print(f"{r['M']}x{r['N']}x{r['K']}: {r['seconds'] * 1e3:.2f} ms, "
              f"{r['gflops']:.1f} GFLOP/s, result "
              + ("equals NumPy's" if r["ok"] else "DIFFERS from NumPy's"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
