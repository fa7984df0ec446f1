"""count_cubins.py LIB...: prints `LIB: N cubins` per shared library, N the
ELF images embedded in it (its own ELF header aside)."""

import os
import sys

for path in sys.argv[1:]:
    images = open(path, "rb").read().count(b"\x7fELF") - 1
    print(f"{os.path.basename(path)}: {images} cubins")
