"""Float64 NumPy reference of docs/numerics.md ("What an hmoe layer computes").

Written from the spec, not from the lowering: scores, normalisation,
selection, strategies, experts, capacity and statistics are computed the
direct way, token by token where the spec speaks of tokens. Ties and NaN
follow the dialect's documented order: numbers before NaN, larger first,
ties to the lower index.
"""

import math

import numpy as np

from .layer import round_to

_ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
    "relu": lambda v: np.where(np.isnan(v), v, np.maximum(v, 0.0)),
    "gelu": lambda v: 0.5 * v * (1.0 + _erf(v / math.sqrt(2.0))),
    "silu": lambda v: v / (1.0 + np.exp(-v)),
}
_erf = np.frompyfunc(math.erf, 1, 1)


def activation(name, v):
    return np.asarray(_ACTIVATIONS[name](np.asarray(v, np.float64)), np.float64)


def scores(x, weight, bias, gate):
    """Logits [T, P..., N] of x [T, D] against weight [P..., N, D]."""
    x = np.asarray(x, np.float64)
    w = np.asarray(weight, np.float64)
    if gate.score in ("linear", "activation"):
        s = np.einsum("td,...d->t...", x, w)
    else:
        diff = x.reshape((x.shape[0],) + (1,) * (w.ndim - 1) + (x.shape[1],)) - w
        sq = np.sum(diff * diff, axis=-1)
        s = -np.sqrt(sq) if gate.score == "laplace" else -sq
    if bias is not None:
        s = s + np.asarray(bias, np.float64)
    if gate.score == "activation":
        s = activation(gate.activation, s)
    return s


