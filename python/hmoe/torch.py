"""An HMoE layer as a PyTorch nn.Module, and its export to hmoe.

    from hmoe.torch import HMoE
    module = HMoE(spec)              # spec: hmoe.LayerSpec, any strategy/gate
    y, stats = module(x)             # PyTorch, written from the contract
    compiled = module.to_hmoe()      # hmoe.CompiledLayer with these weights
    y2, stats2 = compiled(x)         # agrees within docs/numerics.md

The module computes what docs/numerics.md defines, with PyTorch ops:
scores, normalisation, top-k (ties to the lower index: stable sorts, not
torch.topk), the nested / group-limited / per-group strategies, router
scale, capacity in token order, the expert kinds and the statistics. Its
parameters are named like the compiled layer's arguments (`gate0`,
`gate_bias0`, `select_bias0`, `router_scale`, `w1`, `w_up`, `b1`, `w2`,
`b2`). NaN inputs are outside what it reproduces (hmoe orders NaN keys
after numbers; PyTorch's sorts do not).
"""

import math

import torch
from torch import nn

from .compiler import LayerSpec, compile as _compile

_ACTIVATIONS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "gelu": lambda v: nn.functional.gelu(v),  # erf form, as hmoe
    "silu": nn.functional.silu,
}


def _by_node(t, n):
    """[T, ...] scores as [T, nodes, n] (explicit sizes: a -1 cannot be
    solved for with T = 0)."""
    return t.reshape(t.shape[0], math.prod(t.shape[1:]) // n, n)


def _stable_topk(keys, k):
    """Indices of the k largest keys along the last dim, larger first, the
    lower index first among equal keys."""
    return torch.sort(keys, dim=-1, descending=True, stable=True)[1][..., :k]


class HMoE(nn.Module):
    def __init__(self, spec: LayerSpec, seed: int = 0):
        super().__init__()
        if spec.dtype != "f32":
            raise ValueError("hmoe.torch.HMoE computes in f32; export casts "
                             "(build bf16/f16 layers with hmoe.compile)")
        if spec.expert_processes != 1:
            raise ValueError("hmoe.torch.HMoE holds the whole layer: "
                             "expected expert_processes = 1, got "
                             f"{spec.expert_processes!r} (a spec spread over "
                             "processes is one process's share: hmoe.compile "
                             "it under mpiexec)")
        self.spec = spec
        g = torch.Generator().manual_seed(seed)
        D = spec.dim
        E = self.num_experts
        H = spec.expert.hidden

        def param(shape, scale):
            return nn.Parameter(torch.randn(*shape, generator=g) * scale)

        nodes = []
        for l, level in enumerate(spec.levels):
            nodes.append(level.fanout)
            shape = self._gate_shape(l)
            distance = level.gate.score in ("laplace", "gaussian")
            self.register_parameter(
                f"gate{l}", param(shape + [D], 0.3 if distance else D ** -0.5))
            if level.gate_bias:
                self.register_parameter(f"gate_bias{l}", param(shape, 0.5))
            if level.selection_bias:
                self.register_parameter(f"select_bias{l}", param(shape, 0.05))
            if level.penalty:
                # Not trained: tau times the caller's moving average of past
                # logits, set by the training loop (a buffer, as in Hi-MoE).
                self.register_buffer(f"penalty{l}", torch.zeros(shape))
        if spec.router_scale:
            self.router_scale = nn.Parameter(
                torch.rand(E, generator=g) + 0.5)
        kind = spec.expert.kind
        if kind == "linear":
            self.w1 = param([E, D, D], D ** -0.5)
            if spec.b1:
                self.b1 = param([E, D], D ** -0.5)
        else:
            self.w1 = param([E, H, D], D ** -0.5)
            if kind == "swiglu":
                self.w_up = param([E, H, D], D ** -0.5)
            if spec.b1:
                self.b1 = param([E, H], D ** -0.5)
            self.w2 = param([E, D, H], H ** -0.5)
            if spec.b2:
                self.b2 = param([E, D], H ** -0.5)

        if spec.shared_expert is not None:
            S, Hs = spec.shared_count, spec.shared_expert.hidden
            skind = spec.shared_expert.kind
            if skind == "linear":
                self.shared_w1 = param([S, D, D], D ** -0.5)
            else:
                self.shared_w1 = param([S, Hs, D], D ** -0.5)
                if skind == "swiglu":
                    self.shared_w_up = param([S, Hs, D], D ** -0.5)
                self.shared_w2 = param([S, D, Hs], Hs ** -0.5)
            if spec.shared_gate:
                self.shared_gate = param([D], D ** -0.5)

    # Shapes ---------------------------------------------------------------
    @property
    def num_experts(self):
        return math.prod(level.fanout for level in self.spec.levels)

    @property
    def num_chosen(self):
        s = self.spec
        if s.strategy.kind == "nested":
            return math.prod(level.gate.k for level in s.levels)
        if s.strategy.kind == "per_group":
            return s.strategy.groups * s.levels[0].gate.k
        return s.levels[0].gate.k

    def _gate_shape(self, l):
        s = self.spec
        level = s.levels[l]
        if s.strategy.kind != "nested" or l == 0 or level.shared_gate:
            return [level.fanout]
        return [lv.fanout for lv in s.levels[: l + 1]]

    def _get(self, name):
        return getattr(self, name, None)

    # The layer ------------------------------------------------------------
    def _logits(self, x, l):
        gate = self.spec.levels[l].gate
        w = self._get(f"gate{l}")
        flat = w.reshape(-1, w.shape[-1])
        if gate.score in ("linear", "activation"):
            s = x @ flat.T
        else:
            # Direct form in f64 (hmoe's precision rule near the centres).
            d = torch.cdist(x.double(), flat.double())
            s = (-d if gate.score == "laplace" else -(d * d)).to(x.dtype)
        s = s.reshape((x.shape[0],) + tuple(w.shape[:-1]))
        bias = self._get(f"gate_bias{l}")
        if bias is not None:
            s = s + bias
        if gate.score == "activation":
            s = _ACTIVATIONS[gate.activation](s)
        return s

    @staticmethod
    def _normalize(s, gate):
        s = s / gate.temperature
        if gate.normalization == "sigmoid":
            return torch.sigmoid(s)
        return torch.softmax(s, dim=-1)

    @staticmethod
    def _weights(p, gate):
        if gate.renormalize:
            p = p / p.sum(dim=-1, keepdim=True)
        return p * gate.scale

    def _route_nested(self, x):
        """(experts [T, K], weights [T, K], probs [T, E], level-1 logits)."""
        T = x.shape[0]
        node = torch.zeros(T, 1, dtype=torch.long)
        weight = torch.ones(T, 1, dtype=x.dtype)
        probs = None
        first_logits = None
        nodes = 1
        for l, level in enumerate(self.spec.levels):
            s = self._logits(x, l)
            if l == 0:
                first_logits = s
            p = self._normalize(self._penalised(l, s), level.gate)
            raw = self._normalize(s, level.gate) if self._get(f"penalty{l}") is not None else p
            n = level.fanout
            p = _by_node(p, n).expand(T, nodes, n)  # shared: one row
            sb = self._get(f"select_bias{l}")
            keys = p if sb is None else p + sb.reshape(-1, n).expand(nodes, n)
            raw = _by_node(raw, n).expand(T, nodes, n)
            probs = raw.reshape(T, nodes * n) if probs is None else (
                probs[:, :, None] * raw).reshape(T, nodes * n)
            rows = node[:, :, None].expand(-1, -1, n)
            p_here = torch.gather(p, 1, rows)
            keys_here = torch.gather(keys, 1, rows)
            chosen = _stable_topk(keys_here, level.gate.k)
            w = self._weights(torch.gather(p_here, 2, chosen), level.gate)
            node = (node[:, :, None] * n + chosen).flatten(1)
            weight = (weight[:, :, None] * w).flatten(1)
            nodes *= n
        return node, weight, probs, first_logits

    def _penalised(self, l, logits):
        """Hi-MoE's load penalty: the logits the choice and the weights use."""
        penalty = self._get(f"penalty{l}")
        return logits if penalty is None else logits - penalty

    def _route_grouped(self, x):
        s = self.spec
        gate = s.levels[0].gate
        T, E = x.shape[0], self.num_experts
        G = s.strategy.groups
        S = E // G
        logits = self._logits(x, 0)
        p = self._normalize(self._penalised(0, logits), gate)
        if self._get("penalty0") is not None:
            # Statistics from the unpenalised probabilities.
            raw = self._normalize(logits, gate)
        sb = self._get("select_bias0")
        keys = p if sb is None else p + sb
        if s.strategy.kind == "per_group":
            idx = _stable_topk(keys.reshape(T, G, S), gate.k)
            experts = (idx + (torch.arange(G) * S)[None, :, None]).flatten(1)
        else:
            grouped = keys.reshape(T, G, S)
            m = 1 if s.strategy.group_score == "max" else s.strategy.top_m
            top = torch.sort(grouped, dim=-1, descending=True, stable=True)[0]
            group_keys = top[..., :m].sum(dim=-1)
            kept = _stable_topk(group_keys, s.strategy.k_groups)
            mask = torch.zeros(T, G, dtype=torch.bool)
            mask.scatter_(1, kept, True)
            masked = torch.where(mask[:, :, None].expand(T, G, S).reshape(T, E),
                                 keys, torch.full_like(keys, -math.inf))
            experts = _stable_topk(masked, gate.k)
        w = self._weights(torch.gather(p, 1, experts), gate)
        return experts, w, raw if self._get("penalty0") is not None else p, logits

    def forward(self, x):
        s = self.spec
        T, E, K = x.shape[0], self.num_experts, self.num_chosen
        if s.strategy.kind == "nested":
            experts, weights, probs, logits = self._route_nested(x)
        else:
            experts, weights, probs, logits = self._route_grouped(x)
        rs = self._get("router_scale")
        if rs is not None:
            weights = weights * rs[experts]

        flat = experts.reshape(-1)
        keep = torch.ones_like(flat, dtype=torch.bool)
        if s.capacity_factor is not None:
            raw = min(s.capacity_factor * T * K / E, T * K)
            if s.capacity_rounding == "hi_moe":
                capacity = math.floor(raw)
                capacity = max(capacity + (capacity & 1), 4)
            else:
                capacity = math.ceil(raw)
            # The order in which experts fill up, as positions into `flat`
            # (token-major: t * K + j).
            pair = torch.arange(T * K)
            if s.fill_order == "choice_rank":
                order = torch.argsort(pair % K * T + pair // K)
            elif s.fill_order == "score":
                w = weights.reshape(-1).detach()
                key = torch.where(torch.isnan(w), torch.full_like(w, -math.inf), w)
                order = torch.sort(key, descending=True, stable=True)[1]
            else:
                order = pair
            onehot = nn.functional.one_hot(flat[order], E)
            position = (onehot.cumsum(0) - 1).gather(1, flat[order][:, None])[:, 0]
            keep = torch.empty_like(keep)
            keep[order] = position < capacity
        token = torch.arange(T).repeat_interleave(K)
        w = (weights.reshape(-1) * keep).to(x.dtype)
        y = torch.zeros(T, s.dim, dtype=x.dtype)
        for e in range(E):
            rows = ((flat == e) & keep).nonzero()[:, 0]
            if rows.numel() == 0:
                continue
            out = self._expert(e, x[token[rows]])
            y = y.index_add(0, token[rows], out * w[rows, None])
        if s.shared_expert is not None:
            # Every token, never dropped; Qwen2-MoE's sigmoid gate if any.
            shared = sum(self._expert(i, x, "shared_", s.shared_expert)
                         for i in range(s.shared_count))
            u = self._get("shared_gate")
            if u is not None:
                shared = torch.sigmoid(x @ u)[:, None] * shared
            y = y + shared
        return y, self._stats(experts, probs, logits, int((~keep).sum()))

    def _expert(self, e, x, prefix="", expert=None):
        expert = expert or self.spec.expert
        kind = expert.kind
        weight = lambda name: self._get(prefix + name)
        b1, b2 = weight("b1"), weight("b2")
        h = x @ weight("w1")[e].T
        if b1 is not None:
            h = h + b1[e]
        if kind == "linear":
            return h
        if kind == "ffn":
            h = _ACTIVATIONS[expert.activation](h)
        else:
            h = nn.functional.silu(h) * (x @ weight("w_up")[e].T)
        y = h @ weight("w2")[e].T
        return y if b2 is None else y + b2[e]

    def _stats(self, experts, probs, logits, dropped):
        s = self.spec
        if not s.stats:
            return {}
        T, E, K = probs.shape[0], self.num_experts, self.num_chosen
        G = s.levels[0].fanout if s.strategy.kind == "nested" else s.strategy.groups
        load = torch.bincount(experts.reshape(-1), minlength=E)
        importance = probs.sum(0)

        def cv2(v):
            v = v.double()
            mean = v.mean()
            return torch.zeros((), dtype=torch.float64) if mean == 0 else (
                v.var(unbiased=False) / mean ** 2)

        top = logits.flatten(1)
        out = {
            "load": load,
            "importance": importance,
            "group_load": load.reshape(G, -1).sum(1),
            "group_importance": importance.reshape(G, -1).sum(1),
            "dropped": torch.tensor(dropped, dtype=torch.int64),
            "balance_loss": E * ((load / (T * K)) * (importance / T)).sum()
            if T else torch.tensor(0.0),
            "cv2_loss": cv2(importance) + cv2(load),
            "z_loss": (torch.logsumexp(top, 1) ** 2).mean() if T else torch.tensor(0.0),
            "r_intra": -s.lambda_intra * (probs ** 2).sum() / T if T else torch.tensor(0.0),
            "r_inter": s.lambda_inter * (probs.unflatten(1, (G, -1)).sum(2) ** 2).sum() / T
            if T else torch.tensor(0.0),
        }
        return {name: out[name] for name in s.stats}

    # Export ---------------------------------------------------------------
    def weights(self):
        """The weights in the compiled layer's argument order (after x)."""
        return {name: self._get(name).detach().contiguous()
                for name in self.spec.argument_names()[1:]}

    def to_hmoe(self, options: str = ""):
        """This layer compiled by hmoe, with these weights bound."""
        return _compile(self.spec, options=options, weights=self.weights())
