#include "trainer/pretrain.h"

#include <stdexcept>

#include "host_session.h"
#include "model_file.h"
#include "random_model.h"
#include "tokenizer/vocab_file.h"
#include "trainer/loop.h"
#include "trainer/model_io.h"
#include "trainer/pretrain_data.h"

namespace edgebert::convert {
namespace {

int32_t token_id(const std::vector<std::string>& vocab, const std::string& piece) {
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (vocab[i] == piece) return static_cast<int32_t>(i);
  }
  throw std::runtime_error("vocabulary has no " + piece);
}

}  // namespace

nlohmann::json pretrain(const PretrainOptions& o) {
  if (o.max_seq < 8) throw std::runtime_error("--max-seq must be at least 8");
  if (o.heads == 0 || o.hidden % o.heads != 0) {
    throw std::runtime_error("--hidden must be a multiple of --heads");
  }
  const TrainingOptions& t = o.training;
  create_output_dirs(t);
  // The model file: random BERT of the asked shape (encoder + pooler) with the vocabulary's
  // tokenizer; the trainer replaces its weights.
  const std::vector<std::string> vocab = read_vocab_file(o.vocab);
  BertShape file_shape;
  file_shape.num_layers = o.layers;
  file_shape.hidden = o.hidden;
  file_shape.num_heads = o.heads;
  file_shape.head_dim = o.hidden / o.heads;
  file_shape.intermediate = o.intermediate;
  file_shape.vocab_size = static_cast<uint32_t>(vocab.size());
  file_shape.max_positions = o.max_seq;
  file_shape.num_labels = 0;
  fb::ModelT base = random_bert(file_shape, t.seed);
  TokenizerOptions tokenizer_options;
  tokenizer_options.lowercase = o.lowercase;
  base.tokenizer = make_tokenizer(vocab, vocab.size(), tokenizer_options, o.vocab);
  base.provenance->source = "pretrain:" + o.vocab;

  SpecialIds ids;
  ids.cls = token_id(vocab, "[CLS]");
  ids.sep = token_id(vocab, "[SEP]");
  ids.mask = token_id(vocab, "[MASK]");
  ids.pad = token_id(vocab, "[PAD]");
  ids.vocab = static_cast<int32_t>(vocab.size());
  for (const char* special : {"[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]"}) {
    ids.specials.push_back(token_id(vocab, special));
  }
  for (const std::string& piece : vocab) {
    ids.continues_word.push_back(piece.size() > 2 && piece.rfind("##", 0) == 0 ? 1 : 0);
  }

  TokenizedCorpus held_out;
  TokenizedCorpus corpus;
  {
    HostSession session(pack_model(base), "pretraining model", o.max_seq);
    corpus = tokenize_corpus(session, o.corpus, o.holdout_every, &held_out, t.quiet);
  }
  if (!t.quiet) {
    std::fprintf(stderr, "corpus: %zu paragraphs, %zu sentences, %zu tokens; held out: %zu "
                 "paragraphs, %zu tokens\n", corpus.paragraphs.size(), corpus.sentences,
                 corpus.tokens, held_out.paragraphs.size(), held_out.tokens);
  }
  if (held_out.paragraphs.size() < 2) held_out = corpus;  // tiny corpora: evaluate on training text

  train::BertModel<float> model(trainer_shape(base, 0, true));
  init_bert_weights(model, t.seed);

  LoopConfig config = make_loop_config(t, "pretrain", o.steps);
  config.eval_measure = "NSP acc";  // EvalResult.seq_accuracy; keep-the-best ranks by MLM accuracy
  config.adam.eps = 1e-6;  // BERT's
  config.eval_at_start = true;

  // Held-out pairs: fixed batches (their own seed), the same at every evaluation.
  std::vector<train::Batch> eval_set;
  for (size_t i = 0; i < o.eval_batches; ++i) {
    eval_set.push_back(
        pretraining_batch(held_out, ids, o.batch, o.max_seq, t.seed ^ 0xE7A1ull, i, o.pairs));
  }
  LoopHooks hooks;
  hooks.batch_for_step = [&](size_t step) {
    return pretraining_batch(corpus, ids, o.batch, o.max_seq, t.seed, step, o.pairs);
  };
  hooks.evaluate = [&](train::BertModel<float>& m) {
    double loss = 0;
    size_t mlm_correct = 0, mlm_count = 0, nsp_correct = 0, nsp_count = 0;
    for (const train::Batch& b : eval_set) {
      m.forward(b);
      const train::Metrics& x = m.metrics();
      loss += x.loss;
      mlm_correct += x.mlm_correct;
      mlm_count += x.mlm_count;
      nsp_correct += x.seq_correct;
      nsp_count += x.seq_count;
    }
    EvalResult r;
    r.loss = loss / static_cast<double>(eval_set.size());
    r.mlm_accuracy = static_cast<double>(mlm_correct) / static_cast<double>(mlm_count);
    r.seq_accuracy = static_cast<double>(nsp_correct) / static_cast<double>(nsp_count);
    r.score = r.mlm_accuracy;
    return r;
  };
  const LoopOutcome outcome = run_training(model, config, hooks);
  if (!outcome.interrupted) {
    store_weights(model, base, {});
    save_model(base, t.output);
  }

  nlohmann::json report = loop_report(outcome, config, t.output);
  report["corpus"] = {{"paragraphs", corpus.paragraphs.size()}, {"sentences", corpus.sentences},
                      {"tokens", corpus.tokens}};
  report["held_out"] = {{"paragraphs", held_out.paragraphs.size()}, {"tokens", held_out.tokens}};
  report["pairs"] = {{"pack_sentences", o.pairs.pack}, {"whole_word_mask", o.pairs.whole_word}};
  for (const LogRow& row : outcome.log) {
    if (!row.evaluated) continue;
    const nlohmann::json e = {{"step", row.step}, {"loss", row.eval.loss},
                              {"mlm_accuracy", row.eval.mlm_accuracy},
                              {"nsp_accuracy", row.eval.seq_accuracy}};
    if (!report.contains("before")) report["before"] = e;
    report["after"] = e;
  }
  return report;
}

}  // namespace edgebert::convert
