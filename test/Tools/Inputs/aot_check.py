"""Runs the C driver of the hmoe-compile'd aot_layer on seeded random
inputs and compares its results with the float64 reference."""

import argparse
import os
import subprocess
import sys

import numpy as np

from hmoe.layer import Gate, Layer
from hmoe.run import compare_with_reference

LAYER = Layer(fanout=[4, 2], gates=[Gate("laplace", k=2), Gate("linear", k=1)],
              d=16, expert="ffn", expert_activation="gelu", hidden=8, b1=True,
              stats=["load"])

ap = argparse.ArgumentParser()
ap.add_argument("--driver", required=True)
ap.add_argument("--workdir", required=True)
ap.add_argument("--hmoe-run", help="also run the library through hmoe-run "
                "--library and compare with hmoe-run's JIT")
ap.add_argument("--library")
ap.add_argument("--module")
args = ap.parse_args()
failed = 0
for T, seed in ((37, 1), (1, 2), (0, 3), (300, 4), (5000, 5)):
    params = LAYER.random_params(T, seed)
    for name, _, _ in LAYER.param_shapes(T):
        np.asarray(params[name], np.float32).tofile(
            os.path.join(args.workdir, name + ".bin"))
    run = subprocess.run([args.driver, args.workdir, str(T)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(f"FAIL: T={T}: driver exited {run.returncode}: {run.stderr}")
        failed += 1
        continue
    y = np.fromfile(os.path.join(args.workdir, "y.bin"), np.float32).reshape(T, 16)
    load = np.fromfile(os.path.join(args.workdir, "load.bin"), np.int64)
    failures, summary = compare_with_reference(LAYER, params, [y, load])
    print(f"{'PASS' if not failures else 'FAIL'}: T={T}: {summary} {failures}")
    failed += bool(failures)
if args.hmoe_run:
    # The same library through hmoe-run --library, against hmoe-run's JIT of
    # the module: the same code, so the same bits.
    T = 64
    params = LAYER.random_params(T, 9)
    inputs = []
    for i, (name, _, _) in enumerate(LAYER.param_shapes(T)):
        path = os.path.join(args.workdir, f"in{i}.npy")
        np.save(path, np.asarray(params[name], np.float32))
        inputs.append(f"--input=@{path}")
    outs = {}
    for how, extra in (("jit", []), ("library", [f"--library={args.library}"])):
        y = os.path.join(args.workdir, f"y_{how}.npy")
        load = os.path.join(args.workdir, f"load_{how}.npy")
        subprocess.run([args.hmoe_run, args.module, *inputs, f"--output=@{y}",
                        f"--output=@{load}", *extra], check=True)
        outs[how] = (np.load(y), np.load(load))
    same = (np.array_equal(outs["jit"][0], outs["library"][0]) and
            np.array_equal(outs["jit"][1], outs["library"][1]))
    print(f"{'PASS' if same else 'FAIL'}: hmoe-run --library equals the JIT bit for bit")
    failed += not same
sys.exit(1 if failed else 0)
