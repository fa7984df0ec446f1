"""Expert parallelism (`experts_on`) across MPI processes against the
float64 reference.

Each case is a whole layer (Layer, the reference's weights); the compiled
layer declares one process's experts (expert_processes = R). Every process
gets the same tokens and gates and its own slice of the experts' weights
(hmoe-run's {rank} in input paths), runs under `mpiexec -n R`, and must
return the whole layer's output and statistics, each process within
docs/numerics.md's tolerances of the reference. With `--hmoe-compile`
the layers run as libraries (hmoe-run --library). `--failures` instead
prints what a wrong world size and a process's missing input give.
"""

import argparse
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "python"))
from hmoe.layer import Gate, Layer, decode  # noqa: E402
from hmoe.run import (compare_with_reference, decisive_params,  # noqa: E402
                      save_process_inputs)


def cases():
    """(name, layer, T, seed): every strategy, capacity, biases, statistics,
    shared experts (each process runs its share of their hidden units, or,
    for linear ones and R not dividing H, its share of the tokens), 2 and 4
    processes, a token and no tokens."""
    yield ("flat_ffn/R=2", Layer(
        fanout=[8], gates=[Gate("linear", "softmax", k=2)], d=16,
        expert="ffn", hidden=8, stats=["load", "importance"],
        expert_processes=2), 37, 1)
    yield ("deepseek_group_limited/R=4", Layer(
        strategy="group_limited", fanout=[32],
        gates=[Gate("linear", "sigmoid", k=8, scale=2.5)], groups=8,
        k_groups=4, group_score="sum_top", top_m=2, selection_bias=[True],
        d=32, expert="swiglu", hidden=16, stats=["load"],
        expert_processes=4), 40, 2)
    yield ("capacity_choice_rank/R=2", Layer(
        fanout=[8], gates=[Gate("linear", "softmax", k=2)], d=16,
        expert="linear", b1=True, capacity=0.75, fill_order="choice_rank",
        stats=["dropped", "load"], expert_processes=2), 50, 3)
    yield ("nested_laplace_biases/R=2", Layer(
        fanout=[2, 4], gates=[Gate("laplace", k=1), Gate("linear", k=2)],
        d=16, expert="ffn", expert_activation="relu", hidden=8, b1=True,
        b2=True, router_scale=True, stats=["balance_loss"],
        expert_processes=2), 30, 4)
    yield ("per_group_gaussian/R=2", Layer(
        strategy="per_group", fanout=[8], gates=[Gate("gaussian", k=1)],
        groups=2, d=8, expert="ffn", hidden=8, expert_processes=2), 25, 5)
    yield ("nested_groups_split/R=4", Layer(
        fanout=[2, 4], gates=[Gate("linear", k=2), Gate("laplace", k=2)],
        d=16, expert="swiglu", hidden=8, capacity=1.0,
        stats=["load", "dropped"], expert_processes=4), 33, 8)
    yield ("deepseek_shared_experts/R=4", Layer(
        strategy="group_limited", fanout=[16],
        gates=[Gate("linear", "sigmoid", k=4, scale=2.5)], groups=4,
        k_groups=2, selection_bias=[True], d=16, expert="swiglu", hidden=8,
        shared_experts=2, shared_kind="ffn", shared_hidden=12,
        stats=["load"], expert_processes=4), 41, 9)
    yield ("shared_gated_one_token/R=2", Layer(
        fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, shared_experts=1, shared_hidden=6, shared_gate=True,
        expert_processes=2), 1, 10)
    yield ("shared_biases_split_hidden/R=2", Layer(
        fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, shared_experts=2, shared_hidden=8, shared_b1=True,
        shared_b2=True, shared_gate=True, expert_processes=2), 29, 11)
    yield ("shared_uneven_hidden_three_tokens/R=4", Layer(
        fanout=[8], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, shared_experts=1, shared_hidden=6, shared_b1=True,
        shared_b2=True, expert_processes=4), 3, 12)
    yield ("shared_swiglu_split_hidden/R=4", Layer(
        fanout=[8], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, shared_experts=2, shared_kind="swiglu", shared_hidden=8,
        expert_processes=4), 23, 14)
    yield ("shared_split_hidden_no_tokens/R=2", Layer(
        fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, shared_experts=1, shared_hidden=4, shared_b1=True,
        shared_b2=True, expert_processes=2), 0, 15)
    yield ("shared_linear_no_tokens/R=2", Layer(
        fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, shared_experts=1, shared_kind="linear", shared_b1=True,
        expert_processes=2), 0, 13)
    yield ("one_token/R=2", Layer(
        fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, expert_processes=2), 1, 6)
    yield ("no_tokens/R=2", Layer(
        fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
        hidden=4, stats=["load"], expert_processes=2), 0, 7)


