"""check_symbols.py UNDEFINED DEFINED: every runtime function (mgpu*,
hmoe_cuda_*) that `llvm-nm -D --undefined-only` lists in UNDEFINED is in
`llvm-nm -D --defined-only`'s DEFINED; prints one line per function and
exits non-zero if one is missing."""

import sys


def names(path, defined):
    out = set()
    for line in open(path):
        fields = line.split()
        if fields:
            out.add(fields[-1])
    return out


undefined = sorted(n for n in names(sys.argv[1], False)
                   if n.startswith(("mgpu", "hmoe_cuda_")))
defined = names(sys.argv[2], True)
missing = [n for n in undefined if n not in defined]
for n in undefined:
    print(f"{n}: {'defined' if n in defined else 'MISSING'}")
if missing:
    sys.exit(1)
print(f"all {len(undefined)} runtime functions the layer calls are defined")
