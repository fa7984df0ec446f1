"""Build, compile and call hmoe layers from Python.

    import hmoe
    spec = hmoe.LayerSpec(
        dim=64,
        levels=[hmoe.Level(hmoe.Gate("laplace", k=2), fanout=4),
                hmoe.Level(hmoe.Gate("laplace", k=2), fanout=8)],
        expert=hmoe.Expert("ffn", activation="gelu", hidden=128),
        stats=["load", "balance_loss"])
    layer = hmoe.compile(spec, weights=weights)   # weights: name -> array
    y, stats = layer(x)                            # stats: name -> array

Layers are built by hmoe's C++ builder (hmoe::buildLayerFunction), not from
IR text; IR text can be compiled too (`hmoe.compile(text)`). Arrays are
NumPy arrays or PyTorch tensors (through DLPack, without copies); a layer
called on tensors returns tensors. MLIR diagnostics raise hmoe.MLIRError.
"""

import numbers
import os
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from . import _hmoe

MLIRError = _hmoe.MLIRError
Module = _hmoe.Module


@dataclass
class Gate:
    """One level's gate (#hmoe.gate): score, normalisation, top-k."""
    score: str = "linear"          # linear | laplace | gaussian | activation
    normalization: str = "softmax"  # softmax | sigmoid
    k: int = 1
    activation: Optional[str] = None  # for score="activation"
    temperature: float = 1.0
    renormalize: bool = True
    scale: float = 1.0


@dataclass
class Level:
    """A routing level: its gate and how many children each node has."""
    gate: Gate
    fanout: int
    shared_gate: bool = False      # nested levels > 1: one gate per level
    gate_bias: bool = False
    selection_bias: bool = False
    penalty: bool = False          # Hi-MoE's load penalty (one-level layers)


@dataclass
class Strategy:
    """#hmoe.strategy: nested, group_limited or per_group."""
    kind: str = "nested"
    groups: int = 0
    k_groups: int = 0
    group_score: str = "max"       # max | sum_top
    top_m: int = 0

    @staticmethod
    def nested():
        return Strategy("nested")

    @staticmethod
    def group_limited(groups, k_groups, group_score="max", top_m=0):
        return Strategy("group_limited", groups, k_groups, group_score, top_m)

    @staticmethod
    def per_group(groups):
        return Strategy("per_group", groups)


@dataclass
class Expert:
    """#hmoe.expert: ffn (with an activation), swiglu or linear."""
    kind: str = "ffn"
    activation: Optional[str] = None
    hidden: int = 0


