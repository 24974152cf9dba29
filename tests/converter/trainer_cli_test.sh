#!/usr/bin/env bash
# End-to-end trainer CLI: vocab -> pretrain -> finetune --init (our .ebm) -> eval, finetune from a
# Hugging Face folder, --stop-after + --resume, Ctrl-C saves a checkpoint, bad data names
# file:line, outputs (model, checkpoint, CSV, SVG) exist and load.
# usage: trainer_cli_test.sh EDGEBERT_CONVERT FIXTURES_DIR   (EB_EMULATOR for cross builds)
set -uo pipefail
convert=$1 fixtures=$2
read -r -a emulator <<<"${EB_EMULATOR:-}"
# One thread: the test must not depend on how busy the machine's cores are.
eb_convert() { "${emulator[@]}" "$convert" "$@"; }
export OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() { "$@" 2>&1 || echo "exit status $?"; }

for cmd in pretrain finetune; do
  grep -q -- "--resume" <<<"$(run eb_convert $cmd --help)" || fail "$cmd --help lacks --resume"
done

# vocab + pretrain from scratch on a small text
eb_convert vocab --corpus "$fixtures/corpus_sample.txt" --size 600 -o "$work/vocab.txt" -q \
  >/dev/null || fail "vocab"
out=$(run eb_convert pretrain --corpus "$fixtures/corpus_sample.txt" --vocab "$work/vocab.txt" \
  -o "$work/pre/encoder.ebm" --layers 1 --hidden 32 --heads 2 --intermediate 64 --max-seq 48 \
  --batch 8 --steps 12 --eval-every 6 --eval-batches 2 --holdout-every 10 --json -q)
grep -q '"mlm_accuracy"' <<<"$out" || fail "pretrain report: $out"
for f in encoder.ebm encoder.ebm.ckpt encoder.log.csv encoder.log.svg; do
  [ -s "$work/pre/$f" ] || fail "pretrain did not write $f"
done
grep -q "task: encoder" <<<"$(run eb_convert inspect "$work/pre/encoder.ebm")" ||
  fail "pretrained model is not an encoder"
[ "$(grep -c . "$work/pre/encoder.log.csv")" -ge 3 ] || fail "pretrain log has too few rows"
grep -q "<svg" "$work/pre/encoder.log.svg" || fail "pretrain SVG"

# finetune from our pretrained encoder, with dev evaluation; eval the output with the runtime
data="$fixtures/sst2_dev_sample.tsv"
out=$(run eb_convert finetune --init "$work/pre/encoder.ebm" --train "$data" --dev "$data" \
  -o "$work/ft/model.ebm" --steps 10 --batch 16 --eval-every 5 --json -q)
grep -q '"best_dev_accuracy"' <<<"$out" || fail "finetune report: $out"
eval_out=$(run eb_convert eval "$work/ft/model.ebm" --data "$data" -q)
grep -q "accuracy" <<<"$eval_out" || fail "eval of the fine-tuned model: $eval_out"
grep -q "task: classification \[0, 1\]" <<<"$(run eb_convert inspect "$work/ft/model.ebm")" ||
  fail "label names not kept"
eb_convert finetune --init "$work/pre/encoder.ebm" --train "$data" -o "$work/ft/named.ebm" \
  --steps 2 --batch 16 --label-names negative,positive -q >/dev/null || fail "--label-names"
grep -q "task: classification \[negative, positive\]" \
  <<<"$(run eb_convert inspect "$work/ft/named.ebm")" || fail "--label-names not stored"
grep -q "3 names for the 2 labels" <<<"$(run eb_convert finetune --init "$work/pre/encoder.ebm" \
  --train "$data" -o "$work/ft/x.ebm" --steps 1 --label-names a,b,c)" || fail "--label-names count"

# finetune from a Hugging Face folder; stop at step 4, resume to the end
hf="$fixtures/tiny_bert/base"
out=$(run eb_convert finetune --init "$hf" --train "$data" -o "$work/hf/model.ebm" --steps 8 \
  --batch 16 --stop-after 4 -q)
grep -q "stopped at step 4 of 8; resume with --resume" <<<"$out" || fail "stop-after: $out"
[ -e "$work/hf/model.ebm" ] && fail "a stopped run without dev data must not write the model yet"
out=$(run eb_convert finetune --init "$hf" --train "$data" -o "$work/hf/model.ebm" --steps 8 \
  --batch 16 --resume "$work/hf/model.ebm.ckpt" -q)
grep -q "fine-tuned 8 steps" <<<"$out" || fail "resume: $out"
[ -s "$work/hf/model.ebm" ] || fail "resumed run wrote no model"
out=$(run eb_convert finetune --init "$hf" --train "$data" -o "$work/hf/model.ebm" --steps 9 \
  --batch 16 --resume "$work/hf/model.ebm.ckpt" -q)
grep -q "other --steps" <<<"$out" || fail "resume with other settings must be refused: $out"

# finetune from another task's checkpoint (question answering): its encoder, a fresh classifier
out=$(run eb_convert finetune --init "$fixtures/tasks/qa" --train "$data" -o "$work/hf/from_qa.ebm" \
  --steps 2 --batch 8 -q)
grep -q "fine-tuned 2 steps" <<<"$out" || fail "finetune from a QA checkpoint: $out"
out=$(run eb_convert inspect "$work/hf/from_qa.ebm")
grep -q "task: classification" <<<"$out" || fail "finetuned QA checkpoint is not a classifier: $out"
grep -q "qa_outputs" <<<"$out" && fail "the QA head must not stay in a classifier: $out"

# Ctrl-C: a checkpoint is written and the run can be resumed
# (the binary itself in the background, not a shell function: the signal must reach it)
"${emulator[@]}" "$convert" finetune --init "$hf" --train "$data" -o "$work/int/model.ebm" \
  --steps 100000 --batch 4 --checkpoint-every 3 >"$work/int.out" 2>"$work/int.err" &
pid=$!
# the first checkpoint means the loop (and its SIGINT handler) is running
for _ in $(seq 1 1200); do [ -s "$work/int/model.ebm.ckpt" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || fail "Ctrl-C: exit code $rc"
grep -q "interrupted at step" "$work/int.err" || fail "Ctrl-C message: $(cat "$work/int.err")"
[ -s "$work/int/model.ebm.ckpt" ] || fail "Ctrl-C wrote no checkpoint"

# bad data: file:line, nothing written
printf 'label\tsentence\n1\tfine\nnot a line without tabs\n' >"$work/bad.tsv"
out=$(run eb_convert finetune --init "$hf" --train "$work/bad.tsv" -o "$work/bad/model.ebm")
grep -q "bad.tsv:3" <<<"$out" || fail "bad data line not named: $out"
[ -e "$work/bad/model.ebm" ] && fail "a model was written from bad data"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "trainer CLI: all checks passed"
