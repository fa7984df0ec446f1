#!/usr/bin/env bash
# Creates bench/.venv with the peers hmoe is compared against, pinned.
# PyPI's torch wheel brings CUDA libraries (the venv is ~8 GB); only the
# CPU is used. Idempotent: does nothing when the venv has the pins.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${HMOE_BENCH_VENV:-$here/.venv}
python=${PYTHON:-python3}
pins=(torch==2.9.1 "jax[cpu]==0.10.2" jaxlib==0.10.2 iree-base-compiler==3.13.0
      iree-base-runtime==3.13.0 numpy==2.4.6)

if [ -x "$venv/bin/python" ] && "$venv/bin/pip" freeze 2>/dev/null |
    grep -q '^iree-base-runtime==3.13.0$'; then
  exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "${pins[@]}"