@dataclass
class LayerSpec:
    """A whole layer. Its function takes, in order: x [T, D]; per level its
    gate weight, gate bias and selection bias (those it has); the router
    scale; the expert weights w1, w_up, b1, w2, b2 its kind takes
    (`argument_names()`). It returns y [T, D] and the statistics asked."""
    dim: int
    levels: List[Level]
    expert: Expert
    strategy: Strategy = field(default_factory=Strategy.nested)
    dtype: str = "f32"             # f32 | bf16 | f16
    tokens: Optional[int] = None   # None: any number of tokens
    b1: bool = False
    b2: bool = False
    router_scale: bool = False
    # Shared experts (every token, never dropped; DeepSeek, Qwen-MoE):
    # shared_count experts of shared_expert's kind, with Qwen2-MoE's
    # sigmoid gate u . x when shared_gate.
    shared_expert: Optional[Expert] = None
    shared_count: int = 1
    shared_gate: bool = False
    capacity_factor: Optional[float] = None
    fill_order: str = "token_order"      # token_order | choice_rank | score
    capacity_rounding: str = "ceil"      # ceil | hi_moe
    stats: List[str] = field(default_factory=list)
    lambda_intra: float = 1.0
    lambda_inter: float = 1.0
    name: str = "layer"
    # Expert parallelism: the routed experts spread over this many MPI
    # processes (experts_on shard.grid @experts_<R>); the expert weights
    # are then one process's E / R experts (run under mpiexec).
    expert_processes: int = 1

    def argument_names(self) -> List[str]:
        names = ["x"]
        for l, level in enumerate(self.levels):
            names.append(f"gate{l}")
            if level.gate_bias:
                names.append(f"gate_bias{l}")
            if level.selection_bias:
                names.append(f"select_bias{l}")
            if level.penalty:
                names.append(f"penalty{l}")
        if self.router_scale:
            names.append("router_scale")
        names.append("w1")
        if self.expert.kind == "swiglu":
            names.append("w_up")
        if self.b1:
            names.append("b1")
        if self.expert.kind != "linear":
            names.append("w2")
            if self.b2:
                names.append("b2")
        if self.shared_expert is not None:
            names.append("shared_w1")
            if self.shared_expert.kind == "swiglu":
                names.append("shared_w_up")
            if self.shared_expert.kind != "linear":
                names.append("shared_w2")
            if self.shared_gate:
                names.append("shared_gate")
        return names

    def _as_dict(self):
        """The description hmoe's C++ builder reads, each field checked for
        its type here (a float k or a string flag is a TypeError naming the
        field, not a bad cast or a silent truth value)."""
        def gate(g, at):
            _check_kind(g, Gate, at)
            return dict(score=_text(g.score, at + ".score"),
                        normalization=_text(g.normalization,
                                            at + ".normalization"),
                        k=_int(g.k, at + ".k"),
                        activation=_text(g.activation, at + ".activation",
                                         optional=True),
                        temperature=_real(g.temperature, at + ".temperature"),
                        renormalize=_flag(g.renormalize, at + ".renormalize"),
                        scale=_real(g.scale, at + ".scale"))

        def expert(e, at):
            _check_kind(e, Expert, at)
            return dict(kind=_text(e.kind, at + ".kind"),
                        activation=_text(e.activation, at + ".activation",
                                         optional=True),
                        hidden=_int(e.hidden, at + ".hidden"))

        def level(l, i):
            at = f"levels[{i}]"
            _check_kind(l, Level, at)
            return dict(gate=gate(l.gate, at + ".gate"),
                        fanout=_int(l.fanout, at + ".fanout"),
                        shared_gate=_flag(l.shared_gate, at + ".shared_gate"),
                        gate_bias=_flag(l.gate_bias, at + ".gate_bias"),
                        selection_bias=_flag(l.selection_bias,
                                             at + ".selection_bias"),
                        penalty=_flag(l.penalty, at + ".penalty"))

        s = self.strategy
        _check_kind(s, Strategy, "strategy")
        if not isinstance(self.levels, (list, tuple)):
            raise TypeError(f"levels: expected a list of Level, got "
                            f"{self.levels!r}")
        # (A string is iterable: "load" read as the statistics 'l', 'o', ...)
        if isinstance(self.stats, (str, bytes)) or not isinstance(
                self.stats, (list, tuple)):
            raise TypeError(f"stats: expected a list of statistic names, got "
                            f"{self.stats!r}")
        return dict(
            name=_text(self.name, "name"), dtype=_text(self.dtype, "dtype"),
            tokens=_int(self.tokens, "tokens", optional=True),
            dim=_int(self.dim, "dim"),
            strategy=dict(kind=_text(s.kind, "strategy.kind"),
                          groups=_int(s.groups, "strategy.groups"),
                          k_groups=_int(s.k_groups, "strategy.k_groups"),
                          group_score=_text(s.group_score,
                                            "strategy.group_score"),
                          top_m=_int(s.top_m, "strategy.top_m")),
            levels=[level(l, i) for i, l in enumerate(self.levels)],
            expert=expert(self.expert, "expert"),
            shared_expert=None if self.shared_expert is None else expert(
                self.shared_expert, "shared_expert"),
            shared_count=_int(self.shared_count, "shared_count"),
            shared_gate=_flag(self.shared_gate, "shared_gate"),
            b1=_flag(self.b1, "b1"), b2=_flag(self.b2, "b2"),
            router_scale=_flag(self.router_scale, "router_scale"),
            capacity_factor=_real(self.capacity_factor, "capacity_factor",
                                  optional=True),
            fill_order=_text(self.fill_order, "fill_order"),
            capacity_rounding=_text(self.capacity_rounding,
                                    "capacity_rounding"),
            stats=[_text(n, "stats[]") for n in self.stats],
            lambda_intra=_real(self.lambda_intra, "lambda_intra"),
            lambda_inter=_real(self.lambda_inter, "lambda_inter"),
            expert_processes=_int(self.expert_processes, "expert_processes"))


def _number(value, what, kind, convert, optional):
    """A numeric field of `kind` (NumPy's scalars too; not a bool, whose
    True would read as 1, nor a string)."""
    if value is None and optional:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        noun = "an integer" if kind is numbers.Integral else "a number"
        raise TypeError(f"{what}: expected {noun}, got {value!r}")
    return convert(value)


def _check_kind(value, kind, what):
    """`value` is a `kind` (None or another object read its fields as an
    AttributeError that named no field)."""
    if not isinstance(value, kind):
        raise TypeError(f"{what}: expected an hmoe.{kind.__name__}, got "
                        f"{value!r}")


