#!/usr/bin/env bash
# README command (a): set up, build, and run the main job on the bundled default model:
# import the Hugging Face fixture checkpoint, inspect it, classify a few inputs with latency.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
bin="$root/build"
out="$root/build/demo"
mkdir -p "$out"

echo
echo "== import: Hugging Face BertForSequenceClassification -> edgebert model"
"$bin/converter/edgebert-convert" import --hf "$root/tests/fixtures/tiny_bert/classifier" \
  -o "$out/tiny_classifier.ebm"
echo
echo "== inspect"
"$bin/converter/edgebert-convert" inspect "$out/tiny_classifier.ebm" |
  grep -v "^  encoder\.layer\."  # per-layer tensors elided
echo
echo "== classify (token ids; the on-device tokenizer arrives with issue #3)"
echo "   The bundled fixture has random weights, so its labels mean nothing yet; the pipeline is real."
# [CLS] the movie was great [SEP] / [CLS] the plot was dull and boring [SEP] / a sentence pair
"$bin/platforms/edgebert-classify" "$out/tiny_classifier.ebm" \
  "2 57 58 61 64 3" \
  "2 57 73 61 75 68 65 3" \
  "2 70 60 67 74 3 57 71 61 62 3"
