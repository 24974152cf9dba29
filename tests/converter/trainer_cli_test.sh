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

for cmd in pretrain finetune distill; do
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

# BERT's packed segments and whole-word masking
out=$(run eb_convert pretrain --corpus "$fixtures/corpus_sample.txt" --vocab "$work/vocab.txt" \
  -o "$work/pre/packed.ebm" --layers 1 --hidden 32 --heads 2 --intermediate 64 --max-seq 48 \
  --batch 8 --steps 4 --eval-every 2 --eval-batches 2 --holdout-every 10 --pack-sentences \
  --whole-word-mask --json -q)
grep -q '"pack_sentences": true' <<<"$out" || fail "pretrain --pack-sentences: $out"
grep -q '"whole_word_mask": true' <<<"$out" || fail "pretrain --whole-word-mask: $out"

# finetune from our pretrained encoder, with dev evaluation; eval the output with the runtime
data="$fixtures/sst2_dev_sample.tsv"
out=$(run eb_convert finetune --init "$work/pre/encoder.ebm" --train "$data" --dev "$data" \
  -o "$work/ft/model.ebm" --steps 10 --batch 16 --eval-every 5 --json -q)
grep -q '"best_dev_accuracy"' <<<"$out" || fail "finetune report: $out"
eval_out=$(run eb_convert eval "$work/ft/model.ebm" --data "$data" -q)
grep -q "accuracy" <<<"$eval_out" || fail "eval of the fine-tuned model: $eval_out"
grep -q "task: classification \[0, 1\]" <<<"$(run eb_convert inspect "$work/ft/model.ebm")" ||
  fail "label names not kept"
# --qat --qat-per-tensor: static int8 for XNNPACK; the reported dev accuracy is what `quantize
# --per-tensor --calib` of the output scores on XNNPACK (to a rounding tie: within 2 texts).
static=(--init "$work/ft/model.ebm" --train "$data" --dev "$data" --steps 4 --batch 16
  --eval-every 2 --qat --qat-per-tensor --qat-calib-samples 64 --json -q)
out=$(run eb_convert finetune "${static[@]}" -o "$work/ft/static.ebm")
grep -q '"qat_per_tensor": true' <<<"$out" || fail "finetune --qat-per-tensor report: $out"
reported=$(grep -o '"best_dev_accuracy": [0-9.e-]*' <<<"$out" | grep -o '[0-9.e-]*$')
eb_convert quantize "$work/ft/static.ebm" --per-tensor --calib "$data" --calib-samples 64 \
  -o "$work/ft/static8.ebm" >/dev/null 2>&1 || fail "quantize --per-tensor of the QAT output"
measured=$(run eb_convert eval "$work/ft/static8.ebm" --data "$data" --provider xnnpack --json -q |
  grep -o '"accuracy": [0-9.e-]*' | head -1 | grep -o '[0-9.e-]*$')
examples=$(($(wc -l <"$data") - 1))
awk -v a="$reported" -v b="$measured" -v n="$examples" 'BEGIN { d = a - b; if (d < 0) d = -d;
  exit !(a != "" && b != "" && d * n <= 2.01) }' ||
  fail "--qat-per-tensor: reported dev $reported, XNNPACK static int8 of the output $measured"
# Exact resume: the checkpoint carries the calibrated ranges.
run eb_convert finetune "${static[@]}" -o "$work/ft/static_resumed.ebm" --stop-after 3 \
  >/dev/null || fail "--qat-per-tensor --stop-after"
run eb_convert finetune "${static[@]}" -o "$work/ft/static_resumed.ebm" \
  --resume "$work/ft/static_resumed.ebm.ckpt" >/dev/null || fail "--qat-per-tensor --resume"
cmp -s "$work/ft/static.ebm" "$work/ft/static_resumed.ebm" ||
  fail "--qat-per-tensor: the resumed run's model differs from the uninterrupted one's"
