"""Compiles the kernels of hmoe layers with the CUDA toolkit's ptxas and
prints one line per kernel:

    <file> <binary> <kernel> sm_XX: registers R, spill stores S, spill loads L,
        stack frame F

Either reads a module printed by `hmoe-opt --hmoe-lower-to-nvvm{format=isa}`
on stdin, or lowers each FILE itself:

    check_ptx.py --ptxas PATH [--hmoe-opt PATH --chip sm_80
                 [--options 'approximate-math=0'] FILE...]

Prints `N kernels, M with spills` last; exits non-zero if a lowering or
ptxas fails (the error is printed) or ptxas reports that it serialized
wgmma steps or injected a wait for them.

MLIR prints string attributes with non-printable characters, quotes and
backslashes as two-digit hexadecimal escapes (`\\0A`), undone here."""

import argparse
import os
import re
import subprocess
import sys
import tempfile

OBJECT = re.compile(
    r'gpu\.binary @(\w+)\s*\[#gpu\.object<#nvvm\.target<([^>]*)>[^"]*'
    r'assembly = "((?:[^"\\]|\\.)*)"')


def unescape(text):
    return re.sub(r"\\([0-9A-Fa-f]{2})",
                  lambda m: chr(int(m.group(1), 16)), text)


def check_module(label, module, ptxas, tmp):
    """ptxas on every PTX object of `module`; returns (lines, failed)."""
    lines, failed = [], False
    objects = OBJECT.findall(module)
    if not objects:
        return [f"{label}: no PTX (format=isa) object"], True
    for name, target, body in objects:
        chip = re.search(r'chip = "(\w+)"', target).group(1)
        path = os.path.join(tmp, name + ".ptx")
        with open(path, "w") as f:
            f.write(unescape(body))
        run = subprocess.run(
            [ptxas, "-arch=" + chip, "-v", path, "-o",
             os.path.join(tmp, name + ".cubin")],
            capture_output=True, text=True)
        if run.returncode != 0:
            lines.append(f"{label} {name} {chip}: ptxas failed:\n{run.stderr}")
            failed = True
            continue
        kernel, spills, frame = None, ("?", "?"), "?"
        for line in run.stderr.splitlines():
            # ptxas serializing wgmma steps (C7514/C7515: an instruction on
            # accumulators in flight, say) or waiting for them where the
            # code did not (C7517, "warpgroup.wait is injected") exits 0
            # but costs the overlap.
            if ("Potential Performance Loss" in line
                    or re.search(r"warpgroup\.\w+ is injected", line)):
                lines.append(f"{label} {name} {chip}: {line.strip()}")
                failed = True
            m = re.search(r"Compiling entry function '(\w+)'", line)
            if m:
                kernel = m.group(1)
            m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill "
                          r"stores, (\d+) bytes spill loads", line)
            if m:
                frame, spills = m.group(1), m.groups()[1:]
            m = re.search(r"Used (\d+) registers", line)
            if m:
                lines.append(f"{label} {name} {kernel} {chip}: registers "
                             f"{m.group(1)}, spill stores {spills[0]}, "
                             f"spill loads {spills[1]}, stack frame {frame}")
    return lines, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ptxas", required=True)
    ap.add_argument("--hmoe-opt")
    ap.add_argument("--chip", default="sm_80")
    ap.add_argument("--options", default="",
                    help="more hmoe-lower-to-nvvm options, e.g. "
                    "'approximate-math=0'")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    modules = []
    if args.files:
        for path in args.files:
            run = subprocess.run(
                [args.hmoe_opt,
                 f"--hmoe-lower-to-nvvm=format=isa chip={args.chip} "
                 f"{args.options}", path],
                capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{path}: hmoe-opt failed:\n{run.stderr}")
                sys.exit(1)
            modules.append((os.path.basename(path), run.stdout))
    else:
        modules.append(("-", sys.stdin.read()))
    failed, kernels, spilling = False, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for label, module in modules:
            lines, bad = check_module(label, module, args.ptxas, tmp)
            failed |= bad
            for line in lines:
                print(line)
                if ": registers " in line:
                    kernels += 1
                    spilling += "spill stores 0, spill loads 0" not in line
    print(f"{kernels} kernels, {spilling} with spills")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
