#!/usr/bin/env bash
# Library hygiene of the device runtime (libedgebert.a): no global constructors or destructors
# doing work at load time, no mutable static data (sessions share nothing), no RTTI, no
# exception tables. usage: hygiene_test.sh path/to/libedgebert.a
set -uo pipefail
lib=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
symbols=$(nm -C "$lib")
grep -E "_GLOBAL__sub_I|_GLOBAL__sub_D|__cxa_atexit|__cxa_guard_acquire" <<<"$symbols" &&
  fail "global constructors, destructors or guarded statics"
# Objects in .data or .bss are writable; const tables of pointers live in .data.rel.ro (read-only
# once relocated) and .rodata.
objdump -t "$lib" | grep -E "[[:space:]]\.(data|bss)(\.[^r][^[:space:]]*)?[[:space:]]" |
  grep -v -E "\.data\.rel\.ro" | grep -E " O " && fail "mutable static data (.data/.bss)"
grep -E "typeinfo for|vtable for" <<<"$symbols" && fail "RTTI / virtual tables"
grep -E "__cxa_throw|__gxx_personality" <<<"$symbols" && fail "exceptions"
objdump -h "$lib" | grep -E "\.init_array|\.ctors" && fail ".init_array / .ctors sections"
[ "$failures" -eq 0 ] && echo "libedgebert.a: no global constructors, no mutable statics, no RTTI, no exceptions"
exit "$failures"
