// The BERT graph, written once: embeddings, then per encoder layer Q/K/V, attention, attention
// output + residual + LayerNorm, intermediate (GELU), output + residual + LayerNorm, then the
// task heads (pooling, pooler + tanh, classifier + softmax), with an observer call after each
// step. It matches Hugging Face's BertModel / BertForSequenceClassification (post-LayerNorm
// encoder, additive padding mask). Every executor (graph/executor.h) runs this one function.
//
// Shapes: S = tokens (rows of all sequences of a batch), B = sequences, H = hidden, E = the
// embeddings' width (H, or ELECTRA small's embedding_size before embeddings_project),
// A = heads * head_dim, I = intermediate; row-major.
#ifndef EDGEBERT_SRC_GRAPH_BERT_GRAPH_H_
#define EDGEBERT_SRC_GRAPH_BERT_GRAPH_H_

#include <cstddef>
#include <cstdint>

#include "executor.h"
#include "../memory_plan.h"
#include "../model.h"

namespace edgebert {

// The activations of one forward pass, planned in the arena head for max_seq rows
// (memory_plan.h); the same for every executor (each plans its own scratch besides).
struct GraphBuffers {
  float* hidden;         // (S, H) input and output of every layer
  float* projection_input;  // (S, E) the embeddings before embeddings_project; null unless
                            // E != H
  float* query;          // (S, A)
  float* key;            // (S, A)
  float* value;          // (S, A)
  float* context;        // (S, A)
  float* attention;      // (S, H) attention output, then residual + LayerNorm
  float* ffn;            // (S, I)
  float* pooled;         // (B, H) tanh(pooler(hidden[first row])), or null without a pooler
  float* embedding;      // (B, H) the sentence embedding (the model's pooling)
  float* logits;         // (B, num_labels), or null unless a classifier
  float* probabilities;  // (B, num_labels), or null unless a classifier; token
                         // classification: (S, num_labels) softmax per token
  float* token_logits;   // (S, num_labels) token classification, (S, 2) start and end logits
                         // of question answering; null for other tasks
  float* mlm_hidden;     // (S, H) masked LM: the masked positions' rows through the transform
  int32_t* mlm_positions;  // (S) masked LM: token index of each masked position
};

// Declares the GraphBuffers a model needs for up to max_batch sequences of up to max_seq
// tokens, with their lifetimes.
void request_graph_buffers(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                           BufferRequests* requests);

// A run: `count` sequences whose rows lie back to back in the activations (no padding: every
// op but attention works row by row, and attention runs per sequence, so each sequence gets
// exactly the numbers it gets alone). Per-sequence head outputs (pooled, embedding, logits,
// probabilities) are (count, width).
struct GraphInput {
  const GraphSequence* sequences;
  size_t count;
  size_t rows;  // sum of their s
};

// buffers.hidden (S, H) <- the encoder's last hidden states for `in`.
eb_status bert_encoder(const Executor& x, const ModelView& model, const ModelWeights& w,
                       const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                       eb_error* error);

// What the heads found besides their buffers.
struct HeadResults {
  int32_t label = -1;  // argmax of the first sequence's logits (-1 without a sequence classifier)
  size_t masks = 0;    // masked LM: rows of mlm_hidden / mlm_positions (tokens == mask_id;
                       // positions count rows of all sequences)
};

// The heads over buffers.hidden: embedding, and pooled / logits / probabilities where the model
// has them ("pooling", "pooler", "classifier"); token_logits over every token for token
// classification and question answering ("token_classifier", "qa_outputs"); for a masked LM the
// transform (dense, activation, LayerNorm) of the rows whose id is the mask token
// ("mlm_transform"), whose vocabulary logits mlm_decode() computes one row at a time.
eb_status bert_heads(const Executor& x, const ModelView& model, const ModelWeights& w,
                     const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                     HeadResults* results, eb_error* error);

// bert_encoder, then bert_heads.
eb_status bert_forward(const Executor& x, const ModelView& model, const ModelWeights& w,
                       const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                       HeadResults* results, eb_error* error);

// logits (V) = transformed (H) E^T + cls.predictions.bias: the masked LM decoder of one row
// (E the word embedding table, int8 rows dequantized by their scales). Float sums in 8 lanes
// in a fixed order, so every executor gives the same bits.
void mlm_decode(const ModelView& model, const ModelWeights& w, const float* transformed,
                float* logits);

// Classification probabilities from logits (n): sigmoid per label for multi-label models and
// single outputs, softmax otherwise (Hugging Face's text-classification pipeline rule).
void classification_probabilities(const ModelView& model, const float* logits, size_t n,
                                  float* probabilities);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_GRAPH_BERT_GRAPH_H_
