"""Runs examples/nested_ll_hmoe.mlir on the CPU through hmoe-run: checks the
result against the float64 reference, then times it. Called by main.sh."""

import argparse
import os
import sys
import tempfile

import numpy as np

from hmoe.layer import Gate, Layer
from hmoe.run import check_layer, run_hmoe

LAYER = Layer(strategy="nested", fanout=[4, 8],
              gates=[Gate("laplace", "softmax", k=2), Gate("laplace", "softmax", k=2)],
              d=512, expert="ffn", expert_activation="gelu", hidden=1024,
              b1=True, b2=True, name="nested_ll_hmoe")


def flops_per_token(layer):
    """Multiply-adds counted as 2 FLOPs (distance terms as 3: sub, mul, add)."""
    D, H, K = layer.d, layer.hidden, layer.num_chosen
    gates = 3 * D * (layer.fanout[0] + layer.fanout[0] * layer.fanout[1])
    experts = K * (2 * D * H + 2 * H * layer.d_out)
    return gates + experts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--check-tokens", type=int, default=256)
    ap.add_argument("--repetitions", type=int, default=5)
    args = ap.parse_args()

    print(f"== {os.path.basename(args.example)}: nested HMoE, Laplace gates at "
          f"both levels, 4 groups x 8 experts, top-2 x top-2, GELU FFN "
          f"D {LAYER.d} H {LAYER.hidden}")
    failures, summary = check_layer(LAYER, args.check_tokens, 0, args.hmoe_run,
                                    mlir_path=args.example, function=LAYER.name)
    print(f"check against the float64 reference (T={args.check_tokens}): "
          f"max relative error {summary.split('err=')[1].split()[0]} "
          f"(tolerance 1e-5): {'PASS' if not failures else 'FAIL'}")
    for f in failures:
        print("    " + f)

    T = args.tokens
    params = LAYER.random_params(T, 1)
    names = [n for n, _, _ in LAYER.param_shapes(T)]
    flops = flops_per_token(LAYER) * T
    with tempfile.TemporaryDirectory() as tmp:
        (y,), out = run_hmoe(args.hmoe_run, args.example, LAYER.name,
                             [params[n] for n in names], 1, tmp,
                             [f"--benchmark-repetitions={args.repetitions}",
                              f"--flops-per-call={flops}"])
    print(f"run on T={T} tokens: y[0, :4] = {np.array2string(y[0, :4], precision=5)}")
    print(out.strip())
    threads = os.environ.get("OMP_NUM_THREADS", str(os.cpu_count()))
    print(f"({threads} threads; {flops / T / 1e6:.2f} MFLOP per token)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
