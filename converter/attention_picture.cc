#include "attention_picture.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "run_command.h"
#include "svg.h"

namespace edgebert::convert {
namespace {

constexpr double kMargin = 20, kRow = 18, kLineSpan = 180, kGap = 8;
// Heat maps shade a cell by the square root of its weight, one scale for all heads (so small
// weights still show and heads compare); cells fainter than this (weight 0.01) are left out.
constexpr float kFaintestShade = 0.1f;

// bertviz's palette (d3 category10, then two more): one colour a head.
const char* const kHeadColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                   "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                   "#bcbd22", "#17becf", "#393b79", "#637939"};
const char* head_color(uint32_t head) { return kHeadColors[head % std::size(kHeadColors)]; }

const char* segment_color(int8_t segment) {
  return segment < 0 ? "#888888" : segment == 0 ? "#222222" : "#1f5fa8";
}
const char* segment_fill(int8_t segment) {
  return segment < 0 ? "#eeeeee" : segment == 0 ? "#fff6d5" : "#dbe8f7";
}

// "piece 0.42, piece 0.20, piece 0.08": the `count` largest of `weights` (S) with their pieces.
std::string strongest(const Explanation& e, const std::vector<float>& weights, size_t count) {
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  count = std::min(count, order.size());
  std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](size_t a, size_t b) {
    return weights[a] > weights[b] || (weights[a] == weights[b] && a < b);
  });
  std::string out;
  for (size_t k = 0; k < count; ++k) {
    out += fmt::format("{}{} {:.2f}", k > 0 ? ", " : "", e.pieces[order[k]], weights[order[k]]);
  }
  return out;
}

// A label cut to `chars` code points with an ellipsis.
std::string shortened(const std::string& text, size_t chars) {
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (points++ == chars) return text.substr(0, i) + "\u2026";
  }
  return text;
}

// The pieces as boxes flowing in rows within `width`, from (x, y); returns the bottom. Null
// `svg`: only measures.
double draw_pieces(Svg* svg, const Explanation& e, double x, double y, double width) {
  double cx = x, cy = y;
  for (size_t i = 0; i < e.tokens(); ++i) {
    const std::string label = shortened(e.pieces[i], 24);
    const double w = text_width(label, 12) + 10;
    if (cx + w > x + width && cx > x) cx = x, cy += 24;
    if (svg != nullptr) {
      Svg::Style box(segment_fill(e.segments[i]), "#bbbbbb");
      box.tooltip = fmt::format("token {}: {}", i, e.pieces[i]);
      svg->rect(cx, cy, w, 20, box, 3);
      svg->text(cx + 5, cy + 14, label, Svg::Font(12, segment_color(e.segments[i])));
    }
    cx += w + 4;
  }
  return cy + 20;
}

// The head view of (layer, head) with its top-left at (x, y); returns its width.
double draw_head_view(Svg& svg, const Explanation& e, uint32_t layer, uint32_t head, double x,
                      double y, double label_width) {
  const size_t S = e.tokens();
  const float* m = e.map(layer, head);
  svg.text(x, y, fmt::format("Layer {}, head {}", layer, head),
           Svg::Font(14, "#111", "start", "bold"));
  svg.text(x, y + 16, "each token (left) attends to the tokens on the right",
           Svg::Font(11, "#555"));
  const double top = y + 36, left_end = x + label_width, line_from = left_end + 6,
               line_to = line_from + kLineSpan, right_start = line_to + 6;
  const auto row_y = [&](size_t i) { return top + kRow * static_cast<double>(i) + kRow / 2; };
  for (size_t i = 0; i < S; ++i) {
    for (size_t j = 0; j < S; ++j) {
      const float a = m[i * S + j];
      if (a < kSmallestDrawnWeight) continue;
      Svg::Style line("none", head_color(head), 2);
      line.opacity = a;
      line.tooltip = fmt::format("{} \u2192 {}: {:.3f}", e.pieces[i], e.pieces[j], a);
      svg.line(line_from, row_y(i), line_to, row_y(j), line);
    }
  }
  std::vector<float> row(S), column(S);
  for (size_t i = 0; i < S; ++i) {
    const std::string label = shortened(e.pieces[i], 18);
    Svg::Font left(12, segment_color(e.segments[i]), "end");
    svg.text(left_end, row_y(i) + 4, label, left);
    svg.text(right_start, row_y(i) + 4, label, Svg::Font(12, segment_color(e.segments[i])));
    // Hover targets over the labels: where a token looks, and who looks at it.
    for (size_t j = 0; j < S; ++j) row[j] = m[i * S + j], column[j] = m[j * S + i];
    Svg::Style hover("white");
    hover.opacity = 0;
    hover.tooltip = fmt::format("{} looks at {}", e.pieces[i], strongest(e, row, 3));
    svg.rect(x, row_y(i) - kRow / 2, label_width, kRow, hover);
    hover.tooltip = fmt::format("{} is looked at by {}", e.pieces[i], strongest(e, column, 3));
    svg.rect(right_start, row_y(i) - kRow / 2, label_width, kRow, hover);
  }
  return right_start + label_width - x;
}

