/* Firmware-style use of edgebert: the model is a const array linked into the program
 * (edgebert-convert pack --c-array), the arena is a static array of exactly the planned size,
 * nothing opens a file and nothing touches the heap. The same source runs on the host and bare
 * metal on a Cortex-M (platforms/mps3-an547: printf goes to semihosting there, a UART on a board),
 * printing the same lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "edgebert/edgebert.h"
#include "tiny_model_data.h" /* generated: tiny_model[], tiny_model_size, TINY_MODEL_ARENA_BYTES */

static uint8_t arena[TINY_MODEL_ARENA_BYTES];
static eb_model model;

int main(void) {
  eb_error error;
  if (eb_model_init(&model, tiny_model, tiny_model_size, &error) != EB_OK) {
    printf("model: %s\n", error.message);
    return 1;
  }
  /* The native kernels (a microcontroller has no XNNPACK). The generated define is their arena
   * size where the converter ran: exact for the same pointer width, an upper bound on a 32-bit
   * target (narrower pointers and size_t in the session). */
  eb_session_options options = eb_session_options_default();
  options.provider = EB_PROVIDER_NATIVE;
  const size_t need = eb_session_arena_size(&model, &options);
  if (need == 0 || need > sizeof arena) {
    printf("arena: need %lu bytes, have %lu\n", (unsigned long)need, (unsigned long)sizeof arena);
    return 1;
  }
  eb_session* session = NULL;
  if (eb_session_init(&session, &model, &options, arena, sizeof arena, &error) != EB_OK) {
    printf("session: %s\n", error.message);
    return 1;
  }
  static const char* const texts[] = {"the movie was great", "The plot was dull and boring.",
                                      "a fun story, very good acting!"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; ++i) {
    eb_classification result;
    if (eb_session_classify_text(session, texts[i], strlen(texts[i]), NULL, 0, &result, &error) !=
        EB_OK) {
      printf("classify: %s\n", error.message);
      return 1;
    }
    /* Fixed point by hand: printf's %f would pull in newlib's dtoa, which allocates. */
    const unsigned p = (unsigned)(result.probabilities[result.label] * 10000.0f + 0.5f);
    uint32_t bits; /* the probability's exact float, so that two builds can be compared bitwise */
    memcpy(&bits, &result.probabilities[result.label], sizeof bits);
    printf("%-32s -> %s (p=%u.%04u, bits %08lx)\n", texts[i], result.label_name, p / 10000,
           p % 10000, (unsigned long)bits);
  }
  /* %lu, not %zu: some embedded C libraries (Debian's newlib) have no C99 printf formats. */
  printf("firmware example: %lu-byte static arena (%lu used), %lu-byte model in flash, no heap, "
         "no files\n", (unsigned long)sizeof arena, (unsigned long)need,
         (unsigned long)tiny_model_size);
  return 0;
}
