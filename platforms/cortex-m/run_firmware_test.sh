#!/usr/bin/env bash
# Runs the Cortex-M firmware under qemu-system-arm (semihosting output; -icount shift=0 so that
# startup.c's SysTick figures count instructions) and checks it against the host's build of the
# same program: the same label and probability (its float bits too) for every sentence, then the
# board's report (static arena, instructions per text and in all, stack high-water mark, no heap
# request, flash and SRAM within a 2 MB / 512 KB part).
# Semihosting does not carry the exit status, so the output is what is judged.
# usage: run_firmware_test.sh QEMU_SYSTEM_ARM MACHINE FIRMWARE.elf HOST_FIRMWARE
set -euo pipefail
qemu=$1 machine=$2 elf=$3 host=$4
board=$(timeout 240 "$qemu" -M "$machine" -nographic -monitor none -serial none \
          -semihosting-config enable=on,target=native -icount shift=0 -kernel "$elf" 2>&1) ||
  { echo "$board"; echo "run_firmware_test: qemu failed or timed out"; exit 1; }
echo "$board"
want=$("$host")
# The sentences' lines (" -> "); the summary lines differ by design (a 32-bit arena is smaller).
if ! diff <(grep -- ' -> ' <<<"$want") <(grep -- ' -> ' <<<"$board"); then
  echo "run_firmware_test: the board's labels or probabilities differ from the host's"; exit 1
fi
[ "$(grep -c -- ' -> ' <<<"$board")" -ge 3 ] ||
  { echo "run_firmware_test: fewer than 3 sentences classified"; exit 1; }
expect() {  # expect REGEX WHAT: a line of the board's output matches REGEX
  grep -q -E "$1" <<<"$board" || { echo "run_firmware_test: no $2"; exit 1; }
}
expect '^firmware example: [0-9]+-byte static arena \([0-9]+ used\)' "arena report"
[ "$(grep -c -E '^  [1-9][0-9]* thousand instructions for this text' <<<"$board")" -ge 3 ] ||
  { echo "run_firmware_test: no instruction count per text"; exit 1; }
expect '^board: main ran [1-9][0-9]* thousand instructions \(QEMU -icount: SysTick ticks x [0-9]+\.[0-9]{2}\)$' \
  "instruction count"
expect '^board: stack high-water [0-9]+ of [0-9]+ bytes, RAM used [0-9]+ bytes, heap requests 0$' \
  "stack and heap report, or the heap was asked for"
expect '^board: flash [0-9]+ bytes \(code [0-9]+, data [0-9]+\), SRAM [0-9]+ bytes: fits a 2 MB flash / 512 KB SRAM part$' \
  "flash and SRAM report, or they do not fit the part"
echo "run_firmware_test: the board matches the host"
