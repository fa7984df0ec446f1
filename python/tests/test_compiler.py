"""hmoe.compile against the float64 reference, on layers built through the
C++ builder, with NumPy arrays and PyTorch tensors; errors as exceptions."""

import dataclasses
import os

import numpy as np
import pytest
import torch

import hmoe
import hmoe.torch
from hmoe.layer import Gate, Layer
from hmoe.run import compare_with_reference, decode, encode

T = 37

LAYERS = {
    "nested-laplace-per-node": Layer(
        fanout=[4, 3], gates=[Gate("laplace", k=2), Gate("laplace", k=2)],
        d=16, expert="ffn", expert_activation="gelu", hidden=8,
        stats=["load", "importance", "balance_loss", "z_loss"]),
    "nested-shared-sigmoid-biases": Layer(
        fanout=[2, 4], gates=[Gate("gaussian", k=1),
                              Gate("linear", "sigmoid", k=2, renormalize=False)],
        shared=[False, True], gate_bias=[True, False],
        selection_bias=[False, True], d=12, expert="swiglu", hidden=8,
        router_scale=True, stats=["group_load", "cv2_loss"]),
    "group-limited-sum-top": Layer(
        strategy="group_limited", fanout=[16],
        gates=[Gate("linear", "sigmoid", k=4, scale=2.5)],
        selection_bias=[True], groups=4, k_groups=2, group_score="sum_top",
        top_m=2, d=16, expert="swiglu", hidden=8, stats=["load", "r_intra"]),
    "group-limited-capacity-by-score": Layer(
        strategy="group_limited", fanout=[8], gates=[Gate("laplace", k=2)],
        groups=4, k_groups=2, d=8, expert="linear", capacity=0.5,
        fill_order="score", stats=["dropped"]),
    "nested-capacity-choice-rank-hi-moe": Layer(
        fanout=[2, 4], gates=[Gate("linear", k=2), Gate("linear", k=2)],
        d=8, expert="swiglu", hidden=8, capacity=0.7, fill_order="choice_rank",
        capacity_rounding="hi_moe", stats=["dropped", "load"]),
    "shared-ffn-gated-two": Layer(
        fanout=[2, 2], gates=[Gate("gaussian", k=1), Gate("linear", k=2)],
        d=8, expert="ffn", expert_activation="gelu", hidden=4,
        shared_experts=2, shared_hidden=6, shared_gate=True, stats=["load"]),
    "per-group-activation-capacity": Layer(
        strategy="per_group", fanout=[8],
        gates=[Gate("activation", k=1, activation="tanh", temperature=0.5)],
        groups=4, d=8, expert="linear", b1=True, capacity=1.0,
        stats=["dropped", "r_inter", "group_importance"]),
}


def run_compiled(layer, params, as_torch=False):
    compiled = hmoe.compile(layer.to_spec())
    names = [n for n, _, _ in layer.param_shapes(T)]
    assert compiled.argument_names == names
    arrays = {n: encode(params[n], t) for n, _, t in layer.param_shapes(T)}
    if as_torch:
        arrays = {n: torch.from_numpy(a) for n, a in arrays.items()}
    compiled.bind({n: arrays[n] for n in names[1:]})
    out = compiled(arrays["x"])
    y, stats = out if layer.stats else (out, {})
    if as_torch:
        assert isinstance(y, torch.Tensor)
        y = y.numpy()
        stats = {k: v.numpy() for k, v in stats.items()}
    assert list(stats) == layer.stats
    return [decode(y, layer.dtype)] + [stats[s] for s in layer.stats]


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("as_torch", [False, True])
def test_layer_matches_reference(name, as_torch):
    layer = LAYERS[name]
    params = layer.random_params(T, seed=sorted(LAYERS).index(name))
    failures, summary = compare_with_reference(
        layer, params, run_compiled(layer, params, as_torch))
    assert not failures, f"{name}: {summary}: {failures}"