grep -q "static int8 needs 8- or 7-bit" <<<"$(run eb_convert finetune "${static[@]}" \
  -o "$work/ft/never.ebm" --qat-weight-bits 4 2>&1)" || fail "--qat-per-tensor with 4 bits"
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
grep -q "fine-tuned classification: 8 steps" <<<"$out" || fail "resume: $out"
[ -s "$work/hf/model.ebm" ] || fail "resumed run wrote no model"
out=$(run eb_convert finetune --init "$hf" --train "$data" -o "$work/hf/model.ebm" --steps 9 \
  --batch 16 --resume "$work/hf/model.ebm.ckpt" -q)
grep -q "other --steps" <<<"$out" || fail "resume with other settings must be refused: $out"

# distill: the fine-tuned classifier above as the teacher. A 1-layer student of its widths starts
# as the teacher truncated; the teacher's logits are cached and read back by a second run; an
# unlabeled file adds texts; a narrower one starts as the teacher pruned, a wider one at random;
# --alpha 0 (soft labels only) makes the
# student agree with the teacher.
teacher="$work/hf/model.ebm"
out=$(run eb_convert distill --teacher "$teacher" --layers 1 --hidden 32 --heads 4 \
  --intermediate 48 --train "$data" --dev "$data" -o "$work/kd/student.ebm" --steps 6 --batch 16 \
  --eval-every 3 --json -q)
grep -q '"from": "teacher"' <<<"$out" || fail "distill: student not initialised from the teacher: $out"
grep -q '"teacher_cache_hit": false' <<<"$out" || fail "distill: first run hit a cache: $out"
grep -q '"best_dev_accuracy"' <<<"$out" || fail "distill report: $out"
[ -s "$work/kd/student.ebm.teacher" ] || fail "distill: no teacher cache written"
grep -q "layers 1" <<<"$(run eb_convert inspect "$work/kd/student.ebm")" ||
  fail "distilled student: $(run eb_convert inspect "$work/kd/student.ebm")"
out=$(run eb_convert distill --teacher "$teacher" --layers 1 --hidden 32 --heads 4 \
  --intermediate 48 --train "$data" --dev "$data" -o "$work/kd/student.ebm" --steps 2 --json -q)
grep -q '"teacher_cache_hit": true' <<<"$out" || fail "distill: second run missed the cache: $out"
out=$(run eb_convert distill --teacher "$teacher" --layers 1 --hidden 32 --heads 4 \
  --intermediate 48 --train "$data" --dev "$data" -o "$work/kd/qat.ebm" --steps 2 --qat \
  --qat-weight-bits 7 --json -q)
grep -q '"qat": true' <<<"$out" && grep -q '"qat_weight_bits": 7' <<<"$out" ||
  fail "distill --qat --qat-weight-bits 7 report: $out"
cut -f2 "$data" | tail -n +2 | head -40 >"$work/kd/unlabeled.txt"
out=$(run eb_convert distill --teacher "$teacher" --layers 1 --hidden 16 \
  --intermediate 32 --train "$data" --unlabeled "$work/kd/unlabeled.txt" -o "$work/kd/new.ebm" \
  --steps 2 --json -q)
grep -q '"unlabeled_examples": 40' <<<"$out" || fail "distill --unlabeled: $out"
grep -q '"from": "teacher"' <<<"$out" && grep -q '"pruned"' <<<"$out" ||
  fail "distill: a narrower student must start as the teacher pruned: $out"
grep -q "heads 2 x 8" <<<"$(run eb_convert inspect "$work/kd/new.ebm")" ||
  fail "distill: default --heads must keep the teacher's head size (4 x 8 -> 2 x 8)"
out=$(run eb_convert distill --teacher "$teacher" --prune-from "$work/kd/new.ebm" --layers 1 \
  --hidden 8 --heads 1 --intermediate 16 --train "$data" -o "$work/kd/steps.ebm" --steps 1 --json -q)
grep -q "\"from\": \"$work/kd/new.ebm\"" <<<"$out" && grep -q '"pruned"' <<<"$out" ||
  fail "distill --prune-from: $out"
out=$(run eb_convert distill --teacher "$teacher" --layers 1 --hidden 32 --heads 4 \
  --intermediate 48 --from-layers 1 --train "$data" -o "$work/kd/top.ebm" --steps 1 --json -q)
