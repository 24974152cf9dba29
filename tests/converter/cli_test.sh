#!/usr/bin/env bash
# End-to-end CLI test: import the fixture, inspect it (text and --json), run the example classifier,
# and check that truncated and bit-flipped files are refused with an error (exit 1), not a crash.
# usage: cli_test.sh EDGEBERT_CONVERT EDGEBERT_CLASSIFY FIXTURES_DIR EDGEBERT_BENCH
# Cross builds set EB_EMULATOR (the toolchain's qemu wrapper command line) to run the binaries.
set -uo pipefail
convert=$1 classify=$2 fixtures=$3 bench=${4:-}
read -r -a emulator <<<"${EB_EMULATOR:-}"
eb_convert() { "${emulator[@]}" "$convert" "$@"; }
eb_classify() { "${emulator[@]}" "$classify" "$@"; }
eb_bench() { "${emulator[@]}" "$bench" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# Output of a command, captured whole: `cmd | grep -q` would fail under pipefail whenever grep
# exits at its first match while cmd is still writing (SIGPIPE).
run() { "$@" 2>&1 || echo "exit status $?"; }
expect_refused() {  # name, command...: must fail cleanly (exit 1..125, not a signal) with a message
  local name=$1; shift
  "$@" >"$work/out" 2>"$work/err"; local rc=$?
  { [ "$rc" -ge 1 ] && [ "$rc" -le 125 ]; } || fail "$name: exit code $rc, expected a clean failure"
  [ -s "$work/err" ] || fail "$name: nothing on stderr"
}

grep -q "import" <<<"$(run eb_convert --help)" || fail "--help does not list import"
grep -q -- "--hf" <<<"$(run eb_convert import --help)" || fail "import --help does not list --hf"

eb_convert import --hf "$fixtures/tiny_bert/classifier" -o "$work/model.ebm" >"$work/out" ||
  fail "import classifier"
grep -q "imported BertForSequenceClassification (41 tensors" "$work/out" || fail "import summary"
eb_convert import --hf "$fixtures/tiny_bert/sentence" -o "$work/sentence.ebm" >/dev/null ||
  fail "import sentence-transformers"

# A path that is not a regular file gets a plain sentence, not a failed allocation or read.
mkdir -p "$work/folder"
expect_refused "inspect a directory" eb_convert inspect "$work/folder/"
grep -q "folder/: is a directory, not a file" "$work/err" || fail "inspect a directory: $(cat "$work/err")"
expect_refused "quantize a device" eb_convert quantize /dev/null -o "$work/q.ebm"
grep -q "/dev/null: not a regular file" "$work/err" || fail "quantize /dev/null: $(cat "$work/err")"

eb_convert inspect "$work/model.ebm" >"$work/inspect.txt" || fail "inspect"
grep -q "task: classification \[negative, neutral, positive\]" "$work/inspect.txt" ||
  fail "inspect text lacks the task line"
eb_convert inspect --json "$work/model.ebm" >"$work/inspect.json" || fail "inspect --json"
grep -q '"status": "EB_OK"' "$work/inspect.json" || fail "inspect --json runtime_check"
grep -q '"hidden": 32' "$work/inspect.json" || fail "inspect --json config"
grep -q '"name": "classifier.weight"' "$work/inspect.json" || fail "inspect --json tensors"
mkdir -p "$work/pictures"
eb_convert inspect "$work/model.ebm" --svg "$work/pictures/model.svg" >"$work/inspect2.txt" ||
  fail "inspect --svg"
head -c 4 "$work/pictures/model.svg" | grep -q "<svg" || fail "inspect --svg wrote no SVG"
grep -q "memory plan" "$work/pictures/model.svg" || fail "inspect --svg lacks the memory plan"
cmp -s "$work/inspect.txt" "$work/inspect2.txt" || fail "inspect --svg changed the text report"

eb_classify "$work/model.ebm" --ids "2 40 41 70 12 3" "2 17 3" >"$work/classify.txt" ||
  fail "classify --ids"
[ "$(grep -c " ms$" "$work/classify.txt")" -eq 2 ] || fail "classify did not print two results"
eb_classify "$work/model.ebm" "The movie was great!" >"$work/text.txt" || fail "classify text"
grep -q " 7 tokens " "$work/text.txt" || fail "classify text: expected 7 tokens"
printf 'the plot\tit was fun\n' >"$work/pair.txt"
grep -q " 8 tokens " <<<"$(run eb_classify "$work/model.ebm" <"$work/pair.txt")" ||
  fail "classify a text pair from stdin"
echo "good film" >"$work/line.txt"
grep -q "embedding\[32\]" <<<"$(run eb_classify "$work/sentence.ebm" <"$work/line.txt")" ||
  fail "classify on stdin with an embedding model"
eb_convert tokenize "$work/model.ebm" "The movie, GREAT." >"$work/tokens.txt" || fail "tokenize"
grep -qE "^ *3 +80 +, +9 +10 +0 +0" "$work/tokens.txt" || fail "tokenize: comma token"
grep -q '"type_ids":\[0,0,0,1,1\]' <<<"$(run eb_convert tokenize --json "$work/model.ebm" "a" --pair "b")" ||
  fail "tokenize --json --pair"

printf 'the film was good\nthe films were bad\n' >"$work/corpus.txt"
eb_convert vocab --corpus "$work/corpus.txt" --size 40 -o "$work/vocab.txt" -q >"$work/out" ||
  fail "vocab"
[ "$(head -1 "$work/vocab.txt")" = "[PAD]" ] || fail "vocab: [PAD] first"
grep -qx "the" "$work/vocab.txt" || fail "vocab: frequent word 'the' not learned"
expect_refused "vocab without room" eb_convert vocab --corpus "$work/corpus.txt" --size 3 -o "$work/v.txt"

eb_convert pack "$work/model.ebm" --max-seq 16 -o "$work/short.ebm" >/dev/null || fail "pack --max-seq"
grep -q '"max_seq": 16' <<<"$(run eb_convert inspect --json "$work/short.ebm")" || fail "pack: max_seq 16"
eb_convert pack "$work/model.ebm" --c-array --name my_model -o "$work/m.c" >/dev/null ||
  fail "pack --c-array"
grep -q "const unsigned char my_model\[" "$work/m.c" || fail "pack --c-array: array"
grep -q "#define MY_MODEL_ARENA_BYTES" "$work/m.h" || fail "pack --c-array: arena define"
expect_refused "pack bad name" eb_convert pack "$work/model.ebm" --c-array --name 9x -o "$work/x.c"
expect_refused "pack too long" eb_convert pack "$work/model.ebm" --max-seq 999 -o "$work/x.ebm"

eb_convert quantize "$work/model.ebm" -o "$work/int8.ebm" >"$work/out" || fail "quantize"
grep -q "quantized 14 dense weights (8-bit) and 2 embedding tables (int8)" "$work/out" || fail "quantize summary"
eb_convert quantize "$work/model.ebm" --weight-bits 4 --group-size 16 -o "$work/int4.ebm" \
  >"$work/out" || fail "quantize --weight-bits 4"
grep -q "quantized 14 dense weights (4-bit, groups of 16) and 2 embedding tables (int8)" "$work/out" ||
  fail "quantize 4-bit summary"
eb_convert quantize "$work/model.ebm" --weight-bits 4 --embedding-bits 4 -o "$work/int4e.ebm" \
  >"$work/out" || fail "quantize --embedding-bits 4"
grep -q "2 embedding tables (4-bit, groups of 32)" "$work/out" || fail "quantize 4-bit tables summary"
grep -qE "embeddings.word_embeddings.weight +int4 g32" <<<"$(run eb_convert inspect "$work/int4e.ebm")" ||
  fail "inspect: 4-bit word table"
out=$(run eb_convert inspect "$work/int4.ebm")
grep -qE "encoder.layer.0.intermediate.dense.weight +int4 g16" <<<"$out" || fail "inspect: int4 g16"
grep -q "schema version 6" <<<"$out" || fail "inspect: 4-bit files are schema 6"
grep -q "W4A8 dynamic: per-channel symmetric 4-bit weights with integer multipliers per group of 16" \
  <<<"$out" || fail "inspect: 4-bit provenance"
grep -q '"group_size": 16' <<<"$(run eb_convert inspect --json "$work/int4.ebm")" || fail "inspect --json: group_size"
grep -q '"accuracy"' <<<"$(run eb_convert eval --json -q "$work/int4.ebm" --data "$fixtures/sst2_dev_sample.tsv" --limit 5)" ||
  fail "eval of a 4-bit model"
expect_refused "--group-size without 4 bits" eb_convert quantize "$work/model.ebm" --group-size 16 -o "$work/x.ebm"
grep -q "4-bit weights only" "$work/err" || fail "--group-size without 4 bits: message"
expect_refused "--group-size 24" eb_convert quantize "$work/model.ebm" --weight-bits 4 --group-size 24 -o "$work/x.ebm"
eb_convert eval "$work/model.ebm" --data "$fixtures/sst2_dev_sample.tsv" --compare "$work/int8.ebm" \
  -q --limit 50 >"$work/eval.txt" || fail "eval --compare"
grep -qE "argmax agreement 1\.0000 \(50/50\)|argmax agreement 0\.9[0-9]+" "$work/eval.txt" ||
  fail "eval: fp32/int8 agreement line"
grep -q '"accuracy"' <<<"$(run eb_convert eval --json -q "$work/int8.ebm" --data "$fixtures/sst2_dev_sample.tsv" --limit 5)" ||
  fail "eval --json"
printf 'label\tsentence\n1\tok\nbad line without a tab\n' >"$work/bad.tsv"
expect_refused "eval bad line" eb_convert eval -q "$work/model.ebm" --data "$work/bad.tsv"
grep -q "bad.tsv:3" "$work/err" || fail "eval bad line: message names file:line"
if [ -n "$bench" ]; then
  grep -q -E "reference|avx2|avx512vnni|neon|dotprod|i8mm" <<<"$(run eb_bench "$work/int8.ebm" --seq 8 --runs 2 --warmup 0)" ||
    fail "edgebert-bench names the kernel set"
  per_op=$(run eb_bench "$work/int8.ebm" --seq 8 --runs 2 --warmup 0 --per-op --json)
  for op in embeddings qkv attention intermediate output_norm classifier; do
    grep -q "\"op\": \"$op\"" <<<"$per_op" || fail "edgebert-bench --per-op lacks $op: $per_op"
  done
else
  echo "note: edgebert-bench not built (EDGEBERT_BUILD_BENCHMARKS=OFF), its check is not run"
fi

size=$(stat -c %s "$work/model.ebm")
head -c $((size / 2)) "$work/model.ebm" >"$work/truncated.ebm"
expect_refused "inspect truncated" eb_convert inspect "$work/truncated.ebm"
expect_refused "classify truncated" eb_classify "$work/truncated.ebm" --ids "2 3"
cp "$work/model.ebm" "$work/flipped.ebm"
# Flip one bit of the root table offset (byte 1 of the first uint32): the file no longer verifies.
byte=$(od -An -tu1 -j1 -N1 "$work/model.ebm" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 0x40)))" |
  dd of="$work/flipped.ebm" bs=1 seek=1 conv=notrunc status=none