// Every head as a heat map, layers down and heads across, at (x, y); returns the bottom.
double draw_head_grid(Svg& svg, const Explanation& e, uint32_t layer, uint32_t head, double x,
                      double y, double thumb) {
  const size_t S = e.tokens();
  svg.text(x, y, "All heads", Svg::Font(14, "#111", "start", "bold"));
  svg.text(x, y + 16, "rows: queries, columns: keys; darker = more weight (shade: square",
           Svg::Font(11, "#555"));
  svg.text(x, y + 30, "root of the weight); framed: the head on the left", Svg::Font(11, "#555"));
  const double label = 52, top = y + 56, left = x + label;
  for (uint32_t h = 0; h < e.heads; ++h) {
    svg.text(left + h * (thumb + kGap) + thumb / 2, top - 6, fmt::format("head {}", h),
             Svg::Font(11, "#333", "middle"));
  }
  std::vector<float> mean(S);
  const size_t B = std::min<size_t>(S, static_cast<size_t>(thumb / 3));
  std::vector<float> blocks(B * B);
  std::vector<size_t> block_tokens(B);  // tokens in each block
  for (size_t i = 0; i < S; ++i) ++block_tokens[i * B / S];
  for (uint32_t l = 0; l < e.layers; ++l) {
    const double ty = top + l * (thumb + kGap);
    svg.text(x, ty + thumb / 2 + 4, fmt::format("layer {}", l), Svg::Font(11, "#333"));
    for (uint32_t h = 0; h < e.heads; ++h) {
      const double tx = left + h * (thumb + kGap);
      const float* m = e.map(l, h);
      // Cells of at least 3 px: long inputs average blocks of tokens (B x B blocks).
      std::fill(blocks.begin(), blocks.end(), 0.0f);
      for (size_t i = 0; i < S; ++i) {
        for (size_t j = 0; j < S; ++j) blocks[(i * B / S) * B + j * B / S] += m[i * S + j];
      }
      for (size_t bi = 0; bi < B; ++bi) {  // sums to means
        for (size_t bj = 0; bj < B; ++bj) {
          blocks[bi * B + bj] /= static_cast<float>(block_tokens[bi] * block_tokens[bj]);
        }
      }
      svg.rect(tx, ty, thumb, thumb, Svg::Style("white", "#cccccc"));
      svg.begin_group(tx, ty, thumb / static_cast<double>(B));  // one unit a block
      for (size_t bi = 0; bi < B; ++bi) {
        for (size_t bj = 0; bj < B; ++bj) {
          const float shade = std::sqrt(blocks[bi * B + bj]);
          if (shade < kFaintestShade) continue;
          Svg::Style cell(head_color(h));
          cell.opacity = shade;
          svg.rect(static_cast<double>(bj), static_cast<double>(bi), 1, 1, cell);
        }
      }
      svg.end_group();
      // On top: the frame of the selected head, and a hover target saying what the head does.
      if (l == layer && h == head)
        svg.rect(tx - 2, ty - 2, thumb + 4, thumb + 4, Svg::Style("none", "#111", 2));
      std::fill(mean.begin(), mean.end(), 0.0f);
      for (size_t i = 0; i < S; ++i) {
        for (size_t j = 0; j < S; ++j) mean[j] += m[i * S + j] / static_cast<float>(S);
      }
      Svg::Style hover("white");
      hover.opacity = 0;
      hover.tooltip = fmt::format("layer {}, head {}: most weight on average on {}", l, h,
                                  strongest(e, mean, 3));
      svg.rect(tx, ty, thumb, thumb, hover);
    }
  }
  return top + e.layers * (thumb + kGap);
}

}  // namespace

