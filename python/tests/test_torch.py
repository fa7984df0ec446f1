"""hmoe.torch.HMoE (PyTorch) against the float64 reference, and its export
to a compiled hmoe layer, for every strategy, score, normalisation and
expert kind."""

import numpy as np
import pytest
import torch

from hmoe.layer import Gate, Layer
from hmoe.run import F32_TOLERANCE, compare_with_reference
from hmoe.torch import HMoE

T = 29

LAYERS = {
    "nested-3-levels": Layer(
        fanout=[2, 3, 2], gates=[Gate("laplace", k=1), Gate("gaussian", k=2),
                                 Gate("linear", k=1, temperature=2.0)],
        d=16, expert="ffn", expert_activation="relu", hidden=8, b1=True, b2=True,
        stats=["load", "importance", "z_loss", "r_intra", "r_inter"]),
    "nested-shared-sigmoid": Layer(
        fanout=[4, 2], gates=[Gate("activation", "sigmoid", k=2, activation="silu"),
                              Gate("linear", k=1, scale=0.5)],
        shared=[False, True], gate_bias=[True, True], selection_bias=[True, False],
        d=8, expert="swiglu", hidden=8, router_scale=True,
        stats=["group_load", "group_importance", "cv2_loss", "balance_loss"]),
    "deepseek-group-limited": Layer(
        strategy="group_limited", fanout=[16],
        gates=[Gate("linear", "sigmoid", k=4, scale=2.5)], selection_bias=[True],
        groups=4, k_groups=2, group_score="sum_top", top_m=2, d=16,
        expert="swiglu", hidden=8, stats=["load", "balance_loss"]),
    "group-limited-max-capacity": Layer(
        strategy="group_limited", fanout=[8], gates=[Gate("laplace", k=2)],
        groups=4, k_groups=3, d=8, expert="ffn", expert_activation="tanh",
        hidden=4, capacity=0.6, stats=["dropped", "load"]),
    "himoe-per-group": Layer(
        strategy="per_group", fanout=[8],
        gates=[Gate("linear", k=2, temperature=0.7)], groups=4, d=8,
        expert="linear", b1=True, router_scale=True,
        stats=["r_intra", "r_inter", "group_load"]),
    "himoe-capacity-choice-rank": Layer(
        strategy="per_group", fanout=[8], gates=[Gate("linear", k=2)],
        groups=2, d=8, expert="ffn", expert_activation="silu", hidden=8,
        capacity=0.6, fill_order="choice_rank", capacity_rounding="hi_moe",
        stats=["dropped", "load"]),
    "deepseek-v3-shared-reduced": Layer(
        strategy="group_limited", fanout=[32],
        gates=[Gate("linear", "sigmoid", k=8, scale=2.5)], selection_bias=[True],
        groups=8, k_groups=4, group_score="sum_top", top_m=2, d=16,
        expert="swiglu", hidden=8, shared_experts=1, shared_hidden=16,
        stats=["load"]),
    "qwen2-gated-shared": Layer(
        fanout=[8], gates=[Gate("linear", k=2, renormalize=False)], d=8,
        expert="swiglu", hidden=8, shared_experts=1, shared_hidden=16,
        shared_gate=True),
    "himoe-penalty": Layer(
        strategy="per_group", fanout=[8], gates=[Gate("linear", k=2)],
        groups=4, d=8, expert="ffn", expert_activation="silu", hidden=8,
        penalty=[True], router_scale=True, capacity=2.0,
        fill_order="choice_rank", capacity_rounding="hi_moe",
        stats=["r_intra", "r_inter", "z_loss", "load"], lambda_intra=0.1,
        lambda_inter=0.05),
    "flat-penalty": Layer(
        fanout=[6], gates=[Gate("laplace", k=2)], d=8, expert="linear",
        penalty=[True], stats=["importance", "balance_loss"]),
    "capacity-by-score": Layer(
        fanout=[2, 3], gates=[Gate("laplace", k=1), Gate("linear", k=2)],
        d=8, expert="linear", capacity=0.5, fill_order="score",
        router_scale=True, stats=["dropped"]),
}


def module_for(layer, params):
    module = HMoE(layer.to_spec())
    with torch.no_grad():
        for name, value in list(module.named_parameters()) + list(
                module.named_buffers()):
            value.copy_(torch.from_numpy(np.asarray(params[name], np.float32)))
    return module


