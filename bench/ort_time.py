#!/usr/bin/env python3
"""ONNX Runtime latency of one model on this machine, as edgebert-bench measures ours: batch 1,
random token ids, median of --runs after 3 warm-up runs, per (sequence length, thread count).
Needs only numpy and onnxruntime (what a Raspberry Pi's pip gives), so scripts/bench_on_device.sh
runs it on the device beside edgebert-bench. One JSON object per line.

usage: ort_time.py MODEL.onnx [--seq 16,64,128] [--threads 1,4] [--runs 20]
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("--seq", default="16,64,128")
    p.add_argument("--threads", default="1")
    p.add_argument("--runs", type=int, default=20)
    a = p.parse_args()
    for threads in [int(t) for t in a.threads.split(",")]:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(a.model, options, providers=["CPUExecutionProvider"])
        for seq in [int(s) for s in a.seq.split(",")]:
            ids = np.random.default_rng(seq).integers(1000, 30000, (1, seq), dtype=np.int64)
            for _ in range(3):
                session.run(None, {"input_ids": ids})
            times = []
            for _ in range(a.runs):
                start = time.perf_counter()
                session.run(None, {"input_ids": ids})
                times.append((time.perf_counter() - start) * 1e3)
            print(json.dumps({"seq": seq, "threads": threads, "p50_ms": statistics.median(times),
                              "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
