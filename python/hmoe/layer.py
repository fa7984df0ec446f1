"""HMoE layer configurations: print one as an `hmoe.moe` function and make
seeded random parameters for it, named and ordered as its arguments."""

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np


def float_literal(v):
    """`v` as an MLIR float literal, which needs a dot ("1e+20" lexes as an
    integer): 1.0e+20."""
    text = repr(float(v))
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e")
    return text


def round_to(a, dtype):
    """float32 `a` rounded to `dtype` (f32, bf16 or f16), as float32."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "f16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "bf16":
        return decode(encode(a, "bf16"), "bf16")
    return a


def encode(a, dtype):
    """The array hmoe-run reads for a `dtype` argument: float32, float16, or
    bf16 bit patterns as uint16 (round to nearest even; NaN stays NaN)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "f16":
        return a.astype(np.float16)
    if dtype == "bf16":
        u = a.view(np.uint32).astype(np.uint64)
        rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
        nan = np.isnan(a)
        rounded[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
        return rounded
    return a


def decode(a, dtype):
    """float32 values of what hmoe-run wrote for a `dtype` result."""
    if dtype == "bf16":
        return (np.asarray(a).astype(np.uint32) << 16).view(np.float32)
    return np.asarray(a, dtype=np.float32)


@dataclass
class Gate:
    score: str = "linear"          # linear | laplace | gaussian | activation
    norm: str = "softmax"          # softmax | sigmoid
    k: int = 1
    activation: Optional[str] = None
    temperature: float = 1.0
    renormalize: bool = True
    scale: float = 1.0

    def mlir(self):
        score = f"activation<{self.activation}>" if self.score == "activation" else self.score
        s = f"#hmoe.gate<{score}, {self.norm}, k = {self.k}"
        if self.temperature != 1.0:
            s += f", temperature = {float_literal(self.temperature)}"
        if not self.renormalize:
            s += ", renormalize = false"
        if self.scale != 1.0:
            s += f", scale = {float_literal(self.scale)}"
        return s + ">"


# The routed experts' weights, in argument order (split over processes by
# expert_processes).
EXPERT_WEIGHTS = ("w1", "w_up", "b1", "w2", "b2")


@dataclass
class Layer:
    strategy: str = "nested"       # nested | group_limited | per_group
    fanout: List[int] = field(default_factory=lambda: [8])  # nested: N_1..N_L
    gates: List[Gate] = field(default_factory=lambda: [Gate()])
    d: int = 16
    expert: str = "ffn"            # ffn | swiglu | linear
    expert_activation: str = "gelu"
    hidden: int = 8
    shared: List[bool] = field(default_factory=list)       # per level (nested)
    gate_bias: List[bool] = field(default_factory=list)    # per level
    selection_bias: List[bool] = field(default_factory=list)
    penalty: List[bool] = field(default_factory=list)      # per level (one level)
    router_scale: bool = False
    b1: bool = False
    b2: bool = False
    groups: int = 1                # group_limited / per_group
    k_groups: int = 1
    group_score: str = "max"       # max | sum_top
    top_m: int = 2
    capacity: Optional[float] = None
    # Shared experts (every token, never dropped): how many, their kind
    # (None: the routed kind), hidden size, a sigmoid gate u . x, and
    # biases (b1 for ffn and linear, b2 for ffn; the IR text only: the
    # LayerSpec has none).
    shared_experts: int = 0
    shared_kind: Optional[str] = None
    shared_hidden: int = 0
    shared_gate: bool = False
    shared_b1: bool = False
    shared_b2: bool = False
    fill_order: str = "token_order"      # token_order | choice_rank | score
    capacity_rounding: str = "ceil"      # ceil | hi_moe
    stats: List[str] = field(default_factory=list)
    lambda_intra: float = 1.0
    lambda_inter: float = 1.0
    name: str = "layer"
    # Element type of the tokens, gate and expert weights and the output:
    # f32, bf16 or f16 (selection biases and router scales stay f32).
    dtype: str = "f32"
    # Expert parallelism: the routed experts spread over this many MPI
    # processes (`experts_on`); mlir() then declares one process's expert
    # weights, [E / R, ...], while param_shapes and the reference keep the
    # whole layer's.
    expert_processes: int = 1

    def __post_init__(self):
        L = len(self.gates)
        self.shared = self.shared or [False] * L
        self.gate_bias = self.gate_bias or [False] * L
        self.selection_bias = self.selection_bias or [False] * L
        self.penalty = self.penalty or [False] * L
        R = self.expert_processes
        if R < 1 or self.num_experts % R:
            raise ValueError(
                f"expert_processes = {R}: expected a divisor of the "
                f"{self.num_experts} experts")

    # Shape facts ---------------------------------------------------------
    @property
    def num_experts(self):
        return int(np.prod(self.fanout))

    @property
    def num_chosen(self):
        if self.strategy == "nested":
            return int(np.prod([g.k for g in self.gates]))
        if self.strategy == "per_group":
            return self.groups * self.gates[0].k
        return self.gates[0].k

    @property
    def stat_groups(self):
        return self.fanout[0] if self.strategy == "nested" else self.groups

    @property
    def d_out(self):
        return self.d

    def path(self, e):
        p = []
        for n in reversed(self.fanout):
            p.append(e % n)
            e //= n
        return tuple(reversed(p))

    def flat(self, path):
        e = 0
        for i, n in zip(path, self.fanout):
            e = e * n + i
        return e

    # Parameters ----------------------------------------------------------
    def gate_shape(self, l):
        if self.strategy != "nested" or self.shared[l]:
            return [self.fanout[l]]
        return list(self.fanout[: l + 1])

    def param_shapes(self, T):
        """(name, shape, dtype) of every argument, in order."""
        E, D, H, t = self.num_experts, self.d, self.hidden, self.dtype
        out = [("x", [T, D], t)]
        for l in range(len(self.gates)):
            out.append((f"gate{l}", self.gate_shape(l) + [D], t))
            if self.gate_bias[l]:
                out.append((f"gate_bias{l}", self.gate_shape(l), t))
            if self.selection_bias[l]:
                out.append((f"select_bias{l}", self.gate_shape(l), "f32"))
            if self.penalty[l]:
                out.append((f"penalty{l}", self.gate_shape(l), "f32"))
        if self.router_scale:
            out.append(("router_scale", [E], "f32"))
        if self.expert == "linear":
            out.append(("w1", [E, D, D], t))
            if self.b1:
                out.append(("b1", [E, D], t))
            return out + self.shared_param_shapes()
        out.append(("w1", [E, H, D], t))
        if self.expert == "swiglu":
            out.append(("w_up", [E, H, D], t))
        if self.b1 and self.expert == "ffn":
            out.append(("b1", [E, H], t))
        out.append(("w2", [E, D, H], t))
        if self.b2 and self.expert == "ffn":
            out.append(("b2", [E, D], t))
        return out + self.shared_param_shapes()

    @property
    def shared_expert_kind(self):
        return self.shared_kind or self.expert

    def shared_param_shapes(self):
        if not self.shared_experts:
            return []
        S, D, Hs, t = self.shared_experts, self.d, self.shared_hidden, self.dtype
        kind = self.shared_expert_kind
        # (A flag the kind has no bias for would look tested and not be.)
        if (self.shared_b1 and kind == "swiglu") or (
                self.shared_b2 and kind != "ffn"):
            raise ValueError(f"shared {kind} experts have no "
                             f"{'b1' if kind == 'swiglu' else 'b2'}")
        if kind == "linear":
            out = [("shared_w1", [S, D, D], t)]
            if self.shared_b1:
                out.append(("shared_b1", [S, D], t))
        else:
            out = [("shared_w1", [S, Hs, D], t)]
            if kind == "swiglu":
                out.append(("shared_w_up", [S, Hs, D], t))
            if self.shared_b1 and kind == "ffn":
                out.append(("shared_b1", [S, Hs], t))
            out.append(("shared_w2", [S, D, Hs], t))
            if self.shared_b2 and kind == "ffn":
                out.append(("shared_b2", [S, D], t))
        if self.shared_gate:
            out.append(("shared_gate", [D], t))
        return out

    def random_params(self, T, seed):
        rng = np.random.default_rng(seed)
        D = self.d
        params = {}
        for name, shape, _ in self.param_shapes(T):
            if name.startswith("gate") and not name.startswith("gate_bias"):
                v = rng.standard_normal(shape)
            elif name == "x":
                v = rng.standard_normal(shape)
            elif name.startswith("penalty"):
                # tau times a moving average of past logits: O(0.1).
                v = 0.3 * rng.standard_normal(shape)
            elif name.startswith("select_bias"):
                v = 0.05 * rng.standard_normal(shape)
            elif name == "shared_gate":
                v = rng.standard_normal(shape) / np.sqrt(D)
            elif name == "router_scale":
                v = rng.uniform(0.5, 1.5, shape)
            elif name.startswith("gate_bias"):
                v = 0.5 * rng.standard_normal(shape)
            else:
                fan_in = shape[-1]
                v = rng.standard_normal(shape) / np.sqrt(fan_in)
            params[name] = np.ascontiguousarray(v, dtype=np.float32)
        # Keep logits O(1), as trained gates have them: dot products of
        # N(0, 1) vectors grow like sqrt(D), squared distances like D (and
        # sigmoid(-s / tau) of a large distance underflows float32).
        for l, g in enumerate(self.gates):
            if g.score in ("linear", "activation"):
                params[f"gate{l}"] = (params[f"gate{l}"] / np.sqrt(D)).astype(np.float32)
            else:
                params[f"gate{l}"] = (params[f"gate{l}"] * 0.3).astype(np.float32)
        params["x"] = (params["x"] * 0.3).astype(np.float32)
        # Narrow layers: the values are the f32 values rounded to the
        # element type (kept as float32 arrays holding exactly those values;
        # `encode` writes the 16-bit form).
        for name, _, dtype in self.param_shapes(T):
            params[name] = round_to(params[name], dtype)
        return params

    # The compiler's description ----------------------------------------------
    def to_spec(self):
        """The same layer as an hmoe.LayerSpec (needs the extension); its
        arguments are named and ordered like param_shapes (the expert
        weights one process's when expert_processes > 1)."""
        from . import compiler as c
        if self.shared_b1 or self.shared_b2:
            raise ValueError("a LayerSpec has no shared experts' biases")
        gates = [c.Gate(g.score, g.norm, g.k, g.activation, g.temperature,
                        g.renormalize, g.scale) for g in self.gates]
        levels = [c.Level(g, n, shared_gate=self.shared[l] and l > 0,
                          gate_bias=self.gate_bias[l],
                          selection_bias=self.selection_bias[l],
                          penalty=self.penalty[l])
                  for l, (g, n) in enumerate(zip(gates, self.fanout))]
        if self.strategy == "nested":
            strategy = c.Strategy.nested()
        elif self.strategy == "per_group":
            strategy = c.Strategy.per_group(self.groups)
            levels = [c.Level(gates[0], self.num_experts,
                              gate_bias=self.gate_bias[0],
                              selection_bias=self.selection_bias[0],
                              penalty=self.penalty[0])]
        else:
            strategy = c.Strategy.group_limited(
                self.groups, self.k_groups, self.group_score,
                0 if self.group_score == "max" else self.top_m)
            levels = [c.Level(gates[0], self.num_experts,
                              gate_bias=self.gate_bias[0],
                              selection_bias=self.selection_bias[0],
                              penalty=self.penalty[0])]
        expert = c.Expert(self.expert, self.expert_activation
                          if self.expert == "ffn" else None,
                          0 if self.expert == "linear" else self.hidden)
        shared = None
        if self.shared_experts:
            kind = self.shared_expert_kind
            shared = c.Expert(kind, self.expert_activation if kind == "ffn" else None,
                              0 if kind == "linear" else self.shared_hidden)
        return c.LayerSpec(
            dim=self.d, levels=levels, expert=expert, strategy=strategy,
            shared_expert=shared, shared_count=max(self.shared_experts, 1),
            shared_gate=self.shared_gate,
            dtype=self.dtype, b1=self.b1, b2=self.b2,
            router_scale=self.router_scale, capacity_factor=self.capacity,
            fill_order=self.fill_order,
            capacity_rounding=self.capacity_rounding,
            stats=list(self.stats), lambda_intra=self.lambda_intra,
            lambda_inter=self.lambda_inter, name=self.name,
            expert_processes=self.expert_processes)

    # IR ------------------------------------------------------------------
    def stat_types(self):
        E, G = self.num_experts, self.stat_groups
        types = {"load": f"tensor<{E}xi64>", "importance": f"tensor<{E}xf32>",
                 "group_load": f"tensor<{G}xi64>",
                 "group_importance": f"tensor<{G}xf32>", "dropped": "tensor<i64>"}
        return [types.get(s, "tensor<f32>") for s in self.stats]

    def mlir(self):
        def ty(shape, dtype="f32"):
            return "tensor<" + "".join(("?" if d is None else str(d)) + "x" for d in shape) + dtype + ">"

        shapes = self.param_shapes(None)
        T = None
        xt = ty([T, self.d], self.dtype)
        results = [ty([T, self.d_out], self.dtype)] + self.stat_types()
        strategy = "#hmoe.strategy<nested>"
        if self.strategy == "group_limited":
            gs = "max" if self.group_score == "max" else f"sum_top<{self.top_m}>"
            strategy = (f"#hmoe.strategy<group_limited, groups = {self.groups}, "
                        f"k_groups = {self.k_groups}, group_score = {gs}>")
        elif self.strategy == "per_group":
            strategy = f"#hmoe.strategy<per_group, groups = {self.groups}>"
        shape_of = {n: s for n, s, _ in shapes}
        type_of = {n: t for n, _, t in shapes}
        levels = []
        for l, g in enumerate(self.gates):
            s = f"level({g.mlir()}, weight %gate{l} : {ty(shape_of[f'gate{l}'], type_of[f'gate{l}'])}"
            if self.gate_bias[l]:
                s += f", bias %gate_bias{l} : {ty(shape_of[f'gate_bias{l}'], type_of[f'gate_bias{l}'])}"
            if self.selection_bias[l]:
                s += f", selection_bias %select_bias{l} : {ty(shape_of[f'select_bias{l}'])}"
            if self.penalty[l]:
                s += f", penalty %penalty{l} : {ty(shape_of[f'penalty{l}'])}"
            levels.append(s + ")")
        rs = f"router_scale %router_scale : {ty(shape_of['router_scale'])}" if self.router_scale else ""
        if self.expert == "ffn":
            ek = f"#hmoe.expert<ffn, activation = {self.expert_activation}, hidden = {self.hidden}>"
        elif self.expert == "swiglu":
            ek = f"#hmoe.expert<swiglu, hidden = {self.hidden}>"
        else:
            ek = "#hmoe.expert<linear>"
        R = self.expert_processes
        for n in EXPERT_WEIGHTS:
            if n in shape_of:
                shape_of[n] = [shape_of[n][0] // R] + shape_of[n][1:]
        args = ", ".join(f"%{n}: {ty(shape_of[n], t)}" for n, _, t in shapes)
        ew = ", ".join(f"{n} %{n} : {ty(shape_of[n], type_of[n])}"
                       for n in EXPERT_WEIGHTS if n in shape_of)
        tail = ""
        if self.shared_experts:
            kind = self.shared_expert_kind
            if kind == "ffn":
                sk = f"#hmoe.expert<ffn, activation = {self.expert_activation}, hidden = {self.shared_hidden}>"
            elif kind == "swiglu":
                sk = f"#hmoe.expert<swiglu, hidden = {self.shared_hidden}>"
            else:
                sk = "#hmoe.expert<linear>"
            sw = ", ".join(f"{n[len('shared_'):]} %{n} : {ty(shape_of[n], type_of[n])}"
                           for n in ("shared_w1", "shared_w_up", "shared_b1",
                                     "shared_w2", "shared_b2", "shared_gate")
                           if n in shape_of)
            tail += f"\n      shared({sk}, {sw})"
        if self.capacity is not None:
            tail += f" capacity_factor {float_literal(self.capacity)}"
            if self.fill_order != "token_order":
                tail += f" fill_order {self.fill_order}"
            if self.capacity_rounding != "ceil":
                tail += f" capacity_rounding {self.capacity_rounding}"
        grid = ""
        if R > 1:
            tail += " experts_on @experts"
            grid = f"shard.grid @experts(shape = {R})\n"
        if self.stats:
            tail += " stats [" + ", ".join(self.stats) + "]"
        attrs = ""
        if self.lambda_intra != 1.0 or self.lambda_inter != 1.0:
            attrs = (f" {{lambda_intra = {float_literal(self.lambda_intra)} : f64, "
                     f"lambda_inter = {float_literal(self.lambda_inter)} : f64}}")
        names = ", ".join(["%y"] + [f"%s{i}" for i in range(len(self.stats))])
        return (
            f"{grid}func.func @{self.name}({args}) -> ({', '.join(results)}) {{\n"
            f"  {names} = hmoe.moe %x : {xt}, {strategy}\n      "
            + "\n      ".join(levels)
            + (f"\n      {rs}" if rs else "")
            + f"\n      experts({ek}, {ew}){tail}{attrs}\n"
            f"      -> {', '.join(results)}\n"
            f"  return {names} : {', '.join(results)}\n}}\n")
