#!/usr/bin/env bash
# Library hygiene of the device runtime (libedgebert.a): no global constructors or destructors
# doing work at load time, no mutable static data (sessions share nothing), no RTTI, no
# exception tables, and nothing taken from outside but the portable C library (so it links with
# glibc, musl and Android's bionic, and with a plain C linker: no libstdc++).
# usage: hygiene_test.sh path/to/libedgebert.a
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
# Symbols the archive needs from outside: undefined in some member, defined in none. The members
# that use the optional dependencies (when built with them) are checked on their own below: the
# XNNPACK executor alone may call XNNPACK, keep its allocator's thread-local region pointer and
# fall back to malloc for other XNNPACK users; parallel.cc alone may call pthreadpool.
optional='^(xnnpack_executor|parallel)\.cc\.o$'
defined=$(nm --defined-only "$lib" | awk 'NF == 3 {print $3}' | sort -u)
members=$(ar t "$lib" | grep -v -E "$optional")
core_needed() {
  for m in $members; do ar p "$lib" "$m" >"$tmp/m.o" && nm --undefined-only "$tmp/m.o"; done |
    awk 'NF == 2 {print $2}' | sort -u | comm -23 - <(echo "$defined")
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
needed=$(core_needed)
provider_needed=$(for m in $(ar t "$lib" | grep -E "$optional"); do
                    ar p "$lib" "$m" >"$tmp/m.o" && nm --undefined-only "$tmp/m.o"; done |
                  awk 'NF == 2 {print $2}' | sort -u | comm -23 - <(echo "$defined"))
# C99 libc/libm, getauxval (glibc, musl, bionic), and compiler runtime helpers (libgcc): the
# x86 CPU-feature model, ARM EABI division, the GOT and stack protector.
allowed='^(mem(cmp|cpy|move|set)|str(cmp|ncmp|len)|v?snprintf|(erf|exp|log|sqrt|tanh|nearbyint|fabs)f?|getauxval|__cpu_model|__cpu_features2|__cpu_indicator_init|__aeabi_[a-z0-9_]+|__aarch64_[a-z0-9_]+|_GLOBAL_OFFSET_TABLE_|__stack_chk_(fail|guard))$'
outside=$(grep -v -E "$allowed" <<<"$needed")
[ -n "$outside" ] && fail "needs symbols outside the portable C library: $(tr '\n' ' ' <<<"$outside")"
provider_allowed='^(xnn_[a-z0-9_]+|pthreadpool_[a-z0-9_]+|malloc|realloc|free|posix_memalign|__tls_get_addr)$'
outside=$(grep -v -E "$allowed" <<<"$provider_needed" | grep -v -E "$provider_allowed")
[ -n "$outside" ] && fail "XNNPACK executor / threads need more than XNNPACK, pthreadpool and malloc: $(tr '\n' ' ' <<<"$outside")"
[ "$failures" -eq 0 ] && echo "libedgebert.a: no global constructors, no mutable statics, no RTTI, no exceptions; needs only: $(tr '\n' ' ' <<<"$needed")${provider_needed:+; XNNPACK provider and threads: $(tr '\n' ' ' <<<"$provider_needed")}"
exit "$failures"
