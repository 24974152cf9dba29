#!/usr/bin/env python3
"""Side-by-side latency: edgebert int8 vs ONNX Runtime (quantize_dynamic int8, and fp32) and
PyTorch (dynamic int8 and fp32), same-shaped BERT classifiers (random weights), same machine,
same thread count, same sequence lengths, batch 1, token ids as input; and cold start: our model
init + session init + first run (edgebert-bench, mmap'd file) beside ONNX Runtime's
InferenceSession creation + first run.

  tests/fixtures/setup_venv.sh && .venv-fixtures/bin/pip install onnxruntime onnx
  build/bench/edgebert_make_bench_models build/bench-models
  .venv-fixtures/bin/python bench/peers.py --build build [--shapes bert-mini,minilm-l6,bert-base]
      [--seq 16,64,128,384] [--threads 1,2] [--kernels SET] [--runs 30] [--rounds 1]
      [--peers all] [--json out.json]

On a shared, noisy machine use --rounds 3 or more: each round times ours and then the peers at
every point, and each figure is the median over rounds, so drift hits both sides alike.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import torch
from transformers import BertConfig, BertForSequenceClassification

SHAPES = {  # layers, hidden, heads, intermediate
    "bert-base": (12, 768, 12, 3072),
    "minilm-l6": (6, 384, 12, 1536),
    "bert-mini": (4, 256, 4, 1024),
}


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def torch_model(shape):
    layers, hidden, heads, inter = SHAPES[shape]
    config = BertConfig(vocab_size=30522, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=inter,
                        max_position_embeddings=512, num_labels=2)
    torch.manual_seed(0)
    return BertForSequenceClassification(config).eval()


def onnx_models(model, workdir):
    import onnxruntime.quantization as q
    fp32 = os.path.join(workdir, "model.onnx")
    ids = torch.randint(1000, 30000, (1, 16))
    torch.onnx.export(model, (ids,), fp32, input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {1: "seq"}}, opset_version=14)
    int8 = os.path.join(workdir, "model-int8.onnx")
    q.quantize_dynamic(fp32, int8, weight_type=q.QuantType.QInt8)
    return fp32, int8


def ours(build, shape, variant, seqs, threads, runs, kernels):
    command = [os.path.join(build, "bench", "edgebert-bench"),
               os.path.join(build, "bench-models", f"{shape}-{variant}.ebm"),
               "--seq", ",".join(map(str, seqs)), "--threads", str(threads),
               "--runs", str(runs), "--warmup", "3", "--json"]
    if kernels:
        command += ["--kernels", kernels]
    report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    results = report["results"]
    # Cold start of the first point: it is the one that pays the file's page faults.
    return ({r["seq"]: r["p50_ms"] for r in results}, results[0]["kernels"],
            results[0]["cold_start_ms"])


def ort_cold_start_ms(path, options, seq):
    """InferenceSession creation + one run, as an app starting cold would pay."""
    import onnxruntime as ort
    ids = np.random.randint(1000, 30000, (1, seq)).astype(np.int64)
    start = time.perf_counter()
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    session.run(None, {"input_ids": ids})
    return (time.perf_counter() - start) * 1e3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--shapes", default="bert-mini,minilm-l6,bert-base")
    p.add_argument("--seq", default="16,64,128,384")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--kernels", default="",
                   help="force our kernel set (edgebert-bench --kernels); default: the automatic one")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--variant", default="int8",
                   help="our model file suffix: int8 (8-bit weights) or int8w7 (quantize "
                        "--weight-bits 7, made from NAME-fp32.ebm)")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat ours-then-peers this many times; report the median per point")
    p.add_argument("--peers", default="ort_int8,ort_fp32,torch_int8,torch_fp32",
                   help="which peers to time, comma separated (torch_fp32 is slow here)")
    p.add_argument("--json")
    p.add_argument("--export-onnx", metavar="DIR",
                   help="only write DIR/SHAPE-int8.onnx for --shapes (ONNX Runtime's dynamic "
                        "int8 of the same random classifier) and exit: scripts/bench_on_device.sh")
    args = p.parse_args()
    if args.export_onnx:
        os.makedirs(args.export_onnx, exist_ok=True)
        for shape in args.shapes.split(","):
            with tempfile.TemporaryDirectory() as workdir:
                _, int8_path = onnx_models(torch_model(shape), workdir)
                os.replace(int8_path, os.path.join(args.export_onnx, f"{shape}-int8.onnx"))
            print(f"{args.export_onnx}/{shape}-int8.onnx")
        return
    import onnxruntime as ort
    seqs = [int(s) for s in args.seq.split(",")]
    rows = []
    for shape in args.shapes.split(","):
        model = torch_model(shape)
        dynamic = torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        with tempfile.TemporaryDirectory() as workdir:
            fp32_path, int8_path = onnx_models(model, workdir)
            for threads in [int(t) for t in args.threads.split(",")]:
                torch.set_num_threads(threads)
                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                sessions = {name: ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
                            for name, path in [("ort_fp32", fp32_path), ("ort_int8", int8_path)]}
                peers = args.peers.split(",")
                timings = {s: {} for s in seqs}  # seq -> name -> [ms per round]
                cold = {"edgebert_int8": [], "ort_int8": []}  # cold start per round, first seq
                kernels = ""
                for _ in range(args.rounds):
                    ours_ms, kernels, ours_cold = ours(args.build, shape, args.variant, seqs,
                                                       threads, args.runs, args.kernels)
                    cold["edgebert_int8"].append(ours_cold)
                    if "ort_int8" in peers:
                        cold["ort_int8"].append(ort_cold_start_ms(int8_path, options, seqs[0]))
                    for s in seqs:
                        ids = torch.randint(1000, 30000, (1, s))
                        ids_np = ids.numpy().astype(np.int64)
                        t = timings[s]
                        t.setdefault("edgebert_int8", []).append(ours_ms[s])
                        with torch.inference_mode():
                            if "torch_fp32" in peers:
                                t.setdefault("torch_fp32", []).append(timed(lambda: model(ids), 3, args.runs))
                            if "torch_int8" in peers:
                                t.setdefault("torch_int8", []).append(timed(lambda: dynamic(ids), 3, args.runs))
                        for name, sess in sessions.items():
                            if name in peers:
                                t.setdefault(name, []).append(
                                    timed(lambda: sess.run(None, {"input_ids": ids_np}), 3, args.runs))
                cold_ms = {name: statistics.median(v) for name, v in cold.items() if v}
                print(f"{shape:10s} threads {threads}: cold start (init + first run at seq "
                      f"{seqs[0]}) edgebert {cold_ms.get('edgebert_int8', float('nan')):.1f} ms, "
                      f"ORT int8 {cold_ms.get('ort_int8', float('nan')):.1f} ms", flush=True)
                for s in seqs:
                    row = {"shape": shape, "seq": s, "threads": threads, "edgebert_kernels": kernels,
                           "rounds": args.rounds,
                           **{f"{name}_cold_start_ms": v for name, v in cold_ms.items()}}
                    for name, values in timings[s].items():
                        row[f"{name}_ms"] = statistics.median(values)
                    rows.append(row)
                    def ms(name):
                        return f"{row[name + '_ms']:8.2f}" if name + "_ms" in row else "       -"
                    print(f"{shape:10s} seq {s:4d} threads {threads}: edgebert int8 {ms('edgebert_int8')} ms"
                          f" | ORT int8 {ms('ort_int8')} fp32 {ms('ort_fp32')}"
                          f" | torch int8 {ms('torch_int8')} fp32 {ms('torch_fp32')}"
                          f" | ours / ORT int8 per round: "
                          + " ".join(f"{o / r:.2f}" for o, r in
                                     zip(timings[s]["edgebert_int8"], timings[s].get("ort_int8", []))),
                          flush=True)
    meta = {"onnxruntime": ort.__version__, "torch": torch.__version__, "variant": args.variant,
            "rows": rows}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
