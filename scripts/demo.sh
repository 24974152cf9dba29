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
echo "== tokenize on the device (byte offsets into the text)"
"$bin/converter/edgebert-convert" tokenize "$out/tiny_classifier.ebm" "The movie was GREAT!"
echo
echo "== classify text (tokenization included in the latency)"
echo "   The bundled fixture has random weights, so its labels mean nothing yet; the pipeline is real."
"$bin/platforms/edgebert-classify" "$out/tiny_classifier.ebm" \
  "the movie was great" \
  "The plot was dull and boring." \
  "$(printf 'it is very fun\tthe story was good')"
