// The trainer's data pipeline and loop: sentence splitting, BERT's pair/masking recipe
// (structure, proportions, determinism), epoch sampling, and a run stopped at a checkpoint and
// resumed that ends with bit-identical weights to an uninterrupted run.
#include <doctest/doctest.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "trainer/loop.h"
#include "trainer/pretrain_data.h"
#include "trainer/training_data.h"

namespace edgebert::convert {
namespace {

TEST_CASE("Sentence splitting keeps abbreviations, initials and quotes together") {
  const auto s = split_sentences(
      "Mr. Weston came at 5 p.m. with J. Smith. \"Poor Miss Taylor!\" she said. Is it? Yes. "
      "It was 3.5 lb . Then it ended");
  REQUIRE(s.size() == 6);
  CHECK(s[0] == "Mr. Weston came at 5 p.m. with J. Smith.");
  CHECK(s[1] == "\"Poor Miss Taylor!\" she said.");
  CHECK(s[2] == "Is it?");
  CHECK(s[3] == "Yes.");
  CHECK(s[4] == "It was 3.5 lb .");
  CHECK(s[5] == "Then it ended");
}

TEST_CASE("Paragraphs: blank-line blocks joined, WikiText headings dropped and escapes undone") {
  const auto path = std::filesystem::temp_directory_path() /
                    ("eb_paragraphs_" + std::to_string(std::random_device{}()) + ".txt");
  {
    std::ofstream out(path);
    out << " \n = Homarus gammarus = \n \n It is 5 @-@ 6 kg and <unk> . \n \n"
        << "\"Poor Miss Taylor!--I wish\nshe were here again.\"\n\n = = Description = = \nLast.\n";
  }
  const auto p = read_paragraphs(path.string());
  std::filesystem::remove(path);
  REQUIRE(p.size() == 3);
  CHECK(p[0] == "It is 5-6 kg and [UNK] .");
  CHECK(p[1] == "\"Poor Miss Taylor!--I wish she were here again.\"");
  CHECK(p[2] == "Last.");
  CHECK_THROWS_WITH_AS(read_paragraphs("/nonexistent/corpus.txt"),
                       doctest::Contains("cannot open"), std::runtime_error);
}

// A synthetic corpus: 40 paragraphs of 1-5 sentences of ids in [10, 200).
TokenizedCorpus synthetic_corpus() {
  std::mt19937 rng(3);
  TokenizedCorpus c;
  for (int p = 0; p < 40; ++p) {
    std::vector<std::vector<int32_t>> paragraph(1 + rng() % 5);
    for (auto& sentence : paragraph) {
      sentence.resize(3 + rng() % 30);
      for (int32_t& id : sentence) id = 10 + static_cast<int32_t>(rng() % 190);
      c.tokens += sentence.size();
    }
    c.sentences += paragraph.size();
    c.paragraphs.push_back(paragraph);
  }
  return c;
}

SpecialIds special_ids() {
  SpecialIds ids;
  ids.pad = 0, ids.cls = 2, ids.sep = 3, ids.mask = 4, ids.vocab = 200;
  ids.specials = {0, 1, 2, 3, 4};
  return ids;
}

TEST_CASE("Pretraining batches follow BERT's recipe and depend only on (seed, step)") {
  const TokenizedCorpus corpus = synthetic_corpus();
  const SpecialIds ids = special_ids();
  const size_t max_seq = 40;
  size_t chosen = 0, candidates = 0, masked = 0, random = 0, kept = 0, is_next = 0, rows = 0;
  for (uint64_t step = 0; step < 200; ++step) {
    const train::Batch b = pretraining_batch(corpus, ids, 16, max_seq, 7, step);
    REQUIRE(b.T <= max_seq);
    for (size_t r = 0; r < b.B; ++r, ++rows) {
      const int32_t* x = &b.ids[r * b.T];
      const int32_t* t = &b.types[r * b.T];
      const int32_t* m = &b.mask[r * b.T];
      const int32_t* y = &b.mlm_targets[r * b.T];
      size_t len = 0;
      while (len < b.T && m[len] == 1) ++len;
      // [CLS] A [SEP] B [SEP], types 0 through the first [SEP], then 1
      REQUIRE(x[0] == ids.cls);
      REQUIRE(x[len - 1] == ids.sep);
      size_t seps = 0, first_sep = 0;
      for (size_t i = 0; i < len; ++i) {
        if (x[i] == ids.sep) {
          if (seps++ == 0) first_sep = i;
        }
      }
      REQUIRE(seps == 2);
      for (size_t i = 0; i < len; ++i) REQUIRE(t[i] == (i <= first_sep ? 0 : 1));
      for (size_t i = len; i < b.T; ++i) REQUIRE((x[i] == ids.pad && y[i] == -1));
      size_t row_chosen = 0;
      for (size_t i = 0; i < len; ++i) {
        if (x[i] == ids.cls || (x[i] == ids.sep && y[i] < 0)) continue;
        ++candidates;
        if (y[i] < 0) continue;
        ++row_chosen;
        REQUIRE(y[i] >= 10);
        if (x[i] == ids.mask) {
          ++masked;
        } else if (x[i] == y[i]) {
          ++kept;
        } else {
          ++random;
          REQUIRE(x[i] >= 5);  // never a special token
        }
      }
      CHECK(row_chosen >= 1);
      chosen += row_chosen;
      is_next += b.labels[r] == 0 ? 1 : 0;
    }
  }
  const double c = static_cast<double>(chosen);
  CHECK(c / candidates == doctest::Approx(0.15).epsilon(0.1));  // rounding per sequence
  CHECK(masked / c == doctest::Approx(0.8).epsilon(0.03));
  CHECK(random / c == doctest::Approx(0.1).epsilon(0.15));
  CHECK(kept / c == doctest::Approx(0.1).epsilon(0.15));
  CHECK(static_cast<double>(is_next) / rows == doctest::Approx(0.5).epsilon(0.06));

  const train::Batch a = pretraining_batch(corpus, ids, 8, max_seq, 7, 123);
  const train::Batch b = pretraining_batch(corpus, ids, 8, max_seq, 7, 123);
  const train::Batch other = pretraining_batch(corpus, ids, 8, max_seq, 7, 124);
  CHECK(a.ids == b.ids);
  CHECK(a.mlm_targets == b.mlm_targets);
  CHECK(a.ids != other.ids);
}

// The tokens of a paragraph back to back, and whether `piece` occurs in it contiguously.
bool contiguous_in(const std::vector<std::vector<int32_t>>& paragraph,
                   const std::vector<int32_t>& piece) {
  std::vector<int32_t> all;
  for (const auto& sentence : paragraph) all.insert(all.end(), sentence.begin(), sentence.end());
  return !piece.empty() && std::search(all.begin(), all.end(), piece.begin(), piece.end()) != all.end();
}

TEST_CASE("Pretraining with packed sentences: segments fill max_seq, B follows A when labelled so") {
  const TokenizedCorpus corpus = synthetic_corpus();
  const SpecialIds ids = special_ids();
  const size_t max_seq = 64;
  PairRecipe packed;
  packed.pack = true;
  double length_packed = 0, length_single = 0;
  size_t rows = 0, is_next = 0, full = 0;
  for (uint64_t step = 0; step < 100; ++step) {
    const train::Batch b = pretraining_batch(corpus, ids, 16, max_seq, 7, step, packed);
    const train::Batch single = pretraining_batch(corpus, ids, 16, max_seq, 7, step);
    REQUIRE(b.T <= max_seq);
    for (size_t r = 0; r < b.B; ++r, ++rows) {
      std::vector<int32_t> a, bs;
      size_t seps = 0, len = 0;
      for (size_t i = 0; i < b.T && b.mask[r * b.T + i] == 1; ++i, ++len) {
        // The original token where it was masked.
        const int32_t y = b.mlm_targets[r * b.T + i];
        const int32_t x = y >= 0 ? y : b.ids[r * b.T + i];
        if (i == 0) {
          REQUIRE(x == ids.cls);
        } else if (x == ids.sep) {
          ++seps;
        } else {
          (seps == 0 ? a : bs).push_back(x);
          REQUIRE(b.types[r * b.T + i] == (seps == 0 ? 0 : 1));
        }
      }
      REQUIRE(seps == 2);
      REQUIRE(!a.empty());
      length_packed += static_cast<double>(len);
      full += len >= max_seq - 8 ? 1 : 0;
      for (size_t i = 0; i < single.T && single.mask[r * single.T + i] == 1; ++i) length_single += 1;
      if (b.labels[r] == 0) {
        ++is_next;
        // A and B are stretches of one paragraph's text (trimming cuts their ends).
        bool found = false;
        for (const auto& paragraph : corpus.paragraphs) {
          found = found || (contiguous_in(paragraph, a) && contiguous_in(paragraph, bs));
        }
        CHECK(found);
      }
    }
  }
  INFO("mean length packed " << length_packed / rows << ", one sentence each " << length_single / rows);
  CHECK(length_packed > 1.2 * length_single);  // 49 vs 39 of 64 here: sentences are long
  CHECK(static_cast<double>(full) / rows > 0.3);
  // Single-sentence gatherings are always random pairs (BERT's rule), so "next" is below half.
  const double next_share = static_cast<double>(is_next) / rows;
  CHECK(next_share > 0.2);
  CHECK(next_share < 0.5);
  const train::Batch again = pretraining_batch(corpus, ids, 8, max_seq, 7, 42, packed);
  CHECK(again.ids == pretraining_batch(corpus, ids, 8, max_seq, 7, 42, packed).ids);
}

TEST_CASE("Pretraining with whole-word masking: a word's pieces are masked together, 15% budget") {
  TokenizedCorpus corpus = synthetic_corpus();
  SpecialIds ids = special_ids();
  // Ids 100-199 continue a word ("##..."), 10-99 start one.
  ids.continues_word.assign(200, 0);
  for (size_t id = 100; id < 200; ++id) ids.continues_word[id] = 1;
  PairRecipe recipe;
  recipe.whole_word = true;
  size_t chosen = 0, candidates = 0, split_words = 0, words_touched = 0;
  for (uint64_t step = 0; step < 100; ++step) {
    const train::Batch b = pretraining_batch(corpus, ids, 16, 48, 7, step, recipe);
    for (size_t r = 0; r < b.B; ++r) {
      const int32_t* y = &b.mlm_targets[r * b.T];
      const int32_t* x = &b.ids[r * b.T];
      // Words: a piece below 100 (or any first piece after a special) and the pieces >= 100
      // after it.
      size_t i = 1;
      while (i < b.T && b.mask[r * b.T + i] == 1) {
        const int32_t first = y[i] >= 0 ? y[i] : x[i];
        if (first == ids.sep) {
          ++i;
          continue;
        }
        size_t end = i + 1;
        while (end < b.T && b.mask[r * b.T + end] == 1) {
          const int32_t v = y[end] >= 0 ? y[end] : x[end];
          if (v == ids.sep || v < 100) break;
          ++end;
        }
        size_t masked = 0;
        for (size_t k = i; k < end; ++k) masked += y[k] >= 0 ? 1 : 0;
        candidates += end - i;
        chosen += masked;
        if (masked > 0) ++words_touched;
        if (masked > 0 && masked != end - i) ++split_words;
        i = end;
      }
    }
  }
  CHECK(words_touched > 100);
  CHECK(split_words == 0);
  CHECK(static_cast<double>(chosen) / candidates == doctest::Approx(0.15).epsilon(0.2));
  ids.continues_word.clear();
  CHECK_THROWS_AS(pretraining_batch(corpus, ids, 2, 48, 7, 0, recipe), std::invalid_argument);
}

TEST_CASE("Epoch sampler: every epoch a permutation, batches of similar length, deterministic") {
  std::vector<size_t> lengths;
  for (size_t i = 0; i < 1000; ++i) lengths.push_back(3 + (i * 7919) % 60);
  EpochSampler sampler(lengths, 8, 5), again(lengths, 8, 5);
  REQUIRE(sampler.steps_per_epoch() == 125);
  for (size_t epoch = 0; epoch < 2; ++epoch) {
    std::set<size_t> seen;
    size_t spread = 0;
    for (size_t s = 0; s < 125; ++s) {
      const auto batch = sampler.batch_indices(epoch * 125 + s);
      size_t lo = 1000, hi = 0;
      for (size_t i : batch) {
        seen.insert(i);
        lo = std::min(lo, lengths[i]), hi = std::max(hi, lengths[i]);
      }
      spread += hi - lo;
    }
    CHECK(seen.size() == 1000);
    CHECK(spread / 125.0 < 10.0);  // random batches would spread ~50
  }
  CHECK(sampler.batch_indices(300) == again.batch_indices(300));
  CHECK(sampler.batch_indices(0) != sampler.batch_indices(125));  // a new order each epoch
}

TEST_CASE("Training stopped at a checkpoint and resumed ends bit-identical to one run") {
  train::BertShape shape;
  shape.vocab = 200, shape.max_positions = 40, shape.hidden = 16, shape.heads = 2;
  shape.layers = 2, shape.intermediate = 32, shape.pretraining_heads = true;
  const TokenizedCorpus corpus = synthetic_corpus();
  const SpecialIds ids = special_ids();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("eb_resume_" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);

  auto run = [&](size_t stop_after, const std::string& resume, const std::string& ckpt) {
    train::BertModel<float> model(shape);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (float& p : model.params()) p = normal(rng);
    LoopConfig config;
    config.steps = 12, config.warmup = 3, config.lr = 1e-3, config.seed = 9;
    config.dropout.hidden = config.dropout.attention = 0.1;
    config.eval_every = 5, config.log_every = 2;
    config.checkpoint_path = (dir / ckpt).string();
    config.resume_path = resume;
    config.stop_after = stop_after;
    config.quiet = true;
    LoopHooks hooks;
    hooks.batch_for_step = [&](size_t step) {
      return pretraining_batch(corpus, ids, 4, 40, 9, step);
    };
    hooks.evaluate = [&](train::BertModel<float>& m) {
      m.forward(pretraining_batch(corpus, ids, 4, 40, 1, 0));
      EvalResult r;
      r.loss = m.metrics().loss;
      r.score = -r.loss;
      return r;
    };
    const LoopOutcome outcome = run_training(model, config, hooks);
    return std::make_pair(model.params(), outcome);
  };
  const auto [whole, whole_outcome] = run(0, "", "whole.ckpt");
  const auto [first, first_outcome] = run(7, "", "split.ckpt");
  CHECK(first_outcome.interrupted);
  CHECK(first_outcome.steps_done == 7);
  CHECK(first != whole);
  const auto [resumed, resumed_outcome] = run(0, (dir / "split.ckpt").string(), "split.ckpt");
  CHECK(!resumed_outcome.interrupted);
  CHECK(resumed_outcome.steps_done == 12);
  CHECK(resumed == whole);  // bit-identical
  CHECK(resumed_outcome.best_score == whole_outcome.best_score);
  CHECK(std::filesystem::exists(dir / "whole.ckpt"));

  // A damaged checkpoint is refused with a message, never half-loaded.
  const auto ckpt = dir / "whole.ckpt";
  std::filesystem::resize_file(ckpt, std::filesystem::file_size(ckpt) - 100);
  CHECK_THROWS_WITH_AS(run(0, ckpt.string(), "again.ckpt"), doctest::Contains("truncated"),
                       std::runtime_error);
  {
    std::ofstream garbage(dir / "garbage.ckpt");
    garbage << "not a checkpoint at all";
  }
  CHECK_THROWS_WITH_AS(run(0, (dir / "garbage.ckpt").string(), "again.ckpt"),
                       doctest::Contains("not an edgebert checkpoint"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgebert::convert