def test_bf16_layer_from_torch_tensors():
    layer = Layer(fanout=[4, 2], gates=[Gate("laplace", k=2), Gate("linear", k=1)],
                  d=32, hidden=16, dtype="bf16")
    params = layer.random_params(T, seed=7)
    compiled = hmoe.compile(layer.to_spec())
    tensors = {n: torch.from_numpy(params[n]).to(torch.bfloat16)
               for n, _, _ in layer.param_shapes(T)}
    compiled.bind([tensors[n] for n in compiled.argument_names[1:]])
    y = compiled(tensors["x"])
    assert y.dtype == torch.bfloat16
    failures, summary = compare_with_reference(layer, params, [y.float().numpy()])
    assert not failures, f"{summary}: {failures}"


def test_weights_are_bound_without_copies():
    # Changing a bound tensor in place changes the next call's result: the
    # layer reads the caller's memory, it did not copy it at bind time.
    layer = LAYERS["nested-laplace-per-node"]
    params = layer.random_params(T, seed=3)
    compiled = hmoe.compile(layer.to_spec())
    w2 = torch.from_numpy(params["w2"].copy())
    compiled.bind({**{n: params[n] for n in compiled.argument_names[1:]}, "w2": w2})
    y1, _ = compiled(params["x"])
    w2.mul_(2.0)
    y2, _ = compiled(params["x"])
    np.testing.assert_allclose(y2, 2.0 * y1, rtol=1e-5, atol=1e-6)


def test_compile_ir_text_with_stats_by_name(examples_dir):
    with open(os.path.join(examples_dir, "himoe_per_group.mlir")) as f:
        text = f.read()
    compiled = hmoe.compile(text)
    assert compiled.stat_names == ["r_intra", "r_inter", "group_load"]
    rng = np.random.default_rng(11)
    x = (0.3 * rng.standard_normal((9, compiled.arguments[0][1][1]))).astype(np.float32)
    weights = [(0.1 * rng.standard_normal(shape)).astype(np.float32)
               for _, shape, _ in compiled.arguments[1:]]
    y, stats = compiled(x, *weights)
    assert y.shape == x.shape and np.isfinite(y).all()
    assert stats["group_load"].dtype == np.int64
    # per_group, groups = 4, k = 2: every token uses 2 experts in each group.
    np.testing.assert_array_equal(stats["group_load"], [9 * 2] * 4)


def test_module_prints_and_parses_back():
    spec = LAYERS["group-limited-sum-top"].to_spec()
    text = str(hmoe.build(spec))
    assert "#hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<2>>" in text
    assert str(hmoe.parse(text)) == text


def test_spec_spreads_experts_over_processes():
    """expert_processes: the layer's experts on a grid of R processes, the
    expert weights one process's E / R (run under mpiexec:
    test/Integration/expert-parallel-python.test)."""
    layer = Layer(fanout=[8], gates=[Gate("linear", k=2)], d=16, expert="ffn",
                  hidden=8, b1=True, expert_processes=2)
    text = str(hmoe.build(layer.to_spec()))
    assert "shard.grid @experts_2(shape = 2)" in text
    assert ("w1 %arg2 : tensor<4x8x16xf32>, b1 %arg3 : tensor<4x8xf32>, "
            "w2 %arg4 : tensor<4x16x8xf32>) experts_on @experts_2") in text
    assert str(hmoe.parse(text)) == text
    with pytest.raises(hmoe.MLIRError, match="layer 'layer' spreads 8 experts "
                       "over 3 processes; expected a number of processes "
                       "that divides the experts"):
        hmoe.build(dataclasses.replace(layer.to_spec(), expert_processes=3))
    with pytest.raises(hmoe.MLIRError, match="needs expert_processes >= 1; "
                       "got 0"):
        hmoe.build(dataclasses.replace(layer.to_spec(), expert_processes=0))
    # Shared experts: their weights whole on every process.
    text = str(hmoe.build(dataclasses.replace(
        layer.to_spec(), shared_expert=hmoe.Expert("ffn", "gelu", 4))))
    assert ("shared(#hmoe.expert<ffn, activation = gelu, hidden = 4>, "
            "w1 %arg5 : tensor<1x4x16xf32>, w2 %arg6 : tensor<1x16x4xf32>) "
            "experts_on @experts_2") in text
    with pytest.raises(ValueError, match="expected expert_processes = 1, "
                       "got 2"):
        hmoe.torch.HMoE(layer.to_spec())
    with pytest.raises(ValueError, match="expected expert_processes = 1, "
                       "got 0"):
        hmoe.torch.HMoE(dataclasses.replace(layer.to_spec(),
                                            expert_processes=0))
    # Beyond int64: a message naming the field (was std::bad_cast).
    with pytest.raises(OverflowError, match="expert_processes: "
                       "9223372036854775808 does not fit in 64 bits"):
        hmoe.build(dataclasses.replace(layer.to_spec(),
                                       expert_processes=2**63))


