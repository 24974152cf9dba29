#!/usr/bin/env python3
"""Worst-case stack depth of every public eb_* function of the runtime, from GCC's call graphs.

  cmake -S . -B build-stack -G Ninja -DEDGEBERT_STACK_USAGE=ON -DEDGEBERT_BUILD_TESTS=OFF \
        -DEDGEBERT_BUILD_BENCHMARKS=OFF -DEDGEBERT_BUILD_CONVERTER=OFF && ninja -C build-stack
  scripts/stack_usage.py build-stack

Reads the .ci files (-fcallgraph-info=su): each function's own frame and its calls. Prints, per
entry point, the deepest path and its total. Calls into libc/libm (vsnprintf, exp, ...) have no
figure here and are listed; add their usage for your C library (newlib, picolibc, bionic) when
sizing a firmware stack. The runtime has no recursion; a cycle would be reported.

Calls through the runtime's tables (GCC's "__indirect_call"), by who makes them: the graph calls
its executor's ops (the executor_of lambdas), Parallel::for_each calls tasks (*Tasks::run), and
everything else calls kernel set entries (gemm_*, quantize_rows, layer_norm, attention of every
set). Such a call counts as the deepest function of its kind. The op observer, user code, is not
counted.
"""
import glob
import re
import subprocess
import sys

NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
BYTES = re.compile(r"\\n(\d+) bytes \(([^)]*)\)")
INDIRECT = "__indirect_call"
# (caller, the table entries it may reach through a pointer), first match wins.
INDIRECT_KINDS = [
    (re.compile(r"^edgebert::(bert_encoder|bert_heads|bert_forward|\(anonymous namespace\)::Dense)"),
     re.compile(r"executor_of<.*\{lambda")),
    (re.compile(r"Parallel::for_each"), re.compile(r"Tasks::run\(")),
    (re.compile(r""), re.compile(r"^edgebert::kernels::[a-z0-9_]+::"
                                  r"(qd8_f32_qc[78]w_gemm_[0-9a-z]+|f32_qd8_quantize_rows|f32_layer_norm|f32_attention)\(")),
]


def main(build_dir):
    frames, names, calls = {}, {}, {}
    for path in glob.glob(f"{build_dir}/**/*.ci", recursive=True):
        for line in open(path):
            m = NODE.search(line)
            if m:
                title, label = m.groups()
                b = BYTES.search(label)
                if b:
                    frames[title] = (int(b.group(1)), b.group(2))
                names.setdefault(title, label.split("\\n")[0])
                continue
            m = EDGE.search(line)
            if m:
                calls.setdefault(m.group(1), set()).add(m.group(2))
    titles = sorted(names)
    demangled = subprocess.run(["c++filt", "-p"], input="\n".join(titles), capture_output=True,
                               text=True, check=True).stdout.splitlines()
    short = dict(zip(titles, demangled))
    def reached_through_pointer(caller):
        name = short.get(caller, caller)
        for who, what in INDIRECT_KINDS:
            if who.search(name):
                return [t for t in sorted(frames) if what.search(short.get(t, t))]
        return []

    memo = {}

    def deepest(fn, stack=()):
        if fn in stack:
            return float("inf"), [fn + " (RECURSION)"], set()
        if fn in memo:
            return memo[fn]
        own = frames.get(fn, (0, None))[0]
        best, path, external = 0, [], set()
        if fn not in frames:
            external.add(fn)
        callees = set(calls.get(fn, ()))
        if INDIRECT in callees:
            callees.discard(INDIRECT)
            callees |= set(reached_through_pointer(fn))
        for callee in sorted(callees):
            depth, sub, ext = deepest(callee, stack + (fn,))
            external |= ext
            if depth > best:
                best, path = depth, sub
        memo[fn] = (own + best, [fn] + path, external)
        return memo[fn]

    entries = sorted(t for t in frames if t.startswith("eb_"))
    rows = []
    for e in entries:
        depth, path, external = deepest(e)
        rows.append((depth, e, path, external))
    print(f"{'entry point':30s} {'bytes':>6s}  deepest path")
    for depth, e, path, external in sorted(rows, reverse=True):
        pretty = " > ".join(f"{short.get(p, p)}({frames[p][0] if p in frames else 'libc'})"
                            for p in path)
        print(f"{e:30s} {depth:6d}  {pretty}")
    dynamic = sorted((names[t], f) for t, f in frames.items() if "dynamic" in f[1])
    if dynamic:
        print("\nframes with dynamic size (bounded by the compiler's analysis):")
        for name, (size, kind) in dynamic:
            print(f"  {size:6d} {kind:18s} {name}")
    ext = sorted(set().union(*(r[3] for r in rows)))
    print("\nlibrary calls without figures:", ", ".join(ext))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build-stack")