grep -q '"teacher_layers":\[1\]' <<<"$(tr -d ' \n' <<<"$out")" || fail "distill --from-layers 1: $out"
grep -q "must increase" <<<"$(run eb_convert distill --teacher "$teacher" --layers 2 --hidden 32 \
  --intermediate 48 --from-layers 1,0 --train "$data" -o "$work/kd/x.ebm" --steps 1)" ||
  fail "distill --from-layers 1,0"
grep -q "prune-from .*larger than the model" <<<"$(run eb_convert distill --teacher "$teacher" \
  --prune-from "$work/kd/new.ebm" --layers 1 --hidden 32 --heads 2 --intermediate 16 \
  --train "$data" -o "$work/kd/x.ebm" --steps 1)" || fail "distill --prune-from a smaller model"
out=$(run eb_convert distill --teacher "$teacher" --layers 1 --hidden 64 --heads 2 \
  --intermediate 32 --train "$data" -o "$work/kd/wide.ebm" --steps 1 --json -q)
grep -q '"from": "random"' <<<"$out" && grep -q "larger than the teacher" <<<"$out" ||
  fail "distill: a wider student must start random, saying why: $out"
eb_convert distill --teacher "$teacher" --layers 1 --hidden 32 --heads 4 --intermediate 48 \
  --train "$data" -o "$work/kd/soft.ebm" --alpha 0 --temperature 1 --steps 40 --batch 16 \
  --lr 1e-3 -q >/dev/null || fail "distill --alpha 0"
agree=$(run eb_convert eval "$work/kd/soft.ebm" --compare "$teacher" --data "$data" -q |
  sed -n 's/.*argmax agreement \([0-9.]*\).*/\1/p')
awk -v a="$agree" 'BEGIN { exit !(a >= 0.9) }' ||
  fail "distill --alpha 0: student agrees with the teacher on ${agree:-?} of the texts"
grep -q "must be a single-label classifier" <<<"$(run eb_convert distill --teacher \
  "$work/pre/encoder.ebm" --train "$data" -o "$work/kd/x.ebm")" || fail "distill from an encoder"
grep -q "alpha" <<<"$(run eb_convert distill --teacher "$teacher" --train "$data" \
  -o "$work/kd/x.ebm" --alpha 1.5)" || fail "distill --alpha out of range"
printf 'label\tsentence\n0\ta\n1\tb\n2\tc\n' >"$work/kd/three.tsv"
grep -q "3 labels, but the teacher .* has 2 outputs" <<<"$(run eb_convert distill --teacher \
  "$teacher" --train "$work/kd/three.tsv" -o "$work/kd/x.ebm" --layers 1 --hidden 32 --heads 4 \
  --intermediate 48)" || fail "distill: label count against the teacher's outputs"
[ -e "$work/kd/x.ebm" ] && fail "distill wrote a model from refused input"

# finetune from another task's checkpoint (question answering): its encoder, a fresh classifier
out=$(run eb_convert finetune --init "$fixtures/tasks/qa" --task classification --train "$data" \
  -o "$work/hf/from_qa.ebm" --steps 2 --batch 8 -q)
grep -q "fine-tuned classification: 2 steps" <<<"$out" || fail "finetune from a QA checkpoint: $out"
out=$(run eb_convert inspect "$work/hf/from_qa.ebm")
grep -q "task: classification" <<<"$out" || fail "finetuned QA checkpoint is not a classifier: $out"
grep -q "qa_outputs" <<<"$out" && fail "the QA head must not stay in a classifier: $out"

# finetune a DistilBERT (tests/fixtures/families): its classifier is DistilBERT's pre_classifier
# + ReLU, in the saved model too
out=$(run eb_convert finetune --init "$fixtures/families/distilbert_base" --train "$data" \
  -o "$work/hf/distilbert.ebm" --steps 2 --batch 8 -q)
grep -q "fine-tuned classification: 2 steps" <<<"$out" || fail "finetune a DistilBERT: $out"
out=$(run eb_convert inspect "$work/hf/distilbert.ebm")
grep -q "pooler activation relu" <<<"$out" || fail "fine-tuned DistilBERT lost its ReLU head: $out"