def test_invalid_layer_raises_mlir_error_at_the_op():
    spec = hmoe.LayerSpec(dim=8, levels=[hmoe.Level(hmoe.Gate("linear", k=5), fanout=4)],
                          expert=hmoe.Expert("linear"))
    with pytest.raises(hmoe.MLIRError) as error:
        hmoe.compile(spec)
    # The error is at the op, located at the Python line that built it.
    assert str(error.value).endswith(
        "error: 'hmoe.moe' op level 1 gate chooses k = 5 of only 4 children; "
        "expected k <= 4")
    assert str(error.value).startswith(__file__ + ":")


def test_invalid_attribute_raises():
    spec = hmoe.LayerSpec(dim=8, levels=[hmoe.Level(hmoe.Gate("linear", k=1, temperature=0.0), fanout=4)],
                          expert=hmoe.Expert("linear"))
    with pytest.raises(hmoe.MLIRError, match="temperature must be positive and finite") as error:
        hmoe.build(spec)
    # At the Python line that built it, as the op's errors (not loc(unknown)).
    assert str(error.value).startswith(__file__ + ":")
    with pytest.raises(hmoe.MLIRError, match="unknown score 'cosine'"):
        hmoe.build(hmoe.LayerSpec(dim=8, levels=[hmoe.Level(hmoe.Gate("cosine"), fanout=4)],
                                  expert=hmoe.Expert("linear")))


def test_parse_error_has_the_location():
    with pytest.raises(hmoe.MLIRError, match=r"^<python>:1:18: error: custom op 'hmoe.bogus' is unknown$"):
        hmoe.parse("func.func @f() { hmoe.bogus }")


def test_bad_options_and_inputs_raise():
    spec = LAYERS["nested-laplace-per-node"].to_spec()
    with pytest.raises(hmoe.MLIRError, match="invalid hmoe-lower-to-cpu options"):
        hmoe.compile(spec, options="no-such-option=1")
    compiled = hmoe.compile(spec)
    params = LAYERS["nested-laplace-per-node"].random_params(4, seed=1)
    with pytest.raises(KeyError, match="missing"):
        compiled.bind({"gate0": params["gate0"]})
    compiled.bind({n: params[n] for n in compiled.argument_names[1:]})
    with pytest.raises(hmoe.MLIRError, match=r"argument #0 has shape \[4, 15\]"):
        compiled(np.zeros((4, 15), np.float32))
    with pytest.raises(TypeError, match="expected float32"):
        compiled(np.zeros((4, 16), np.float64))
    # A tensor negated lazily (the neg bit) is read as its values (DLPack
    # handed over the memory, the values' negation).
    t = torch.from_numpy(np.linspace(-1, 1, 4 * 16, dtype=np.float32).reshape(4, 16))
    assert torch._neg_view(t).is_neg()
    np.testing.assert_array_equal(compiled(torch._neg_view(t))[0].numpy(),
                                  compiled(-t)[0].numpy())
    # A 0-d array is named as one (it was reported as shape [1]).
    with pytest.raises(hmoe.MLIRError, match=r"argument #0 has shape \[\];"):
        compiled(np.array(1.0, np.float32))
    # One argument too many is refused, not dropped (zip dropped it).
    weights = [params[n] for n in compiled.argument_names[1:]]
    with pytest.raises(hmoe.MLIRError, match=r"weights after the tokens; got"):
        compiled.bind(weights + [weights[0]])
    # A weight of the wrong shape is named at bind (the call said
    # "argument #2", later).
    with pytest.raises(ValueError, match=r"weights: w1 has shape \[2, 16, 16\]; "
                       r"the layer takes \[12, 8, 16\]"):
        compiled.bind({**{n: params[n] for n in compiled.argument_names[1:]},
                       "w1": np.zeros((2, 16, 16), np.float32)})
    x = np.zeros((4, 16), np.float32)
    with pytest.raises(hmoe.MLIRError, match=r"arguments; got"):
        compiled(x, *weights, weights[0])
    # A tensor off the CPU is named as such (nanobind's "incompatible
    # function arguments" before).
    with pytest.raises(TypeError, match="on device 'meta'"):
        compiled(torch.zeros((4, 16), device="meta"))
    # Nor for a bool tensor, or a count of repetitions nanobind cannot take.
    with pytest.raises(TypeError, match=r"the layer takes arrays of \['f32'"):
        compiled(torch.zeros((4, 16), dtype=torch.bool))
    for bad in (-1, 0, 2**40, 2.0):
        with pytest.raises(ValueError, match="repetitions: expected"):
            compiled.time(x, bad)
    with pytest.raises(ValueError, match="opt_level: expected 0 to 3"):
        hmoe.compile(spec, opt_level=-1)


