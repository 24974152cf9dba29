#!/usr/bin/env python3
"""Tokenizer throughput, ours vs Hugging Face tokenizers (Rust), same texts, same machine, one
thread. Texts: the single-text uncased cases of tests/fixtures/tokenizer/parity.jsonl.

  tests/fixtures/setup_venv.sh
  .venv-fixtures/bin/python bench/tokenizer_vs_hf.py build/bench/edgebert_bench_tokenizer
"""
import json
import os
import subprocess
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"  # before tokenizers starts its thread pool
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402
from transformers import BertTokenizerFast  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tokenizer")


def main(ours_binary):
    texts = []
    for line in open(os.path.join(FIXTURES, "parity.jsonl"), encoding="utf-8"):
        c = json.loads(line)
        if c["vocab"] == "uncased" and "text_b" not in c:
            texts.append(c["text"])
    rust: Tokenizer = BertTokenizerFast(os.path.join(FIXTURES, "uncased-vocab.txt"))._tokenizer
    rust.no_truncation()
    rust.no_padding()
    results = {}
    for name, run in [("hf encode loop", lambda: [rust.encode(t, add_special_tokens=False) for t in texts]),
                      ("hf encode_batch", lambda: rust.encode_batch(texts, add_special_tokens=False))]:
        best = None
        for _ in range(5):
            start = time.perf_counter()
            encodings = run()
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        tokens = sum(len(e.ids) for e in encodings)
        results[name] = tokens / best
    out = subprocess.run([ours_binary, "--benchmark_format=json", "--benchmark_min_time=2"],
                         check=True, capture_output=True, text=True).stdout
    ours = json.loads(out)["benchmarks"][0]["tokens/s"]
    print(f"{len(texts)} texts, {tokens} tokens, one thread")
    print(f"  edgebert (C++):                {ours / 1e6:6.2f} M tokens/s")
    for name, rate in results.items():
        print(f"  tokenizers (Rust) {name:16s} {rate / 1e6:6.2f} M tokens/s  -> ours x{ours / rate:.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