def write_inputs(layer, params, T, workdir, slices=None, mismatch=None):
    """Writes the layer (layer.mlir) and its inputs (save_process_inputs:
    `slices` files of expert weights, `mismatch` a changed input of
    process 1); returns hmoe-run's --input arguments."""
    with open(os.path.join(workdir, "layer.mlir"), "w") as f:
        f.write(layer.mlir())
    return save_process_inputs(layer, params, T, workdir, slices, mismatch)


def run_processes(args, layer, params, T, workdir, processes,
                  slices=None, mismatch=None):
    """Runs the layer under mpiexec on inputs from write_inputs; returns the
    CompletedProcess and the result paths (with {rank})."""
    inputs = write_inputs(layer, params, T, workdir, slices, mismatch)
    path = os.path.join(workdir, "layer.mlir")
    command = [args.mpiexec, "-n", str(processes), args.hmoe_run, path,
               f"--function={layer.name}", f"--opt-level={args.opt_level}"]
    if args.hmoe_compile:
        library = os.path.join(workdir, "layer.so")
        subprocess.run([args.hmoe_compile, path, "-o", library], check=True,
                       capture_output=True, text=True)
        command.append(f"--library={library}")
    outputs = [os.path.join(workdir, f"out{j}_{{rank}}.npy")
               for j in range(1 + len(layer.stats))]
    command += inputs + [f"--output=@{p}" for p in outputs]
    proc = subprocess.run(command, capture_output=True, text=True,
                          timeout=300)
    return proc, outputs


def check_case(args, layer, T, seed):
    """Failure messages (empty when every process matches) and a summary."""
    params = decisive_params(layer, T, seed)
    R = layer.expert_processes
    with tempfile.TemporaryDirectory() as workdir:
        proc, outputs = run_processes(args, layer, params, T, workdir, R)
        if proc.returncode != 0:
            return [f"mpiexec failed ({proc.returncode}):\n{proc.stderr}"], \
                "error"
        failures, summaries, ys = [], [], []
        for r in range(R):
            got = [np.load(p.replace("{rank}", str(r))) for p in outputs]
            got[0] = decode(got[0], layer.dtype)
            ys.append(got[0])
            fails, summary = compare_with_reference(layer, params, got)
            failures += [f"process {r}: {f}" for f in fails]
            summaries.append(summary)
    # The all-reduce leaves one sum on every process (MPICH adds the same
    # partials in the same order everywhere).
    if not all(np.array_equal(ys[0], y, equal_nan=True) for y in ys[1:]):
        failures.append("the processes' outputs differ")
    return failures, f"{summaries[0]} processes={R}"


