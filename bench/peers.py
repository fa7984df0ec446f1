"""The layers of bench.py written as a user of each peer would write them.

PyTorch: per-expert gather, GEMM and index_add (eager; the same function
under torch.compile). JAX: static shapes, so tokens are sorted by expert and
the expert GEMMs are `lax.ragged_dot` (dropless grouped GEMM, no padding).
Weights are passed in each peer's preferred layout, made once outside the
timed call. Semantics follow docs/numerics.md (the float64 reference in
python/hmoe/reference.py); bench.py checks every peer against hmoe.
"""

import numpy as np


# --- PyTorch -----------------------------------------------------------------

def torch_fns():
    import torch
    import torch.nn.functional as F

    def laplace(x, g):  # -||x - g||, g [N, D]
        if x.dtype in (torch.bfloat16, torch.float16):
            # PyTorch's CUDA cdist has no bf16 kernel: a user computes the
            # distances in f32.
            return -torch.cdist(x.float(), g.float()).to(x.dtype)
        return -torch.cdist(x, g)

    def per_expert(x, experts, weights, num_experts, network):
        """y[t] += w(t, e) * network(e, x[t]) over each expert's tokens."""
        y = torch.zeros_like(x)
        for e in range(num_experts):
            tok, slot = (experts == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            y.index_add_(0, tok, network(e, x[tok]) * weights[tok, slot, None])
        return y

    def experts_ffn(x, experts, weights, w1, w2, act):
        return per_expert(x, experts, weights, w1.shape[0],
                          lambda e, xs: act(xs @ w1[e].T) @ w2[e].T)

    def experts_swiglu(x, experts, weights, wg, wu, w2):
        return per_expert(
            x, experts, weights, wg.shape[0],
            lambda e, xs: (F.silu(xs @ wg[e].T) * (xs @ wu[e].T)) @ w2[e].T)

    def nested_route(x, g1, g2, k1, k2):
        """Two Laplace softmax levels; g2 [N1, N2, D] per group."""
        T = x.shape[0]
        n1, n2 = g2.shape[0], g2.shape[1]
        v1, i1 = torch.softmax(laplace(x, g1), -1).topk(k1, -1)
        v1 = v1 / v1.sum(-1, keepdim=True)
        p2 = torch.softmax(laplace(x, g2.reshape(n1 * n2, -1)).view(T, n1, n2), -1)
        p2 = torch.gather(p2, 1, i1[..., None].expand(T, k1, n2))
        v2, i2 = p2.topk(k2, -1)
        v2 = v2 / v2.sum(-1, keepdim=True)
        experts = (i1[..., None] * n2 + i2).reshape(T, k1 * k2)
        return experts, (v1[..., None] * v2).reshape(T, k1 * k2)

    def w1_layer(x, g1, g2, w1, w2):
        experts, weights = nested_route(x, g1, g2, 2, 2)
        return experts_ffn(x, experts, weights, w1, w2,
                           lambda h: F.gelu(h))

    def group_limited_route(x, gate, select_bias, groups, k_groups, top_m, k,
                            scale):
        T, E = x.shape[0], gate.shape[0]
        p = torch.sigmoid(x @ gate.T)
        keys = (p + select_bias).view(T, groups, E // groups)
        group_keys = keys.topk(top_m, -1).values.sum(-1)
        kept = group_keys.topk(k_groups, -1).indices
        mask = torch.zeros(T, groups, dtype=torch.bool,
                           device=x.device).scatter_(1, kept, True)
        keys = keys.masked_fill(~mask[..., None], float("-inf")).view(T, E)
        experts = keys.topk(k, -1).indices
        w = p.gather(1, experts)
        return experts, w / w.sum(-1, keepdim=True) * scale

    def w2_layer(x, gate, select_bias, wg, wu, w2):
        experts, weights = group_limited_route(x, gate, select_bias, 8, 4, 2,
                                               8, 2.5)
        return experts_swiglu(x, experts, weights, wg, wu, w2)

    def g1_gate(x, g):
        v, i = torch.softmax(laplace(x, g), -1).topk(2, -1)
        return v / v.sum(-1, keepdim=True), i

    return {"W1": w1_layer, "W2": w2_layer, "G1": g1_gate,
            "route_W1": lambda x, g1, g2: nested_route(x, g1, g2, 2, 2),
            "route_W2": lambda x, g, b: group_limited_route(x, g, b, 8, 4, 2, 8, 2.5)}


def torch_dispatch(kind, num_experts, capacity):
    """hmoe.dispatch as a PyTorch user writes it: stable sorts by expert
    (after one by weight, descending, for score order; over the choices in
    choice-major order for choice_rank), each assignment's rank in its
    expert, the first `capacity` kept, then the kept ones' slots from a
    cumulative count in token order within each expert. Returns
    fn(experts [T, K] int, weights [T, K]) -> (slot_token, slot_of,
    offsets), hmoe.dispatch's results."""
    import torch

    def dispatch(experts, weights):
        T, K = experts.shape
        e = experts.reshape(-1).long()
        n = e.numel()
        q = torch.arange(n, device=e.device)
        if kind == "score":
            by_weight = torch.argsort(-weights.reshape(-1), stable=True)
            order = by_weight[torch.argsort(e[by_weight], stable=True)]
        elif kind == "choice_rank":
            choice_major = q.view(T, K).t().reshape(-1)
            order = choice_major[torch.argsort(e[choice_major], stable=True)]
        else:
            order = torch.argsort(e, stable=True)
        counts = torch.bincount(e, minlength=num_experts)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.empty_like(order)
        rank[order] = q - starts[e[order]]
        kept = rank < capacity
        # Slots: the kept ones, grouped by expert, in token order.
        by_token = order if kind in ("dropless", "token_order") else \
            torch.argsort(e, stable=True)
        kept_sorted = kept[by_token]
        slots = torch.cumsum(kept_sorted.long(), 0) - 1
        slot_of = torch.full((n,), -1, dtype=torch.long, device=e.device)
        slot_of[by_token] = torch.where(kept_sorted, slots, -1)
        slot_token = torch.zeros(n, dtype=torch.long, device=e.device)
        slot_token[slot_of[kept]] = q[kept] // K
        offsets = torch.zeros(num_experts + 1, dtype=torch.long,
                              device=e.device)
        offsets[1:] = torch.cumsum(counts.clamp(max=capacity), 0)
        return slot_token, slot_of.view(T, K), offsets

    return dispatch


# --- JAX -----------------------------------------------------------------------

def jax_fns():
    import jax
    import jax.numpy as jnp

    def laplace(x, g):  # GEMM form, clamped, as XLA users write cdist
        d2 = (jnp.sum(x * x, -1)[:, None] - 2.0 * x @ g.T
              + jnp.sum(g * g, -1)[None, :])
        return -jnp.sqrt(jnp.maximum(d2, 0.0))

    def grouped(x, experts, weights, body):
        """Sort the T*K assignments by expert, run body on the sorted rows
        with group sizes, scatter-add weighted results back."""
        T, K = experts.shape
        flat = experts.reshape(-1)
        order = jnp.argsort(flat, stable=True)
        E = body.num_experts
        sizes = jnp.bincount(flat, length=E).astype(jnp.int32)
        tok = order // K
        out = body(x[tok], sizes)
        out = out * weights.reshape(-1)[order][:, None]
        return jnp.zeros_like(x).at[tok].add(out)

    def ffn_body(w1t, w2t, act):
        def body(xs, sizes):
            h = act(jax.lax.ragged_dot(xs, w1t, sizes))
            return jax.lax.ragged_dot(h, w2t, sizes)
        body.num_experts = w1t.shape[0]
        return body

    def swiglu_body(wgt, wut, w2t):
        def body(xs, sizes):
            h = (jax.nn.silu(jax.lax.ragged_dot(xs, wgt, sizes))
                 * jax.lax.ragged_dot(xs, wut, sizes))
            return jax.lax.ragged_dot(h, w2t, sizes)
        body.num_experts = wgt.shape[0]
        return body

    def w1_layer(x, g1, g2, w1t, w2t):
        T = x.shape[0]
        n1, n2 = g2.shape[0], g2.shape[1]
        v1, i1 = jax.lax.top_k(jax.nn.softmax(laplace(x, g1), -1), 2)
        v1 = v1 / v1.sum(-1, keepdims=True)
        p2 = jax.nn.softmax(laplace(x, g2.reshape(n1 * n2, -1)).reshape(T, n1, n2), -1)
        p2 = jnp.take_along_axis(p2, i1[..., None], 1)
        v2, i2 = jax.lax.top_k(p2, 2)
        v2 = v2 / v2.sum(-1, keepdims=True)
        experts = (i1[..., None] * n2 + i2).reshape(T, 4)
        weights = (v1[..., None] * v2).reshape(T, 4)
        return grouped(x, experts, weights,
                       ffn_body(w1t, w2t, lambda h: jax.nn.gelu(h, approximate=False)))

    def w2_layer(x, gate, select_bias, wgt, wut, w2t):
        T, E = x.shape[0], gate.shape[0]
        p = jax.nn.sigmoid(x @ gate.T)
        keys = (p + select_bias).reshape(T, 8, E // 8)
        group_keys = jax.lax.top_k(keys, 2)[0].sum(-1)
        kept = jax.lax.top_k(group_keys, 4)[1]
        mask = jnp.zeros((T, 8), bool).at[jnp.arange(T)[:, None], kept].set(True)
        keys = jnp.where(mask[..., None], keys, -jnp.inf).reshape(T, E)
        experts = jax.lax.top_k(keys, 8)[1]
        w = jnp.take_along_axis(p, experts, 1)
        w = w / w.sum(-1, keepdims=True) * 2.5
        return grouped(x, experts, w, swiglu_body(wgt, wut, w2t))

    def g1_gate(x, g):
        v, i = jax.lax.top_k(jax.nn.softmax(laplace(x, g), -1), 2)
        return v / v.sum(-1, keepdims=True), i

    return {"W1": jax.jit(w1_layer), "W2": jax.jit(w2_layer),
            "G1": jax.jit(g1_gate)}


def peer_weights(name, params, layout):
    """The arguments of workload `name` for a peer, from hmoe's parameters.
    layout 'torch': weights as hmoe stores them ([E, out, in]); 'jax':
    [E, in, out] for ragged_dot (transposed once, outside the timing)."""
    t = (lambda w: np.ascontiguousarray(np.swapaxes(w, 1, 2))) if layout == "jax" else (lambda w: w)
    if name == "W1":
        return [params["x"], params["gate0"], params["gate1"], t(params["w1"]),
                t(params["w2"])]
    if name == "W2":
        return [params["x"], params["gate0"], params["select_bias0"],
                t(params["w1"]), t(params["w_up"]), t(params["w2"])]
    if name == "G1":
        return [params["x"], params["gate0"]]
    raise KeyError(name)
