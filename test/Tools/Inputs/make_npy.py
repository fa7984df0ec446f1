"""Writes hand-made .npy files that numpy refuses (or accepts unusually) for
test/Tools/hmoe-run-errors.test: make_npy.py DIR."""
import struct
import sys

import numpy as np


def write(path, header, data=b"", pad=True):
    h = header.encode("latin1")
    if pad:
        h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data)


def main(out):
    data = np.ones((3, 8), np.float32).tobytes()
    files = {
        "fortran_one": "{'descr': '<f4', 'fortran_order': 1, 'shape': (3, 8), }",
        "extra_key": "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 8), 'x': 1}",
        "double_comma": "{'descr': '<f4', 'fortran_order': False, 'shape': (3,, 8), }",
        "not_tuple": "{'descr': '<f4', 'fortran_order': False, 'shape': (24), }",
        "missing_key": "{'descr': '<f4', 'shape': (3, 8), }",
        "negative": "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 8), }",
        "double_quotes": '{"descr": "<f4", "fortran_order": False, "shape": (3, 8)}',
    }
    for name, header in files.items():
        write(f"{out}/{name}.npy", header, data)
    write(f"{out}/trailing.npy",
          "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 8), }",
          data + b"xx")
    write(f"{out}/terabytes.npy",
          "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 1000), }",
          data)
    write(f"{out}/long_header.npy",
          "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 8), }"
          + " " * 19960, data, pad=False)
    # Each must be one numpy refuses, except the double-quoted header, which
    # it reads, and the negative dim, which numpy 1.24 reads as if positive
    # (hmoe-run refuses it).
    for name in list(files) + ["terabytes", "long_header"]:
        if name == "negative":
            continue
        try:
            np.load(f"{out}/{name}.npy")
            ok = True
        except (ValueError, MemoryError):
            ok = False
        assert ok == (name == "double_quotes"), name


if __name__ == "__main__":
    main(sys.argv[1])
