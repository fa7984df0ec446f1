"""Named linalg contractions in the CPU kernel: `linalg.matmul` with a
transposed B (indexing maps (m, k), (n, k) -> (m, n)) and `linalg.contract`
with the same maps, in f32, bf16 and f16, run through hmoe-run's CPU
pipeline on seeded random inputs and compared with a float64 reference.
Each run also checks that hmoe-vectorize-contractions took the op (none is
left after it), so the kernel matches contractions by linalg's interface,
not by the generic ops hmoe's own lowering builds.

    named_contractions.py --hmoe-run PATH
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

from hmoe.layer import decode, encode
from hmoe.run import F32_TOLERANCE

MAPS = ("indexing_maps = [affine_map<(m, n, k) -> (m, k)>, "
        "affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]")


def module(op, dtype, k, n):
    return f"""
func.func @mm(%a: tensor<?x{k}x{dtype}>, %w: tensor<{n}x{k}x{dtype}>) -> tensor<?x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %t = tensor.dim %a, %c0 : tensor<?x{k}x{dtype}>
  %e = tensor.empty(%t) : tensor<?x{n}xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  %r = linalg.{op} {MAPS}
      ins(%a, %w : tensor<?x{k}x{dtype}>, tensor<{n}x{k}x{dtype}>)
      outs(%f : tensor<?x{n}xf32>) -> tensor<?x{n}xf32>
  return %r : tensor<?x{n}xf32>
}}
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hmoe-run", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(20261203)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        # Row counts (native, x86-64-v3) with the remainders of 8-row
        # tiles (AVX-512's; 4 is a whole tile) and of 4-row tiles (AVX2's),
        # alone (decode-sized experts) and after whole tiles; K and N those
        # of a small expert.
        rows = {("matmul", "f32"): (3, 1), ("matmul", "bf16"): (5, 2),
                ("matmul", "f16"): (6, 3), ("contract", "f32"): (7, 37),
                ("contract", "bf16"): (34, 38), ("contract", "f16"): (33, 39)}
        cases = [(op, dtype, f"target-cpu={cpu}", t)
                 for (op, dtype), counts in rows.items()
                 for cpu, t in zip(("native", "x86-64-v3"), counts)]
        # Tiles of 8 rows on any host (5 and 7 left: 8-row tiles with rows
        # that read the last one again), of 6 (5 left; 12 then 3 in a 4-row
        # tile), and K in two chunks (the second adds to c: a row stored
        # twice would count twice).
        x86 = "target-cpu=x86-64-v3"
        cases += [("matmul", "f32", f"{x86} {o}", t)
                  for o, t in (("tile-rows=8", 5), ("tile-rows=8", 7),
                               ("tile-rows=6", 5), ("tile-rows=6", 15),
                               ("k-block=64", 7))]
        # The packed outer-product kernel (64 rows and more; AVX-512's, here
        # forced with AVX2's 8 lanes: panels of 16 columns) with the last
        # rows of its tiles as one tile. T rows are two row blocks, the
        # second of T - 32 rows: of 8-row tiles 1, 2, 3, 6 and 7 rows left
        # (tiles of 1, 2, 4 with one row that reads the last again, 8 with
        # two, 8 with one), bf16 / f16 rows extended per tile (those rows
        # too), K in two chunks; of 5-row tiles (the second block from row
        # 35) 4 and 3 left (a tile of 4; of 4 with one).
        cases += [("matmul", "f32", f"{x86} packed-rows=8", 65),
                  ("matmul", "f32", f"{x86} packed-rows=8", 66),
                  ("contract", "f32", f"{x86} packed-rows=8 k-block=64", 67),
                  ("contract", "bf16", f"{x86} packed-rows=8", 70),
                  ("matmul", "f16", f"{x86} packed-rows=8 k-block=64", 71),
                  ("contract", "f32", f"{x86} packed-rows=5", 69),
                  ("matmul", "f32", f"{x86} packed-rows=5 k-block=64", 68)]
        for op, dtype, options, t in cases:
            k, n = 128, 48
            a = rng.standard_normal((t, k)).astype(np.float32)
            w = rng.standard_normal((n, k)).astype(np.float32)
            ea, ew = encode(a, dtype), encode(w, dtype)
            path = os.path.join(tmp, f"{op}_{dtype}.mlir")
            with open(path, "w") as f:
                f.write(module(op, dtype, k, n))
            files = []
            for i, x in enumerate((ea, ew)):
                files.append(os.path.join(tmp, f"in{i}.npy"))
                np.save(files[-1], x)
            out = os.path.join(tmp, "out.npy")
            proc = subprocess.run(
                [args.hmoe_run, path,
                 f"--pipeline=hmoe-lower-to-cpu{{{options}}}",
                 "--mlir-print-ir-after=hmoe-vectorize-contractions",
                 f"--input=@{files[0]}", f"--input=@{files[1]}",
                 f"--output=@{out}"],
                capture_output=True, text=True)
            name = f"{op} {dtype} {options} T={t}"
            if proc.returncode:
                print(f"FAIL {name}: hmoe-run: {proc.stderr[-400:]}")
                failed += 1
                continue
            # The op itself, not the run-time checks' messages
            # that quote it.
            left = re.findall(rf"^\s*linalg\.{op}\b", proc.stderr,
                              re.M)
            # The packed kernel's panels: [N / 16, K, 16] f32.
            unpacked = "packed-rows" in options and not re.search(
                rf"memref<{n // 16}x{k}x16xf32>", proc.stderr)
            ref = (decode(ea, dtype).astype(np.float64)
                   @ decode(ew, dtype).astype(np.float64).T)
            got = np.load(out).astype(np.float64)
            err = np.abs(got - ref).max() / np.abs(ref).max()
            # Inputs exact in every type, products exact in f32,
            # f32 sums: f32's tolerance for all three.
            tol = F32_TOLERANCE
            ok = not left and not unpacked and err <= tol
            failed += not ok
            kernel = ("left unvectorised" if left else
                      "not the packed kernel" if unpacked else "vectorised")
            print(f"{'PASS' if ok else 'FAIL'} {name}: rel. error "
                  f"{err:.1e} (tolerance {tol:.0e}), {kernel}")
    print(f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
