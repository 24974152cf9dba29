#!/usr/bin/env bash
# Reliability suite (part of README command (b)):
#  1. build-sanitize/: clang-14 with AddressSanitizer + UndefinedBehaviorSanitizer on every target,
#     plus the libFuzzer targets (tests/fuzz); runs the whole ctest suite there (which also
#     replays every fuzz seed corpus and runs the Java binding's test with the ASan runtime
#     preloaded into the JVM), except the checks of release artefacts (symbol hygiene,
#     the installed-package consumer) that an instrumented build cannot pass by design;
#  2. build-tsan/: ThreadSanitizer build of the runtime and the concurrency test (several threads,
#     each with its own session, over one shared model), run on fp32 and int8 models.
# Then scripts/fuzz.sh runs each fuzzer for EDGEBERT_FUZZ_SECONDS (default 20) seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
configure() { "$root/scripts/sanitize_configure.sh" "$@"; }

echo "sanitize: ASan + UBSan build (build-sanitize)"
configure build-sanitize address,undefined -DEDGEBERT_BUILD_FUZZERS=ON
cmake --build "$root/build-sanitize" --parallel "$jobs"
# halt_on_error + abort make any report fail the test that caused it. Leak checking stays on.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$root/build-sanitize" && ctest --output-on-failure --parallel "$jobs" \
  -E '^(lib\.hygiene|package\.consumer)$')

echo "sanitize: ThreadSanitizer build (build-tsan): runtime + threads test only"
configure build-tsan thread -DEDGEBERT_BUILD_CONVERTER=OFF -DEDGEBERT_BUILD_EXAMPLES=OFF
cmake --build "$root/build-tsan" --parallel "$jobs" --target edgebert_threads_test
# The fp32 and int8 models the ASan tree's converter made for lib.threads.
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "$root/build-tsan/tests/edgebert_threads_test" \
  "$root/build-sanitize/tests/threads_fp32.ebm" "$root/build-sanitize/tests/threads_int8.ebm"

"$root/scripts/fuzz.sh" "${EDGEBERT_FUZZ_SECONDS:-20}"
