"""hmoe.dispatch alone against NumPy: DeepSeek-V3's shape (256 experts,
K = 8), skewed so that the first experts overflow their capacity, dropless
and with a capacity in each fill order (SPEC.md). scripts/gpu_check.py
times the same functions on a GPU.

    matrix-style: dispatch.py --hmoe-run hmoe-run [--tokens 4096]
                  [--pipeline 'hmoe-lower-to-cpu{gpu-mapped}']
"""

import argparse
import sys
import tempfile

import numpy as np

from hmoe.run import run_hmoe

# hmoe.dispatch alone at DeepSeek-V3's shape (256 experts, K = 8): dropless
# and with a capacity (1.25) in each fill order.
DISPATCH_EXPERTS, DISPATCH_K, DISPATCH_FACTOR = 256, 8, 1.25
DISPATCH_KINDS = {
    "dropless": "",
    "token_order": f"capacity_factor {DISPATCH_FACTOR}",
    "choice_rank": f"capacity_factor {DISPATCH_FACTOR} fill_order choice_rank",
    "score": f"capacity_factor {DISPATCH_FACTOR} fill_order score",
}


def dispatch_mlir(kind):
    """hmoe.dispatch alone: experts and weights in (the weights read in
    score order only); slot_token, slot_of and offsets out."""
    E, K = DISPATCH_EXPERTS, DISPATCH_K
    weights = f" weights %w : tensor<?x{K}xf32>" if kind == "score" else ""
    return f"""
func.func @dispatch(%e: tensor<?x{K}xi32>, %w: tensor<?x{K}xf32>)
    -> (tensor<?xi32>, tensor<?x{K}xi32>, tensor<{E + 1}xi32>) {{
  %c0 = arith.constant 0 : index
  %cK = arith.constant {K} : index
  %t = tensor.dim %e, %c0 : tensor<?x{K}xi32>
  %n = arith.muli %t, %cK : index
  %o1 = tensor.empty(%n) : tensor<?xi32>
  %o2 = tensor.empty(%t) : tensor<?x{K}xi32>
  %o3 = tensor.empty() : tensor<{E + 1}xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x{K}xi32>{weights}
      num_experts = {E} {DISPATCH_KINDS[kind]}
      outs(%o1, %o2, %o3 : tensor<?xi32>, tensor<?x{K}xi32>,
                           tensor<{E + 1}xi32>)
      -> tensor<?xi32>, tensor<?x{K}xi32>, tensor<{E + 1}xi32>
  return %st, %so, %off : tensor<?xi32>, tensor<?x{K}xi32>,
                          tensor<{E + 1}xi32>
}}
"""


def dispatch_inputs(T, seed=11, hostile=False):
    """K distinct experts per token, drawn with skewed popularity (expert
    i's weight 1 / (i + 8): the first experts overflow their capacity),
    and random routing weights; `hostile`: weights from a few values with
    NaN, +-0, +-inf and negatives (ties everywhere)."""
    rng = np.random.default_rng(seed)
    E, K = DISPATCH_EXPERTS, DISPATCH_K
    popularity = np.log(1.0 / (np.arange(E) + 8.0))
    keys = popularity + rng.gumbel(size=(T, E))
    experts = np.argsort(-keys, axis=1)[:, :K].astype(np.int32)
    if hostile:
        values = np.array([np.nan, -0.0, 0.0, -1.5, 0.25, 1.0, np.inf,
                           -np.inf], np.float32)
        weights = values[rng.integers(0, len(values), (T, K))]
    else:
        weights = rng.random((T, K), dtype=np.float32)
    return [experts, weights]


def dispatch_capacity(T, kind):
    """Each expert's capacity for T tokens: every assignment when dropless,
    else ceil(factor * T * K / E) (SPEC.md)."""
    if kind == "dropless":
        return T * DISPATCH_K
    return int(np.ceil(DISPATCH_FACTOR * T * DISPATCH_K / DISPATCH_EXPERTS))


def dispatch_reference(experts, weights, kind):
    """(offsets, kept flags per assignment) in SPEC.md's fill orders."""
    T, K = experts.shape
    E = DISPATCH_EXPERTS
    e = experts.reshape(-1).astype(np.int64)
    q = np.arange(T * K)
    capacity = dispatch_capacity(T, kind)
    if kind == "score":
        order = np.lexsort((q, -weights.reshape(-1).astype(np.float64), e))
    elif kind == "choice_rank":
        order = np.lexsort((q // K, q % K, e))
    else:
        order = np.lexsort((q, e))
    counts = np.bincount(e, minlength=E)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(T * K, np.int64)
    rank[order] = np.arange(T * K) - starts[e[order]]
    kept = rank < capacity
    kept_counts = np.minimum(counts, capacity)
    offsets = np.concatenate([[0], np.cumsum(kept_counts)]).astype(np.int32)
    return offsets, kept


def check_dispatch(inputs, kind, results, expected=None):
    """Whether hmoe.dispatch's `results` (slot_token, slot_of, offsets) on
    `inputs` are `expected` (dispatch_reference's, computed here if not
    given): the offsets, which assignments are kept, their slots (grouped
    by expert, in token order within one), each slot's token, and token 0
    in the slots left over."""
    slot_token, slot_of, got_offsets = results
    offsets, kept = expected or dispatch_reference(*inputs, kind)
    got_kept = slot_of.reshape(-1) >= 0
    slots = slot_of.reshape(-1)[got_kept]
    q = np.nonzero(got_kept)[0]
    by_expert = np.lexsort((q, inputs[0].reshape(-1)[q]))
    return (np.array_equal(got_offsets, offsets) and
            np.array_equal(got_kept, kept) and
            np.array_equal(slots[by_expert], np.arange(len(q))) and
            np.array_equal(slot_token[slots], q // DISPATCH_K) and
            not slot_token[len(q):].any())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    ap.add_argument("--tokens", type=int, default=4096)
    ap.add_argument("--pipeline", default=None,
                    help="hmoe-run's --pipeline (default: its own)")
    args = ap.parse_args()
    extra = [f"--pipeline={args.pipeline}"] if args.pipeline else []
    # The skewed random inputs, and a smaller hostile set (its capacity,
    # ceil(1.25 * 8000 / 256) = 40, rounded up).
    sets = [("random", dispatch_inputs(args.tokens)),
            ("hostile", dispatch_inputs(1000, seed=12, hostile=True))]
    run = passed = 0
    for inputs_name, inputs in sets:
        for kind in DISPATCH_KINDS:
            expected = dispatch_reference(*inputs, kind)
            with tempfile.TemporaryDirectory() as workdir:
                path = f"{workdir}/dispatch.mlir"
                with open(path, "w") as f:
                    f.write(dispatch_mlir(kind))
                try:
                    results, _ = run_hmoe(args.hmoe_run, path, "dispatch",
                                          inputs, 3, workdir, extra)
                    ok = check_dispatch(inputs, kind, results, expected)
                except RuntimeError as e:
                    print(e)
                    ok = False
            kept = expected[1]
            run += 1
            passed += ok
            print(f"{'PASS' if ok else 'FAIL'}: dispatch/{kind}/{inputs_name}: "
                  f"T={len(inputs[0])} kept {kept.sum()} of {kept.size}")
    print(f"{passed} of {run} cases passed")
    return 0 if passed == run else 1


if __name__ == "__main__":
    sys.exit(main())
