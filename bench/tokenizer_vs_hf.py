#!/usr/bin/env python3
"""Tokenizer throughput, ours vs Hugging Face tokenizers (Rust), same texts, same machine, one
thread, per tokenizer family: WordPiece (the single-text uncased cases of
tests/fixtures/tokenizer/parity.jsonl, bert-base-uncased vocabulary), byte-level BPE (the
single texts of bpe-parity.jsonl without the prefix space, the 4,000-piece fixture tokenizer)
and SentencePiece Unigram (the single texts of unigram-parity.jsonl, the 4,000-piece XLM-R-style
fixture tokenizer).
Token counts (special tokens excluded) are printed for both sides: they must agree.

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
from transformers import BertTokenizerFast, RobertaTokenizerFast, XLMRobertaTokenizerFast  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tokenizer")


def texts_of(family):
    """The texts bench/bench_tokenizer.cc's fixture_texts takes, in the same order."""
    texts = []
    path = os.path.join(FIXTURES, {"wordpiece": "parity.jsonl", "bpe": "bpe-parity.jsonl",
                                   "unigram": "unigram-parity.jsonl"}[family])
    for line in open(path, encoding="utf-8"):
        c = json.loads(line)
        if "text_b" in c:
            continue
        repeat = c["max_seq"] in (16, 6)
        take = {"wordpiece": lambda: c["vocab"] == "uncased",
                "bpe": lambda: not c["prefix"] and not repeat,
                "unigram": lambda: not repeat}[family]()
        if take:
            texts.append(c["text"])
    return texts


def hf_rates(rust, texts):
    rust.no_truncation()
    rust.no_padding()
    results = {}
    for name, run in [("encode loop", lambda: [rust.encode(t, add_special_tokens=False) for t in texts]),
                      ("encode_batch", lambda: rust.encode_batch(texts, add_special_tokens=False))]:
        best = None
        for _ in range(5):
            start = time.perf_counter()
            encodings = run()
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        tokens = sum(len(e.ids) for e in encodings)
        results[name] = (tokens / best, tokens)
    return results


def main(ours_binary):
    out = subprocess.run([ours_binary, "--benchmark_format=json", "--benchmark_min_time=2"],
                         check=True, capture_output=True, text=True).stdout
    ours = {b["name"]: b for b in json.loads(out)["benchmarks"]}
    families = [
        ("WordPiece", "wordpiece", BertTokenizerFast(os.path.join(FIXTURES, "uncased-vocab.txt")),
         "BM_tokenize_fixture_texts"),
        ("byte-level BPE", "bpe", RobertaTokenizerFast.from_pretrained(os.path.join(FIXTURES, "bpe")),
         "BM_tokenize_fixture_texts_bpe"),
        ("SentencePiece Unigram", "unigram",
         XLMRobertaTokenizerFast.from_pretrained(os.path.join(FIXTURES, "unigram")),
         "BM_tokenize_fixture_texts_unigram"),
    ]
    for family, key, tok, bench in families:
        texts = texts_of(key)
        results = hf_rates(tok._tokenizer, texts)
        rate = ours[bench]["tokens/s"]
        tokens = results["encode_batch"][1]
        print(f"{family}: {len(texts)} texts, {tokens} tokens (HF), "
              f"{ours[bench]['tokens_per_pass']:.0f} (ours), one thread")
        print(f"  edgebert (C++):                {rate / 1e6:6.2f} M tokens/s")
        for name, (hf, _) in results.items():
            print(f"  tokenizers (Rust) {name:16s} {hf / 1e6:6.2f} M tokens/s  -> ours x{rate / hf:.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
