#!/usr/bin/env python3
"""Training throughput: edgebert's C++ trainer vs PyTorch, same shape, batch, sequence length and
thread count, one run (the ratio is what counts on a shared machine).

Both run full BertForPreTraining steps (MLM + NSP loss, backward, clip_grad_norm_ 1.0, AdamW) on
a random batch of B x T tokens with 15% masked, dropout 0.1, fp32, after warm-up steps; the figure
is the median step. PyTorch must be the package index's build (MKL / oneDNN): Debian's has no fast
BLAS and is no fair anchor.

  python3 -m venv .venv-torch && .venv-torch/bin/pip install torch numpy
  .venv-torch/bin/python bench/train_vs_torch.py --build build [--threads 1,2] [--steps 10]
"""
import argparse
import json
import statistics
import subprocess
import time

import torch
from transformers import BertConfig, BertForPreTraining


def torch_step_ms(args, threads, masked_only):
    """masked_only: the MLM head on the masked positions only, as edgebert computes it (Hugging
    Face's BertForPreTraining runs the vocabulary-sized decoder on every position)."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=args.vocab, hidden_size=args.hidden,
                        num_hidden_layers=args.layers, num_attention_heads=args.heads,
                        intermediate_size=args.intermediate, max_position_embeddings=512)
    model = BertForPreTraining(config)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    B, T = args.batch, args.seq
    ids = torch.randint(5, args.vocab, (B, T))
    types = torch.zeros(B, T, dtype=torch.long)
    types[:, T // 2:] = 1
    labels = torch.where(torch.rand(B, T) < 0.15, ids, torch.full_like(ids, -100))
    labels[:, 0] = -100
    nsp = torch.randint(0, 2, (B,))
    times = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        if masked_only:
            seq_out, pooled = model.bert(input_ids=ids, token_type_ids=types)[:2]
            chosen = labels != -100
            mlm = torch.nn.functional.cross_entropy(model.cls.predictions(seq_out[chosen]),
                                                    labels[chosen])
            nsp_loss = torch.nn.functional.cross_entropy(model.cls.seq_relationship(pooled), nsp)
            loss = mlm + nsp_loss
        else:
            loss = model(input_ids=ids, token_type_ids=types, labels=labels,
                         next_sentence_label=nsp).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=1024)
    p.add_argument("--vocab", type=int, default=30522)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--gemm", default="", help="force our trainer GEMM build (avx512, avx2, sse2)")
    args = p.parse_args()
    print(f"torch {torch.__version__} ({torch.__config__.parallel_info().splitlines()[0]}), "
          f"MKL {torch.backends.mkl.is_available()}, oneDNN {torch.backends.mkldnn.is_available()}")
    print(f"shape: {args.layers} layers, hidden {args.hidden}, heads {args.heads}, intermediate "
          f"{args.intermediate}, vocab {args.vocab}; batch {args.batch} x seq {args.seq}")
    for threads in [int(t) for t in args.threads.split(",")]:
        ours = json.loads(subprocess.check_output(
            [f"{args.build}/bench/edgebert-train-bench", "--json", "--threads", str(threads),
             "--layers", str(args.layers), "--hidden", str(args.hidden), "--heads", str(args.heads),
             "--intermediate", str(args.intermediate), "--vocab", str(args.vocab),
             "--seq", str(args.seq), "--batch", str(args.batch), "--steps", str(args.steps),
             "--warmup", str(args.warmup)] + (["--gemm", args.gemm] if args.gemm else [])))
        hf = torch_step_ms(args, threads, masked_only=False)
        masked = torch_step_ms(args, threads, masked_only=True)
        tokens = args.batch * args.seq
        print(f"threads {threads}: edgebert {ours['ms_per_step']:.0f} ms/step "
              f"({ours['tokens_per_s']:.0f} tok/s, gemm {ours['gemm']}); PyTorch "
              f"BertForPreTraining {hf:.0f} ms/step ({tokens / hf * 1000:.0f} tok/s), "
              f"masked-only MLM head {masked:.0f} ms/step ({tokens / masked * 1000:.0f} tok/s); "
              f"edgebert / PyTorch throughput {hf / ours['ms_per_step']:.2f}x and "
              f"{masked / ours['ms_per_step']:.2f}x")


if __name__ == "__main__":
    main()
