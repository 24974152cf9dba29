#!/usr/bin/env bash
# Packaging test: installs the build tree into a fresh prefix, then builds a project outside the
# tree against it three ways (CMake find_package with the static and the shared target, and plain
# cc with pkg-config) and classifies a text with each; the shared library must export only eb_*.
# usage: consumer_test.sh BUILD_DIR SOURCE_DIR MODEL.ebm
set -uo pipefail
build=$1 source=$2 model=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
libdir=$(dirname "$(find "$prefix" -name libedgebert.a | head -1)")
for f in include/edgebert/edgebert.h include/edgebert/edgebert.hpp; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
for f in libedgebert.a libedgebert.so cmake/edgebert/edgebertConfig.cmake pkgconfig/edgebert.pc; do
  [ -e "$libdir/$f" ] || fail "not installed: $libdir/$f"
done

exports=$(nm -D --defined-only "$libdir/libedgebert.so" | awk '{print $3}' | sort)
extra=$(grep -v -E '^eb_' <<<"$exports")
[ -n "$extra" ] && fail "libedgebert.so exports more than eb_*: $(tr '\n' ' ' <<<"$extra")"
grep -q '^eb_session_classify_text$' <<<"$exports" || fail "libedgebert.so lacks eb_session_classify_text"

text="a wonderful, moving film"
cmake -S "$source/tests/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "find_package(edgebert)"; }
cmake --build "$work/consumer" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "consumer build"; }
want=""
for exe in consumer_static consumer_shared; do
  out=$("$work/consumer/$exe" "$model" "$text") || fail "$exe run"
  echo "$exe: $out"
  grep -q -E '^[a-z]+ [01]\.[0-9]{4}$' <<<"$out" || fail "$exe output '$out'"
  [ -z "$want" ] && want=$out
  [ "$out" = "$want" ] || fail "$exe disagrees: '$out' vs '$want'"
done
# Captured first: `ldd | grep -q` fails under pipefail when grep quits early (SIGPIPE).
libs=$(ldd "$work/consumer/consumer_shared")
grep -q "$libdir/libedgebert.so" <<<"$libs" ||
  fail "consumer_shared does not load the installed libedgebert.so: $libs"

# pkg-config with a plain C compiler and no C++ runtime on the command line.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs edgebert) || fail "pkg-config edgebert"
cc -std=c11 -o "$work/pc_consumer" "$source/tests/packaging/consumer/consumer.c" $flags ||
  fail "cc with pkg-config flags"
out=$(LD_LIBRARY_PATH="$libdir" "$work/pc_consumer" "$model" "$text") || fail "pkg-config consumer run"
echo "pkg-config consumer: $out"
[ "$out" = "$want" ] || fail "pkg-config consumer disagrees: '$out' vs '$want'"
# The static archive links with a C linker alone: the runtime needs no libstdc++ (libm, and the
# XNNPACK provider's C libraries when built with it: pkg-config --static lists them).
cc -std=c11 -o "$work/static_c" "$source/tests/packaging/consumer/consumer.c" \
  $(pkg-config --cflags edgebert) "$libdir/libedgebert.a" \
  $(pkg-config --static --libs-only-l --libs-only-other edgebert | sed 's/-ledgebert//') ||
  fail "cc with libedgebert.a and pkg-config --static libraries"
out=$("$work/static_c" "$model" "$text") || fail "static C consumer run"
[ "$out" = "$want" ] || fail "static C consumer disagrees: '$out' vs '$want'"

[ "$failures" -eq 0 ] && echo "installed package: find_package (static, shared) and pkg-config consumers agree"
exit "$failures"
