"""The test harness's comparisons (hmoe.run, no compiled code): the
tolerances where rounding alone exceeds docs/numerics.md's 1e-2 (bf16) or
1e-5 (f32), on the two layers seeded sweeps found (what rounding gives
passes, three times its error does not); relative_error over infinities;
the reference's renormalised sigmoid weights where every p underflows."""

import numpy as np

from hmoe import reference
from hmoe.layer import Gate, Layer
from hmoe.run import compare_with_reference, decisive_params, relative_error

# matrix.py --group random --count 40 --seed 302 --dtype bf16, case 39.
CANCELLING_BF16 = Layer(
    strategy="group_limited", fanout=[10],
    gates=[Gate("activation", "sigmoid", k=5, activation="silu",
                temperature=0.7, scale=2.5)],
    d=1, expert="swiglu", hidden=8, b1=True, b2=True, groups=2, k_groups=1,
    group_score="sum_top", top_m=3, capacity=2.0, fill_order="score",
    capacity_rounding="hi_moe", stats=["group_importance"], dtype="bf16")

# matrix.py --group random --count 92 --seed 303, case 91: one token.
NEARLY_EQUAL_IMPORTANCE = Layer(
    fanout=[4], gates=[Gate("linear", "sigmoid", k=4, temperature=2.0,
                            scale=2.5)],
    d=1, expert="linear", hidden=11, b1=True, b2=True, capacity=2.0,
    shared_experts=1, shared_kind="ffn", shared_hidden=13, shared_gate=True,
    fill_order="score", capacity_rounding="hi_moe",
    stats=["group_load", "group_importance", "cv2_loss", "r_inter"])


def test_bf16_output_where_rounding_alone_is_over_1e2():
    layer = CANCELLING_BF16
    params = decisive_params(layer, 40, 302039)
    want = reference.layer_forward(layer, params)[0]
    rounded, stats, _ = reference.layer_forward(layer, params, rounded=True)
    assert relative_error(rounded, want) > 1e-2
    got = [rounded] + [stats[n] for n in layer.stats]
    failures, _ = compare_with_reference(layer, params, got)
    assert failures == []
    worse = [want + 3 * (rounded - want)] + got[1:]
    failures, _ = compare_with_reference(layer, params, worse)
    assert len(failures) == 1 and failures[0].startswith("y: relative error")


def test_ill_conditioned_statistic_held_to_its_rounding():
    layer = NEARLY_EQUAL_IMPORTANCE
    params = decisive_params(layer, 1, 303091)
    want_y, want, _ = reference.layer_forward(layer, params)
    _, rounded, _ = reference.layer_forward(layer, params, rounded=True)
    off = abs(rounded["cv2_loss"] - want["cv2_loss"])
    assert off > 1e-5 * max(abs(want["cv2_loss"]), 1e-6)
    got = [want_y] + [rounded[n] for n in layer.stats]
    failures, _ = compare_with_reference(layer, params, got)
    assert failures == []
    worse = dict(rounded, cv2_loss=want["cv2_loss"] + 3 * (
        rounded["cv2_loss"] - want["cv2_loss"]))
    failures, _ = compare_with_reference(
        layer, params, [want_y] + [worse[n] for n in layer.stats])
    assert len(failures) == 1 and failures[0].startswith("cv2_loss:")
    assert np.isfinite(want["cv2_loss"])


def test_relative_error_over_infinities():
    # The same infinity is no error (inf - inf was NaN: a layer whose
    # output is -inf where the reference's is reported a mismatch); the
    # scale is the finite elements' (an infinite one would hide the rest).
    inf = np.inf
    assert relative_error([-inf, 1.0], [-inf, 1.0]) == 0.0
    assert relative_error([inf, 2.0], [inf, 1.0]) == 1.0
    assert relative_error([inf, 1.0], [-inf, 1.0]) == inf
    assert relative_error([1e30, 1.0], [inf, 1.0]) == inf
    assert relative_error([inf, 1.0], [5.0, 1.0]) == inf
    assert np.isnan(relative_error([np.nan, 1.0], [inf, 1.0]))


def test_reference_sigmoid_ratios_where_every_p_underflows():
    # sigmoid(-1e30) and sigmoid(-2e30) are 0 in float64: the weights are
    # still their ratios (docs: the layer divides in the log domain), not
    # 0 / 0; true zeros (-inf logits) stay NaN.
    gate = Gate("linear", "sigmoid", k=2, temperature=1e-30)
    logits = np.array([-2.0, -1.0, -3.0])
    with np.errstate(over="ignore", invalid="ignore"):
        p = reference.normalize(logits, gate)
        assert not p.any()
        w = reference.choice_weights(p, [1, 0], gate, logits)
        assert np.array_equal(w, [1.0, 0.0])
        zeros = np.array([-np.inf, -np.inf])
        assert np.isnan(reference.choice_weights(np.zeros(2), [0, 1], gate,
                                                 zeros)).all()


def test_narrow_tolerance_ignores_a_rounding_that_overflows():
    # f16 rounds y = 9e4 to inf: the rounded result's error is infinite,
    # which must not become the tolerance (anything would pass).
    layer = Layer(fanout=[2], gates=[Gate("linear", k=1)], d=1,
                  expert="linear", dtype="f16")
    params = layer.random_params(1, 0)
    params["x"] = np.array([[300.0]], np.float32)
    params["w1"] = np.full_like(params["w1"], 300.0)
    want = reference.layer_forward(layer, params)[0]
    with np.errstate(over="ignore"):
        rounded = reference.layer_forward(layer, params, rounded=True)[0]
        assert np.isinf(rounded).all() and np.isfinite(want).all()
        failures, _ = compare_with_reference(layer, params, [want * 1.5])
        assert len(failures) == 1
        assert failures[0].startswith("y: relative error")
        assert compare_with_reference(layer, params, [want])[0] == []
