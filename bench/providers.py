#!/usr/bin/env python3
"""Native vs XNNPACK, fp32 and int8, side by side: runs edgebert-bench on the benchmark models
(build/bench/edgebert_make_bench_models build/bench-models) and prints one markdown table.

  bench/providers.py [--build build] [--shapes bert-mini,minilm-l6,bert-base]
                     [--seq 16,32,64,128] [--threads 1,2] [--runs 20]

Rows: shape x seq x threads. Columns (p50 ms): fp32 on the native path (the scalar fp32
reference, single-threaded: measured with fewer runs), fp32 on XNNPACK, int8 per-channel dynamic
on our kernels (model *-int8.ebm), int8 static per-tensor (*-int8static.ebm) on our kernels and on
XNNPACK. Every cell of a row comes from the same invocation order on the same machine minutes
apart; compare ratios within a row.
"""
import argparse
import json
import os
import subprocess
import sys


def bench(exe, model, provider, seqs, threads, runs, warmup):
    cmd = [exe, model, "--provider", provider, "--seq", seqs, "--threads", threads,
           "--runs", str(runs), "--warmup", str(warmup), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return {(r["seq"], r["threads"]): r["p50_ms"] for r in json.loads(out)["results"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--shapes", default="bert-mini,minilm-l6,bert-base")
    parser.add_argument("--seq", default="16,32,64,128")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reference-runs", type=int, default=3,
                        help="runs of the (slow) scalar fp32 reference")
    args = parser.parse_args()
    exe = os.path.join(args.build, "bench", "edgebert-bench")
    models = os.path.join(args.build, "bench-models")
    print("| shape | seq | threads | fp32 native (reference) | fp32 XNNPACK | int8 native "
          "(per-channel, dynamic) | int8 static native | int8 static XNNPACK | XNNPACK fp32 "
          "speed-up | int8: native dynamic / XNNPACK static |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for shape in args.shapes.split(","):
        path = lambda kind: os.path.join(models, f"{shape}-{kind}.ebm")
        print(f"{shape}: measuring", file=sys.stderr)
        ref = bench(exe, path("fp32"), "native", args.seq, "1", args.reference_runs, 0)
        fx = bench(exe, path("fp32"), "xnnpack", args.seq, args.threads, args.runs, 2)
        i8 = bench(exe, path("int8"), "native", args.seq, args.threads, args.runs, 2)
        sn = bench(exe, path("int8static"), "native", args.seq, args.threads, args.runs, 2)
        sx = bench(exe, path("int8static"), "xnnpack", args.seq, args.threads, args.runs, 2)
        for key in sorted(fx, key=lambda k: (k[1], k[0])):
            seq, threads = key
            r = ref.get((seq, 1)) if threads == 1 else None
            cell = lambda v: f"{v:.2f}" if v is not None else "-"
            speedup = f"{r / fx[key]:.1f}x" if r else "-"
            print(f"| {shape} | {seq} | {threads} | {cell(r)} | {cell(fx[key])} | {cell(i8[key])} "
                  f"| {cell(sn[key])} | {cell(sx[key])} | {speedup} | {i8[key] / sx[key]:.2f} |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
