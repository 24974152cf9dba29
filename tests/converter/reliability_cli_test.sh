#!/usr/bin/env bash
# Converter reliability: a fine-tuning run killed with SIGKILL and resumed from its last checkpoint
# ends with the same model file as an uninterrupted run; a full disk (simulated with a file size
# limit) gives an error and leaves no partial output, and an existing output stays intact.
# usage: reliability_cli_test.sh EDGEBERT_CONVERT FIXTURES_DIR   (EB_EMULATOR for cross builds)
set -uo pipefail
convert=$1 fixtures=$2
read -r -a emulator <<<"${EB_EMULATOR:-}"
eb_convert() { "${emulator[@]}" "$convert" "$@"; }
export OMP_NUM_THREADS=1
export SOURCE_DATE_EPOCH=1700000000  # same provenance stamp in both runs: files compare byte for byte
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() { "$@" 2>&1 || echo "exit status $?"; }

hf="$fixtures/tiny_bert/base"
data="$fixtures/sst2_dev_sample.tsv"
train=(finetune --init "$hf" --train "$data" --batch 4 --checkpoint-every 5 -q)

# 1. SIGKILL mid-run, resume, compare with an uninterrupted run. 400 steps: on a Zen 5 core the
# whole run takes 0.8 s, so the kill below must come soon after the first checkpoint (with a
# 0.3 s wait and 200 steps the run sometimes finished first).
eb_convert "${train[@]}" --steps 400 -o "$work/whole/model.ebm" >/dev/null || fail "uninterrupted run"
"${emulator[@]}" "$convert" "${train[@]}" --steps 400 -o "$work/killed/model.ebm" >/dev/null 2>&1 &
pid=$!
# Kill a little after the first checkpoint (checkpoints every 5 steps: later ones have replaced it
# by then, and the kill may land in the middle of writing one).
for _ in $(seq 1 6000); do [ -s "$work/killed/model.ebm.ckpt" ] && break; sleep 0.01; done
sleep 0.05
kill -KILL "$pid" 2>/dev/null || fail "the run ended before it could be killed (make it longer)"
wait "$pid" 2>/dev/null
[ -e "$work/killed/model.ebm" ] && fail "a killed run must not have written its model"
[ -s "$work/killed/model.ebm.ckpt" ] || fail "no checkpoint survived the kill"
out=$(run eb_convert "${train[@]}" --steps 400 -o "$work/killed/model.ebm" --resume "$work/killed/model.ebm.ckpt")
grep -q "fine-tuned classification: 400 steps" <<<"$out" || fail "resume after SIGKILL: $out"
cmp -s "$work/whole/model.ebm" "$work/killed/model.ebm" ||
  fail "killed + resumed run differs from the uninterrupted run"

# 2. Full disk: writes beyond 64 KiB fail (EFBIG; SIGXFSZ ignored so write() returns the error).
full_disk() { (ulimit -f 64; trap '' XFSZ; "$@"); }
mkdir -p "$work/disk"
out=$(run full_disk eb_convert import --hf "$fixtures/tiny_bert/classifier" -o "$work/disk/m.ebm")
grep -q "write failed" <<<"$out" || fail "full disk: no clear error: $out"
grep -q "exit status" <<<"$out" || fail "full disk: exit status 0"
[ -e "$work/disk/m.ebm" ] && fail "full disk left a model file"
ls "$work/disk" 2>/dev/null | grep -q tmp && fail "full disk left a temporary file"
# an existing model survives a failed overwrite untouched
eb_convert import --hf "$fixtures/tiny_bert/classifier" -o "$work/disk/old.ebm" >/dev/null ||
  fail "import"
cp "$work/disk/old.ebm" "$work/disk/old.copy"
out=$(run full_disk eb_convert import --hf "$fixtures/tiny_bert/base" -o "$work/disk/old.ebm")
grep -q "write failed" <<<"$out" || fail "full disk overwrite: $out"
cmp -s "$work/disk/old.ebm" "$work/disk/old.copy" || fail "a failed write damaged the old model"
# a checkpoint (params + Adam moments, > 64 KiB) that cannot be written stops the run with the error
out=$(run full_disk eb_convert "${train[@]}" --steps 10 -o "$work/disk/ft/model.ebm")
grep -q "write failed" <<<"$out" || fail "full disk during training: $out"
ls "$work/disk/ft" 2>/dev/null | grep -q tmp && fail "training left a temporary file"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "reliability CLI: all checks passed"
