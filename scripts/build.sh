#!/usr/bin/env bash
# Configures and builds the host tree in build/ (Release, warnings as errors).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEBERT_WERROR=ON >/dev/null
cmake --build "$root/build" --parallel
