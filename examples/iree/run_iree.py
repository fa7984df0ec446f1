"""IREE as a consumer of hmoe's tensor-level output.

    bench/.venv/bin/python examples/iree/run_iree.py [--hmoe-build build]

Takes hmoe stages through `hmoe-opt --convert-hmoe-to-linalg
--canonicalize` (tensor IR of upstream dialects), compiles that with IREE's
`iree-compile` (PyPI `iree-base-compiler`, llvm-cpu), runs it with
`iree.runtime` on seeded random inputs and compares with hmoe's own result
(`hmoe-run` on the same .npy inputs). Needs the bench venv (bench/setup.sh)
for IREE. Results: docs/embedding.md.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def hmoe_reference(hmoe_run, source, function, inputs, work):
    args = [hmoe_run, source, f"--function={function}"]
    for i, a in enumerate(inputs):
        path = os.path.join(work, f"in{i}.npy")
        np.save(path, a)
        args.append(f"--input=@{path}")
    out = os.path.join(work, "out.npy")
    subprocess.run(args + [f"--output=@{out}"], check=True)
    return np.load(out)


def run_stage(name, function, inputs, build, work):
    import iree.compiler as ireec
    import iree.runtime as ireert

    source = os.path.join(HERE, f"{name}.mlir")
    tensor_ir = subprocess.run(
        [os.path.join(build, "bin", "hmoe-opt"), source,
         "--convert-hmoe-to-linalg", "--canonicalize"],
        check=True, capture_output=True, text=True).stdout
    assert "hmoe." not in tensor_ir.replace("hmoe.abi", ""), "hmoe ops left"
    print(f"{name}: hmoe-opt --convert-hmoe-to-linalg -> "
          f"{tensor_ir.count('linalg.')} linalg ops, "
          f"{tensor_ir.count('scf.forall')} scf.forall")
    path = os.path.join(work, f"{name}.linalg.mlir")
    with open(path, "w") as f:
        f.write(tensor_ir)
    # iree-compile in its own process: a crash must not take this script.
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys, iree.compiler as c; open(sys.argv[2], 'wb').write("
         "c.compile_file(sys.argv[1], target_backends=['llvm-cpu'], "
         "extra_args=['--iree-llvmcpu-target-cpu=host']))",
         path, path + ".vmfb"], capture_output=True, text=True)
    if proc.returncode != 0:
        crashed = "Stack dump" in proc.stderr
        where = [l.strip() for l in proc.stderr.splitlines()
                 if "mlir::iree_compiler::" in l][:1]
        errors = [l.strip() for l in proc.stderr.splitlines() if "error:" in l][:2]
        print(f"{name}: iree-compile failed: "
              + ("crashed" + (f" in {where[0].split(' ', 2)[-1][:120]}" if where else "")
                 if crashed else " | ".join(errors)))
        return False
    with open(path + ".vmfb", "rb") as f:
        vm = ireert.load_vm_flatbuffer(f.read(), driver="local-task")
    got = np.asarray(getattr(vm, function)(*inputs))
    want = hmoe_reference(os.path.join(build, "bin", "hmoe-run"), source,
                          function, inputs, work)
    err = float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30))
    ok = err <= 1e-5
    print(f"{name}: IREE vs hmoe on the same inputs: max relative difference "
          f"{err:.2e} ({'PASS' if ok else 'FAIL'}, tolerance 1e-5)")
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hmoe-build", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    T = 1000
    gate_inputs = [(0.3 * rng.standard_normal((T, 256))).astype(np.float32),
                   (0.3 * rng.standard_normal((64, 256))).astype(np.float32),
                   (0.1 * rng.standard_normal(64)).astype(np.float32)]
    # A routing plan for 8 experts, 2 choices per token (what hmoe.dispatch
    # makes): slots grouped by expert.
    T2 = 50
    experts = np.stack([rng.permutation(8)[:2] for _ in range(T2)]).astype(np.int32)
    order = np.argsort(experts.reshape(-1), kind="stable")
    slot_token = (order // 2).astype(np.int32)
    slot_of = np.empty(T2 * 2, np.int32)
    slot_of[order] = np.arange(T2 * 2, dtype=np.int32)
    counts = np.bincount(experts.reshape(-1), minlength=8)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    expert_inputs = [(0.3 * rng.standard_normal((T2, 16))).astype(np.float32),
                     slot_token, offsets,
                     (0.25 * rng.standard_normal((8, 32, 16))).astype(np.float32),
                     (0.18 * rng.standard_normal((8, 16, 32))).astype(np.float32),
                     slot_of.reshape(T2, 2),
                     rng.uniform(0.2, 0.8, (T2, 2)).astype(np.float32)]
    with tempfile.TemporaryDirectory() as work:
        ok = run_stage("gate", "gate", gate_inputs, args.hmoe_build, work)
        run_stage("experts", "experts", expert_inputs, args.hmoe_build, work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
