"""Runs layer configurations through hmoe-run and checks them against the
float64 reference with docs/numerics.md's tolerances."""

import math
import os
import subprocess
import tempfile

import numpy as np

from . import reference
from .layer import EXPERT_WEIGHTS, decode, encode

# docs/numerics.md: float32 results within 1e-5 of the float64 reference, relative
# to the output's largest magnitude; bf16 (and f16) layers within 1e-2.
F32_TOLERANCE = 1e-5
NARROW_TOLERANCE = 1e-2
# f32 layers whose expert GEMMs ran on tensor cores in TF32 (the tf32
# pipeline option): y only; routing and statistics stay exact f32.
TF32_TOLERANCE = 2e-3
# Selection decisions whose keys differ by less than this (relative) may
# legitimately go either way in float32 (docs/numerics.md, "Near ties").
NEAR_TIE = reference.NEAR_TIE
# Load-dependent stats are only compared exactly without near ties, and a
# run may have at most this fraction of near-tie tokens.
MAX_NEAR_TIE_FRACTION = 0.02


def run_hmoe(hmoe_run, mlir_path, function, inputs, num_results, workdir, extra=()):
    """Calls hmoe-run; returns its results as arrays (and stdout)."""
    args = [hmoe_run, mlir_path, f"--function={function}"]
    for i, a in enumerate(inputs):
        path = os.path.join(workdir, f"in{i}.npy")
        np.save(path, a)
        args.append(f"--input=@{path}")
    outs = [os.path.join(workdir, f"out{i}.npy") for i in range(num_results)]
    args += [f"--output=@{p}" for p in outs] + list(extra)
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"hmoe-run failed ({proc.returncode}):\n{proc.stderr}")
    return [np.load(p) for p in outs], proc.stdout


