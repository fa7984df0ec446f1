"""Runs each layer in examples/ through hmoe-run on seeded random inputs and
compares it with the float64 reference.

    examples.py --hmoe-run PATH [--hmoe-opt PATH] [--tokens T]
                [--pipeline PIPELINE]

With --hmoe-opt, each example is also lowered ahead of time
(hmoe-opt --hmoe-lower-to-cpu) and the LLVM-dialect module is run too.
With --pipeline, hmoe-run lowers each example with that pipeline instead
of its own (e.g. the GPU schedule run on the CPU).
"""

import argparse
import os
import subprocess
import sys
import tempfile

from hmoe.layer import Gate, Layer
from hmoe.run import check_layer

EXAMPLES = {
    "nested_ll_hmoe": Layer(
        strategy="nested", fanout=[4, 8],
        gates=[Gate("laplace", "softmax", k=2), Gate("laplace", "softmax", k=2)],
        d=512, expert="ffn", expert_activation="gelu", hidden=1024,
        b1=True, b2=True),
    "deepseek_group_limited": Layer(
        strategy="group_limited", fanout=[64],
        gates=[Gate("linear", "sigmoid", k=8, scale=2.5)], groups=8,
        k_groups=4, group_score="sum_top", top_m=2, selection_bias=[True],
        d=1024, expert="swiglu", hidden=256, stats=["load", "balance_loss"]),
    "deepseek_v3_shared": Layer(
        strategy="group_limited", fanout=[256],
        gates=[Gate("linear", "sigmoid", k=8, scale=2.5)], groups=8,
        k_groups=4, group_score="sum_top", top_m=2, selection_bias=[True],
        d=256, expert="swiglu", hidden=64, shared_experts=1,
        shared_hidden=64, stats=["load"]),
    "himoe_per_group": Layer(
        strategy="per_group", fanout=[32], gates=[Gate("linear", "softmax", k=2)],
        groups=4, penalty=[True], router_scale=True,
        d=512, expert="ffn", expert_activation="silu", hidden=1024,
        stats=["r_intra", "r_inter", "group_load"], lambda_intra=0.1,
        lambda_inter=0.05, capacity=2.0, fill_order="choice_rank",
        capacity_rounding="hi_moe"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    ap.add_argument("--hmoe-opt")
    ap.add_argument("--examples", default=os.path.join(
        os.path.dirname(__file__), "..", "..", "examples"))
    ap.add_argument("--tokens", type=int, default=24)
    ap.add_argument("--pipeline", default=None,
                    help="hmoe-run's --pipeline (default: its own)")
    args = ap.parse_args()
    extra = [f"--pipeline={args.pipeline}"] if args.pipeline else []
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (name, layer) in enumerate(EXAMPLES.items()):
            layer.name = name
            path = os.path.join(args.examples, name + ".mlir")
            variants = [("source", path)]
            if args.hmoe_opt:
                lowered = os.path.join(tmp, name + ".llvm.mlir")
                subprocess.run([args.hmoe_opt, "--hmoe-lower-to-cpu", path,
                                "-o", lowered], check=True)
                variants.append(("pre-lowered", lowered))
            for variant, file in variants:
                failures, summary = check_layer(
                    layer, args.tokens, seed, args.hmoe_run, mlir_path=file,
                    function=name, extra=extra if variant == "source" else ())
                print(f"{'PASS' if not failures else 'FAIL'}: {name} "
                      f"({variant}): {summary}")
                for f in failures:
                    print("    " + f)
                failed += bool(failures)
    print(f"{failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
