/* edgebert-classify: runs a model on token-id sequences and prints label, probabilities and
 * latency. Written in C99/C11 against the public C API only, as an app would use it.
 *
 *   edgebert-classify model.ebm "101 2023 2003 102" ...   one sequence per argument
 *   edgebert-classify model.ebm < ids.txt                  one sequence per line
 *
 * Text input arrives with the on-device tokenizer; until then inputs are token ids.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgebert/edgebert.h"

enum { kMaxTokens = 4096 };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Reads the whole file into EB_MODEL_ALIGNMENT-aligned memory. */
static void* read_model(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "edgebert-classify: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long length = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (length <= 0) {
    fprintf(stderr, "edgebert-classify: %s is empty\n", path);
    fclose(f);
    return NULL;
  }
  size_t rounded = ((size_t)length + EB_MODEL_ALIGNMENT - 1) / EB_MODEL_ALIGNMENT * EB_MODEL_ALIGNMENT;
  void* data = aligned_alloc(EB_MODEL_ALIGNMENT, rounded);
  if (data == NULL || fread(data, 1, (size_t)length, f) != (size_t)length) {
    fprintf(stderr, "edgebert-classify: cannot read %s\n", path);
    free(data);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *size = (size_t)length;
  return data;
}

/* Parses whitespace-separated token ids; returns the count or -1 on a malformed number. */
static long parse_ids(const char* text, int32_t* ids, size_t capacity) {
  size_t n = 0;
  const char* p = text;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
    if (*p == '\0') break;
    char* end;
    errno = 0;
    long value = strtol(p, &end, 10);
    if (end == p || errno != 0 || value < INT32_MIN || value > INT32_MAX || n == capacity) return -1;
    ids[n++] = (int32_t)value;
    p = end;
  }
  return (long)n;
}

static int classify(eb_session* session, const eb_model* model, const char* text) {
  static int32_t ids[kMaxTokens];
  long n = parse_ids(text, ids, kMaxTokens);
  if (n <= 0) {
    fprintf(stderr, "edgebert-classify: expected token ids, got \"%s\"\n", text);
    return 1;
  }
  eb_input input = {ids, NULL, NULL, (size_t)n};
  eb_error error;
  double start = now_ms();
  eb_status status = eb_session_run(session, &input, &error);
  double elapsed = now_ms() - start;
  if (status != EB_OK) {
    fprintf(stderr, "edgebert-classify: %s: %s\n", eb_status_string(status), error.message);
    return 1;
  }
  int32_t label = eb_session_label(session);
  if (label >= 0) {
    size_t count;
    const float* probs = eb_session_output(session, EB_OUTPUT_PROBABILITIES, &count);
    printf("%-12s p=%.4f  [", eb_model_label(model, (uint32_t)label), probs[label]);
    for (size_t i = 0; i < count; ++i) {
      printf("%s%s %.4f", i ? ", " : "", eb_model_label(model, (uint32_t)i), probs[i]);
    }
    printf("]  %ld tokens  %.3f ms\n", n, elapsed);
  } else {
    size_t count;
    const float* embedding = eb_session_output(session, EB_OUTPUT_EMBEDDING, &count);
    printf("embedding[%zu] = [%.4f, %.4f, %.4f, ...]  %ld tokens  %.3f ms\n", count, embedding[0],
           embedding[1], embedding[2], n, elapsed);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fprintf(argc < 2 ? stderr : stdout,
            "usage: edgebert-classify MODEL.ebm [\"ID ID ...\" ...]\n"
            "Runs the model on each argument (or each stdin line) of token ids and prints the\n"
            "label, probabilities and latency.\n");
    return argc < 2 ? 2 : 0;
  }
  size_t model_size = 0;
  void* model_bytes = read_model(argv[1], &model_size);
  if (model_bytes == NULL) return 1;

  eb_model model;
  eb_error error;
  eb_status status = eb_model_init(&model, model_bytes, model_size, &error);
  if (status != EB_OK) {
    fprintf(stderr, "edgebert-classify: %s: %s: %s\n", argv[1], eb_status_string(status),
            error.message);
    free(model_bytes);
    return 1;
  }
  eb_model_info info;
  eb_model_get_info(&model, &info);
  size_t arena_bytes = eb_arena_size(&model, 0, 1);
  void* arena = malloc(arena_bytes);
  eb_session* session = NULL;
  status = arena == NULL ? EB_ERROR_INVALID_ARGUMENT
                         : eb_session_init(&session, &model, NULL, arena, arena_bytes, &error);
  if (status != EB_OK) {
    fprintf(stderr, "edgebert-classify: session: %s: %s\n", eb_status_string(status),
            arena == NULL ? "out of memory" : error.message);
    free(arena);
    free(model_bytes);
    return 1;
  }
  printf("model %s: %u layers, hidden %u, %u labels, max_seq %u, arena %zu bytes (%s)\n", argv[1],
         info.num_layers, info.hidden, info.num_labels, info.max_seq, arena_bytes,
         eb_model_source(&model));

  int failures = 0;
  if (argc > 2) {
    for (int i = 2; i < argc; ++i) failures += classify(session, &model, argv[i]);
  } else {
    char line[65536];
    while (fgets(line, sizeof line, stdin) != NULL) {
      if (line[strspn(line, " \t\r\n")] == '\0') continue;
      failures += classify(session, &model, line);
    }
  }
  free(arena);
  free(model_bytes);
  return failures == 0 ? 0 : 1;
}
