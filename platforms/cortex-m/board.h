/* What the AN547 startup code (startup.c) offers the programs linked with it. */
#ifndef EDGEBERT_PLATFORMS_MPS3_AN547_BOARD_H_
#define EDGEBERT_PLATFORMS_MPS3_AN547_BOARD_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Instructions executed since reset, when QEMU runs with -icount shift=0 (SysTick ticks in
 * virtual time, calibrated by a loop of known length); processor cycles on a board. */
uint64_t board_instructions(void);

#ifdef __cplusplus
}
#endif

#endif
