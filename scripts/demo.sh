#!/usr/bin/env bash
# README command (a): set up, build, and run the main job on the data bundled in data/:
# learn a WordPiece vocabulary, pretrain a small BERT from scratch (masked LM + next sentence
# prediction) on a Jane Austen novel, fine-tune it on an 8,000-phrase SST-2 subset (dev accuracy
# on the full SST-2 dev set), quantize it to int8, compare fp32 and int8 (accuracy, agreement,
# logit error, latency), classify text on the device and time it with edgebert-bench.
# No Python anywhere. About 5 minutes of training on 2 cores (EDGEBERT_DEMO_STEPS scales it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
bin="$root/build"
out="$root/build/demo"
mkdir -p "$out"
convert="$bin/converter/edgebert-convert"
data="$root/data"
pretrain_steps=${EDGEBERT_DEMO_STEPS:-1200}

echo
echo "== vocab: WordPiece vocabulary (6,000 pieces) from the bundled texts"
tail -n +2 "$data/sst2_train_8k.tsv" | cut -f2 >"$out/sst2_text.txt"
"$convert" vocab --corpus "$data/austen_pride_and_prejudice.txt" "$out/sst2_text.txt" \
  --size 6000 -o "$out/vocab.txt" -q
echo
echo "== pretrain: 2 layers, hidden 128, masked LM + next sentence prediction, $pretrain_steps steps"
"$convert" pretrain --corpus "$data/austen_pride_and_prejudice.txt" --vocab "$out/vocab.txt" \
  -o "$out/pretrained.ebm" --layers 2 --hidden 128 --heads 2 --intermediate 512 --max-seq 64 \
  --batch 32 --steps "$pretrain_steps" --eval-every 400 --lr 1e-3
echo
echo "== finetune: sentiment classifier on 8,000 SST-2 phrases, keep the best on SST-2 dev"
"$convert" finetune --init "$out/pretrained.ebm" --train "$data/sst2_train_8k.tsv" \
  --dev "$data/sst2_dev.tsv" -o "$out/sst2_fp32.ebm" --epochs 3 --lr 1e-3 --batch 32 \
  --max-seq 64 --eval-every 250 --label-names negative,positive
echo "(training curves: $out/pretrained.log.svg, $out/sst2_fp32.log.svg)"
echo
echo "== quantize: int8 weights (per channel), int8 embeddings, per-token int8 activations"
"$convert" quantize "$out/sst2_fp32.ebm" -o "$out/sst2_int8.ebm"
echo
echo "== inspect (int8 model; per-layer tensors elided), and its picture (graph + memory plan)"
"$convert" inspect "$out/sst2_int8.ebm" --svg "$out/sst2_int8.svg" |
  grep -v "^  encoder\.layer\." | grep -v "^  [A-Z][a-zA-Z]* *offset"
echo
echo "== explain: what the int8 classifier attends to (every head's map, read from the runtime)"
"$convert" explain "$out/sst2_int8.ebm" "the acting is wonderful and the story is moving ." \
  --svg "$out/sst2_attention.svg"
echo "(pictures: $out/sst2_int8.svg, $out/sst2_attention.svg and the training curves above;"
echo " open them in a browser)"
echo
echo "== tokenize on the device (byte offsets into the text)"
"$convert" tokenize "$out/sst2_int8.ebm" "The movie was GREAT!"
echo
echo "== classify text with the int8 model (tokenization included in the latency)"
"$bin/platforms/edgebert-classify" "$out/sst2_int8.ebm" \
  "a gorgeous , witty , seductive movie ." \
  "the plot is dull and the acting is worse ." \
  "an exhilarating and moving film"
echo
echo "== fp32 vs int8 on the SST-2 dev set (872 sentences)"
"$convert" eval "$out/sst2_fp32.ebm" --compare "$out/sst2_int8.ebm" --data "$data/sst2_dev.tsv" -q
echo
echo "== latency (edgebert-bench, random token ids; fp32: scalar reference vs XNNPACK; int8: our"
echo "   kernels on 1 and 2 threads)"
"$bin/bench/edgebert-bench" "$out/sst2_fp32.ebm" --seq 16,64 --runs 30 --provider native,xnnpack
"$bin/bench/edgebert-bench" "$out/sst2_int8.ebm" --seq 16,64 --runs 30 --threads 1,2