def test_read_only_inputs_and_strided_weights():
    # Inputs are only read: read-only arrays (a memory map, np.frombuffer)
    # are taken as they are (nanobind refused them).
    layer = LAYERS["nested-laplace-per-node"]
    params = layer.random_params(T, seed=8)
    compiled = hmoe.compile(layer.to_spec())
    names = compiled.argument_names[1:]
    frozen = {n: params[n].copy() for n in names}
    for w in frozen.values():
        w.flags.writeable = False
    compiled.bind(frozen)
    x = params["x"].copy()
    x.flags.writeable = False
    y, _ = compiled(x)
    y_writable, _ = compiled(params["x"])
    np.testing.assert_array_equal(y, y_writable)
    # A weight that is not C-contiguous would be bound as a copy, which
    # misses the caller's later in-place updates: refused (it was copied
    # without a word).
    strided = np.asfortranarray(params["w1"])
    with pytest.raises(TypeError, match=r"weights\[\d+\] \(w1\): bind keeps "
                       r"the caller's array"):
        compiled.bind({**{n: params[n] for n in names}, "w1": strided})
    # Nor a tensor negated lazily: its memory holds the other values.
    negated = torch._neg_view(torch.from_numpy(params["w1"].copy()))
    with pytest.raises(TypeError, match=r"\(w1\): bind keeps the caller's array"):
        compiled.bind({**{n: params[n] for n in names}, "w1": negated})
    # Passed with the call (used at once), any layout is fine.
    y_strided, _ = compiled(params["x"], *[strided if n == "w1" else params[n]
                                          for n in names])
    np.testing.assert_array_equal(y_strided, y_writable)


