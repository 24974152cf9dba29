#!/usr/bin/env bash
# Runs the AN547 firmware under qemu-system-arm (Cortex-M55, semihosting output; -icount shift=0
# so that startup.c's SysTick figure counts instructions) and checks it against the host's build
# of the same program: the same label and probability (its float bits too) for every sentence,
# then the board's report (static arena, instructions per text and in all, stack high-water
# mark, no heap request, flash and SRAM within a 2 MB / 512 KB part).
# Semihosting does not carry the exit status, so the output is what is judged.
# usage: run_firmware_test.sh QEMU_SYSTEM_ARM FIRMWARE.elf HOST_FIRMWARE
set -euo pipefail
qemu=$1 elf=$2 host=$3
board=$(timeout 240 "$qemu" -M mps3-an547 -nographic -monitor none -serial none \
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
grep -q -E '^firmware example: [0-9]+-byte static arena \([0-9]+ used\)' <<<"$board" ||
  { echo "run_firmware_test: no arena report"; exit 1; }
grep -q -E '^mps3-an547: main ran [1-9][0-9]* thousand instructions \(QEMU -icount: SysTick ticks x 31\.25\)$' \
  <<<"$board" || { echo "run_firmware_test: no instruction count"; exit 1; }
grep -q -E '^mps3-an547: stack high-water [0-9]+ of [0-9]+ bytes, DTCM used [0-9]+ bytes, heap requests 0$' \
  <<<"$board" || { echo "run_firmware_test: no board report, or the heap was asked for"; exit 1; }
[ "$(grep -c -E '^  [1-9][0-9]* thousand instructions for this text' <<<"$board")" -ge 3 ] ||
  { echo "run_firmware_test: no instruction count per text"; exit 1; }
grep -q -E '^mps3-an547: flash [0-9]+ bytes \(code [0-9]+, data [0-9]+\), SRAM [0-9]+ bytes: fits a 2 MB flash / 512 KB SRAM part$' \
  <<<"$board" || { echo "run_firmware_test: no flash and SRAM report, or they do not fit the part"; exit 1; }
echo "run_firmware_test: the board matches the host"
