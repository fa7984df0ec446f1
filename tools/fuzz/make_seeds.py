#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (scripts/fuzz.sh).

  make_seeds.py SRC_ROOT OUT_DIR

OUT_DIR/mlir: every test and example .mlir file of SRC_ROOT, cut at the
`// -----` markers of --split-input-file, one seed per part (parse and lower
fuzzers). OUT_DIR/npy: .npy files written by NumPy itself in every dtype,
format version and shape kind hmoe-run reads, plus ones it must reject.
"""
import io
import pathlib
import sys

import numpy as np


def mlir_seeds(src, out):
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(src.glob("test/**/*.mlir")) + sorted(src.glob("examples/*.mlir"))
    n = 0
    for path in files:
        for i, part in enumerate(path.read_text().split("// -----")):
            if not part.strip():
                continue
            rel = "_".join(path.relative_to(src).with_suffix("").parts)
            (out / f"{rel}_{i}.mlir").write_text(part)
            n += 1
    return n


def npy_bytes(array, version):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


def npy_seeds(out):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "f32_2d": rng.standard_normal((3, 4)).astype(np.float32),
        "f64_1d": rng.standard_normal(5),
        "i32_0d": np.array(7, dtype=np.int32),
        "i64_3d": np.arange(24, dtype=np.int64).reshape(2, 3, 4),
        "f32_empty": np.zeros((0, 16), dtype=np.float32),
        "f32_special": np.array([np.nan, np.inf, -np.inf, -0.0], np.float32),
        # Rejected: big-endian, Fortran order, an unsupported dtype.
        "f32_big_endian": np.arange(4, dtype=">f4"),
        "f32_fortran": np.asfortranarray(np.ones((2, 3), np.float32)),
        "f16": np.ones(3, dtype=np.float16),
    }
    n = 0
    for name, array in arrays.items():
        for version in [(1, 0), (2, 0), (3, 0)]:
            (out / f"{name}_v{version[0]}.npy").write_bytes(
                npy_bytes(array, version))
            n += 1
    return n


def main():
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    print(f"seeds: {mlir_seeds(src, out / 'mlir')} mlir, "
          f"{npy_seeds(out / 'npy')} npy in {out}")


if __name__ == "__main__":
    main()
