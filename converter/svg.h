// The converter's pictures (training curves, the model graph and its memory plan, attention
// maps) are drawn with this one small SVG writer: elements appended in order into a document of
// a fixed size, text escaped, coordinates printed short, hover tooltips as <title>; plus the axis
// arithmetic the charts share (round "nice" ticks) and a line chart.
#ifndef EDGEBERT_CONVERTER_SVG_H_
#define EDGEBERT_CONVERTER_SVG_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace edgebert::convert {

// &, <, >, ' and " as entities (attribute values are single-quoted).
std::string xml_escape(const std::string& text);

class Svg {
 public:
  Svg(double width, double height, const std::string& title = "");
  double width() const { return width_; }
  double height() const { return height_; }

  struct Style {
    explicit Style(std::string fill_ = "none", std::string stroke_ = "none", double width = 1)
        : fill(std::move(fill_)), stroke(std::move(stroke_)), stroke_width(width) {}
    std::string fill, stroke;
    double stroke_width, opacity = 1;
    std::string dash;     // stroke-dasharray, "" = solid
    std::string tooltip;  // shown on hover
  };
  void rect(double x, double y, double w, double h, const Style& style, double corner = 0);
  void line(double x1, double y1, double x2, double y2, const Style& style);
  void polyline(const std::vector<std::pair<double, double>>& points, const Style& style);
  void circle(double cx, double cy, double r, const Style& style);
  struct Font {
    explicit Font(double size_ = 12, std::string fill_ = "#222", std::string anchor_ = "start",
                  std::string weight_ = "normal")
        : size(size_), fill(std::move(fill_)), anchor(std::move(anchor_)),
          weight(std::move(weight_)) {}
    double size;
    std::string fill, anchor, weight;
    double rotate = 0;   // degrees about (x, y)
    std::string family;  // "" = the document's (sans-serif); e.g. "monospace"
  };
  void text(double x, double y, const std::string& text, const Font& font);
  void text(double x, double y, const std::string& text) { this->text(x, y, text, Font{}); }
  // Elements between begin_group and end_group are scaled by `scale`, then moved by (dx, dy).
  void begin_group(double dx, double dy, double scale = 1);
  void end_group();

  std::string str() const;  // the whole document

 private:
  double width_, height_;
  std::string title_, body_;
  int open_groups_ = 0;
};

// About how wide `text` (UTF-8) is in sans-serif at `font_size` px: 0.6 em a code point, a
// little more than the average letter, so labels laid out by it do not overlap.
double text_width(const std::string& text, double font_size);

// Round tick values covering [lo, hi] with about `target` intervals: steps of 1, 2 or 5 x 10^k,
// the first tick <= lo and the last >= hi, every tick a multiple of the step (so 0 is a tick
// whenever the range crosses it). lo == hi gets a unit-wide range around it.
std::vector<double> nice_ticks(double lo, double hi, size_t target = 5);
// A tick's label with the digits the step needs: "0.25", "600"; below 1e-3 %g style ("0.0008",
// "2e-05").
std::string tick_label(double value, double step);

// A line chart in the box (x, y, w, h) of `svg`: axes with nice ticks and a light grid, one
// polyline per series with its minimum and maximum marked and labelled, a legend, and an
// optional highlighted point (e.g. the best dev evaluation). Series without points are skipped;
// no points at all draws "no data".
struct ChartSeries {
  std::string name, color;
  std::vector<std::pair<double, double>> points;
  bool mark_extremes = true;
};
struct ChartPoint {
  double x = 0, y = 0;
  std::string label;  // "" = none
};
void line_chart(Svg& svg, double x, double y, double w, double h, const std::string& title,
                const std::string& x_label, const std::vector<ChartSeries>& series,
                const ChartPoint* highlight = nullptr);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_SVG_H_