def normalize(s, gate):
    """Probabilities over the last axis."""
    s = np.asarray(s, np.float64) / gate.temperature
    if gate.norm == "sigmoid":
        return 1.0 / (1.0 + np.exp(-s))
    m = np.max(s, axis=-1, keepdims=True)  # NaN propagates
    e = np.exp(s - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def order(keys, candidates):
    """Candidates sorted best first: numbers before NaN, larger first,
    lower index on ties."""
    return sorted(candidates, key=lambda c: (math.isnan(keys[c]),
                                             0.0 if math.isnan(keys[c]) else -keys[c], c))


# Relative gap under which a selection may go either way in float32
# (docs/numerics.md, "Near ties").
NEAR_TIE = 1e-4


class Flips:
    """Which near-tie decisions of one token to take the other way: bit i
    of `mask` flips the i-th near tie met (the k-th and (k+1)-th swap)."""

    def __init__(self, mask=0):
        self.mask = mask
        self.seen = 0


def top_k(keys, candidates, k, margins, flips=None):
    """The k best candidates; appends to `margins` the relative gap between
    the k-th and the (k+1)-th key (for near-tie detection)."""
    ranked = order(keys, candidates)
    if k < len(ranked):
        a, b = keys[ranked[k - 1]], keys[ranked[k]]
        if not (math.isnan(a) or math.isnan(b)):
            scale = max(abs(a), abs(b), 1e-30)
            margins.append(abs(a - b) / scale)
            if flips is not None and 0 < margins[-1] < NEAR_TIE:
                if (flips.mask >> flips.seen) & 1:
                    ranked[k - 1], ranked[k] = ranked[k], ranked[k - 1]
                flips.seen += 1
    return ranked[:k]


def choice_weights(p, chosen, gate, logits):
    """The chosen candidates' weights from their probabilities `p` (and
    `logits`, what `p` was normalised from). A renormalised sigmoid gate's
    are the ratios of the chosen p taken in the log domain, as the compiled
    layer takes them (README, "sigmoid far from 0"): still those ratios
    where every chosen p underflows (a tiny temperature); NaN only for true
    zeros (every chosen logit -inf) or a NaN."""
    w = np.array([p[c] for c in chosen], np.float64)
    if gate.renormalize and gate.norm == "sigmoid":
        s = np.array([logits[c] for c in chosen], np.float64) / gate.temperature
        log_p = -np.logaddexp(0.0, -s)
        w = np.exp(log_p - np.logaddexp.reduce(log_p))
    elif gate.renormalize:
        w = w / np.sum(w)
    return w * gate.scale


def route(layer, logits, selection_biases, router_scale, flips=None):
    """Per token: list of (expert, weight) in selection order, probs [T, E]
    and the smallest relative selection margin of each token."""
    T = logits[0].shape[0]
    E = layer.num_experts
    probs = np.zeros((T, E))
    choices, margins = [], []
    if layer.strategy == "nested":
        level_p = [normalize(l, g) for l, g in zip(logits, layer.gates)]
        for t in range(T):
            m = []
            for e in range(E):
                path = layer.path(e)
                p = 1.0
                for l in range(len(path)):
                    p *= level_p[l][t][_node_index(layer, l, path)]
                probs[t, e] = p
            out = []
            _nested(layer, logits, level_p, selection_biases, t, 0, (), 1.0,
                    out, m, flips)
            choices.append([(e, w * (router_scale[e] if router_scale is not None else 1.0))
                            for e, w in out])
            margins.append(min(m, default=math.inf))
        return choices, probs, margins

    gate = layer.gates[0]
    p_all = normalize(logits[0], gate)
    G = layer.groups
    S = E // G
    for t in range(T):
        p = p_all[t]
        probs[t] = p
        keys = p + (selection_biases[0] if selection_biases[0] is not None else 0.0)
        m = []
        if layer.strategy == "per_group":
            chosen = []
            for g in range(G):
                chosen += top_k(keys, range(g * S, (g + 1) * S), gate.k, m, flips)
        else:
            top_m = 1 if layer.group_score == "max" else layer.top_m
            gkeys = []
            for g in range(G):
                best = order(keys, range(g * S, (g + 1) * S))[:top_m]
                gkeys.append(sum(keys[c] for c in best))
            kept = top_k(gkeys, range(G), layer.k_groups, m, flips)
            candidates = [e for g in sorted(kept) for e in range(g * S, (g + 1) * S)]
            chosen = top_k(keys, candidates, gate.k, m, flips)
        w = choice_weights(p, chosen, gate, logits[0][t])
        if router_scale is not None:
            w = w * np.array([router_scale[c] for c in chosen])
        choices.append(list(zip(chosen, w)))
        margins.append(min(m, default=math.inf))
    return choices, probs, margins


def _node_index(layer, l, path):
    """Index into level l's probabilities [N_1.., N_l] (per node) or [N_l]."""
    if layer.shared[l]:
        return path[l]
    return tuple(path[: l + 1])


def _nested(layer, logits, level_p, selection_biases, t, l, prefix, weight,
            out, margins, flips):
    n = layer.fanout[l]
    gate = layer.gates[l]
    at = [_node_index(layer, l, prefix + (c,)) for c in range(n)]
    p = np.array([level_p[l][t][i] for i in at])
    keys = p.copy()
    sb = selection_biases[l]
    if sb is not None:
        keys = keys + np.array([sb[_node_index(layer, l, prefix + (c,))] for c in range(n)])
    chosen = top_k(keys, range(n), gate.k, margins, flips)
    w = choice_weights(p, chosen, gate,
                       np.array([logits[l][t][i] for i in at]))
    for c, wc in zip(chosen, w):
        if l + 1 == len(layer.fanout):
            out.append((layer.flat(prefix + (c,)), weight * wc))
        else:
            _nested(layer, logits, level_p, selection_biases, t, l + 1,
                    prefix + (c,), weight * wc, out, margins, flips)


def expert(layer, params, e, x, prefix="", kind=None, rounded=False):
    """expert_e(x) for x [n, D], float64 (shared expert e with
    prefix="shared_" and its kind). `rounded`: a bf16 or f16 layer's hidden
    rows rounded to its type, as docs/numerics.md says the compiled layer
    rounds them."""
    f = lambda name: (None if params.get(prefix + name) is None
                      else np.asarray(params[prefix + name][e], np.float64))
    x = np.asarray(x, np.float64)
    kind = kind or layer.expert
    if kind == "linear":
        y = x @ f("w1").T
        return y + f("b1") if f("b1") is not None else y
    h = x @ f("w1").T
    if f("b1") is not None:
        h = h + f("b1")
    if kind == "ffn":
        h = activation(layer.expert_activation, h)
    else:
        h = activation("silu", h) * (x @ f("w_up").T)
    if rounded:
        h = np.asarray(round_to(h, layer.dtype), np.float64)
    y = h @ f("w2").T
    return y + f("b2") if f("b2") is not None else y


def layer_forward(layer, params, flips=None, rounded=False):
    """Runs a whole layer: returns (y [T, Dout], stats dict, margins).
    `flips` (for a single token) takes near-tie decisions the other way.
    `rounded`: the statistics from the probabilities rounded to float32,
    and for bf16 and f16 layers the hidden rows and y rounded to the
    layer's type, where docs/numerics.md says the compiled layer rounds
    them; the rest in float64. How far a compiled layer may be from the
    float64 result however exactly it sums (compare_with_reference's
    tolerances)."""
    narrow = rounded and layer.dtype != "f32"
    x = np.asarray(params["x"], np.float64)
    T = x.shape[0]
    logits = [scores(x, params[f"gate{l}"], params.get(f"gate_bias{l}"), g)
              for l, g in enumerate(layer.gates)]
    sbs = [None if params.get(f"select_bias{l}") is None
           else np.asarray(params[f"select_bias{l}"], np.float64)
           for l in range(len(layer.gates))]
    rs = params.get("router_scale")
    # Hi-MoE's load penalty: choosing and weighting on logits - penalty,
    # the statistics on the unpenalised probabilities.
    shifted = [lg - np.asarray(params[f"penalty{l}"], np.float64)
               if layer.penalty[l] else lg for l, lg in enumerate(logits)]
    choices, probs, margins = route(layer, shifted, sbs, rs, flips)
    if any(layer.penalty):
        probs = route(layer, logits, [None] * len(logits), None)[1]

    E = layer.num_experts
    K = layer.num_chosen
    capacity = capacity_of(layer, T)
    pairs = [(t, j) for t in range(T) for j in range(len(choices[t]))]
    if layer.fill_order == "choice_rank":
        pairs.sort(key=lambda tj: (tj[1], tj[0]))
    elif layer.fill_order == "score":
        def by_weight(tj):
            w = choices[tj[0]][tj[1]][1]
            return (math.isnan(w), 0.0 if math.isnan(w) else -w, tj[0], tj[1])
        pairs.sort(key=by_weight)
    count = [0] * E
    kept = set()
    for t, j in pairs:
        e = choices[t][j][0]
        if count[e] < capacity:
            count[e] += 1
            kept.add((t, j))
    if layer.fill_order == "score":
        fill_order_near_ties(choices, pairs, capacity, margins)
    y = np.zeros((T, layer.d_out))
    for t in range(T):
        for j, (e, w) in enumerate(choices[t]):
            if (t, j) in kept:
                y[t] += w * expert(layer, params, e, x[t:t + 1],
                                   rounded=narrow)[0]
    dropped = len(pairs) - len(kept)
    if layer.shared_experts:
        # y += g(t) * sum_s shared_s(x_t), g = 1 or sigmoid(u . x_t).
        g = np.ones(T)
        if layer.shared_gate:
            g = activation("sigmoid", x @ np.asarray(params["shared_gate"], np.float64))
        for s_ in range(layer.shared_experts):
            y += g[:, None] * expert(layer, params, s_, x, "shared_",
                                     layer.shared_expert_kind, narrow)
    if narrow:
        y = np.asarray(round_to(y, layer.dtype), np.float64)
    if rounded:
        probs = np.asarray(probs, np.float32).astype(np.float64)
    stats = statistics(layer, probs, choices, logits[0].reshape(T, int(np.prod(logits[0].shape[1:]))), dropped)
    return y, stats, margins


def fill_order_near_ties(choices, pairs, capacity, margins):
    """Score fill order: where an expert's last kept weight and its first
    dropped one are within NEAR_TIE (relative) but not equal, float32 may
    order them either way; the tokens holding weights that close to that
    boundary are near ties (their margin lowered to the gap). Exactly
    equal weights are not: token order decides them (also where float32
    rounds weights apart that are equal here, as a Laplace gate's over D =
    1 for tokens past every gate row: README, sweeps). `pairs` is in fill
    order."""
    by_expert = {}
    for t, j in pairs:
        by_expert.setdefault(choices[t][j][0], []).append((t, j))
    for assignments in by_expert.values():
        if len(assignments) <= capacity:
            continue
        weight = [choices[t][j][1] for t, j in assignments]
        last, first = weight[int(capacity) - 1], weight[int(capacity)]
        if math.isnan(last) or math.isnan(first):
            continue
        scale = max(abs(last), abs(first), 1e-30)
        gap = abs(last - first) / scale
        if not 0 < gap < NEAR_TIE:
            continue
        for (t, _), w in zip(assignments, weight):
            if (abs(w - last) <= NEAR_TIE * scale or
                    abs(w - first) <= NEAR_TIE * scale):
                margins[t] = min(margins[t], gap)


def capacity_of(layer, T):
    """The most choices an expert takes (inf without a capacity factor):
    ceil(c T K / E), or Hi-MoE's floor, up to even, at least 4."""
    if layer.capacity is None:
        return math.inf
    TK = T * layer.num_chosen
    raw = min(layer.capacity * TK / layer.num_experts, TK)
    if layer.capacity_rounding == "hi_moe":
        c = math.floor(raw)
        return max(c + (c & 1), 4)
    return math.ceil(raw)


def statistics(layer, probs, choices, top_logits, dropped):
    T, E = probs.shape
    K = layer.num_chosen
    G = layer.stat_groups
    S = E // G
    load = np.zeros(E, np.int64)
    for ch in choices:
        for e, _ in ch:
            load[e] += 1
    importance = probs.sum(axis=0)
    mean_t = (lambda v: v / T) if T else (lambda v: 0.0)

    def cv2(v):
        v = np.asarray(v, np.float64)
        mean = v.mean()
        return 0.0 if mean == 0 else v.var() / mean ** 2

    out = {
        "load": load,
        "importance": importance,
        "group_load": load.reshape(G, S).sum(axis=1),
        "group_importance": importance.reshape(G, S).sum(axis=1),
        "dropped": np.int64(dropped),
        "balance_loss": (E * np.sum((load / (T * K)) * (importance / T))) if T else 0.0,
        "cv2_loss": cv2(importance) + cv2(load),
        "r_intra": -layer.lambda_intra * mean_t(np.sum(probs ** 2)),
        "r_inter": layer.lambda_inter * mean_t(np.sum(probs.reshape(T, G, S).sum(axis=2) ** 2)),
    }
    if T:
        m = np.max(top_logits, axis=1, keepdims=True)
        lse = (m + np.log(np.sum(np.exp(top_logits - m), axis=1, keepdims=True)))[:, 0]
        out["z_loss"] = float(np.mean(lse ** 2))
    else:
        out["z_loss"] = 0.0
    return out


def near_tie_alternatives(layer, params, t, max_ties=6):
    """Outputs token t may have when its near-tie selections go the other
    way (every combination of them), without capacity."""
    one = dict(params)
    one["x"] = np.asarray(params["x"])[t:t + 1]
    probe = Flips(0)
    layer_forward(layer, one, probe)
    alternatives = []
    for mask in range(1, 2 ** min(probe.seen, max_ties)):
        y, _, _ = layer_forward(layer, one, Flips(mask))
        alternatives.append(y[0])
    return alternatives