cmp -s "$work/model.ebm" "$work/flipped.ebm" && fail "bit flip did not change the file"
expect_refused "inspect bit-flipped" eb_convert inspect "$work/flipped.ebm"
expect_refused "classify bit-flipped" eb_classify "$work/flipped.ebm" --ids "2 3"
expect_refused "import missing dir" eb_convert import --hf "$work/nope" -o "$work/x.ebm"
expect_refused "classify bad id" eb_classify "$work/model.ebm" --ids "2 999 3"

# `run` serves every task: each task fixture imported, then one call per task, text and --json.
for task in qa tagger mlm reranker; do
  eb_convert import --hf "$fixtures/tasks/$task" -o "$work/$task.ebm" >/dev/null || fail "import $task"
done
grep -q "task: question_answering" <<<"$(run eb_convert inspect "$work/qa.ebm")" || fail "inspect qa task"
grep -q "task: classification (regression)" <<<"$(run eb_convert inspect "$work/reranker.ebm")" ||
  fail "inspect reranker problem type"
out=$(run eb_convert run "$work/qa.ebm" "who wrote it?" --context "The film was written by a man." --top-k 2 --json)
grep -q '"task":"question_answering"' <<<"$out" || fail "run qa: $out"
[ "$(grep -o '"answer":' <<<"$out" | wc -l)" -eq 2 ] || fail "run qa top 2: $out"
out=$(run eb_convert run "$work/tagger.ebm" "John Smith went to New York" --aggregation first --json)
grep -q '"aggregation":"first"' <<<"$out" || fail "run tagger: $out"
out=$(run eb_convert run "$work/mlm.ebm" "the movie was [MASK] good" --top-k 3)
grep -q "^mask 0:" <<<"$out" || fail "run fill-mask: $out"
out=$(printf 'best film?' | "${emulator[@]}" "$convert" run "$work/reranker.ebm" --stdin --passage "a good film" --passage "a bad one" --json 2>&1)
[ "$(grep -o '"logit":' <<<"$out" | wc -l)" -eq 2 ] || fail "run scores: $out"
expect_refused "run qa without context" eb_convert run "$work/qa.ebm" "who?"
grep -q "needs --context" "$work/err" || fail "run qa without context: $(cat "$work/err")"
expect_refused "run fill-mask without a mask" eb_convert run "$work/mlm.ebm" "no mask"
grep -q "no mask token (\[MASK\])" "$work/err" || fail "run fill-mask without a mask: $(cat "$work/err")"
long=$(printf 'the movie was good and the plot was fun %.0s' $(seq 20))
out=$(run eb_convert run "$work/model.ebm" "$long" --stride 8 --max-seq 16 --json)
grep -q '"windows":' <<<"$out" || fail "run classify --stride: $out"
expect_refused "run tagger with --context" eb_convert run "$work/tagger.ebm" "x" --context "y"

