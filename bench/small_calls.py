"""Small calls (decode-sized token counts) on this CPU: a layer's time per
call with hmoe-lower-to-cpu's defaults against a baseline that starts the
thread team more often: `serial-single=0` (no serial twin for a parallel
loop a call gives one iteration; the default baseline) or `serial-work=0`
(every small static loop nest too), and what the JIT's call costs from
Python on top.

    PYTHONPATH=build/python_packages python/.venv/bin/python \
        bench/small_calls.py [--rounds 5] [--baseline serial-work=0]

Layers: a tiny one (4 experts, D = H = 16, top-2: the thread team's cost
laid bare), one of 16 experts at D = 512, H = 1024, and the main job's
example (examples/nested_ll_hmoe.mlir). Each time is the best of
`layer.time`'s calls (JitLayer::time, the allocating entry), the two
compiles taken in turns, the median over rounds; both compiles' outputs
are checked equal, bit for bit, first.
"""

import argparse
import os
import statistics
import time

import numpy as np

import hmoe

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = ["serial-single=0", ""]  # the baseline (--baseline), the default


def compile_both(layer, weights_scale, rng):
    layers = {o: hmoe.compile(layer, options="target-cpu=native " + o)
              for o in VARIANTS}
    args = layers[""].arguments
    weights = [(rng.standard_normal(s) * weights_scale).astype(np.float32)
               for (_, s, _) in args[1:]]
    for compiled in layers.values():
        compiled.bind(weights)
    return layers, args[0][1][1]


def compare(name, layers, dim, tokens, rounds, rng):
    for T in tokens:
        x = rng.standard_normal((T, dim)).astype(np.float32)
        # (These layers return y alone.)
        without, with_ = (layers[o](x) for o in VARIANTS)
        assert np.array_equal(without, with_), (name, T)
        # About 50 ms of calls per variant and round.
        once = min(layers[""].time(x, 3))
        reps = int(min(5000, max(5, 0.05 / max(once, 1e-7))))
        best = {o: [] for o in VARIANTS}
        for r in range(rounds):
            # Each first in turn (libomp's threads spin a while after a
            # region: the second variant may find them awake).
            for o in (VARIANTS if r % 2 == 0 else VARIANTS[::-1]):
                best[o].append(min(layers[o].time(x, reps)))
        before = statistics.median(best[VARIANTS[0]])
        after = statistics.median(best[VARIANTS[1]])
        print(f"| {name} | {T} | {before * 1e6:.1f} us | {after * 1e6:.1f} us "
              f"| {before / after:.2f}x |", flush=True)


def one_level(dim, experts, hidden):
    """A top-2 linear gate over `experts` GELU FFN experts."""
    return hmoe.LayerSpec(
        dim=dim, levels=[hmoe.Level(hmoe.Gate("linear", k=2), fanout=experts)],
        expert=hmoe.Expert("ffn", activation="gelu", hidden=hidden))


def python_overhead(rng):
    layer = hmoe.compile(one_level(16, 4, 16), options="target-cpu=native")
    layer.bind([rng.standard_normal(s).astype(np.float32)
                for (_, s, _) in layer.arguments[1:]])
    x = rng.standard_normal((1, 16)).astype(np.float32)
    out = np.empty_like(layer(x))
    for name, call in [("layer(x)", lambda: layer(x)),
                       ("layer(x, out=y)", lambda: layer(x, out=out)),
                       ("layer.time (the call alone)", None)]:
        if call is None:
            per = min(layer.time(x, 5000))
        else:
            per = 1e9
            for _ in range(5):
                start = time.perf_counter()
                for _ in range(2000):
                    call()
                per = min(per, (time.perf_counter() - start) / 2000)
        print(f"tiny layer, T = 1, {name}: {per * 1e6:.1f} us a call")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", default=VARIANTS[0],
                    help="hmoe-lower-to-cpu options of the compile the "
                    "defaults are compared with")
    args = ap.parse_args()
    VARIANTS[0] = args.baseline
    rng = np.random.default_rng(0)
    print(f"| layer | T | {args.baseline} | default | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (D, E, H) in [(16, 4, 16), (512, 16, 1024)]:
        layers, dim = compile_both(one_level(D, E, H), 1.0, rng)
        compare(f"E={E} D={D} H={H}", layers, dim, [1, 2, 16, 64],
                args.rounds, rng)
    example = open(os.path.join(HERE, "..", "examples",
                                "nested_ll_hmoe.mlir")).read()
    layers, dim = compile_both(example, 0.05, rng)
    compare("nested_ll_hmoe", layers, dim, [1, 16, 1024], args.rounds, rng)
    python_overhead(rng)


if __name__ == "__main__":
    main()