# finetune a RoBERTa (byte-level BPE text in training) and an ELECTRA (its GELU head)
out=$(run eb_convert finetune --init "$fixtures/tasks_roberta/qa" --task classification \
  --train "$data" --dev "$data" -o "$work/hf/roberta.ebm" --steps 2 --batch 8 -q)
grep -q "fine-tuned classification: 2 steps" <<<"$out" || fail "finetune a RoBERTa: $out"
out=$(run eb_convert inspect "$work/hf/roberta.ebm")
grep -q "first position row 2, pooler activation tanh" <<<"$out" ||
  fail "fine-tuned RoBERTa lost its positions: $out"
grep -q "tokenizer: byte-level BPE" <<<"$out" || fail "fine-tuned RoBERTa lost its BPE: $out"
# distil the fine-tuned RoBERTa into a new student (it keeps the teacher's BPE tokenizer)
out=$(run eb_convert distill --teacher "$work/hf/roberta.ebm" --train "$data" \
  -o "$work/hf/roberta_student.ebm" --layers 1 --hidden 32 --heads 2 --intermediate 64 --steps 2 \
  --batch 8 -q)
grep -q "distilled .* 2 steps" <<<"$out" || fail "distill from a RoBERTa: $out"
grep -q "tokenizer: byte-level BPE" <<<"$(run eb_convert inspect "$work/hf/roberta_student.ebm")" ||
  fail "the RoBERTa teacher's student lost the BPE tokenizer"
# finetune an XLM-R (SentencePiece Unigram text in training); the model keeps its tokenizer
out=$(run eb_convert finetune --init "$fixtures/families/xlmr_classifier" --train "$data" \
  -o "$work/hf/xlmr.ebm" --steps 2 --batch 8 -q)
grep -q "fine-tuned classification: 2 steps" <<<"$out" || fail "finetune an XLM-R: $out"
grep -q "tokenizer: SentencePiece Unigram" <<<"$(run eb_convert inspect "$work/hf/xlmr.ebm")" ||
  fail "fine-tuned XLM-R lost its Unigram tokenizer"
out=$(run eb_convert finetune --init "$fixtures/families/electra_base" --train "$data" \
  -o "$work/hf/electra.ebm" --steps 2 --batch 8 -q)
grep -q "fine-tuned classification: 2 steps" <<<"$out" || fail "finetune an ELECTRA: $out"
grep -q "pooler activation gelu" <<<"$(run eb_convert inspect "$work/hf/electra.ebm")" ||
  fail "fine-tuned ELECTRA lost its GELU head"
# ELECTRA small: 16-wide embeddings through embeddings_project, trained and kept
out=$(run eb_convert finetune --init "$fixtures/families/electra_small_base" --train "$data" \
  -o "$work/hf/electra_small.ebm" --steps 2 --batch 8 -q)
grep -q "fine-tuned classification: 2 steps" <<<"$out" || fail "finetune an ELECTRA small: $out"
grep -q "embeddings 16 wide, projected to hidden 32" \
  <<<"$(run eb_convert inspect "$work/hf/electra_small.ebm")" ||
  fail "fine-tuned ELECTRA small lost its embeddings_project"

# The other tasks on their data formats (tests/fixtures/make_finetune_data.py): each learns the
# templated data (dev measure above a floor far from chance), stores its task, and `run` serves it.
tasks="$fixtures/finetune"
measure() { sed -n 's/.*"best_dev_score": *\([0-9.e+-]*\).*/\1/p' <<<"$1" | head -1; }
above() { awk -v x="$1" -v floor="$2" 'BEGIN { exit !(x != "" && x >= floor) }'; }
common=(--steps 100 --batch 16 --lr 1e-2 --eval-every 25 --dropout 0 --json -q)
# tokens, the default task of a token-classification checkpoint; its 6 labels -> the data's 5
out=$(run eb_convert finetune --init "$fixtures/tasks/tagger" --train "$tasks/ner_train.conll" \
  --dev "$tasks/ner_dev.conll" -o "$work/tasks/ner.ebm" "${common[@]}")
