/* edgebert-classify: runs a model on texts (tokenized on the device) or token-id sequences and
 * prints label, probabilities and latency. Written in C11 against the public C API only, as an
 * app would use it.
 *
 *   edgebert-classify model.ebm "a great movie" ...        one text per argument
 *   edgebert-classify model.ebm < texts.txt                one text per line; TAB separates a pair
 *   edgebert-classify model.ebm --ids "101 2023 102" ...   token ids instead of text
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
  void* data = NULL;  /* posix_memalign, not C11 aligned_alloc: Android has it only from API 28 */
  if (posix_memalign(&data, EB_MODEL_ALIGNMENT, rounded) != 0) data = NULL;
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

/* Prints the result of the last run: label and probabilities, or the embedding. */
static void print_result(eb_session* session, const eb_model* model, size_t tokens, double ms) {
  int32_t label = eb_session_label(session);
  size_t count;
  if (label >= 0) {
    const float* probs = eb_session_output(session, EB_OUTPUT_PROBABILITIES, &count);
    printf("%-12s p=%.4f  [", eb_model_label(model, (uint32_t)label), probs[label]);
    for (size_t i = 0; i < count; ++i) {
      printf("%s%s %.4f", i ? ", " : "", eb_model_label(model, (uint32_t)i), probs[i]);
    }
    printf("]  %zu tokens  %.3f ms\n", tokens, ms);
  } else {
    const float* embedding = eb_session_output(session, EB_OUTPUT_EMBEDDING, &count);
    printf("embedding[%zu] = [%.4f, %.4f, %.4f, ...]  %zu tokens  %.3f ms\n", count, embedding[0],
           embedding[1], embedding[2], tokens, ms);
  }
}

static int classify_ids(eb_session* session, const eb_model* model, const char* text) {
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
  print_result(session, model, (size_t)n, elapsed);
  return 0;
}

/* One text, or a pair "text<TAB>text_b"; tokenization is included in the latency. */
static int classify_text(eb_session* session, const eb_model* model, char* line) {
  size_t length = strcspn(line, "\r\n");
  line[length] = '\0';
  char* tab = strchr(line, '\t');
  const char* text_b = NULL;
  size_t text_b_bytes = 0;
  if (tab != NULL) {
    *tab = '\0';
    text_b = tab + 1;
    text_b_bytes = strlen(text_b);
  }
  eb_error error;
  double start = now_ms();
  eb_status status = eb_session_run_text(session, line, strlen(line), text_b, text_b_bytes, &error);
  double elapsed = now_ms() - start;
  if (status != EB_OK) {
    fprintf(stderr, "edgebert-classify: %s: %s\n", eb_status_string(status), error.message);
    return 1;
  }
  eb_tokens tokens;
  eb_session_tokens(session, &tokens);
  print_result(session, model, tokens.count, elapsed);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fprintf(argc < 2 ? stderr : stdout,
            "usage: edgebert-classify MODEL.ebm [--ids] [INPUT ...]\n"
            "Runs the model on each INPUT (or each stdin line) and prints the label and\n"
            "probabilities (or the sentence embedding) and the latency, tokenization included.\n"
            "An input is a text (a TAB separates a text pair), or with --ids token ids.\n");
    return argc < 2 ? 2 : 0;
  }
  int first_input = 2;
  int ids_mode = argc > 2 && strcmp(argv[2], "--ids") == 0;
  if (ids_mode) first_input = 3;
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

  if (!ids_mode && !info.has_tokenizer) {
    fprintf(stderr, "edgebert-classify: %s has no tokenizer; pass token ids with --ids\n", argv[1]);
    free(arena);
    free(model_bytes);
    return 1;
  }
  int failures = 0;
  static char line[1 << 16];
  if (argc > first_input) {
    for (int i = first_input; i < argc; ++i) {
      if (ids_mode) {
        failures += classify_ids(session, &model, argv[i]);
      } else {
        snprintf(line, sizeof line, "%s", argv[i]);
        failures += classify_text(session, &model, line);
      }
    }
  } else {
    while (fgets(line, sizeof line, stdin) != NULL) {
      if (ids_mode && line[strspn(line, " \t\r\n")] == '\0') continue;
      failures += ids_mode ? classify_ids(session, &model, line) : classify_text(session, &model, line);
    }
  }
  free(arena);
  free(model_bytes);
  return failures == 0 ? 0 : 1;
}