std::string attention_svg(const Explanation& e, uint32_t layer, uint32_t head) {
  e.check_head(layer, head);
  const size_t S = e.tokens();
  double label_width = 40;
  for (const std::string& piece : e.pieces) {
    label_width = std::max(label_width, text_width(shortened(piece, 18), 12));
  }
  const double head_view_width = 2 * label_width + 12 + kLineSpan;
  const double thumb = std::clamp(640.0 / e.heads, 36.0, 96.0);
  const double grid_width = 52 + e.heads * (thumb + kGap);
  // The grid's column is at least as wide as its subtitle.
  const double width =
      std::max(kMargin * 2 + head_view_width + 48 + std::max(grid_width, 380.0), 760.0);

  // The header's height depends on how the pieces wrap and on the prediction's lines.
  const std::string prediction = run_text(e.prediction);
  std::vector<std::string> lines;
  for (size_t at = 0; at < prediction.size() && lines.size() < 8;) {
    const size_t end = prediction.find('\n', at);
    lines.push_back(prediction.substr(at, end - at));
    at = end == std::string::npos ? prediction.size() : end + 1;
  }
  const double pieces_bottom = draw_pieces(nullptr, e, kMargin, 62, width - 2 * kMargin);
  const double body = pieces_bottom + 28 + 16.0 * static_cast<double>(lines.size()) + 24;
  const double head_view_bottom = body + 36 + kRow * static_cast<double>(S);
  const double grid_bottom = body + 56 + e.layers * (thumb + kGap);
  const double height = std::max(head_view_bottom, grid_bottom) + kMargin;

  Svg svg(width, height, "Attention of " + e.model_name);
  svg.text(kMargin, 28, "Attention of " + e.model_name, Svg::Font(18, "#111", "start", "bold"));
  svg.text(kMargin, 48,
           fmt::format("{} tokens, {} layers x {} heads, run on {}; hover lines, labels and maps "
                       "for values",
                       S, e.layers, e.heads, e.kernels),
           Svg::Font(12, "#555"));
  draw_pieces(&svg, e, kMargin, 62, width - 2 * kMargin);
  double legend_x = width - kMargin;  // right-aligned on the subtitle's line
  for (const int8_t segment : {int8_t{-1}, int8_t{1}, int8_t{0}}) {
    const char* name = segment < 0 ? "special" : segment == 0 ? "text" : "pair";
    legend_x -= text_width(name, 11) + 22;
    svg.rect(legend_x, 38, 12, 12, Svg::Style(segment_fill(segment), "#bbbbbb"), 2);
    svg.text(legend_x + 16, 48, name, Svg::Font(11, segment_color(segment)));
  }
  double y = pieces_bottom + 22;
  svg.text(kMargin, y, "prediction (as edgebert-convert run says)",
           Svg::Font(12, "#111", "start", "bold"));
  for (const std::string& line : lines) {
    y += 16;
    Svg::Font mono(12, "#222");
    mono.family = "monospace";
    svg.text(kMargin + 8, y, line, mono);
  }
  draw_head_view(svg, e, layer, head, kMargin, body, label_width);
  draw_head_grid(svg, e, layer, head, kMargin + head_view_width + 48, body, thumb);
  return svg.str();
}

}  // namespace edgebert::convert