grep -q '"task": "tokens"' <<<"$out" && grep -q '"dev_measure": "f1"' <<<"$out" ||
  fail "tokens report: $out"
above "$(measure "$out")" 0.6 || fail "tagger entity F1 $(measure "$out") < 0.6: $out"
grep -q "task: token_classification \[B-LOC, B-PER, I-LOC, I-PER, O\]" \
  <<<"$(run eb_convert inspect "$work/tasks/ner.ebm")" || fail "tagger task not stored"
grep -q "B-PER.*grace" <<<"$(run eb_convert run "$work/tasks/ner.ebm" "grace moved to paris .")" ||
  fail "the trained tagger does not tag"
# question answering, windows with a stride (contexts longer than --max-seq 20 allows)
out=$(run eb_convert finetune --init "$fixtures/tasks/qa" --train "$tasks/squad_train.json" \
  --dev "$tasks/squad_dev.json" -o "$work/tasks/qa.ebm" --max-seq 20 --doc-stride 4 "${common[@]}")
grep -q '"train_windows": 240' <<<"$out" && grep -q '"exact_match"' <<<"$out" ||
  fail "qa report: $out"
above "$(measure "$out")" 0.6 || fail "QA F1 $(measure "$out") < 0.6: $out"
grep -q "Paris" <<<"$(run eb_convert run "$work/tasks/qa.ebm" "Where does Emma live?" \
  --context "The café opens at nine. Emma lives in Paris. Emma has a dog.")" ||
  fail "the trained reader does not answer"
# quantization-aware: the tagger and the reader trained on the int8 values (dev scores of the
# quantized model: QA is scored by the runtime on the int8 model), then quantized as they trained
out=$(run eb_convert finetune --init "$fixtures/tasks/tagger" --train "$tasks/ner_train.conll" \
  --dev "$tasks/ner_train.conll" -o "$work/tasks/ner_qat.ebm" --qat "${common[@]}")
grep -q '"qat": true' <<<"$out" || fail "finetune --qat report: $out"
above "$(measure "$out")" 0.6 || fail "QAT tagger entity F1 $(measure "$out") < 0.6: $out"
eb_convert quantize "$work/tasks/ner_qat.ebm" -o "$work/tasks/ner_qat8.ebm" >/dev/null || fail "quantize"
grep -q "B-PER.*grace" <<<"$(run eb_convert run "$work/tasks/ner_qat8.ebm" "grace moved to paris .")" ||
  fail "the QAT tagger, quantized, does not tag"
out=$(run eb_convert finetune --init "$fixtures/tasks/qa" --train "$tasks/squad_train.json" \
  --dev "$tasks/squad_dev.json" -o "$work/tasks/qa_qat.ebm" --max-seq 20 --doc-stride 4 --qat \
  --qat-weight-bits 7 "${common[@]}")
grep -q '"qat_weight_bits": 7' <<<"$out" || fail "finetune --qat-weight-bits 7 report: $out"
above "$(measure "$out")" 0.6 || fail "QAT (7-bit weights) QA F1 $(measure "$out") < 0.6: $out"
eb_convert quantize "$work/tasks/qa_qat.ebm" --weight-bits 7 -o "$work/tasks/qa_qat7.ebm" \
  >/dev/null || fail "quantize --weight-bits 7"
grep -q "Paris" <<<"$(run eb_convert run "$work/tasks/qa_qat7.ebm" "Where does Emma live?" \
  --context "The café opens at nine. Emma lives in Paris. Emma has a dog.")" ||
  fail "the 7-bit QAT reader, quantized, does not answer"
out=$(run eb_convert finetune --init "$fixtures/tasks/qa" --train "$tasks/squad_train.json" \
  --dev "$tasks/squad_dev.json" -o "$work/tasks/qa_qat4.ebm" --max-seq 20 --doc-stride 4 --qat \
  --qat-weight-bits 4 --qat-embedding-bits 4 --qat-group-size 16 "${common[@]}")
