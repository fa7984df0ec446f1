"""Integration matrix: every strategy x score kind x normalisation x expert
kind (with selection bias, capacity and statistics switched on and off
across the cases), plus edge cases, run through hmoe-run and compared with
the float64 reference (python/hmoe/reference.py).

    matrix.py --hmoe-run PATH --group NAME [--list]

Prints one line per case and exits non-zero if any case fails.
"""

import argparse
import copy
import itertools
import os
import sys

import numpy as np

from hmoe.layer import Gate, Layer
from hmoe.run import check_layer, decisive_params

SCORES = ["linear", "laplace", "gaussian", "activation"]
ACTIVATIONS = ["tanh", "sigmoid", "relu", "gelu", "silu"]
NORMS = ["softmax", "sigmoid"]
EXPERTS = ["ffn", "swiglu", "linear"]
ALL_STATS = ["load", "importance", "group_load", "group_importance", "dropped",
             "balance_loss", "cv2_loss", "z_loss", "r_intra", "r_inter"]

# name -> (strategy, fanout, per-level k, extra Layer fields). Expert and
# group counts are deliberately not powers of two.
STRATEGIES = {
    "flat": ("nested", [6], [2], {}),
    "nested2": ("nested", [3, 5], [2, 2], {}),
    "nested2_shared": ("nested", [4, 3], [2, 1], {"shared": [False, True]}),
    "nested3": ("nested", [2, 3, 2], [1, 2, 2], {}),
    "group_limited_max": ("group_limited", [12], [3],
                          {"groups": 3, "k_groups": 2, "group_score": "max"}),
    "group_limited_sum_top": ("group_limited", [20], [4],
                              {"groups": 5, "k_groups": 2,
                               "group_score": "sum_top", "top_m": 2}),
    "per_group": ("per_group", [12], [2], {"groups": 3}),
}


def gate(score, norm, k, i):
    act = ACTIVATIONS[i % len(ACTIVATIONS)] if score == "activation" else None
    return Gate(score=score, norm=norm, k=k, activation=act,
                temperature=[1.0, 0.7, 2.0][i % 3],
                renormalize=(i % 4 != 3), scale=[1.0, 2.5][i % 2])