def test_spec_fields_are_type_checked():
    # A field of the wrong type is a TypeError naming it (a float k was
    # std::bad_cast, a string k read as its number, a string flag true).
    def spec(**gate):
        return hmoe.LayerSpec(dim=8, levels=[hmoe.Level(hmoe.Gate("linear", **gate),
                                                        fanout=4)],
                              expert=hmoe.Expert("linear"))
    for bad in (2.0, "2", None):
        with pytest.raises(TypeError, match=r"levels\[0\]\.gate\.k: expected an "
                           r"integer"):
            hmoe.build(spec(k=bad))
    with pytest.raises(TypeError, match=r"renormalize: expected True or False"):
        hmoe.build(spec(renormalize="False"))
    with pytest.raises(TypeError, match=r"^dim: expected an integer"):
        hmoe.build(hmoe.LayerSpec(dim=8.0, levels=spec().levels,
                                  expert=hmoe.Expert("linear")))
    with pytest.raises(TypeError, match=r"^levels: expected a list"):
        hmoe.build(hmoe.LayerSpec(dim=8, levels=None, expert=hmoe.Expert("linear")))
    # Objects of the wrong kind, or None, name the field (they were bare
    # AttributeErrors); a string of statistics is not read letter by letter.
    level = spec().levels[0]
    for field, value, kind in (
            ("levels", [None], r"levels\[0\]: expected an hmoe.Level"),
            ("levels", [hmoe.Level(None, 4)],
             r"levels\[0\]\.gate: expected an hmoe.Gate"),
            ("expert", None, r"^expert: expected an hmoe.Expert, got None"),
            ("strategy", "nested", r"^strategy: expected an hmoe.Strategy"),
            ("stats", "load", r"^stats: expected a list of statistic names, "
             r"got 'load'")):
        fields = dict(dim=8, levels=[level], expert=hmoe.Expert("linear"))
        fields[field] = value
        with pytest.raises(TypeError, match=kind):
            hmoe.build(hmoe.LayerSpec(**fields))
    assert "k = 2" in str(hmoe.build(spec(k=np.int64(2))))
    # Values the builder read as others: an empty name, no shared experts.
    with pytest.raises(hmoe.MLIRError, match="a layer needs a name"):
        hmoe.build(hmoe.LayerSpec(dim=8, levels=spec().levels,
                                  expert=hmoe.Expert("linear"), name=""))
    for count in (0, -1):
        with pytest.raises(hmoe.MLIRError, match=r"needs shared_count >= 1 with a "
                           r"shared expert; got " + str(count)):
            hmoe.build(hmoe.LayerSpec(dim=8, levels=spec().levels,
                                      expert=hmoe.Expert("linear"),
                                      shared_expert=hmoe.Expert("linear"),
                                      shared_count=count))


def test_inputs_keep_their_values():
    # Arguments are the caller's inputs: a tensor updated in place is
    # bufferized into a copy (it was written into the caller's x, and a
    # read-only x would fault).
    compiled = hmoe.compile(
        "func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {"
        " %c = arith.constant 7.0 : f32 %i = arith.constant 0 : index"
        " %r = tensor.insert %c into %x[%i] : tensor<4xf32>"
        " return %r : tensor<4xf32> }")
    x = np.zeros(4, np.float32)
    np.testing.assert_array_equal(compiled(x), [7, 0, 0, 0])
    np.testing.assert_array_equal(x, [0, 0, 0, 0])
    x.flags.writeable = False
    np.testing.assert_array_equal(compiled(x), [7, 0, 0, 0])


def test_layer_of_the_tokens_alone():
    # IR text whose layer takes x only: callable without bind.
    compiled = hmoe.compile("func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {"
                            " return %x : tensor<?x4xf32> }")
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(compiled(x), x)
    assert len(compiled.time(x, 2)) == 2


def test_target_cpu_option_is_honoured():
    spec = LAYERS["nested-laplace-per-node"].to_spec()
    compiled = hmoe.compile(spec, options="target-cpu=x86-64")
    assert 'hmoe.target_cpu = "x86-64"' in str(compiled.lowered)