grep -q '"qat_group_size": 16' <<<"$out" || fail "finetune --qat-weight-bits 4 report: $out"
grep -q '"qat_embedding_bits": 4' <<<"$out" || fail "finetune --qat-embedding-bits 4 report: $out"
above "$(measure "$out")" 0.6 || fail "QAT (4-bit weights) QA F1 $(measure "$out") < 0.6: $out"
eb_convert quantize "$work/tasks/qa_qat4.ebm" --weight-bits 4 --embedding-bits 4 --group-size 16 \
  -o "$work/tasks/qa_qat4q.ebm" >/dev/null || fail "quantize --weight-bits 4"
grep -q "Paris" <<<"$(run eb_convert run "$work/tasks/qa_qat4q.ebm" "Where does Emma live?" \
  --context "The café opens at nine. Emma lives in Paris. Emma has a dog.")" ||
  fail "the 4-bit QAT reader, quantized, does not answer"
eb_convert finetune --init "$fixtures/tasks/qa" --train "$tasks/squad_train.json" \
  -o "$work/tasks/never.ebm" --qat-group-size 16 >/dev/null 2>&1 &&
  fail "--qat-group-size without --qat must be refused"
eb_convert finetune --init "$fixtures/tasks/qa" --train "$tasks/squad_train.json" \
  -o "$work/tasks/never.ebm" --qat --qat-group-size 16 >/dev/null 2>"$work/err" &&
  fail "--qat-group-size without 4 bits must be refused"
grep -q "applies to 4 bits only" "$work/err" || fail "--qat-group-size without 4 bits: message"
eb_convert finetune --init "$fixtures/tasks/qa" --train "$tasks/squad_train.json" \
  -o "$work/tasks/never.ebm" --qat-weight-bits 7 >/dev/null 2>&1 &&
  fail "--qat-weight-bits without --qat must be refused"
grep -q "qat" <<<"$(run eb_convert pretrain --help)" && fail "pretrain must not offer --qat"
# regression and multi-label from an encoder, --task given
out=$(run eb_convert finetune --init "$hf" --task regression --train "$tasks/score_train.tsv" \
  --dev "$tasks/score_train.tsv" -o "$work/tasks/score.ebm" "${common[@]}")
above "$(measure "$out")" 0.5 || fail "regression Pearson $(measure "$out") < 0.5: $out"
grep -q "task: classification (regression)" <<<"$(run eb_convert inspect "$work/tasks/score.ebm")" ||
  fail "regression task not stored"
out=$(run eb_convert finetune --init "$hf" --task multi-label --train "$tasks/topics_train.tsv" \
  --dev "$tasks/topics_train.tsv" -o "$work/tasks/topics.ebm" "${common[@]}")
above "$(measure "$out")" 0.5 || fail "multi-label micro F1 $(measure "$out") < 0.5: $out"
grep -q "task: classification (multi_label) \[food, music, sport\]" \
  <<<"$(run eb_convert inspect "$work/tasks/topics.ebm")" || fail "multi-label task not stored"
# their bad data: named where
printf 'alice\tB-PER\nlives\n' >"$work/bad.conll"
grep -q "bad.conll:2: expected a word and its label" <<<"$(run eb_convert finetune --init "$hf" \
  --task tokens --train "$work/bad.conll" -o "$work/bad/t.ebm")" || fail "bad CoNLL line not named"
printf '{"data": [{"paragraphs": [{"context": "Emma lives in Paris.", "qas": [{"id": "x1", "question": "Where?", "answers": [{"text": "Paris", "answer_start": 3}]}]}]}]}' >"$work/bad.json"
grep -q 'id x1).answers\[0\]: "Paris" is not at character 3' <<<"$(run eb_convert finetune \
  --init "$hf" --task qa --train "$work/bad.json" -o "$work/bad/q.ebm")" || fail "bad SQuAD answer not named"
printf '0.5\tfine\nhigh\tnot a number\n' >"$work/bad_score.tsv"
grep -q 'bad_score.tsv:2: label "high" is not a number' <<<"$(run eb_convert finetune --init "$hf" \
  --task regression --train "$work/bad_score.tsv" -o "$work/bad/r.ebm")" || fail "bad regression label not named"
[ -e "$work/bad" ] && [ -n "$(ls "$work/bad")" ] && fail "a model was written from bad task data"

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