# explain: text report, JSON maps (layers x heads x S x S), the picture; wrong heads named.
out=$(run eb_convert explain "$work/model.ebm" "the movie was great" --pair "it was fun" --head 3)
grep -q "layer 1 of 2, head 3 of 4" <<<"$out" || fail "explain: $out"
out=$(run eb_convert explain --json "$work/model.ebm" "the movie")
grep -q '"attentions":\[\[\[\[' <<<"$out" || fail "explain --json maps: $out"
grep -q '"tokens":\["\[CLS\]","the","movie","\[SEP\]"\]' <<<"$out" || fail "explain --json tokens: $out"
eb_convert explain "$work/qa.ebm" "who wrote it?" --pair "The film was written by a man." \
  --svg "$work/pictures/attention.svg" --layer 0 >/dev/null 2>&1 || fail "explain --svg"
grep -q "Layer 0, head 0" "$work/pictures/attention.svg" || fail "explain --svg lacks the head view"
expect_refused "explain a missing layer" eb_convert explain "$work/model.ebm" "x" --layer 7
grep -q -- "--layer 7: the model has 2 layers" "$work/err" || fail "explain --layer 7: $(cat "$work/err")"
expect_refused "explain a tagger with a pair" eb_convert explain "$work/tagger.ebm" "x" --pair "y"

if [ "$failures" -ne 0 ]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