def _int(value, what, optional=False):
    value = _number(value, what, numbers.Integral, int, optional)
    # The C++ side holds int64_t (a larger one failed as std::bad_cast).
    if value is not None and not -2**63 <= value < 2**63:
        raise OverflowError(f"{what}: {value} does not fit in 64 bits")
    return value


def _real(value, what, optional=False):
    return _number(value, what, numbers.Real, float, optional)


def _flag(value, what):
    """A yes/no field: a bool (a string would be true whatever it says)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what}: expected True or False, got {value!r}")
    return bool(value)


def _text(value, what, optional=False):
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a string, got {value!r}")
    return value


def _caller_location():
    """(file, line) of the first caller outside this package: where an error
    about the layer points."""
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    while frame and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame else ("<python>", 1)


def build(spec: LayerSpec) -> Module:
    """The layer's module (a verified func.func holding one hmoe.moe), its
    location the line of Python that asked for it."""
    description = spec._as_dict()
    description["location"] = list(_caller_location())
    return _hmoe.build_layer(description)


def parse(text: str) -> Module:
    """Parses and verifies MLIR text (hmoe and upstream dialects)."""
    return _hmoe.parse(text)


def _is_torch(value):
    return type(value).__module__.startswith("torch")


def _prepare(value, dtype):
    """A C-contiguous array (NumPy) or tensor (PyTorch), bf16 as bit
    patterns for NumPy; no copy when it already is one."""
    if _is_torch(value):
        if value.device.type != "cpu":
            raise TypeError(f"a tensor on device '{value.device}': a layer "
                            f"compiled for the CPU takes CPU tensors")
        # A tensor whose negation or conjugation is a lazy bit (a view of
        # -t) holds the other values in memory, which DLPack hands over.
        return value.resolve_neg().resolve_conj().contiguous()
    array = np.asarray(value)
    if dtype == "f32" and array.dtype != np.float32:
        raise TypeError(f"expected float32 values, got {array.dtype}")
    # (ascontiguousarray makes a 0-d array 1-d: a scalar's shape misreported.)
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _outputs(out):
    """The result buffers `out` names, as a list; each must be written in
    place (a converted copy would be written and dropped)."""
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    for i, o in enumerate(outs):
        if _is_torch(o):
            # A lazily negated (or conjugated) tensor's memory holds other
            # values than it reads as: raw results there would read negated.
            why = ("on " + o.device.type if o.device.type != "cpu" else
                   "not contiguous" if not o.is_contiguous() else
                   "a lazy negation" if o.is_neg() else
                   "a lazy conjugation" if o.is_conj() else
                   # (PyTorch refuses in-place writes to such a tensor: the
                   # layer wrote them behind autograd's back.)
                   "one that requires grad" if o.requires_grad else None)
        elif isinstance(o, np.ndarray):
            why = ("not C-contiguous" if not o.flags.c_contiguous else
                   "read-only" if not o.flags.writeable else None)
        else:
            why = "not an array"
        if why:
            raise TypeError(f"out[{i}]: a result's buffer must be a "
                            f"C-contiguous, writable NumPy array or CPU "
                            f"tensor, not a lazy negation or conjugation (a "
                            f"copy would not be written back); got a "
                            f"{type(o).__name__} that is {why}")
    return outs


def _call(function, values, dtypes, *rest):
    """function(values, *rest), a nanobind entry of the layer; arrays it
    cannot take (a bool or complex tensor, a dtype NumPy has no buffer
    for) are a TypeError saying what the layer takes, not nanobind's list
    of overloads."""
    try:
        return function(values, *rest)
    except TypeError as error:
        if "incompatible function arguments" not in str(error):
            raise
        given = [getattr(v, "dtype", type(v).__name__)
                 for v in (values if isinstance(values, list) else [values])]
        outs = [getattr(v, "dtype", type(v).__name__)
                for r in rest if isinstance(r, list) for v in r]
        raise TypeError(f"the layer takes arrays of {dtypes} (C-contiguous, "
                        f"on the CPU); got {given}"
                        + (f" and result buffers {outs}" if outs else "")
                        ) from None


def _prepare_all(values, dtypes):
    """_prepare of each value; values past the signature's are passed on
    as they are, for the layer to refuse the count (zip dropped them)."""
    return [_prepare(v, dtypes[i]) if i < len(dtypes) else v
            for i, v in enumerate(values)]


def _from_bits(array, dtype, like_torch):
    """Results: f16 as float16, bf16 as uint16 bit patterns (NumPy) or
    bfloat16 (PyTorch); tensors when the tokens were tensors."""
    if dtype == "f16":
        array = array.view(np.float16)
    if like_torch:
        import torch
        if dtype == "bf16":  # torch has no uint16: go through int16 bits
            return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
        return torch.from_numpy(array)
    return array


class CompiledLayer:
    """A layer JIT-compiled for this CPU. Bind the weights once (`bind`, or
    `weights=` to `compile`), then call it on tokens: it returns y, or
    (y, stats) with the statistics by name when the layer has some."""

    def __init__(self, module: Module, lowered: Module, jit, names, stats):
        self.module = module        # the layer before lowering
        self.lowered = lowered      # after hmoe-lower-to-cpu
        self._jit = jit
        self.argument_names = names
        self.stat_names = stats
        self._dtypes = [d for _, d in jit.arguments]
        self._result_dtypes = [d for _, d in jit.results]
        # A layer of the tokens alone (IR text) has nothing to bind.
        self._bound = None if len(self._dtypes) > 1 else []

    @property
    def mpi_rank(self):
        """This process's MPI rank for an experts_on layer (which runs in
        every process of an MPI job, each with its own experts' weights);
        -1 for any other layer."""
        return self._jit.mpi_rank

    @property
    def arguments(self):
        """[(name, shape (-1 = any), dtype)] of the layer's arguments."""
        return [(n, s, d) for n, (s, d) in zip(self.argument_names,
                                                self._jit.arguments)]

    def bind(self, weights: Union[Dict[str, object], Sequence[object]]):
        """Keeps the weights (every argument after x: a sequence in order, or
        a dict by name) for the calls that follow; they are not copied."""
        names = self.argument_names[1:]
        if isinstance(weights, dict):
            unknown = sorted(set(weights) - set(names))
            missing = [n for n in names if n not in weights]
            if unknown or missing:
                raise KeyError(f"weights: unknown {unknown}, missing {missing}; "
                               f"the layer takes {names}")
            weights = [weights[n] for n in names]
        # Kept, not copied: a copy (of a strided or transposed array) would
        # miss the caller's later in-place updates.
        for i, w in enumerate(weights[:len(names)]):
            # (A lazily negated or conjugated tensor's memory holds other
            # values: it would be bound as a resolved copy too.)
            contiguous = (w.is_contiguous() and not w.is_neg()
                          and not w.is_conj() if _is_torch(w) else
                          isinstance(w, np.ndarray) and w.flags.c_contiguous)
            if not contiguous:
                got = (f"a {type(w).__name__} that is not C-contiguous (or "
                       f"is a lazy negation or conjugation)"
                       if _is_torch(w) or isinstance(w, np.ndarray)
                       else f"a {type(w).__name__}")
                raise TypeError(
                    f"weights[{i}] ({names[i]}): bind keeps the caller's "
                    f"array, so it must be a C-contiguous NumPy array or "
                    f"CPU tensor (a copy would not see later updates); got "
                    f"{got}: bind np.ascontiguousarray(w) or w.contiguous() "
                    f"and update that")
        weights = _prepare_all(weights, self._dtypes[1:])
        # Shapes by name now (the call said "argument #i", and only later).
        for (name, shape, _), w in zip(self.arguments[1:], weights):
            got = tuple(getattr(w, "shape", ()))
            if len(got) != len(shape) or any(
                    s >= 0 and g != s for g, s in zip(got, shape)):
                raise ValueError(f"weights: {name} has shape {list(got)}; "
                                 f"the layer takes {list(shape)} (-1: any)")
        _call(self._jit.bind, weights, self._dtypes[1:])
        self._bound = weights
        return self

    def __call__(self, x, *weights, out=None):
        """y, or (y, stats by name). With `out` (y's array, or a sequence
        of one array per result: y, then each statistic), the layer writes
        its results there and returns them: nothing allocated or copied.
        Each must be C-contiguous and writable (NumPy, or a CPU tensor), of
        the result's shape and dtype (bf16: uint16 bits or torch.bfloat16),
        and overlap no input or other result."""
        like_torch = _is_torch(x)
        x = _prepare(x, self._dtypes[0])
        if out is not None:
            outs = _outputs(out)
            if weights:
                _call(self._jit.call_into,
                      [x] + _prepare_all(weights, self._dtypes[1:]),
                      self._dtypes, outs)
            else:
                if self._bound is None:
                    raise RuntimeError("no weights bound: call bind(weights) "
                                       "or pass every argument")
                _call(self._jit.call_bound_into, x, self._dtypes[:1], outs)
            if len(outs) == 1:
                return outs[0]
            return outs[0], dict(zip(self.stat_names, outs[1:]))
        if weights:
            arrays = [x] + _prepare_all(weights, self._dtypes[1:])
            results = _call(self._jit.call, arrays, self._dtypes)
        else:
            if self._bound is None:
                raise RuntimeError("no weights bound: call bind(weights) or "
                                   "pass every argument")
            results = _call(self._jit.call_bound, x, self._dtypes[:1])
        results = [_from_bits(r, d, like_torch)
                   for r, d in zip(results, self._result_dtypes)]
        if len(results) == 1:
            return results[0]
        return results[0], dict(zip(self.stat_names, results[1:]))

    def time(self, x, repetitions=10):
        """Seconds of each of `repetitions` calls (after a warm-up)."""
        if self._bound is None:
            raise RuntimeError("no weights bound")
        if isinstance(repetitions, (bool, np.bool_)) or not isinstance(
                repetitions, numbers.Integral) or not 1 <= repetitions < 2**32:
            raise ValueError(f"repetitions: expected an integer from 1 to "
                             f"2**32 - 1, got {repetitions!r}")
        return _call(self._jit.time,
                     [_prepare(x, self._dtypes[0])] + self._bound,
                     self._dtypes, repetitions)


