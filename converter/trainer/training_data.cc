#include "trainer/training_data.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>

#include "edgebert/edgebert.h"
#include "edgebert_generated.h"

namespace edgebert::convert {

TextTokenizer::TextTokenizer(const AlignedBytes& model_bytes) {
  const fb::Model* model = fb::GetModel(model_bytes.data());
  if (model->tokenizer() == nullptr || model->config() == nullptr) {
    throw std::runtime_error("the model has no tokenizer");
  }
  eb_error error;
  const uint32_t vocab = model->config()->vocab_size();
  if (tokenizer_tables_init(model->tokenizer(), vocab, nullptr, &error) != EB_OK ||
      tokenizer_tables_init(model->tokenizer(), vocab, &tables_, &error) != EB_OK) {
    throw std::runtime_error(std::string("tokenizer: ") + error.message);
  }
  const size_t bytes = tokenizer_scratch_bytes(tables_.max_word_chars, 1, tables_.model);
  scratch_memory_.assign((bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t), 0);
  scratch_ = tokenizer_scratch_at(scratch_memory_.data(), tables_.max_word_chars, 1,
                                  tables_.model);
}

std::vector<Token> TextTokenizer::tokens(const std::string& text) const {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const size_t count = tokenize_text(tables_, scratch_, bytes, text.size(), nullptr, 0, true);
  std::vector<Token> out(count);
  tokenize_text(tables_, scratch_, bytes, text.size(), out.data(), count, false);
  return out;
}

Sequence tokenize_pair(HostSession& session, const std::string& text, const std::string* text_b,
                       const std::string& where) {
  eb_error error;
  if (eb_session_tokenize(session.session().get(), text.data(), text.size(),
                          text_b != nullptr ? text_b->data() : nullptr,
                          text_b != nullptr ? text_b->size() : 0, &error) != EB_OK) {
    throw std::runtime_error(where + ": " + error.message);
  }
  eb_tokens tokens;
  eb_session_tokens(session.session().get(), &tokens);
  Sequence s;
  s.ids.assign(tokens.ids, tokens.ids + tokens.count);
  s.types.assign(tokens.token_type_ids, tokens.token_type_ids + tokens.count);
  return s;
}

train::Batch make_batch(const std::vector<Sequence>& sequences,
                        const std::vector<size_t>& indices) {
  train::Batch batch;
  batch.B = indices.size();
  for (size_t i : indices) batch.T = std::max(batch.T, sequences[i].ids.size());
  const size_t N = batch.B * batch.T;
  batch.ids.assign(N, 0);
  batch.types.assign(N, 0);
  batch.mask.assign(N, 0);
  batch.labels.resize(batch.B);
  batch.token_labels.assign(N, -1);
  batch.spans.resize(2 * batch.B);
  for (size_t b = 0; b < batch.B; ++b) {
    const Sequence& s = sequences[indices[b]];
    std::copy(s.ids.begin(), s.ids.end(), batch.ids.begin() + b * batch.T);
    std::copy(s.types.begin(), s.types.end(), batch.types.begin() + b * batch.T);
    std::fill_n(batch.mask.begin() + b * batch.T, s.ids.size(), 1);
    std::copy(s.token_labels.begin(), s.token_labels.end(), batch.token_labels.begin() + b * batch.T);
    batch.labels[b] = s.label;
    batch.targets.insert(batch.targets.end(), s.targets.begin(), s.targets.end());
    batch.spans[2 * b] = s.span_start;
    batch.spans[2 * b + 1] = s.span_end;
    if (s.teacher_logits.empty() != sequences[indices[0]].teacher_logits.empty()) {
      throw std::invalid_argument("make_batch: teacher logits for some sequences only");
    }
    batch.soft_logits.insert(batch.soft_logits.end(), s.teacher_logits.begin(),
                             s.teacher_logits.end());
  }
  return batch;
}

EpochSampler::EpochSampler(std::vector<size_t> lengths, size_t batch, uint64_t seed)
    : lengths_(std::move(lengths)),
      batch_(batch),
      steps_per_epoch_((lengths_.size() + batch - 1) / std::max<size_t>(batch, 1)),
      seed_(seed) {
  if (lengths_.empty() || batch == 0) throw std::invalid_argument("empty data or batch size 0");
}

namespace {

// Fisher-Yates with the counter-based generator: the same on every platform and library.
template <typename V>
void shuffle(V& v, uint64_t stream) {
  for (size_t i = v.size(); i > 1; --i) {
    const uint64_t r = train::mix64(stream ^ train::mix64(i));
    std::swap(v[i - 1], v[r % i]);
  }
}

}  // namespace

std::vector<size_t> EpochSampler::batch_indices(size_t step) {
  const size_t epoch = step / steps_per_epoch_, index = step % steps_per_epoch_;
  if (epoch != cached_epoch_) {
    const size_t n = lengths_.size();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    shuffle(order, train::mix64(seed_ ^ (2 * epoch + 1)));
    const size_t chunk = 64 * batch_;
    for (size_t begin = 0; begin < n; begin += chunk) {
      const auto first = order.begin() + begin, last = order.begin() + std::min(n, begin + chunk);
      std::stable_sort(first, last, [&](size_t a, size_t b) { return lengths_[a] < lengths_[b]; });
    }
    batches_.clear();
    for (size_t begin = 0; begin < n; begin += batch_) {
      batches_.emplace_back(order.begin() + begin, order.begin() + std::min(n, begin + batch_));
    }
    shuffle(batches_, train::mix64(seed_ ^ (2 * epoch + 2)));
    cached_epoch_ = epoch;
  }
  return batches_[index];
}

void forward_batches(train::BertModel<float>& model, const std::vector<Sequence>& set,
                     size_t batch,
                     const std::function<void(const train::Batch&, const std::vector<size_t>&)>& visit) {
  std::vector<size_t> order(set.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return set[a].ids.size() < set[b].ids.size();
  });
  for (size_t begin = 0; begin < order.size(); begin += batch) {
    const std::vector<size_t> indices(order.begin() + begin,
                                      order.begin() + std::min(order.size(), begin + batch));
    const train::Batch b = make_batch(set, indices);
    model.forward(b);
    visit(b, indices);
  }
}

EvalTotals evaluate_sequences(train::BertModel<float>& model, const std::vector<Sequence>& set,
                              size_t batch) {
  EvalTotals totals;
  double loss_sum = 0;
  size_t correct = 0;
  forward_batches(model, set, batch, [&](const train::Batch&, const std::vector<size_t>&) {
    const train::Metrics& m = model.metrics();
    loss_sum += m.seq_loss * static_cast<double>(m.seq_count);
    correct += m.seq_correct;
    totals.examples += m.seq_count;
  });
  if (totals.examples > 0) {
    totals.loss = loss_sum / static_cast<double>(totals.examples);
    totals.seq_accuracy = static_cast<double>(correct) / static_cast<double>(totals.examples);
  }
  return totals;
}

}  // namespace edgebert::convert
