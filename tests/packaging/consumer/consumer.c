/* Classifies one text with an installed edgebert: the smallest complete use of the C API.
 * usage: consumer MODEL.ebm "text" -> prints "<label> <probability>". */
#define _POSIX_C_SOURCE 200112L
#include <edgebert/edgebert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.ebm TEXT\n", argv[0]);
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (f == NULL) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  const long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* bytes = NULL;
  if (posix_memalign(&bytes, EB_MODEL_ALIGNMENT, (size_t)size) != 0) return 1;
  if (fread(bytes, 1, (size_t)size, f) != (size_t)size) return 1;
  fclose(f);

  eb_error error;
  eb_model model;
  if (eb_model_init(&model, bytes, (size_t)size, &error) != EB_OK) {
    fprintf(stderr, "model: %s\n", error.message);
    return 1;
  }
  const size_t arena_bytes = eb_arena_size(&model, 0, 1);
  void* arena = malloc(arena_bytes);
  eb_session* session = NULL;
  const eb_session_options options = eb_session_options_default();
  eb_classification result;
  if (arena == NULL ||
      eb_session_init(&session, &model, &options, arena, arena_bytes, &error) != EB_OK ||
      eb_session_classify_text(session, argv[2], strlen(argv[2]), NULL, 0, &result, &error) !=
          EB_OK) {
    fprintf(stderr, "classify: %s\n", error.message);
    return 1;
  }
  printf("%s %.4f\n", result.label_name, result.probabilities[result.label]);
  free(arena);
  free(bytes);
  return 0;
}