def compile(layer: Union[LayerSpec, Module, str], target: str = "cpu",
            options: str = "", weights=None, function: str = "",
            opt_level: int = 3) -> CompiledLayer:
    """Compiles a layer (a LayerSpec, a Module or IR text) for `target`
    ("cpu": hmoe-lower-to-cpu with `options`, e.g. "target-cpu=znver3")."""
    if target != "cpu":
        raise ValueError(f"target '{target}': only 'cpu' is supported so far")
    if isinstance(opt_level, (bool, np.bool_)) or not isinstance(
            opt_level, numbers.Integral) or not 0 <= opt_level <= 3:
        raise ValueError(f"opt_level: expected 0 to 3, got {opt_level!r}")
    if isinstance(layer, LayerSpec):
        module = build(layer)
        function = layer.name
        names = layer.argument_names()
        stats = list(layer.stats)
    else:
        module = parse(layer) if isinstance(layer, str) else layer
        names = None
        stats = None
    lowered = module.lower(options)
    jit = _hmoe.JitLayer(lowered, function, opt_level)
    return _compiled(module, lowered, jit, names, stats, weights)


def _abort_job_on_uncaught_exception():
    """An experts_on layer's process that ends on an uncaught exception
    would leave the job's other processes waiting in the layer's
    all-reduce for ever (MPI is finalised at exit as if all went well):
    once such a layer exists, an uncaught exception prints its traceback
    and then aborts the whole job (MPI_Abort), as mpi4py's `-m mpi4py`
    does."""
    previous = sys.excepthook
    if getattr(previous, "_hmoe_aborts_mpi", False):
        return

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stderr.flush()
        _hmoe.abort_mpi(1)

    hook._hmoe_aborts_mpi = True
    sys.excepthook = hook