def test_library_from_hmoe_compile(tmp_path):
    # hmoe-compile's shared library, loaded by hmoe.load: the same results
    # as hmoe.compile's JIT of the same layer, bit for bit.
    import subprocess
    layer = LAYERS["nested-laplace-per-node"]
    spec = layer.to_spec()
    source = tmp_path / "layer.mlir"
    source.write_text(str(hmoe.build(spec)))
    hmoe_compile = os.path.join(os.path.dirname(hmoe.__file__), "..", "..",
                                "bin", "hmoe-compile")
    library = tmp_path / "liblayer.so"
    subprocess.run([hmoe_compile, str(source), "-o", str(library)], check=True,
                   capture_output=True)
    params = layer.random_params(T, seed=21)
    weights = {n: params[n] for n in spec.argument_names()[1:]}
    from_library = hmoe.load(str(library), spec, weights=weights)
    jit = hmoe.compile(spec, weights=weights)
    y_lib, stats_lib = from_library(params["x"])
    y_jit, stats_jit = jit(params["x"])
    np.testing.assert_array_equal(y_lib, y_jit)
    for name in layer.stats:
        np.testing.assert_array_equal(stats_lib[name], stats_jit[name])
    # The library's _into entry, as the JIT's.
    assert from_library._jit.writes_in_place
    check_out_buffers(from_library, np.ascontiguousarray(params["x"],
                                                         np.float32),
                      np.empty_like)
    with pytest.raises(hmoe.MLIRError, match="cannot load"):
        hmoe.load(str(tmp_path / "missing.so"), spec)
    # The same function name with another signature (hidden 16, not 8):
    # refused, where it read the weights at the library's sizes.
    other = LAYERS["nested-laplace-per-node"].to_spec()
    other.expert.hidden = 16
    with pytest.raises(hmoe.MLIRError, match="was compiled for @"):
        hmoe.load(str(library), other)
    # The same signature but another layer (top-1 at the first level, not
    # top-2): refused by the layer's fingerprint, where it computed the
    # library's layer.
    top1 = LAYERS["nested-laplace-per-node"].to_spec()
    top1.levels[0].gate.k = 1
    with pytest.raises(hmoe.MLIRError, match="was compiled from another @"):
        hmoe.load(str(library), top1, weights=weights)
    # Both layers' libraries in one process, each under the same function
    # name: each computes its own layer (the second library's calls between
    # its entries bound to the first's before -Bsymbolic).
    source_top1 = tmp_path / "top1.mlir"
    source_top1.write_text(str(hmoe.build(top1)))
    library_top1 = tmp_path / "libtop1.so"
    subprocess.run([hmoe_compile, str(source_top1), "-o", str(library_top1)],
                   check=True, capture_output=True)
    from_top1 = hmoe.load(str(library_top1), top1, weights=weights)
    jit_top1 = hmoe.compile(top1, weights=weights)
    np.testing.assert_array_equal(from_top1(params["x"])[0],
                                  jit_top1(params["x"])[0])
    np.testing.assert_array_equal(from_library(params["x"])[0], y_jit)
    assert not np.array_equal(y_jit, jit_top1(params["x"])[0])


def check_out_buffers(layer_fn, x, like):
    """layer_fn(x, out=...) writes the same bits as layer_fn(x) into the
    given buffers and returns them; bad buffers are refused before the call."""
    y, stats = layer_fn(x)
    names = list(stats)
    outs = [like(y)] + [like(stats[n]) for n in names]
    got_y, got_stats = layer_fn(x, out=outs)
    assert got_y is outs[0]
    np.testing.assert_array_equal(np.asarray(outs[0]), np.asarray(y))
    for n, o in zip(names, outs[1:]):
        assert got_stats[n] is o
        np.testing.assert_array_equal(np.asarray(o), np.asarray(stats[n]))
    # Another token count's buffer for y.
    short = [like(y[:-1])] + outs[1:]
    with pytest.raises(hmoe.MLIRError, match=r"the buffer for result #0 has "
                       r"shape \[36, 16\]; @.* gives \[37, 16\] for these inputs"):
        layer_fn(x, out=short)
    # Too few buffers, a wrong dtype, a strided view, x itself.
    with pytest.raises(hmoe.MLIRError, match="results; got 1 buffers"):
        layer_fn(x, out=outs[0])
    with pytest.raises(hmoe.MLIRError, match="result #0 has the wrong dtype"):
        layer_fn(x, out=[np.zeros(np.shape(y), np.float64)] + outs[1:])
    wide = np.zeros((np.shape(y)[0], 2 * np.shape(y)[1]), np.float32)
    with pytest.raises(TypeError, match="C-contiguous, writable"):
        layer_fn(x, out=[wide[:, ::2]] + outs[1:])
    with pytest.raises(hmoe.MLIRError, match="result #0 shares memory with "
                       "argument #0"):
        layer_fn(x, out=[x] + outs[1:])
    if isinstance(outs[0], torch.Tensor):
        # (torch._neg_view makes one directly; public torch makes them too,
        # e.g. x.conj().imag of a complex x, but not contiguous ones.)
        with pytest.raises(TypeError, match="that is a lazy negation"):
            layer_fn(x, out=[torch._neg_view(outs[0])] + outs[1:])
        # Nor one autograd tracks (PyTorch refuses to write such in place).
        with pytest.raises(TypeError, match="that is one that requires grad"):
            layer_fn(x, out=[torch.zeros_like(outs[0], requires_grad=True)]
                     + outs[1:])