def outputs(y, stats, names):
    return [y.detach().numpy()] + [stats[n].detach().numpy() for n in names]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_module_matches_reference(name):
    layer = LAYERS[name]
    params = layer.random_params(T, seed=sorted(LAYERS).index(name) + 100)
    module = module_for(layer, params)
    y, stats = module(torch.from_numpy(params["x"]))
    names = [n for n, _ in module.named_parameters()] + [
        n for n, _ in module.named_buffers()]
    assert sorted(names) == sorted(n for n, _, _ in layer.param_shapes(T)[1:])
    failures, summary = compare_with_reference(
        layer, params, outputs(y, stats, layer.stats))
    assert not failures, f"{name}: {summary}: {failures}"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_export_agrees_with_module(name):
    layer = LAYERS[name]
    params = layer.random_params(T, seed=sorted(LAYERS).index(name) + 200)
    module = module_for(layer, params)
    x = torch.from_numpy(params["x"])
    with torch.no_grad():
        y, stats = module(x)
    compiled = module.to_hmoe()
    out = compiled(x)  # y, or (y, stats) when the layer has statistics
    y2, stats2 = out if layer.stats else (out, {})
    assert isinstance(y2, torch.Tensor)
    # Both are checked against the reference above; here they agree with
    # each other within the contract's f32 tolerance (or exactly, for the
    # integer statistics), outside near ties (the reference's check).
    failures, summary = compare_with_reference(
        layer, params, outputs(y2, stats2, layer.stats))
    assert not failures, f"{name}: {summary}: {failures}"
    scale = max(float(y.abs().max()), 1e-30)
    assert float((y2 - y).abs().max()) / scale <= 10 * F32_TOLERANCE


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_no_tokens(name):
    # T = 0 (the contract allows it): an empty y and the statistics of no
    # tokens, from the module as from its export (reshapes with -1 and a
    # zero-sized dimension raised in the module).
    layer = LAYERS[name]
    params = layer.random_params(0, seed=sorted(LAYERS).index(name) + 300)
    module = module_for(layer, params)
    x = torch.from_numpy(params["x"])
    assert x.shape[0] == 0
    with torch.no_grad():
        y, stats = module(x)
    out = module.to_hmoe()(x)
    y2, stats2 = out if layer.stats else (out, {})
    assert y.shape == y2.shape == x.shape
    assert sorted(stats) == sorted(stats2) == sorted(layer.stats)
    for n in layer.stats:
        np.testing.assert_allclose(stats[n].double().numpy(),
                                   stats2[n].double().numpy())


def test_module_trains():
    # The module is an ordinary nn.Module: gradients reach the gate and the
    # experts, and an optimiser step changes the output.
    layer = LAYERS["nested-3-levels"]
    params = layer.random_params(T, seed=5)
    module = module_for(layer, params)
    x = torch.from_numpy(params["x"])
    y, stats = module(x)
    (y.square().mean() + stats["z_loss"]).backward()
    assert module.gate0.grad is not None and module.w1.grad is not None
    torch.optim.SGD(module.parameters(), lr=0.1).step()
    y_after, _ = module(x)
    assert not torch.allclose(y, y_after)


def test_exact_ties_go_to_the_lower_index():
    # Duplicated gate rows tie exactly; hmoe and hmoe.torch both take the
    # lower index (stable sorts), so they choose the same experts. (PyTorch's
    # topk leaves the order of equal keys unspecified: routers built on it
    # can differ from hmoe here, docs/numerics.md.)
    layer = Layer(fanout=[6], gates=[Gate("linear", "sigmoid", k=2)], d=16,
                  stats=["load"])
    params = layer.random_params(T, seed=8)
    params["gate0"][1] = params["gate0"][0]
    params["gate0"][3] = params["gate0"][2]
    module = module_for(layer, params)
    x = torch.from_numpy(params["x"])
    with torch.no_grad():
        _, stats = module(x)
    _, compiled_stats = module.to_hmoe()(x)
    assert torch.equal(stats["load"], compiled_stats["load"])
    # The higher index of each tied pair is never chosen over its twin.
    assert int(stats["load"][1]) == 0 or int(stats["load"][0]) > 0
    failures, summary = compare_with_reference(
        layer, params, outputs(*module(x), layer.stats))
    assert not failures, f"{summary}: {failures}"
