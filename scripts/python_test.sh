#!/usr/bin/env bash
# The Python binding's suite (part of scripts/test.sh): a venv in build/python-venv with the
# pinned build and test packages (bindings/python/requirements.txt, from the package index),
# builds the wheel exactly as `pip install .` does (scikit-build-core, no upload), installs it and
# runs pytest (bindings/python/tests) against the host build's converter, which makes the
# fixture models. Needs scripts/build.sh first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/build/python-venv"
wheels="$root/build/python-wheel"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$root/bindings/python/requirements.txt"
rm -rf "$wheels"
# No build isolation: the pinned scikit-build-core and nanobind of the venv build it.
# Its own CMake build folder: a `pip install .` (isolated, another nanobind) keeps build/python.
"$venv/bin/pip" wheel -q --disable-pip-version-check --no-build-isolation --no-deps \
  --config-settings=build-dir="$root/build/python-test" -w "$wheels" "$root"
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/edgebert-*.whl
echo "python: built $(basename "$wheels"/edgebert-*.whl)"
# Run from the tests folder, not the repository: `import edgebert` must find the installed
# wheel, not bindings/python/edgebert.
cd "$root/bindings/python/tests"
EDGEBERT_CONVERT="$root/build/converter/edgebert-convert" "$venv/bin/python" -m pytest -q -p no:cacheprovider
