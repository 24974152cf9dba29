#!/usr/bin/env bash
# README command (a): set up, build, and run the main job on the bundled default model:
# import the Hugging Face fixture checkpoint, quantize it to int8, inspect it, tokenize and
# classify text on the device, compare fp32 and int8 (accuracy, agreement, logit error, latency)
# on a bundled SST-2 sample, and time both with edgebert-bench.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
bin="$root/build"
out="$root/build/demo"
mkdir -p "$out"
convert="$bin/converter/edgebert-convert"

echo
echo "== import: Hugging Face BertForSequenceClassification -> edgebert model (fp32)"
"$convert" import --hf "$root/tests/fixtures/tiny_bert/classifier" -o "$out/tiny_fp32.ebm"
echo
echo "== quantize: int8 weights (per channel), int8 embeddings, per-token int8 activations"
"$convert" quantize "$out/tiny_fp32.ebm" -o "$out/tiny_int8.ebm"
echo
echo "== inspect (int8 model; per-layer tensors elided)"
"$convert" inspect "$out/tiny_int8.ebm" | grep -v "^  encoder\.layer\." | grep -v "^  [A-Z][a-zA-Z]* *offset"
echo
echo "== tokenize on the device (byte offsets into the text)"
"$convert" tokenize "$out/tiny_int8.ebm" "The movie was GREAT!"
echo
echo "The bundled fixture has random weights, so its labels and accuracy mean nothing yet (the"
echo "trainer issue makes a real SST-2 model); agreement, logit error and latency are real."
echo
echo "== classify text with the int8 model (tokenization included in the latency)"
"$bin/platforms/edgebert-classify" "$out/tiny_int8.ebm" \
  "the movie was great" \
  "The plot was dull and boring." \
  "$(printf 'it is very fun\tthe story was good')"
echo
echo "== fp32 vs int8 on 200 SST-2 dev sentences"
"$convert" eval "$out/tiny_fp32.ebm" --compare "$out/tiny_int8.ebm" \
  --data "$root/tests/fixtures/sst2_dev_sample.tsv" -q
echo
echo "== latency (edgebert-bench, random token ids, one thread)"
"$bin/bench/edgebert-bench" "$out/tiny_fp32.ebm" --seq 16,64 --runs 30
"$bin/bench/edgebert-bench" "$out/tiny_int8.ebm" --seq 16,64 --runs 30
