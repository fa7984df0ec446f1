"""Expert parallelism on one machine: a layer's experts in one process
against the same layer spread over R MPI processes (experts_on), side by
side, each figure hmoe-run's median of --benchmark-repetitions calls.

  one process, T threads    the whole layer, OpenMP over the host's cores
  one process, 1 thread     the same on one core (the per-process budget)
  R processes, 1 thread     experts_on: each process E / R experts, routing
                            replicated, the partial outputs all-reduced

On a host with R cores the third shows what spreading costs over perfect
scaling of the second (replicated routing, the all-reduce of T x D floats),
and what it buys: each process holds E / R of the weights. The last column
is the largest relative difference of the spread layer's y (every
process's) from the single process's. Each timing is the median of
2e5 / (T + 50) calls (5 to 2000; --repetitions sets it).

  PYTHONPATH=python python/.venv/bin/python bench/expert_parallel.py \
      --hmoe-run build/bin/hmoe-run [--processes 2] [--tokens 1 64 1024] \
      [--shared 1]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from hmoe.layer import Gate, Layer  # noqa: E402
from hmoe.run import relative_error, save_process_inputs  # noqa: E402

MEDIAN = re.compile(r"median ([0-9.]+) ms")


def run(command, env):
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{proc.stderr}")
    medians = [float(m) for m in MEDIAN.findall(proc.stdout)]
    # Every process prints its own; the layer takes the slowest one's.
    return max(medians)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    # MPICH's launcher by name (`mpiexec` may be another MPI's).
    ap.add_argument("--mpiexec", default=next(filter(None, map(
        shutil.which, ("mpiexec.hydra", "mpiexec.mpich", "mpiexec"))), None))
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--tokens", type=int, nargs="+", default=[1, 64, 1024])
    ap.add_argument("--experts", type=int, default=16)
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--shared", type=int, default=0,
                    help="shared experts (FFN, hidden --hidden): whole on "
                    "every process, each running its share of their hidden "
                    "units")
    ap.add_argument("--repetitions", type=int, default=0,
                    help="calls per timing (0: 2e5 / (T + 50), 5 to 2000)")
    args = ap.parse_args()
    R = args.processes
    layers = {
        spread: Layer(fanout=[args.experts],
                      gates=[Gate("linear", "softmax", k=2)], d=args.d,
                      expert="ffn", hidden=args.hidden,
                      shared_experts=args.shared, shared_hidden=args.hidden,
                      expert_processes=spread)
        for spread in (1, R)}
    E = args.experts
    weight_mib = 2 * E * args.d * args.hidden * 4 / 2**20
    shared_mib = 2 * args.shared * args.d * args.hidden * 4 / 2**20
    print(f"layer: E={E} D={args.d} H={args.hidden} top-2 FFN, f32, "
          f"{weight_mib:.0f} MiB of experts ({weight_mib / R:.0f} MiB per "
          f"process when spread over {R})"
          + (f"; {args.shared} shared experts ({shared_mib:.0f} MiB, on "
             f"every process)" if args.shared else ""))
    print(f"{'T':>6} {'1 proc, all threads':>20} {'1 proc, 1 thread':>17} "
          f"{f'{R} procs, 1 thread':>18} {'vs 1 thread':>12} "
          f"{'vs all threads':>15} {'y rel. err':>11}")
    base_env = dict(os.environ)
    for T in args.tokens:
        layer = layers[1]
        params = layer.random_params(T, 17 + T)
        with tempfile.TemporaryDirectory() as work:
            paths = {}
            for spread, l in layers.items():
                paths[spread] = os.path.join(work, f"layer{spread}.mlir")
                with open(paths[spread], "w") as f:
                    f.write(l.mlir())
            # The whole layer's inputs (one process) and each process's.
            whole = save_process_inputs(layers[1], params, T, work)
            parts = save_process_inputs(layers[R], params, T, work)
            reps = args.repetitions or max(5, min(2000, int(2e5 / (T + 50))))
            timing = [f"--benchmark-repetitions={reps}"]
            one_all = run([args.hmoe_run, paths[1], "--function=layer"] +
                          whole + timing +
                          [f"--output=@{work}/y1.npy"], base_env)
            one_env = dict(base_env, OMP_NUM_THREADS="1")
            one_one = run([args.hmoe_run, paths[1], "--function=layer"] +
                          whole + timing, one_env)
            spread = run([args.mpiexec, "-n", str(R), args.hmoe_run,
                          paths[R], "--function=layer"] + parts + timing +
                         [f"--output=@{work}/yR_{{rank}}.npy"], one_env)
            y1 = np.load(f"{work}/y1.npy")
            err = max(relative_error(np.load(f"{work}/yR_{r}.npy"), y1)
                      for r in range(R))
        print(f"{T:>6} {one_all:>17.3f} ms {one_one:>14.3f} ms "
              f"{spread:>15.3f} ms {one_one / spread:>11.2f}x "
              f"{one_all / spread:>14.2f}x {err:>11.2e}")


if __name__ == "__main__":
    main()
