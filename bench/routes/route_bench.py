"""Routing alone on the CPU: hmoe against PyTorch (eager, as a user writes
it), side by side in one run, on router logits given as input.

    bench/.venv/bin/python bench/routes/route_bench.py \
        --hmoe-run build/bin/hmoe-run [--tokens 16384] [--threads 2]

R256: DeepSeek-V3's routing (deepseek_v3_route.mlir: 256 experts in 8
groups, the 4 best groups by the sum of their top-2 keys, the top 8 of
their experts, sigmoid with selection bias, renormalised, x 2.5). R64: G1's
(g1_route.mlir: 64 experts, softmax, top 2, renormalised). Each peer's
experts and weights are checked against hmoe's (same expert sets, weights
within 1e-5) before times are printed; times are medians after warm-up.
"""

import argparse
import functools
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from bench import run_hmoe, time_call  # noqa: E402


def torch_routes():
    import torch

    def r256(s, b):
        T = s.shape[0]
        p = torch.sigmoid(s)
        keys = (p + b).view(T, 8, 32)
        kept = keys.topk(2, -1).values.sum(-1).topk(4, -1).indices
        mask = torch.zeros(T, 8, dtype=torch.bool).scatter_(1, kept, True)
        keys = keys.masked_fill(~mask[..., None], float("-inf")).view(T, 256)
        experts = keys.topk(8, -1).indices
        w = p.gather(1, experts)
        return w / w.sum(-1, keepdim=True) * 2.5, experts

    def r64(s):
        v, i = torch.softmax(s, -1).topk(2, -1)
        return v / v.sum(-1, keepdim=True), i

    return {"R256": r256, "R64": r64}


@functools.lru_cache(maxsize=None)
def route_cases(T):
    """{name: (the route's MLIR, its function @route's seeded inputs for T
    tokens)}; drawn once per T (gpu_check.py's bench asks for each library
    of a route; the arrays are only read)."""
    rng = np.random.default_rng(45)
    cases = {
        "R256": ("deepseek_v3_route.mlir",
                 [rng.standard_normal((T, 256), dtype=np.float32),
                  (0.1 * rng.standard_normal(256)).astype(np.float32)]),
        "R64": ("g1_route.mlir",
                [rng.standard_normal((T, 64), dtype=np.float32)]),
    }
    result = {}
    for name, (path, inputs) in cases.items():
        with open(os.path.join(HERE, path)) as f:
            result[name] = (f.read(), inputs)
    return result


def check(name, got, want):
    """Same expert set per token; weights within 1e-5 (matched by expert)."""
    (gw, ge), (ww, we) = got, want
    order_g, order_w = np.argsort(ge, 1), np.argsort(we, 1)
    ge, gw = np.take_along_axis(ge, order_g, 1), np.take_along_axis(gw, order_g, 1)
    we, ww = np.take_along_axis(we, order_w, 1), np.take_along_axis(ww, order_w, 1)
    same = (ge == we).all(1)
    err = np.abs(gw - ww)[same].max() if same.any() else np.inf
    ok = same.mean() == 1.0 and err <= 1e-5
    print(f"  {name}: experts agree on {100 * same.mean():.2f}% of tokens, "
          f"max weight difference {err:.1e}: {'OK' if ok else 'MISMATCH'}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    ap.add_argument("--tokens", type=int, default=16384)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--repetitions", type=int, default=10)
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)

    T = args.tokens
    peers = torch_routes()
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as work:
        for name, (mlir, inputs) in route_cases(T).items():
            sec, (w, e) = run_hmoe(args.hmoe_run, mlir, "route", inputs,
                                   args.repetitions, work,
                                   pipeline="hmoe-lower-to-cpu", outputs=2)
            tin = [torch.from_numpy(a) for a in inputs]
            tw, te = peers[name](*tin)
            ok &= check(name, (w, e.astype(np.int64)),
                        (tw.numpy(), te.numpy()))
            tsec = time_call(lambda: peers[name](*tin), args.repetitions)
            rows.append((name, sec, tsec))
    print(f"\nrouting alone, T = {T}, {args.threads} threads (median):")
    print(f"{'':6} {'hmoe':>10} {'torch eager':>12} {'speed-up':>9}")
    for name, sec, tsec in rows:
        print(f"{name:6} {sec * 1e3:8.2f} ms {tsec * 1e3:9.2f} ms "
              f"{tsec / sec:8.2f}x")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