def matrix_layer(name, score, norm, expert, i):
    strategy, fanout, ks, extra = STRATEGIES[name]
    levels = len(fanout)
    # Inner levels rotate the score kind (SL, LS, ... combinations).
    gates = [gate(SCORES[(SCORES.index(score) + l) % 4], norm, ks[l], i + l)
             for l in range(levels)]
    return Layer(
        strategy=strategy, fanout=list(fanout), gates=gates, d=24, hidden=10,
        expert=expert, expert_activation=ACTIVATIONS[i % len(ACTIVATIONS)],
        gate_bias=[(i + l) % 2 == 0 for l in range(levels)],
        selection_bias=[(i // 2 + l) % 2 == 0 for l in range(levels)],
        router_scale=(i % 3 == 1), b1=(i % 2 == 1), b2=(i % 3 != 0),
        capacity=[None, 1.0, 0.6][i % 3],
        stats=ALL_STATS if i % 2 == 0 else [],
        lambda_intra=0.5, lambda_inter=0.25,
        **extra)


def matrix_cases(name):
    for i, (score, norm, expert) in enumerate(
            itertools.product(SCORES, NORMS, EXPERTS)):
        yield (f"{name}/{score}/{norm}/{expert}",
               matrix_layer(name, score, norm, expert, i), 40, i)


def edge_cases():
    """T = 0, k = N, exact ties, NaN, more tokens than threads."""
    for name in STRATEGIES:
        layer = matrix_layer(name, "laplace", "softmax", "ffn", 0)
        yield f"{name}/T=0", layer, 0, 1
        layer = matrix_layer(name, "linear", "sigmoid", "swiglu", 2)
        yield f"{name}/T=300", layer, 300, 2
    # Dense gating: k = N at every level / all groups and experts kept.
    yield ("dense/nested2", Layer(fanout=[3, 4], gates=[Gate("laplace", k=3),
           Gate("linear", k=4)], d=16, stats=ALL_STATS), 20, 3)
    yield ("dense/group_limited", Layer(strategy="group_limited", fanout=[6],
           gates=[Gate("gaussian", "sigmoid", k=6)], groups=3, k_groups=3,
           d=16, stats=ALL_STATS), 20, 4)
    yield ("dense/per_group", Layer(strategy="per_group", fanout=[6],
           gates=[Gate("linear", k=2)], groups=3, d=16), 20, 5)


def gemm_cases():
    """Sizes where hmoe-vectorize-contractions takes the GEMMs (D and H
    multiples of 8): register-tile remainders in rows (tokens per expert),
    columns (experts, H, D) and parallel blocks, with distance gates in GEMM
    form at both levels."""
    cases = [
        ("gemm/nested_laplace_ffn", Layer(
            fanout=[3, 5], gates=[Gate("laplace", k=2), Gate("laplace", k=2)],
            d=40, hidden=24, expert="ffn", gate_bias=[True, False],
            b1=True, b2=True, stats=["load"]), 301, 21),
        ("gemm/flat_gaussian_swiglu", Layer(
            fanout=[7], gates=[Gate("gaussian", "sigmoid", k=3)], d=64,
            hidden=72, expert="swiglu", selection_bias=[True]), 133, 22),
        ("gemm/group_limited_linear", Layer(
            strategy="group_limited", fanout=[14],
            gates=[Gate("linear", "sigmoid", k=4, scale=2.5)], groups=7,
            k_groups=3, d=32, hidden=16, expert="linear"), 67, 23),
        ("gemm/per_group_laplace_ffn", Layer(
            strategy="per_group", fanout=[10],
            gates=[Gate("laplace", "softmax", k=2)], groups=2, d=136,
            hidden=48, expert="ffn", expert_activation="silu"), 5, 24),
        ("gemm/one_token", Layer(
            fanout=[4, 2], gates=[Gate("gaussian", k=2), Gate("laplace", k=1)],
            d=16, hidden=8), 1, 25),
        # Whole panels of 32 weight rows (96 and 320) and about 150 rows per
        # expert: the packed-weight outer-product kernel on AVX-512, with
        # row-tile remainders and a second K chunk (320 = 256 + 64).
        ("gemm/packed_panels", Layer(
            fanout=[2], gates=[Gate("linear", k=1)], d=320, hidden=96,
            expert="ffn", b1=True), 301, 26),
    ]
    yield from cases


def wide_cases():
    """Wide expert GEMMs for the GPU's tensor-core schedule: per warp of a
    block of 8, 8 columns (N = 64), 16 (N = 128: two steps sharing an A
    fragment), 64 (N = 512: four steps per fragment, twice) and 24 (N = 192,
    three steps, one at a time); K of 64 to 512 (several 16-deep steps)."""
    yield ("wide/ffn_512", Layer(
        fanout=[8], gates=[Gate("linear", k=2)], d=128, hidden=512,
        expert="ffn", expert_activation="gelu", b1=True), 77, 31)
    yield ("wide/swiglu_192", Layer(
        fanout=[4], gates=[Gate("gaussian", "sigmoid", k=1)], d=64,
        hidden=192, expert="swiglu"), 45, 32)


def warp_gate_cases():
    """Gates whose score GEMMs fit the GPU's warps (N = 8 to 64 experts,
    d = 32 and 64: multiples of 8), for split TF32's routing scores on
    tensor cores (hmoe-lower-to-nvvm{split-tf32}): a Laplace and a Gaussian
    distance in GEMM form, a nested linear/Laplace pair; and infinities
    reaching those steps (name, layer, T, seed, params function)."""
    laplace = Layer(fanout=[16], gates=[Gate("laplace", k=2)], d=64,
                    hidden=32, expert="ffn", expert_activation="gelu")
    yield ("warp_gates/laplace_16", laplace, 57, 41, None)
    yield ("warp_gates/gaussian_64", Layer(
        fanout=[64], gates=[Gate("gaussian", "sigmoid", k=4)], d=64,
        hidden=16, expert="linear"), 70, 42, None)
    yield ("warp_gates/nested_linear_8x8", Layer(
        fanout=[8, 8], gates=[Gate("linear", k=2), Gate("laplace", k=1)],
        d=32, hidden=16, expert="swiglu"), 33, 43, None)
    # An infinite gate row (numerics_cases' inf/gate_row_*, on warps): its
    # expert's linear score is +-inf for every token, its Laplace distance
    # inf. Split TF32 must not multiply the infinity by the other operand's
    # small part (0 or of the other sign: NaN, which spoils every token).
    linear = Layer(fanout=[16], gates=[Gate("linear", k=2)], d=32,
                   expert="linear")
    yield ("warp_gates/inf_gate_row_linear", linear, 40, 45,
           lambda l, T, s: set_params(l, T, s, "gate0", (2, 9), -np.inf))
    yield ("warp_gates/inf_gate_row_laplace", laplace, 40, 46,
           lambda l, T, s: set_params(l, T, s, "gate0", (5, 0), np.inf))


def tie_params(layer, T, seed):
    """Duplicated gate rows: exactly equal scores, the lower index must win."""
    p = layer.random_params(T, seed)
    g = p["gate0"]
    g[1] = g[0]
    g[3] = g[2]
    return p


def set_params(layer, T, seed, name, index, value):
    p = layer.random_params(T, seed)
    p[name][index] = value
    return p


def special_cases():
    """(name, layer, T, seed, params function)."""
    flat = Layer(fanout=[6], gates=[Gate("linear", "softmax", k=2)], d=16,
                 stats=["load"])
    yield "ties/flat", flat, 16, 6, tie_params
    gl = Layer(strategy="group_limited", fanout=[8],
               gates=[Gate("linear", "sigmoid", k=2)], groups=4, k_groups=2,
               d=16, stats=["load"])
    yield "ties/group_limited", gl, 16, 7, tie_params
    pg = Layer(strategy="per_group", fanout=[8],
               gates=[Gate("laplace", "softmax", k=1)], groups=2, d=16,
               stats=["load"])
    yield "ties/per_group", pg, 16, 8, tie_params
    sig = Layer(fanout=[6], gates=[Gate("linear", "sigmoid", k=2)], d=16,
                stats=["load"])
    soft = Layer(fanout=[6], gates=[Gate("laplace", "softmax", k=2)], d=16,
                 stats=["load"], capacity=1.0)
    # Every score of token 1 is NaN.
    yield ("nan/token", soft, 8, 9,
           lambda l, T, s: set_params(l, T, s, "x", (1, 3), np.nan))
    # Expert 2's score is NaN for all tokens.
    yield ("nan/gate_row", sig, 8, 10,
           lambda l, T, s: set_params(l, T, s, "gate0", (2, 0), np.nan))
    # Every candidate NaN: index order.
    yield ("nan/all", sig, 8, 11,
           lambda l, T, s: set_params(l, T, s, "gate0", (slice(None), 0),
                                      np.nan))


def warp_cases():
    """Layers one GPU warp routes (hmoe-lower-warp-routes: one gate over a
    multiple of 32 experts, lane l holding experts l, l + 32, ...): a
    single level, group_limited with groups smaller than a lane's stride
    (8 experts), across two registers (48) and of whole registers (32),
    per_group alike, DeepSeek-V3's route, 512 experts (16 a lane); every
    gate option; ties, NaN and more tokens than a block's warps. (name,
    layer, T, seed, params function or None)."""
    def flat(e, g, **kw):
        return Layer(fanout=[e], gates=[g], d=16, hidden=8, **kw)

    def grouped(strategy, e, g, groups, **kw):
        return Layer(strategy=strategy, fanout=[e], gates=[g], groups=groups,
                     d=16, hidden=8, **kw)
    deepseek = grouped("group_limited", 256,
                       Gate("linear", "sigmoid", k=8, scale=2.5), 8,
                       k_groups=4, group_score="sum_top", top_m=2,
                       selection_bias=[True], stats=["load"])
    cases = [
        ("flat/32_laplace", flat(32, Gate("laplace", "softmax", k=2,
                                          temperature=0.7)), 40, 1, None),
        ("flat/64_sigmoid_bias", flat(64, Gate("linear", "sigmoid", k=8),
                                      selection_bias=[True],
                                      router_scale=True), 40, 2, None),
        ("flat/96_not_renormalised", flat(96, Gate(
            "gaussian", "softmax", k=3, renormalize=False, scale=2.5)),
         40, 3, None),
        ("flat/64_activation", flat(64, Gate(
            "activation", "softmax", k=4, activation="tanh",
            temperature=2.0), gate_bias=[True]), 40, 4, None),
        ("group_limited/64_groups_of_8", grouped(
            "group_limited", 64, Gate("linear", "softmax", k=4), 8,
            k_groups=3, group_score="max"), 40, 5, None),
        ("group_limited/96_groups_of_48", grouped(
            "group_limited", 96, Gate("laplace", "sigmoid", k=5), 2,
            k_groups=1, group_score="sum_top", top_m=2,
            selection_bias=[True]), 40, 6, None),
        ("group_limited/deepseek_v3", deepseek, 300, 7, None),
        ("group_limited/deepseek_v3_capacity", grouped(
            "group_limited", 256, Gate("linear", "sigmoid", k=8, scale=2.5),
            8, k_groups=4, group_score="sum_top", top_m=2,
            selection_bias=[True], capacity=1.25, fill_order="score",
            stats=["load", "importance"]), 70, 8, None),
        ("per_group/64_groups_of_16", grouped(
            "per_group", 64, Gate("linear", "softmax", k=2), 4,
            router_scale=True), 40, 9, None),
        ("per_group/96_groups_of_48", grouped(
            "per_group", 96, Gate("gaussian", "sigmoid", k=3), 2,
            selection_bias=[True]), 40, 10, None),
        ("per_group/512_groups_of_32", grouped(
            "per_group", 512, Gate("linear", "softmax", k=1), 16), 20, 11,
         None),
        ("edge/T=0", deepseek, 0, 12, None),
        ("edge/T=1", flat(32, Gate("linear", "softmax", k=32)), 1, 13, None),
        ("ties/flat_64", flat(64, Gate("linear", "softmax", k=4)), 16, 14,
         tie_params),
        ("ties/all_equal_group_limited", grouped(
            "group_limited", 64, Gate("linear", "sigmoid", k=6), 8,
            k_groups=3, group_score="sum_top", top_m=2), 12, 15,
         equal_rows_params),
        ("nan/token", flat(64, Gate("laplace", "softmax", k=2)), 8, 16,
         lambda l, T, s: set_params(l, T, s, "x", (1, 3), np.nan)),
        ("nan/gate_row", flat(32, Gate("linear", "sigmoid", k=2)), 8, 17,
         lambda l, T, s: set_params(l, T, s, "gate0", (2, 0), np.nan)),
        ("nan/all", grouped("group_limited", 64,
                            Gate("linear", "sigmoid", k=3), 4, k_groups=2),
         8, 18, lambda l, T, s: set_params(l, T, s, "gate0",
                                           (slice(None), 0), np.nan)),
    ]
    yield from cases


def scaled_params(layer, T, seed, factor):
    """Tokens and gate rows `factor` times larger (or smaller)."""
    p = layer.random_params(T, seed)
    p["x"] = (p["x"] * factor).astype(np.float32)
    p["gate0"] = (p["gate0"] * factor).astype(np.float32)
    return p


def equal_rows_params(layer, T, seed):
    """Every gate row the same: every score ties, the lowest indices win."""
    p = layer.random_params(T, seed)
    p["gate0"][:] = p["gate0"][0]
    return p


def numerics_cases():
    """Non-finite and extreme inputs (README, "Numerical edge cases"):
    (name, layer, T, seed, params function)."""
    laplace = Layer(fanout=[6], gates=[Gate("laplace", "softmax", k=2)], d=16,
                    hidden=24, stats=["load", "importance"])
    linear = Layer(fanout=[6], gates=[Gate("linear", "softmax", k=2)], d=16,
                   stats=["load"])
    gauss = Layer(fanout=[6], gates=[Gate("gaussian", "sigmoid", k=3)], d=16,
                  stats=["load"])
    # (name, layer, seed, parameter, index, value it is set to)
    one_value = [
        # An infinite token component: every distance is inf, every score
        # -inf, softmax is NaN for that token only (its output row is NaN,
        # the other rows are untouched).
        ("inf/token_laplace", laplace, 31, "x", (3, 5), np.inf),
        # An infinite gate row: that expert's score is -inf for every token
        # and it is never chosen. (In GEMM form inf - inf would make it NaN,
        # and NaN through the softmax max would spoil every token.)
        ("inf/gate_row_laplace", laplace, 32, "gate0", (2, 0), -np.inf),
        ("inf/gate_row_gaussian", gauss, 33, "gate0", (4, 7), np.inf),
        # Sigmoid of -inf is 0 for every child: renormalising true zeros is
        # 0/0, NaN weights for that token (as the reference).
        ("inf/token_gaussian_sigmoid", gauss, 42, "x", (7, 0), -np.inf),
        # Linear score: x.w is +-inf, +inf gives NaN probabilities for the
        # token.
        ("inf/gate_row_linear", linear, 34, "gate0", (1, 2), np.inf),
        # A NaN expert weight: only the tokens routed to that expert are NaN.
        ("nan/expert_weight", laplace, 35, "w1", (3, 0, 0), np.nan),
        # The same with every mantissa bit set: a rounding that adds to
        # the bits (TF32) must not carry it into the sign (-0).
        ("nan/expert_weight_payload", laplace, 37, "w1", (3, 0, 0),
         np.array(0x7FFFFFFF, np.uint32).view(np.float32)[()]),
    ]
    for name, layer, seed, param, index, value in one_value:
        yield (name, layer, 12, seed,
               lambda l, T, s, change=(param, index, value):
               set_params(l, T, s, *change))
    # ||x||^2 overflows f32 (|x| ~ 1e20) though every distance is finite;
    # temperature 1e20 keeps the probabilities away from one-hot.
    big = Layer(fanout=[6], gates=[Gate("laplace", "softmax", k=2,
                                        temperature=1e20)],
                d=16, expert="linear")
    yield ("huge/laplace", big, 12, 36,
           lambda l, T, s: scaled_params(l, T, s, 1e20))
    # Squares underflow (|x| ~ 1e-25), temperature 1e-25.
    tiny = Layer(fanout=[6], gates=[Gate("laplace", "softmax", k=2,
                                         temperature=1e-25)],
                 d=16, expert="linear")
    yield ("tiny/laplace", tiny, 12, 37,
           lambda l, T, s: scaled_params(l, T, s, 1e-25))
    # Sigmoid far from its centre: squared distances ~100-300 make every
    # sigmoid underflow f32 to 0 and a plain renormalisation 0 / 0. The
    # selection bias picks (DeepSeek-V3 style); the weights are the ratios
    # of the p, well defined.
    far = Layer(fanout=[8], gates=[Gate("gaussian", "sigmoid", k=2)], d=16,
                selection_bias=[True])
    yield ("underflow/sigmoid_renormalize", far, 12, 38,
           lambda l, T, s: scaled_params(l, T, s, 8.0))
    # Temperature 1e-30: every p underflows float64 too (logits ~ -1e31);
    # the weights are still the ratios (one and zero), which the reference
    # takes in the log domain as the layer does (it gave 0 / 0 = NaN).
    cold = Layer(fanout=[8], gates=[Gate("gaussian", "sigmoid", k=2,
                                         temperature=1e-30)], d=16)
    yield ("underflow/sigmoid_renormalize_f64", cold, 12, 39, None)
    # A capacity factor of 1e300: no expert can be full (the capacity is
    # capped at T * K before it becomes an integer).
    yield ("capacity/huge_factor",
           Layer(fanout=[6], gates=[Gate("linear", "softmax", k=2)], d=16,
                 capacity=1e300, stats=["load", "dropped"]), 12, 41, None)
    # All scores equal: every selection is a tie, lower indices win.
    yield ("ties/all_equal_laplace", laplace, 12, 39, equal_rows_params)
    gl = Layer(strategy="group_limited", fanout=[8],
               gates=[Gate("linear", "sigmoid", k=2)], groups=4, k_groups=2,
               d=16, stats=["load"])
    yield ("ties/all_equal_group_limited", gl, 12, 40, equal_rows_params)


def near_centre_params(layer, T, seed, r):
    """Gate rows in a cluster (a common point plus 0.7 in a random
    direction, |x| ~ sqrt(D) as after a layer norm) and each token r from a
    gate row: ||x||^2 + ||w||^2 ~ 2D cancels down to r^2 in the GEMM form
    ||x||^2 - 2 x.w + ||w||^2, as when training pulls Laplace centres to the
    tokens."""
    p = layer.random_params(T, seed)
    rng = np.random.default_rng(seed + 1)
    D = layer.d
    rows = p["gate0"].shape[0]
    u = rng.standard_normal((rows, D))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    g = rng.standard_normal(D) + 0.7 * u
    v = rng.standard_normal((T, D))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    x = g[rng.integers(0, rows, T)] + r * v
    p["gate0"] = g.astype(np.float32)
    p["x"] = x.astype(np.float32)
    return p


def one_token_params(layer, T, seed):
    """The report that found the cancellation: a token 0.001 from the first
    of two centres, identity and zero experts (the distance 0.001 came out
    of the GEMM form as ~1e-6, y off by 3.8e-4)."""
    p = layer.random_params(T, seed)
    p["x"] = np.array([[0.901, -2.1, 1.35, 3.3]], np.float32)
    p["gate0"] = np.array([[0.9, -2.1, 1.35, 3.3], [0.9, -1.6, 1.35, 3.3]],
                          np.float32)
    p["w1"] = np.stack([np.eye(4), np.zeros((4, 4))]).astype(np.float32)
    return p


def precision_cases():
    """Tokens at 1e-4 .. 1 from a Laplace (or Gaussian) centre, D = 4 ..
    1024: the GEMM form must hold docs/numerics.md's tolerance at any distance."""
    yield ("precision/reported", Layer(fanout=[2], gates=[Gate("laplace", k=2)],
           d=4, expert="linear"), 1, 4, one_token_params)
    for score in ("laplace", "gaussian"):
        for D in (4, 16, 64, 256, 1024):
            for r in (1e-4, 1e-3, 1e-2, 1e-1, 1.0):
                if score == "gaussian" and D not in (16, 1024):
                    continue
                layer = Layer(fanout=[4], gates=[Gate(score, "softmax", k=2)],
                              d=D, expert="linear")
                yield (f"precision/{score}/D={D}/r={r:g}", layer, 16, 5,
                       lambda l, T, s, r=r: near_centre_params(l, T, s, r))
    # Tokens far from every centre (squared distances ~ 0.18 D) at
    # temperature 0.5: correctly rounded f32 logits alone put y up to 6.6e-6
    # from the reference at D = 1024, so the GEMM form's per-row terms must
    # add little (summed in f32 they put it at 1.1e-5 .. 2.2e-5).
    for D in (512, 1024):
        for seed in (0, 1):
            yield (f"precision/far/gaussian/D={D}/seed={seed}",
                   Layer(fanout=[8], gates=[Gate("gaussian", k=2,
                                                 temperature=0.5)],
                         d=D, hidden=16), 64, seed, None)


def capacity_cases():
    """Every fill order and both capacity roundings under pressure, for each
    strategy, with exact weight ties (score order breaks them by token) and
    token counts where Hi-MoE's minimum of 4 decides."""
    layers = {
        "flat": Layer(fanout=[6], gates=[Gate("linear", "softmax", k=2)],
                      d=16),
        "nested2": Layer(fanout=[3, 4], gates=[Gate("laplace", k=2),
                                               Gate("linear", k=2)], d=16),
        "group_limited": Layer(strategy="group_limited", fanout=[8],
                               gates=[Gate("linear", "sigmoid", k=3)],
                               groups=4, k_groups=2, d=16,
                               router_scale=True),
        "per_group": Layer(strategy="per_group", fanout=[8],
                           gates=[Gate("gaussian", k=1)], groups=4, d=16),
    }
    seed = 50
    for order in ("token_order", "choice_rank", "score"):
        for rounding in ("ceil", "hi_moe"):
            for name, base in layers.items():
                for factor, T in ((0.5, 40), (0.9, 23), (0.3, 3)):
                    layer = copy.deepcopy(base)
                    layer.capacity = factor
                    layer.fill_order = order
                    layer.capacity_rounding = rounding
                    layer.stats = ["dropped", "load"]
                    seed += 1
                    yield (f"capacity/{order}/{rounding}/{name}/c={factor}/T={T}",
                           layer, T, seed, None)
    # Dense levels (k = N) with a selection bias: the bias orders a token's
    # choices, so choice_rank keeps different ones (a canonicalization
    # that dropped such a bias gave wrong y).
    for name, base in (
            ("flat", Layer(fanout=[3], gates=[Gate("linear", k=3)], d=16,
                           selection_bias=[True])),
            ("nested2", Layer(fanout=[2, 3], gates=[Gate("laplace", k=1),
                                                    Gate("linear", k=3)],
                              d=16, selection_bias=[True, True]))):
        layer = copy.deepcopy(base)
        layer.capacity, layer.fill_order = 0.5, "choice_rank"
        layer.stats = ["dropped", "load"]
        yield (f"capacity/choice_rank/dense_biased/{name}", layer, 24, 95,
               None)
    # Equal weights everywhere (every gate row the same): score order is
    # then token order, choice_rank is not.
    for order in ("choice_rank", "score"):
        layer = copy.deepcopy(layers["flat"])
        layer.capacity, layer.fill_order = 0.5, order
        layer.stats = ["dropped"]
        yield (f"capacity/{order}/equal_weights", layer, 20, 90,
               equal_rows_params)
    # Score order over long experts (hundreds of assignments each, past
    # the chunks of 64 in which the GPU's count stops at the capacity),
    # with distinct weights and with every weight tied.
    for name, T, params in (("long", 400, None),
                            ("long_equal_weights", 300, equal_rows_params)):
        layer = copy.deepcopy(layers["flat"])
        layer.capacity, layer.fill_order = 0.5, "score"
        # (More tokens than the GPU's statistics take a block: their
        # per-expert sums over two chunks.)
        layer.stats = ["dropped", "load", "importance", "cv2_loss"]
        yield (f"capacity/score/{name}", layer, T, 91, params)


def shared_cases():
    """Shared experts beside every strategy: FFN, SwiGLU and linear ones,
    1 to 3 of them, with and without Qwen2-MoE's sigmoid gate, with
    capacity (shared experts are never dropped), in bf16 via --dtype."""
    yield ("shared/deepseek_v3_reduced", Layer(
        strategy="group_limited", fanout=[32],
        gates=[Gate("linear", "sigmoid", k=8, scale=2.5)], groups=8, k_groups=4,
        group_score="sum_top", top_m=2, selection_bias=[True], d=32,
        expert="swiglu", hidden=16, shared_experts=1, shared_hidden=16,
        stats=["load"]), 40, 60)
    yield ("shared/qwen2_gated", Layer(
        fanout=[8], gates=[Gate("linear", "softmax", k=2, renormalize=False)],
        d=16, expert="swiglu", hidden=8, shared_experts=1, shared_hidden=32,
        shared_gate=True), 30, 61)
    yield ("shared/nested_ffn_two", Layer(
        fanout=[2, 3], gates=[Gate("laplace", k=1), Gate("linear", k=2)],
        d=16, expert="ffn", expert_activation="gelu", hidden=8,
        shared_experts=2, shared_hidden=12), 25, 62)
    yield ("shared/per_group_linear_capacity", Layer(
        strategy="per_group", fanout=[8], gates=[Gate("gaussian", k=1)],
        groups=2, d=8, expert="linear", shared_experts=3, shared_gate=True,
        capacity=0.5, stats=["dropped"]), 20, 63)
    yield ("shared/T=0", Layer(
        fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        expert_activation="relu", hidden=4, shared_experts=1, shared_hidden=4,
        shared_gate=True), 0, 64)


def penalty_cases():
    """Hi-MoE's load penalty: the choice and the weights on logits -
    penalty, the statistics on the unpenalised probabilities (so a
    statistic computed from the penalised ones would fail here)."""
    himoe = Layer(strategy="per_group", fanout=[8],
                  gates=[Gate("linear", "softmax", k=2)], groups=4, d=16,
                  penalty=[True], router_scale=True, expert="ffn",
                  expert_activation="silu", hidden=8,
                  stats=["r_intra", "r_inter", "importance", "load",
                         "balance_loss", "z_loss"], lambda_intra=0.1,
                  lambda_inter=0.05, capacity=2.0, fill_order="choice_rank",
                  capacity_rounding="hi_moe")
    yield "penalty/himoe", himoe, 40, 70
    yield ("penalty/group_limited_temperature", Layer(
        strategy="group_limited", fanout=[8],
        gates=[Gate("laplace", "softmax", k=2, temperature=0.5)], groups=4,
        k_groups=2, d=16, penalty=[True], selection_bias=[True],
        stats=["importance", "cv2_loss"]), 30, 71)
    yield ("penalty/flat_sigmoid", Layer(
        fanout=[6], gates=[Gate("linear", "sigmoid", k=2)], d=16,
        penalty=[True], gate_bias=[True], stats=["group_importance"]), 30, 72)


def random_layer(rng, warp=False):
    """One random layer: any strategy, 1-3 levels, every score kind and
    normalisation, expert kind, biases, capacity with any fill order and
    rounding, shared experts, penalty, statistics; odd sizes. `warp`: one
    gate over 32 to 512 experts (a multiple of 32: routes one GPU warp
    takes, hmoe-lower-warp-routes)."""
    pick = lambda xs: xs[rng.integers(len(xs))]
    def random_gate(k):
        score = pick(SCORES)
        return Gate(score=score, norm=pick(NORMS), k=k,
                    activation=pick(ACTIVATIONS) if score == "activation" else None,
                    temperature=pick([1.0, 1.0, 0.5, 0.7, 2.0]),
                    renormalize=bool(rng.random() < 0.8),
                    scale=pick([1.0, 1.0, 2.5]))
    strategy = pick(["nested", "nested", "group_limited", "per_group"])
    extra = {}
    if warp:
        experts = int(pick([32, 64, 96, 128, 160, 256, 512]))
        groups = int(pick([g for g in (1, 2, 3, 4, 5, 8, 16, 32)
                           if experts % g == 0 and experts // g >= 2]))
        per = experts // groups
    if warp and (strategy == "nested" or groups == 1):
        strategy = "nested"
        fanout = [experts]
        gates = [random_gate(int(rng.integers(1, 17)))]
        extra["shared"] = [False]
    elif warp:
        fanout = [experts]
        extra["groups"] = groups
        if strategy == "group_limited":
            k_groups = int(rng.integers(1, groups + 1))
            k = int(rng.integers(1, min(k_groups * per, 16) + 1))
            extra.update(k_groups=k_groups,
                         group_score=pick(["max", "sum_top"]),
                         top_m=int(rng.integers(1, min(per, 4) + 1)))
        else:
            k = int(rng.integers(1, min(per, 4) + 1))
        gates = [random_gate(k)]
    elif strategy == "nested":
        fanout = [int(rng.integers(2, 7)) for _ in range(int(rng.integers(1, 4)))]
        gates = [random_gate(int(rng.integers(1, n + 1))) for n in fanout]
        extra["shared"] = [False] + [bool(rng.random() < 0.3)
                                     for _ in fanout[1:]]
    else:
        groups, per = int(rng.integers(2, 5)), int(rng.integers(2, 6))
        fanout = [groups * per]
        extra["groups"] = groups
        if strategy == "group_limited":
            k_groups = int(rng.integers(1, groups + 1))
            k = int(rng.integers(1, k_groups * per + 1))
            extra.update(k_groups=k_groups,
                         group_score=pick(["max", "sum_top"]),
                         top_m=int(rng.integers(1, per + 1)))
        else:
            k = int(rng.integers(1, per + 1))
        gates = [random_gate(k)]
    levels = len(fanout)
    # A Laplace gate over D = 1 gives tokens past every gate row the same
    # probabilities in exact arithmetic (a shift of every score), which
    # float32 rounds apart by the token: with capacity in score order their
    # exactly tied weights may be kept either way. A Gaussian gate's 32 to
    # 512 centres on one line leave the k-th and next-nearest so close that
    # every redraw has too many near ties (random_warp/307/9: 15 of 70
    # tokens). The warp group, whose many experts put such ties at capacity
    # boundaries, takes D = 2 for distance gates (the rest keep their draws).
    distance_d1 = any(g.score in ("laplace", "gaussian") for g in gates)
    expert = pick(EXPERTS)
    if rng.random() < 0.3:
        kind = pick(EXPERTS)
        extra.update(shared_experts=int(rng.integers(1, 3)), shared_kind=kind,
                     shared_hidden=0 if kind == "linear" else int(rng.integers(3, 20)),
                     shared_gate=bool(rng.random() < 0.5))
    capacity = pick([None, None, 0.4, 1.0, 2.0])
    return Layer(
        strategy=strategy, fanout=fanout, gates=gates,
        d=int(pick([2 if warp and distance_d1 else 1, 5, 8, 16, 24, 33, 64])),
        hidden=int(rng.integers(1, 20)),
        expert=expert, expert_activation=pick(ACTIVATIONS),
        gate_bias=[bool(rng.random() < 0.5) for _ in fanout],
        selection_bias=[bool(rng.random() < 0.4) for _ in fanout],
        penalty=[bool(levels == 1 and rng.random() < 0.2)] * levels,
        router_scale=bool(rng.random() < 0.3), b1=bool(rng.random() < 0.5),
        b2=bool(rng.random() < 0.5), capacity=capacity,
        fill_order=pick(["token_order", "choice_rank", "score"]),
        capacity_rounding=pick(["ceil", "hi_moe"]),
        stats=[s for s in ALL_STATS if rng.random() < 0.3],
        lambda_intra=0.5, lambda_inter=0.25, **extra)


def random_cases(count, seed, warp=False):
    """`count` random layers (random_layer) from `seed`, each with 0 to 70
    tokens: what hostile use found wrong answers with (a dense biased
    level's dropped bias), kept as a group so that a sweep of any size is
    one command. Inputs with too many near ties are redrawn
    (decisive_params). `warp`: routes a GPU warp takes (group
    random_warp)."""
    rng = np.random.default_rng(seed)
    prefix = "random_warp" if warp else "random"
    for i in range(count):
        layer = random_layer(rng, warp)
        T = int(rng.choice([0, 1, 3, 17, 40, 70]))
        yield (f"{prefix}/{seed}/{i}", layer, T, seed * 1000 + i,
               decisive_params)


def group_cases(group, count=24, seed=1):
    """The cases of `group` as (name, layer, T, seed, make_params or None),
    or None for an unknown group (scripts/gpu_check.py uses it too)."""
    plain = {"edge": edge_cases, "gemm": gemm_cases, "penalty": penalty_cases,
             "shared": shared_cases, "wide": wide_cases}
    full = {"special": special_cases, "numerics": numerics_cases,
            "warp_gates": warp_gate_cases,
            "precision": precision_cases, "capacity": capacity_cases,
            "warp": warp_cases}
    if group in plain:
        return [(n, l, T, s, None) for n, l, T, s in plain[group]()]
    if group in full:
        return list(full[group]())
    if group in ("random", "random_warp"):
        return list(random_cases(count, seed, warp=group == "random_warp"))
    if group in STRATEGIES:
        return [(n, l, T, s, None) for n, l, T, s in matrix_cases(group)]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    ap.add_argument("--group", required=True,
                    help="a strategy name, 'edge', 'gemm', 'wide', 'warp_gates', 'special', "
                    "'numerics', 'precision', 'capacity', 'shared', 'penalty', "
                    "'warp', 'random' or 'random_warp' (--count seeded "
                    "random layers; random_warp: one gate over 32 to 512 "
                    "experts)")
    ap.add_argument("--count", type=int, default=24,
                    help="groups 'random' and 'random_warp': how many layers")
    ap.add_argument("--seed", type=int, default=1,
                    help="groups 'random' and 'random_warp': the generator's "
                    "seed")
    ap.add_argument("--opt-level", default="1")
    ap.add_argument("--pipeline", default=None,
                    help="hmoe-run's --pipeline (default: its own)")
    ap.add_argument("--dtype", default=None, choices=["f32", "bf16", "f16"],
                    help="element type of every case's layer (tolerance "
                    "1e-2 for bf16 and f16, docs/numerics.md)")
    ap.add_argument("--tf32", action="store_true",
                    help="the pipeline runs f32 expert GEMMs in TF32: their "
                    "outputs at docs/numerics.md's TF32 tolerance (2e-3)")
    ap.add_argument("--write-mlir", metavar="DIR", default=None,
                    help="write each case's layer to DIR/<case>.mlir instead "
                    "of running it (for the GPU tests: ptxas on every "
                    "layer's kernels)")
    args = ap.parse_args()
    # Edge cases feed inf and NaN on purpose: IEEE results, no warnings.
    np.seterr(all="ignore")
    extra = [f"--opt-level={args.opt_level}"]
    if args.pipeline:
        extra.append(f"--pipeline={args.pipeline}")

    cases = group_cases(args.group, args.count, args.seed)
    if cases is None:
        sys.exit(f"unknown group {args.group}")

    failed = 0
    for name, layer, T, seed, make_params in cases:
        layer.name = "layer"
        if args.dtype:
            layer.dtype = args.dtype
        if args.write_mlir:
            path = os.path.join(args.write_mlir,
                                name.replace("/", "-") + ".mlir")
            with open(path, "w") as f:
                f.write(layer.mlir())
            continue
        try:
            # (Inside the try: drawing inputs runs the reference too.)
            params = make_params(layer, T, seed) if make_params else None
            failures, summary = check_layer(layer, T, seed, args.hmoe_run,
                                            params=params, extra=extra,
                                            tf32=args.tf32)
        except Exception as e:  # report and go on with the other cases
            failures, summary = [str(e)], "error"
        status = "PASS" if not failures else "FAIL"
        print(f"{status}: {name}: {summary}")
        for f in failures:
            print(f"    {f}")
        if failures:
            failed += 1
            print(layer.mlir())
    if args.write_mlir:
        print(f"wrote {len(cases)} layers")
        return
    print(f"{len(cases) - failed} of {len(cases)} cases passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