def changed_element(value):
    """value with one element's last bit flipped (16-bit elements as uint16,
    32-bit as uint32)."""
    changed = value.copy()
    flat = changed.view(np.uint16 if changed.itemsize == 2 else
                        np.uint32).reshape(-1)
    flat[flat.size // 2] ^= 1
    return changed


def swapped_elements(value):
    """value with x[0, 3] and x[5, 0] swapped: the same multiset of values
    (an affine hash of the indices, 3 i + 5 j, weighted both alike and
    missed the swap)."""
    swapped = value.copy()
    swapped[0, 3], swapped[5, 0] = value[5, 0], value[0, 3]
    return swapped


def check_failures(args):
    """What a user gets wrong: a world of 3 processes for a layer spread over
    2 (every process stops with the layer's run-time error, none computes);
    one process of 2 missing its weights (its error ends the job: the other
    must not wait in the all-reduce for ever); processes given different
    token counts, tokens (one bit of one element, or two elements swapped)
    or gate weights (a silent wrong sum without the layer's process
    checks)."""
    layer = Layer(fanout=[4], gates=[Gate("linear", k=2)], d=8, expert="ffn",
                  hidden=4, expert_processes=2, selection_bias=[True],
                  shared_experts=1, shared_hidden=4, shared_gate=True)
    layer.dtype = args.dtype or "f32"
    tokens = 6
    params = layer.random_params(tokens, 11)
    for title, processes, slices, mismatch in (
            ("world of 3", 3, 3, None),
            ("process 1 without weights", 2, 1, None),
            ("process 1 with narrower tokens", 2, None,
             ("x", lambda x: x[:, :-1])),
            ("process 1 with fewer tokens", 2, None, ("x", lambda x: x[:-1])),
            ("process 1 with another token", 2, None, ("x", changed_element)),
            ("process 1 with two token elements swapped", 2, None,
             ("x", swapped_elements)),
            ("process 1 with other gate weights", 2, None,
             ("gate0", changed_element)),
            ("process 1 with another selection bias", 2, None,
             ("select_bias0", changed_element)),
            ("process 1 with another shared experts' gate", 2, None,
             ("shared_gate", changed_element))):
        with tempfile.TemporaryDirectory() as workdir:
            proc, _ = run_processes(args, layer, params, tokens, workdir,
                                    processes, slices, mismatch)
        print(f"{title}: exit status {proc.returncode}")
        for line in sorted(set(proc.stderr.splitlines())):
            if line.startswith(("hmoe-run:", "hmoe:")):
                print("  " + line.replace(workdir, "DIR"))


# What each process of the Python check runs: the layer through the Python
# package (hmoe.compile, JIT; of the MLIR text, or with "spec" of the
# Layer's LayerSpec), its y saved; then, with "raise", process 1 raises
# before the second call while process 0 makes it.
PYTHON_PROCESS = """
import os
import pickle
import sys
import numpy as np
import hmoe
work, mode = sys.argv[1], sys.argv[2]
expect_raise = mode == "raise"
if mode == "spec":
    spec = pickle.load(open(work + "/layer.pickle", "rb")).to_spec()
    layer = hmoe.compile(spec)
else:
    layer = hmoe.compile(open(work + "/layer.mlir").read())
r = layer.mpi_rank
inputs = [np.load(f"{work}/in{i}_{r}.npy" if os.path.exists(
    f"{work}/in{i}_{r}.npy") else f"{work}/in{i}.npy")
    for i in range(int(sys.argv[3]))]
np.save(f"{work}/py_{r}.npy", layer(*inputs))
if expect_raise and r == 1:
    open(f"{work}/raised", "w").close()
    raise ValueError("process 1 gives up")
layer(*inputs)
open(f"{work}/second_call_{r}", "w").close()
"""


def check_python_package(args):
    """The Python package runs an experts_on layer under mpiexec (each
    process against the reference), and an uncaught exception in one
    process ends the job instead of leaving the other in the all-reduce."""
    layer = Layer(fanout=[8], gates=[Gate("linear", "softmax", k=2)], d=16,
                  expert="ffn", hidden=8, expert_processes=2)
    params = decisive_params(layer, 21, 12)
    env = dict(os.environ, PYTHONPATH=args.python_packages)
    with tempfile.TemporaryDirectory() as workdir:
        count = len(write_inputs(layer, params, 21, workdir))
        with open(os.path.join(workdir, "layer.pickle"), "wb") as f:
            pickle.dump(layer, f)
        for mode in ("run", "spec", "raise"):
            for marker in ("raised", "second_call_0", "second_call_1"):
                if os.path.exists(f"{workdir}/{marker}"):
                    os.remove(f"{workdir}/{marker}")
            proc = subprocess.run(
                [args.mpiexec, "-n", "2", sys.executable, "-c",
                 PYTHON_PROCESS, workdir, mode, str(count)],
                capture_output=True, text=True, timeout=300, env=env)
            print(f"python {mode}: exit status {proc.returncode}")
            if mode in ("run", "spec") and proc.returncode == 0:
                for r in range(2):
                    got = [decode(np.load(f"{workdir}/py_{r}.npy"), "f32")]
                    fails, summary = compare_with_reference(layer, params,
                                                            got)
                    print(f"{'PASS' if not fails else 'FAIL'}: python "
                          f"{mode} process {r}: {summary}")
            elif mode == "raise":
                # Process 0's second call waits for process 1, which raised:
                # the job must end there (not hang, not return). What the
                # processes printed is not checked: mpiexec may end them
                # before it has passed their output on.
                returned = os.path.exists(f"{workdir}/second_call_0")
                raised = os.path.exists(f"{workdir}/raised")
                print(f"process 1 raised: {raised}, process 0's second "
                      f"call returned: {returned}")
            else:
                sys.stdout.write(proc.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hmoe-run", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--dtype", default=None, choices=["f32", "bf16", "f16"])
    ap.add_argument("--opt-level", default="1")
    ap.add_argument("--hmoe-compile", default=None,
                    help="run each layer as a library hmoe-compile makes "
                    "(linked with MPI) instead of JIT-compiling it")
    ap.add_argument("--python-packages", default=None,
                    help="run check_python_package with the package built "
                    "there instead of the cases")
    ap.add_argument("--failures", action="store_true",
                    help="run check_failures instead of the cases")
    args = ap.parse_args()
    if args.failures:
        check_failures(args)
        return
    if args.python_packages:
        check_python_package(args)
        return
    failed = 0
    all_cases = list(cases())
    for name, layer, T, seed in all_cases:
        if args.dtype:
            layer.dtype = args.dtype
        try:
            failures, summary = check_case(args, layer, T, seed)
        except Exception as e:  # report and go on with the other cases
            failures, summary = [str(e)], "error"
        print(f"{'PASS' if not failures else 'FAIL'}: {name}: {summary}")
        for f in failures:
            print(f"    {f}")
        failed += bool(failures)
    print(f"{len(all_cases) - failed} of {len(all_cases)} cases passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