def save_process_inputs(layer, params, T, directory, files=None,
                        change=None):
    """Saves the inputs of an `experts_on` layer (layer.expert_processes =
    R) for hmoe-run under mpiexec: the expert weights sliced per process
    (in{i}_{r}.npy, process r's the (r % R)-th E / R experts, for r below
    `files`, default R), the others whole (in{i}.npy). `change` = (name,
    f): process 1 gets f(value) of that input instead (in{i}_{r}.npy for
    every process), a test of what differing processes give. A layer of one
    process (R = 1) gets every input whole. Returns hmoe-run's --input
    arguments, {rank} in the per-process paths."""
    R, E = layer.expert_processes, layer.num_experts
    if change and (R == 1 or change[0] in EXPERT_WEIGHTS):
        raise ValueError(f"change of '{change[0]}': expected an input that "
                         f"every process of R > 1 shares (R = {R})")
    inputs = []
    for i, (name, _, dtype) in enumerate(layer.param_shapes(T)):
        value = encode(params[name], dtype)
        per_process = None
        if name in EXPERT_WEIGHTS and R > 1:
            per_process = [value[(r % R) * E // R:(r % R + 1) * E // R]
                           for r in range(files or R)]
        elif change and change[0] == name:
            per_process = [change[1](value) if r == 1 else value
                           for r in range(R)]
        if per_process is None:
            np.save(os.path.join(directory, f"in{i}.npy"), value)
            inputs.append(f"--input=@{directory}/in{i}.npy")
            continue
        for r, part in enumerate(per_process):
            np.save(os.path.join(directory, f"in{i}_{r}.npy"), part)
        inputs.append(f"--input=@{directory}/in{i}_{{rank}}.npy")
    return inputs


def relative_error(got, want, mask=None, floor=1e-30):
    """max |got - want| / max(max |want|, floor) over the rows in `mask`,
    both over the finite elements of `want`; NaN where the NaN patterns
    differ, inf where an infinite element of `want` is not the same
    infinity in `got` or a finite one is infinite there."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if got.shape != want.shape:
        return math.inf
    if mask is not None:
        got, want = got[mask], want[mask]
    if not np.array_equal(np.isnan(got), np.isnan(want)):
        return math.nan
    infinite = np.isinf(want)
    if not np.array_equal(np.isinf(got), infinite) or \
            not np.array_equal(got[infinite], want[infinite]):
        return math.inf
    ok = ~np.isnan(want) & ~infinite
    if not ok.any():
        return 0.0
    scale = max(np.max(np.abs(want[ok])), floor)
    return float(np.max(np.abs(got[ok] - want[ok])) / scale)


def check_layer(layer, T, seed, hmoe_run, params=None, mlir_path=None,
                function=None, extra=(), tf32=False):
    """Runs `layer` through hmoe-run on T seeded random tokens (or
    `params`); returns a list of failure messages (empty when it matches)
    and a summary line."""
    params = params if params is not None else layer.random_params(T, seed)
    shapes = layer.param_shapes(T)
    with tempfile.TemporaryDirectory() as workdir:
        if mlir_path is None:
            mlir_path = os.path.join(workdir, "layer.mlir")
            with open(mlir_path, "w") as f:
                f.write(layer.mlir())
        got, _ = run_hmoe(hmoe_run, mlir_path, function or layer.name,
                          [encode(params[n], t) for n, _, t in shapes],
                          1 + len(layer.stats), workdir, extra)
    got[0] = decode(got[0], layer.dtype)
    return compare_with_reference(layer, params, got, tf32=tf32)


def too_degenerate(T, near):
    """Whether a run of T tokens, `near` flagging its near-tie tokens, has
    more of them than a comparison allows."""
    return near.sum() > MAX_NEAR_TIE_FRACTION * max(T, 50)


def decisive_params(layer, T, seed, attempts=8):
    """Seeded inputs for `layer` whose routing the float64 reference decides
    clearly: a draw with too many near-tie tokens (too_degenerate) is drawn
    again from the next seed, up to `attempts` draws (the last one is
    returned even if degenerate: its comparison then says so). Random
    layers with few experts and short tokens tie often, and such a draw
    tests nothing of the compiler (compare_with_reference rejects it)."""
    for attempt in range(attempts):
        params = layer.random_params(T, seed + 1000003 * attempt)
        _, _, margins = reference.layer_forward(layer, params)
        near = np.array([0 < m < NEAR_TIE for m in margins], bool)
        if not too_degenerate(T, near):
            break
    return params


def _widened(tolerance, rounding):
    """`tolerance`, or twice `rounding` (the error that rounding alone
    causes) where that is larger; finite only: f16 rounds past 65504 to
    inf, which would accept anything."""
    return max(tolerance, 2 * rounding) if math.isfinite(rounding) \
        else tolerance


def compare_with_reference(layer, params, got, tf32=False):
    """Compares what a compiled `layer` returned on `params` (y decoded to
    float values, then the statistics in order) with the float64 reference
    at docs/numerics.md's tolerances, near ties allowed either way; returns (failure
    messages, summary line). `tf32`: an f32 layer's expert GEMMs ran in
    TF32, y is held to TF32_TOLERANCE."""
    T = np.asarray(params["x"]).shape[0]
    want_y, want_stats, margins = reference.layer_forward(layer, params)
    near = np.array([0 < m < NEAR_TIE for m in margins], bool)
    mask = ~near if T else None
    # What rounding cannot avoid (docs/numerics.md, "Precision"): where a
    # token's expert outputs cancel, a bf16 layer's hidden rows and y
    # rounded to bf16 are by themselves farther than 1e-2 from the float64
    # y; where the statistics are ill-conditioned (cv2_loss of nearly equal
    # importances), the probabilities' float32 rounding moves them more
    # than 1e-5. Such results are held to twice that error.
    # (Only where it can matter: a narrow layer, or float statistics.)
    rounded_y, rounded_stats = want_y, want_stats
    if layer.dtype != "f32" or any(
            np.asarray(want_stats[n]).dtype.kind == "f" for n in layer.stats):
        rounded_y, rounded_stats, _ = reference.layer_forward(
            layer, params, rounded=True)
    if layer.dtype != "f32":
        tolerance = _widened(NARROW_TOLERANCE,
                             relative_error(rounded_y, want_y, mask))
    else:
        tolerance = TF32_TOLERANCE if tf32 else F32_TOLERANCE
    failures = []
    if too_degenerate(T, near):
        failures.append(f"{near.sum()} near-tie tokens of {T}: inputs too degenerate")
    err = relative_error(got[0], want_y, mask)
    if not err <= tolerance:
        failures.append(f"y: relative error {err:.3g} > {tolerance:.3g}")
    # A near-tie token must match the reference with one of its near-tie
    # selections taken either way (docs/numerics.md). With capacity, a different
    # choice also moves later tokens' drops, so those tokens are only
    # counted.
    scale = max(np.nanmax(np.abs(want_y)), 1e-30) if want_y.size else 1.0
    for t in np.nonzero(near)[0] if layer.capacity is None else []:
        options = [want_y[t]] + reference.near_tie_alternatives(layer, params, t)
        best = min(np.max(np.abs(got[0][t] - o)) / scale for o in options)
        if not best <= tolerance:
            failures.append(f"near-tie token {t}: no allowed selection matches "
                            f"(best relative error {best:.3g})")
    for name, value in zip(layer.stats, got[1:]):
        want = want_stats[name]
        load_dependent = name in ("load", "group_load", "balance_loss", "cv2_loss", "dropped")
        if load_dependent and near.any():
            continue  # a near tie may move one assignment
        if np.asarray(want).dtype.kind == "i":
            if not np.array_equal(value, want):
                failures.append(f"{name}: got {value}, want {want}")
        else:
            # NaN where the reference has NaN (a NaN token's importance),
            # numbers elsewhere.
            e = relative_error(value, want, floor=1e-6)
            allowed = _widened(F32_TOLERANCE, relative_error(
                rounded_stats[name], want, floor=1e-6))
            if not e <= allowed:
                failures.append(f"{name}: got {value}, want {want} (rel {e:.3g})")
    summary = f"T={T} err={err:.2e} near_ties={int(near.sum())}"
    return failures, summary