@pytest.mark.parametrize("as_torch", [False, True])
def test_results_into_given_buffers(as_torch):
    layer = LAYERS["nested-laplace-per-node"]
    params = layer.random_params(T, seed=5)
    weights = {n: params[n] for n in layer.to_spec().argument_names()[1:]}
    compiled = hmoe.compile(layer.to_spec(), weights=weights)
    assert compiled._jit.writes_in_place
    x = np.ascontiguousarray(params["x"], np.float32)
    like = np.empty_like
    if as_torch:
        x = torch.from_numpy(x)
        like = lambda a: torch.empty_like(a)  # noqa: E731
    check_out_buffers(compiled, x, like)
    # Against the layer lowered without the entries (its own allocations,
    # results copied out): the same bits, so _into's body is the layer's.
    plain = hmoe.compile(layer.to_spec(), options="into-entries=0",
                         weights=weights)
    assert not plain._jit.writes_in_place
    y_plain, stats_plain = plain(x)
    outs = [like(y_plain)] + [like(stats_plain[n]) for n in layer.stats]
    compiled(x, out=outs)
    np.testing.assert_array_equal(np.asarray(outs[0]), np.asarray(y_plain))
    for n, o in zip(layer.stats, outs[1:]):
        np.testing.assert_array_equal(np.asarray(o),
                                      np.asarray(stats_plain[n]))
    with pytest.raises(hmoe.MLIRError, match="cannot write into given "
                       "buffers"):
        plain(x, out=outs)
    # No tokens: empty buffers (and rank-0 statistics) are fine.
    empty = x[:0]
    y0, stats0 = compiled(empty)
    outs0 = [like(y0)] + [like(stats0[n]) for n in layer.stats]
    compiled(empty, out=outs0)
    assert tuple(np.shape(outs0[0])) == (0, 16)
    for n, o in zip(layer.stats, outs0[1:]):
        np.testing.assert_array_equal(np.asarray(o), np.asarray(stats0[n]))


@pytest.mark.parametrize("dtype", ["f32", "bf16"])
def test_gpu_schedule_copies_misaligned_rows_element_by_element(dtype):
    # hmoe-lower-to-cpu{gpu-mapped} runs the GPU kernels' schedule, whose
    # gather of token rows moves 16 bytes at a time (hmoe-vectorize-thread-
    # copies) after testing that both rows are 16-byte aligned. Tokens that
    # start one element past an aligned address take the element loop: the
    # same results, bit for bit, and the reference's.
    layer = Layer(fanout=[4, 2], gates=[Gate("laplace", k=2), Gate("linear", k=1)],
                  d=128, hidden=64, dtype=dtype)
    params = layer.random_params(T, seed=11)
    compiled = hmoe.compile(layer.to_spec(), options="gpu-mapped")
    width = 8 if dtype == "bf16" else 4
    assert f"-> vector<{width}x{'bf16' if dtype == 'bf16' else 'f32'}>" in str(compiled.lowered)
    arrays = {n: encode(params[n], t) for n, _, t in layer.param_shapes(T)}
    compiled.bind({n: arrays[n] for n in compiled.argument_names[1:]})
    x = arrays["x"]
    assert x.ctypes.data % 16 == 0
    storage = np.empty(x.size + 1, x.dtype)
    misaligned = storage[1:].reshape(x.shape)
    misaligned[...] = x
    assert misaligned.ctypes.data % 16 != 0
    y = compiled(x)
    np.testing.assert_array_equal(compiled(misaligned), y)
    failures, summary = compare_with_reference(layer, params, [decode(y, dtype)])
    assert not failures, f"{summary}: {failures}"
