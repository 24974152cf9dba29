/* Reset and fault handlers of the Cortex-M firmware (platforms/cortex-m) on the boards QEMU models
 * (mps3-an547: Cortex-M55; mps2-an500: M7; mps2-an386: M4) or on real ones: enables the FPU (and
 * Helium, the same CPACR bits), copies .data from flash, zeroes .bss, paints the stack (for its
 * high-water mark), runs main, then reports instructions, stack, heap, flash and RAM use through
 * semihosting and exits. Only architectural registers (CPACR, SysTick) are touched, so one file
 * serves every board; the memory map is the board's linker script (boards/).
 * Linked with newlib's semihosting library (--specs=rdimon.specs) and -nostartfiles.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_limit__[], __stack_top__[];
extern uint8_t __code_bytes__[], __rodata_bytes__[], __ram_bytes__[];

int main(void);
void initialise_monitor_handles(void); /* newlib rdimon: opens the semihosting streams */
void __libc_init_array(void);
void *__real__sbrk(ptrdiff_t increment);

/* -nostartfiles drops crti/crtn: __libc_init_array calls these around the .init_array. */
void _init(void) {}
void _fini(void) {}

static const uint32_t kStackPaint = 0x5afe57acu;
static unsigned heap_requests;

/* Linked with -Wl,--wrap=_sbrk: every request reaches newlib's _sbrk, which refuses it (the
 * heap would start above the stack, see boards/sections.ld); counted so the run can report it. */
void *__wrap__sbrk(ptrdiff_t increment) {
  ++heap_requests;
  return __real__sbrk(increment);
}

/* Instructions, counted by QEMU run with -icount shift=0 (virtual time advances 1 ns per
 * instruction, and the SysTick counts the processor clock in virtual time: 32 MHz on the AN547,
 * 25 MHz on the MPS2): SysTick ticks, converted to instructions by a calibration loop of known
 * length. Without -icount the figure is host time and means nothing; on a board it counts cycles
 * instead (report them as such). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { ++systick_wraps; }

static uint64_t systick_ticks(void) {
  uint32_t wraps, value;
  do {
    wraps = systick_wraps;
    value = SYST_CVR;
  } while (wraps != systick_wraps);
  return (uint64_t)wraps * 0x1000000u + (0xFFFFFFu - value);
}

static uint64_t calibration_ticks = 1;  /* SysTick ticks of the calibration loop */
static const uint32_t kCalibration = 4000000u;  /* its iterations */

uint64_t board_instructions(void) {
  return systick_ticks() * (2u * (uint64_t)kCalibration) / calibration_ticks;
}

/* 2 instructions per iteration (subs, bne). */
static void known_loop(uint32_t n) {
  __asm volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

static size_t stack_high_water(void) {
  const uint32_t *p = __stack_limit__;
  while (p < __stack_top__ && *p == kStackPaint) ++p;
  return (size_t)((const uint8_t *)__stack_top__ - (const uint8_t *)p);
}

__attribute__((noreturn)) void Reset_Handler(void) {
  /* CPACR: full access to CP10 and CP11 (the FPU and MVE) before any float instruction. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t *src = __data_load__, *dst = __data_start__; dst < __data_end__;) *dst++ = *src++;
  for (uint32_t *dst = __bss_start__; dst < __bss_end__;) *dst++ = 0;
  /* Paint the stack below the current frame (a few hundred bytes are kept for it). */
  uint32_t *sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t *p = __stack_limit__; p < sp - 64; ++p) *p = kStackPaint;
  initialise_monitor_handles();
  setvbuf(stdout, NULL, _IONBF, 0); /* no stdio buffer: nothing asks for heap */
  __libc_init_array();
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0;
  SYST_CSR = 7u; /* enable, interrupt on wrap, processor clock */
  while (SYST_CVR == 0) {
  } /* the first clock edge loads RVR */
  const uint64_t t0 = systick_ticks();
  known_loop(kCalibration);
  const uint64_t t1 = systick_ticks();
  calibration_ticks = t1 > t0 ? t1 - t0 : 1;
  const int status = main();
  const uint64_t t2 = systick_ticks();
  /* Integers only: printf's %f would call newlib's dtoa, which allocates. */
  const uint64_t instructions = (t2 - t1) * (2u * (uint64_t)kCalibration) / calibration_ticks;
  const uint64_t per_tick_x100 = 200u * (uint64_t)kCalibration / calibration_ticks;
  printf("board: main ran %lu thousand instructions (QEMU -icount: SysTick ticks x %lu.%02lu)\n",
         (unsigned long)((instructions + 500) / 1000), (unsigned long)(per_tick_x100 / 100),
         (unsigned long)(per_tick_x100 % 100));
  /* %lu, not %zu: Debian's newlib is built without C99 printf formats. */
  const unsigned long code = (unsigned long)(uintptr_t)__code_bytes__;
  const unsigned long rodata = (unsigned long)(uintptr_t)__rodata_bytes__;
  const unsigned long ram = (unsigned long)(uintptr_t)__ram_bytes__;
  printf("board: stack high-water %lu of %lu bytes, RAM used %lu bytes, heap requests %u\n",
         (unsigned long)stack_high_water(),
         (unsigned long)((const uint8_t *)__stack_top__ - (const uint8_t *)__stack_limit__), ram,
         heap_requests);
  /* Against a 2 MB flash / 512 KB SRAM part: flash holds the code and the read-only data with
   * .data's image, SRAM the .data, .bss and stack. */
  printf("board: flash %lu bytes (code %lu, data %lu), SRAM %lu bytes: %s a 2 MB flash / 512 KB "
         "SRAM part\n", code + rodata, code, rodata, ram,
         code + rodata <= 2ul * 1024 * 1024 && ram <= 512ul * 1024 ? "fits" : "does not fit");
  exit(status);
}

/* Any fault ends the run with a message instead of hanging the emulator. */
__attribute__((noreturn)) static void fault(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  printf("board: fault, exception %u\n", (unsigned)(ipsr & 0x1ffu));
  exit(3);
}

__attribute__((noreturn)) void Default_Handler(void) { fault(); }

/* Armv8-M exceptions 0-15; the board's interrupts are not used. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top__, Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler,               Default_Handler, Default_Handler, Default_Handler,
    0,                             0,             0,               Default_Handler,
    Default_Handler,               0,             Default_Handler, SysTick_Handler,
};