def _compiled(module, lowered, jit, names, stats, weights):
    """The CompiledLayer of `jit`; a layer from IR text names its arguments
    by position and its statistics from its hmoe.moe."""
    if jit.mpi_rank >= 0:
        _abort_job_on_uncaught_exception()
    if names is None:
        names = ["x"] + [f"arg{i}" for i in range(1, len(jit.arguments))]
        stats = module.layer_stats(jit.name)
        if len(stats) != len(jit.results) - 1:
            stats = [f"result{i}" for i in range(1, len(jit.results))]
    compiled = CompiledLayer(module, lowered, jit, names, stats)
    if weights is not None:
        compiled.bind(weights)
    return compiled


def load(library: str, layer: Union[LayerSpec, Module, str],
         function: str = "", weights=None) -> CompiledLayer:
    """A layer that `hmoe-compile` made into `library` (a shared library),
    called like a compiled one; `layer` (the spec, module or text it was
    made from) gives its signature and argument names."""
    if isinstance(layer, LayerSpec):
        module, function = build(layer), layer.name
        names, stats = layer.argument_names(), list(layer.stats)
    else:
        module = parse(layer) if isinstance(layer, str) else layer
        names = stats = None
    if not function:
        raise ValueError("name the layer function")
    jit = _hmoe.JitLayer.load(library, module, function)
    return _compiled(module, None, jit, names, stats, weights)
