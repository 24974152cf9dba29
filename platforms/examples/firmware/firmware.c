/* Firmware-style use of edgebert: the model is a const array linked into the program
 * (edgebert-convert pack --c-array), the arena is a static array of exactly the planned size,
 * nothing opens a file and nothing touches the heap. On a microcontroller the printf calls would
 * go to a UART; everything else stays as it is.
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
  const size_t need = eb_arena_size(&model, 0, 1);
  if (need != sizeof arena) { /* the generated define is exact */
    printf("arena: need %zu bytes, have %zu\n", need, sizeof arena);
    return 1;
  }
  eb_session* session = NULL;
  if (eb_session_init(&session, &model, NULL, arena, sizeof arena, &error) != EB_OK) {
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
    printf("%-32s -> %s (p=%.4f)\n", texts[i], result.label_name,
           result.probabilities[result.label]);
  }
  printf("firmware example: %zu-byte static arena, %zu-byte model in flash, no heap, no files\n",
         sizeof arena, tiny_model_size);
  return 0;
}
