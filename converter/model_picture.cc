#include "model_picture.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "svg.h"

namespace edgebert::convert {
namespace {

using nlohmann::json;

const char* const kInt8Fill = "#fbd5ad";   // int8 weights
const char* const kFp32Fill = "#cfe2f3";   // fp32 weights
const char* const kOpFill = "#eeeeee";     // no weights (attention, outputs)

std::string bytes_text(double bytes) {
  if (bytes >= 1 << 20) return fmt::format("{:.2f} MiB", bytes / (1 << 20));
  if (bytes >= 1 << 10) return fmt::format("{:.1f} KiB", bytes / (1 << 10));
  return fmt::format("{:.0f} B", bytes);
}

// The tensors whose names start with one of `prefixes`: total bytes and their dtypes.
struct Weights {
  double bytes = 0;
  std::string dtype;  // "int8", "float32", "mixed" or "" (none)
};
Weights weights_of(const json& tensors, std::initializer_list<const char*> prefixes) {
  Weights w;
  std::string weights, others;  // dtypes of the matrices and tables; of biases and norms
  const auto merge = [](std::string& into, const std::string& d) {
    into = into.empty() || into == d ? d : "mixed";
  };
  for (const json& t : tensors) {
    const std::string name = t.value("name", "");
    const bool match = std::any_of(prefixes.begin(), prefixes.end(), [&](const char* p) {
      return name.rfind(p, 0) == 0;
    });
    if (!match) continue;
    w.bytes += t.value("bytes", 0.0);
    // A layer's dtype is its matrices' (biases and LayerNorms are fp32 in every model).
    const bool bias_or_norm = name.find("bias") != std::string::npos ||
                              name.find("LayerNorm") != std::string::npos;
    merge(bias_or_norm ? others : weights, t.value("dtype", ""));
  }
  w.dtype = weights.empty() ? others : weights;
  return w;
}

const char* fill_of(const std::string& dtype) {
  return dtype == "int8" || dtype == "mixed" ? kInt8Fill : dtype.empty() ? kOpFill : kFp32Fill;
}

struct Node {
  Node(std::string op_, std::string shape_, Weights weights_ = Weights(), std::string note_ = "")
      : op(std::move(op_)), shape(std::move(shape_)), weights(std::move(weights_)),
        note(std::move(note_)) {}
  std::string op, shape;  // "dense 384 -> 1152 (Q, K, V)", "(S, 1152)"
  Weights weights;
  std::string note;       // a third line, e.g. "+ residual, LayerNorm"
};

// A node box at (x, y), w x 52.
void draw_node(Svg& svg, double x, double y, double w, const Node& n) {
  Svg::Style box(fill_of(n.weights.dtype), "#666");
  box.tooltip = n.op + " " + n.shape + (n.weights.dtype.empty() ? "" : ", " + n.weights.dtype) +
                (n.weights.bytes > 0 ? ", " + bytes_text(n.weights.bytes) : "");
  svg.rect(x, y, w, 52, box, 5);
  svg.text(x + 8, y + 16, n.op, Svg::Font(12, "#111", "start", "bold"));
  std::string second = "out " + n.shape;
  if (!n.weights.dtype.empty()) {
    second += fmt::format("   weights {} {}", n.weights.dtype == "float32" ? "fp32" : n.weights.dtype,
                          bytes_text(n.weights.bytes));
  }
  svg.text(x + 8, y + 32, second, Svg::Font(11, "#333"));
  if (!n.note.empty()) svg.text(x + 8, y + 46, n.note, Svg::Font(10, "#555"));
}

void arrow(Svg& svg, double x, double y0, double y1) {
  svg.line(x, y0, x, y1 - 4, Svg::Style("none", "#666", 1.2));
  svg.polyline({{x - 4, y1 - 7}, {x, y1 - 1}, {x + 4, y1 - 7}}, Svg::Style("none", "#666", 1.2));
}

// The graph column; returns its height.
double draw_graph(Svg& svg, const json& r, double x0, double y0, double w) {
  const json& c = r.at("config");
  const json& tensors = r.at("tensors");
  const json task = r.value("task", json::object());
  const std::string kind = task.value("kind", "encoder");
  const auto L = c.value("num_layers", 0), H = c.value("hidden", 0), I = c.value("intermediate", 0);
  const auto heads = c.value("num_heads", 0), d = c.value("head_dim", 0);
  const auto A = heads * d, V = c.value("vocab_size", 0);
  const std::string S = fmt::format("{}", c.value("max_seq", 0));
  const std::string act = c.value("activation", "gelu");

  svg.text(x0, y0, "graph (S = max_seq = " + S + " tokens)", Svg::Font(14, "#111", "start", "bold"));
  double y = y0 + 14;
  std::vector<Node> before = {
      {fmt::format("tokenizer: WordPiece, {} pieces", V), "(S) ids, types", Weights(), "on the device: text in, ids and byte offsets out"},
      {"embeddings: word + position + type, LayerNorm", fmt::format("(S, {})", H),
       weights_of(tensors, {"embeddings."}), ""}};
  const auto place = [&](const Node& n, double indent) {
    draw_node(svg, x0 + indent, y, w - 2 * indent, n);
    y += 52;
    arrow(svg, x0 + w / 2, y, y + 16);
    y += 16;
  };
  for (const Node& n : before) place(n, 0);

  // One layer stands for all: a frame around its nodes, "x L".
  const double frame_top = y;
  y += 22;
  const std::string l0 = "encoder.layer.0.";
  const std::string attention_kind = c.value("attention_products", "fp32");
  std::vector<Node> layer = {
      {fmt::format("dense {} -> 3 x {} (Q, K, V)", H, A), fmt::format("(S, 3 x {})", A),
       weights_of(tensors, {(l0 + "attention.self.").c_str()}), ""},
      {fmt::format("attention: {} heads x {}, softmax(Q K^T / sqrt({})) V", heads, d, d),
       fmt::format("(S, {})", A), {}, fmt::format("q k^T and p v in {}, softmax fp32", attention_kind)},
      {fmt::format("dense {} -> {} (attention output)", A, H), fmt::format("(S, {})", H),
       weights_of(tensors, {(l0 + "attention.output.").c_str()}), "+ residual, LayerNorm"},
      {fmt::format("dense {} -> {} (intermediate) + {}", H, I, act), fmt::format("(S, {})", I),
       weights_of(tensors, {(l0 + "intermediate.").c_str()}), ""},
      {fmt::format("dense {} -> {} (output)", I, H), fmt::format("(S, {})", H),
       weights_of(tensors, {(l0 + "output.").c_str()}), "+ residual, LayerNorm"}};
  for (size_t i = 0; i < layer.size(); ++i) {
    draw_node(svg, x0 + 16, y, w - 32, layer[i]);
    y += 52;
    if (i + 1 < layer.size()) {
      arrow(svg, x0 + w / 2, y, y + 16);
      y += 16;
    }
  }
  y += 10;
  const Weights all_layers = weights_of(tensors, {"encoder.layer."});
  Svg::Style frame("none", "#444", 1.4);
  frame.dash = "6 3";
  svg.rect(x0 + 4, frame_top, w - 8, y - frame_top, frame, 8);
  svg.text(x0 + 12, frame_top + 15,
           fmt::format("encoder layer x {}   (all layers: {})", L, bytes_text(all_layers.bytes)),
           Svg::Font(12, "#111", "start", "bold"));
  arrow(svg, x0 + w / 2, y, y + 16);
  y += 16;

  std::vector<Node> head;
  const bool pooler = weights_of(tensors, {"pooler."}).bytes > 0;
  const size_t K = task.contains("labels") ? task["labels"].size() : 0;
  if (kind == "classification") {
    if (pooler) {
      head.push_back({fmt::format("pooler: [CLS] row, dense {} -> {} + tanh", H, H), fmt::format("({})", H),
                      weights_of(tensors, {"pooler."}), ""});
    }
    const std::string problem = task.value("problem_type", "single_label");
    head.push_back({fmt::format("classifier: dense {} -> {}", H, K), fmt::format("({})", K),
                    weights_of(tensors, {"classifier."}),
                    problem == "regression" ? "a score (regression)"
                    : problem == "multi_label" ? "sigmoid per label" : "softmax over the labels"});
  } else if (kind == "token_classification") {
    head.push_back({fmt::format("classifier on every token: dense {} -> {}", H, K),
                    fmt::format("(S, {})", K), weights_of(tensors, {"classifier."}),
                    "softmax per token, then words and entities"});
  } else if (kind == "question_answering") {
    head.push_back({fmt::format("qa_outputs on every token: dense {} -> 2", H), "(S, 2)",
                    weights_of(tensors, {"qa_outputs."}), "start and end logits: the best spans"});
  } else if (kind == "masked_lm") {
    head.push_back({fmt::format("MLM transform on [MASK] rows: dense {} + GELU, LayerNorm", H),
                    fmt::format("(masks, {})", H), weights_of(tensors, {"cls.predictions.transform."}), ""});
    head.push_back({fmt::format("decoder tied to the word embeddings + bias -> {}", V),
                    fmt::format("(masks, {})", V), weights_of(tensors, {"cls.predictions.bias"}),
                    "on demand, per [MASK]: top-k tokens"});
  } else {
    head.push_back({fmt::format("pooling: {}{}", task.value("pooling", "mean"),
                                task.value("normalize", false) ? ", L2-normalized" : ""),
                    fmt::format("({})", H), Weights(), "the sentence embedding"});
  }
  for (size_t i = 0; i < head.size(); ++i) {
    draw_node(svg, x0, y, w, head[i]);
    y += 52;
    if (i + 1 < head.size()) {
      arrow(svg, x0 + w / 2, y, y + 16);
      y += 16;
    }
  }
  // Legend.
  y += 22;
  double lx = x0;
  for (const auto& [fill, name] : {std::pair{kInt8Fill, "int8 weights"}, std::pair{kFp32Fill, "fp32 weights"},
                                   std::pair{kOpFill, "no weights"}}) {
    svg.rect(lx, y - 10, 14, 12, Svg::Style(fill, "#666"));
    svg.text(lx + 20, y, name, Svg::Font(11));
    lx += 120;
  }
  const json totals = r.value("totals", json::object());
  svg.text(x0, y + 20,
           fmt::format("{} parameters, {} of weights in a {} file", totals.value("parameters", 0),
                       bytes_text(totals.value("weight_bytes", 0.0)),
                       bytes_text(r.value("file_bytes", 0.0))),
           Svg::Font(11, "#333"));
  return y + 30 - y0;
}

// Distinct, stable colours for buffer names.
std::string color_of(const std::string& name) {
  static const char* const palette[] = {"#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                                        "#b3de69", "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f",
                                        "#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6"};
  size_t h = 0;
  for (const char ch : name) h = h * 131 + static_cast<unsigned char>(ch);
  return palette[h % (sizeof palette / sizeof palette[0])];
}

void draw_plan(Svg& svg, const json& r, double x0, double y0, double w, double h) {
  svg.text(x0, y0, "memory plan: the arena's head over one run", Svg::Font(14, "#111", "start", "bold"));
  if (!r.contains("memory_plan") || !r["memory_plan"].is_object()) {
    svg.text(x0, y0 + 24, "no memory plan stored in this model", Svg::Font(12, "#888"));
    return;
  }
  const json& plan = r["memory_plan"];
  const double head = plan.value("head_bytes", 0.0), lower = plan.value("lower_bound", 0.0);
  const double unshared = plan.value("unshared_bytes", 0.0);
  static const char* const steps[] = {"tokenize", "embeddings", "Q K V",  "attention",
                                      "attn out", "intermed.",  "output", "heads", "after"};
  constexpr int kSteps = 9;
  const double left = x0 + 78, top = y0 + 40, right = x0 + w - 8, bottom = y0 + h - 56;
  const double pw = right - left, ph = bottom - top;
  const double top_bytes = std::max(head, 1.0);
  const auto sx = [&](double step) { return left + step / kSteps * pw; };
  const auto sy = [&](double bytes) { return bottom - bytes / top_bytes * ph; };
  svg.text(x0, y0 + 18,
           fmt::format("max_seq {}, {} thread(s): head {} (lower bound {}; without sharing {})",
                       plan.value("max_seq", 0), plan.value("threads", 1), bytes_text(head),
                       bytes_text(lower), bytes_text(unshared)),
           Svg::Font(11, "#333"));
  const bool mib = top_bytes >= (1 << 20);
  const double unit = mib ? 1 << 20 : 1 << 10;
  const std::vector<double> ticks = nice_ticks(0, top_bytes / unit, 6);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (const double t : ticks) {
    if (t * unit > top_bytes * 1.0001) break;
    svg.line(left, sy(t * unit), right, sy(t * unit), Svg::Style("none", "#e6e6e6"));
    svg.text(left - 5, sy(t * unit) + 4, tick_label(t, step) + (mib ? " MiB" : " KiB"),
             Svg::Font(10, "#444", "end"));
  }
  for (int s = 0; s < kSteps; ++s) {
    svg.line(sx(s), top, sx(s), bottom, Svg::Style("none", "#e6e6e6"));
    Svg::Font f(10, "#444", "end");
    f.rotate = -35;
    svg.text(sx(s + 0.5) + 6, bottom + 12, steps[s], f);
  }
  svg.text(x0 + 10, (top + bottom) / 2, "offset in the arena", [] {
    Svg::Font f(11, "#444", "middle");
    f.rotate = -90;
    return f;
  }());
  for (const json& b : plan.value("buffers", json::array())) {
    const std::string name = b.value("buffer", "?");
    const double offset = b.value("offset", 0.0), size = b.value("size", 0.0);
    const double first = b.value("first_step", 0), last = b.value("last_step", 0);
    Svg::Style bar(color_of(name), "#555", 0.6);
    bar.tooltip = fmt::format("{}: {} at offset {}, steps {} .. {}", name, bytes_text(size),
                              static_cast<uint64_t>(offset), steps[std::min<int>(int(first), kSteps - 1)],
                              steps[std::min<int>(int(last), kSteps - 1)]);
    const double bx = sx(first) + 1, bw = sx(last + 1) - sx(first) - 2;
    const double by = sy(offset + size), bh = std::max(sy(offset) - sy(offset + size), 1.0);
    svg.rect(bx, by, bw, bh, bar, 2);
    if (bh >= 11 && bw >= 6.5 * static_cast<double>(name.size())) {
      svg.text(bx + 3, by + std::min(bh / 2 + 4, 12.0), name, Svg::Font(10, "#111"));
    }
  }
  Svg::Style bound("none", "#c00", 1.2);
  bound.dash = "5 3";
  svg.line(left, sy(lower), right, sy(lower), bound);
  svg.text(right - 2, sy(lower) - 4, "lower bound " + bytes_text(lower), Svg::Font(10, "#c00", "end"));
  svg.rect(left, top, pw, ph, Svg::Style("none", "#999"));
  svg.text(left, bottom + 54,
           "bars: a buffer over the steps it lives in, at its bytes; hover for name, size, offset",
           Svg::Font(10, "#555"));
}

}  // namespace

std::string model_svg(const json& r, const std::string& title) {
  // Measure the graph column first (its height depends on the head), then draw both.
  Svg probe(1, 1);
  const double graph_height = draw_graph(probe, r, 16, 60, 470);
  const double height = std::max(graph_height + 80, 640.0);
  Svg svg(1180, height, title);
  svg.text(16, 26, title, Svg::Font(16, "#111", "start", "bold"));
  draw_graph(svg, r, 16, 60, 470);
  draw_plan(svg, r, 520, 60, 640, std::min(height - 70, 700.0));
  return svg.str();
}

}  // namespace edgebert::convert
