#!/usr/bin/env bash
# Gradescope runs this once, while it builds the autograder image (not per submission).
# It makes a venv from a Python >= 3.11 (newer Ubuntu images refuse system-wide pip installs),
# installs the CPU-only torch wheel (the CUDA one is GBs and Gradescope has no GPU), then the
# grader and its dependencies from the source copy in /autograder/source.
set -euxo pipefail

AG="${GRADER_AUTOGRADER_ROOT:-/autograder}"
TORCH_VERSION="@TORCH_VERSION@"

usable() {  # ensurepip is what Ubuntu leaves out of a Python without its -venv package
  command -v "$1" >/dev/null &&
    "$1" -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

PY=""
for candidate in python3 python3.13 python3.12 python3.11; do
  if usable "$candidate"; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y python3 python3-venv python3-pip
  if usable python3; then
    PY=python3
  else  # Ubuntu 22.04 (Gradescope's default image) ships 3.10; 3.11 is in its universe archive
    apt-get install -y python3.11 python3.11-venv
    PY=python3.11
  fi
fi

"$PY" -m venv "$AG/venv"
"$AG/venv/bin/python" -m pip install --upgrade pip
"$AG/venv/bin/python" -m pip install "torch==$TORCH_VERSION" \
  --index-url https://download.pytorch.org/whl/cpu
"$AG/venv/bin/python" -m pip install "$AG/source"

# The engine's sandbox keeps student code away from solutions/; root-only modes are a second
# wall for when it runs as an unprivileged user.
chmod -R go-rwx "$AG/source/solutions"
