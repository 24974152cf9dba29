#include "svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace edgebert::convert {
namespace {

// Coordinates to 0.1 px, without trailing zeros.
std::string num(double v) {
  std::string s = fmt::format("{:.1f}", v);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

std::string style_attributes(const Svg::Style& s) {
  std::string out = fmt::format(" fill='{}' stroke='{}'", xml_escape(s.fill), xml_escape(s.stroke));
  if (s.stroke != "none") out += fmt::format(" stroke-width='{:g}'", s.stroke_width);
  if (s.opacity < 1) out += fmt::format(" opacity='{:.3g}'", s.opacity);
  if (!s.dash.empty()) out += fmt::format(" stroke-dasharray='{}'", xml_escape(s.dash));
  return out;
}

// The element closed either empty or around its tooltip.
std::string close(const std::string& tag, const std::string& tooltip) {
  if (tooltip.empty()) return "/>\n";
  return "><title>" + xml_escape(tooltip) + "</title></" + tag + ">\n";
}

std::string value_label(double v) {
  if (v == 0) return "0";
  return fmt::format("{:.4g}", v);
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&apos;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

Svg::Svg(double width, double height, const std::string& title)
    : width_(width), height_(height), title_(title) {}

void Svg::rect(double x, double y, double w, double h, const Style& style, double corner) {
  body_ += fmt::format("<rect x='{}' y='{}' width='{}' height='{}'", num(x), num(y),
                       num(std::max(w, 0.0)), num(std::max(h, 0.0)));
  if (corner > 0) body_ += fmt::format(" rx='{}'", num(corner));
  body_ += style_attributes(style) + close("rect", style.tooltip);
}

void Svg::line(double x1, double y1, double x2, double y2, const Style& style) {
  body_ += fmt::format("<line x1='{}' y1='{}' x2='{}' y2='{}'", num(x1), num(y1), num(x2), num(y2)) +
           style_attributes(style) + close("line", style.tooltip);
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, const Style& style) {
  body_ += "<polyline points='";
  for (size_t i = 0; i < points.size(); ++i) {
    body_ += (i > 0 ? " " : "") + num(points[i].first) + "," + num(points[i].second);
  }
  body_ += "'" + style_attributes(style) + close("polyline", style.tooltip);
}

void Svg::circle(double cx, double cy, double r, const Style& style) {
  body_ += fmt::format("<circle cx='{}' cy='{}' r='{}'", num(cx), num(cy), num(r)) +
           style_attributes(style) + close("circle", style.tooltip);
}

void Svg::text(double x, double y, const std::string& text, const Font& f) {
  body_ += fmt::format("<text x='{}' y='{}' font-size='{}' fill='{}'", num(x), num(y), num(f.size),
                       xml_escape(f.fill));
  if (f.anchor != "start") body_ += " text-anchor='" + xml_escape(f.anchor) + "'";
  if (f.weight != "normal") body_ += " font-weight='" + xml_escape(f.weight) + "'";
  if (!f.family.empty()) body_ += " font-family='" + xml_escape(f.family) + "'";
  if (f.rotate != 0) body_ += fmt::format(" transform='rotate({:g} {} {})'", f.rotate, num(x), num(y));
  body_ += ">" + xml_escape(text) + "</text>\n";
}

void Svg::begin_group(double dx, double dy, double scale) {
  body_ += fmt::format("<g transform='translate({} {})", num(dx), num(dy));
  if (scale != 1) body_ += fmt::format(" scale({:.6g})", scale);
  body_ += "'>\n";
  ++open_groups_;
}

void Svg::end_group() {
  if (open_groups_ == 0) return;
  body_ += "</g>\n";
  --open_groups_;
}

std::string Svg::str() const {
  std::string out = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' viewBox='0 0 {} {}' "
      "font-family='sans-serif'>\n",
      num(width_), num(height_), num(width_), num(height_));
  if (!title_.empty()) out += "<title>" + xml_escape(title_) + "</title>\n";
  out += "<rect width='100%' height='100%' fill='white'/>\n" + body_;
  for (int i = 0; i < open_groups_; ++i) out += "</g>\n";
  return out + "</svg>\n";
}

double text_width(const std::string& text, double font_size) {
  size_t code_points = 0;
  for (const char c : text) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return 0.6 * font_size * static_cast<double>(code_points);
}

std::vector<double> nice_ticks(double lo, double hi, size_t target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-300 * std::max(1.0, std::fabs(lo))) {  // one value: a unit around it
    const double unit = lo == 0 ? 1 : std::pow(10.0, std::floor(std::log10(std::fabs(lo))));
    lo -= unit, hi += unit;
  }
  const double raw = (hi - lo) / static_cast<double>(std::max<size_t>(target, 1));
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  const double step =
      (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude;
  const double first = std::floor(lo / step * (1 + 1e-12)), last = std::ceil(hi / step * (1 - 1e-12));
  std::vector<double> ticks;
  for (double k = first; k <= last + 0.5; k += 1) {
    const double v = k * step;
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  if (value == 0) return "0";
  const double a = std::fabs(step);
  if (a < 1e-3 || a >= 1e6) {
    // The digits the step needs, in %g's form: 0.0008, 0.001, 2e-05, 2.5e-05.
    const int exponent = static_cast<int>(std::floor(std::log10(std::fabs(value)) + 1e-9));
    const int digits = std::max(1, exponent - static_cast<int>(std::floor(std::log10(a) + 1e-9)) + 1);
    return fmt::format("{:.{}g}", value, digits);
  }
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(a) + 1e-9)));
  return fmt::format("{:.{}f}", value, decimals);
}

void line_chart(Svg& svg, double x, double y, double w, double h, const std::string& title,
                const std::string& x_label, const std::vector<ChartSeries>& series,
                const ChartPoint* highlight) {
  const double left = x + 64, top = y + 34, right = x + w - 16, bottom = y + h - 34;
  const double pw = right - left, ph = bottom - top;
  svg.text(x + 4, y + 16, title, Svg::Font(14, "#222", "start", "bold"));
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const ChartSeries& s : series) {
    for (const auto& [px, py] : s.points) {
      if (!std::isfinite(px) || !std::isfinite(py)) continue;
      x0 = std::min(x0, px), x1 = std::max(x1, px), y0 = std::min(y0, py), y1 = std::max(y1, py);
    }
  }
  svg.rect(left, top, pw, ph, Svg::Style("none", "#999"));
  if (x0 > x1) {
    svg.text(left + 10, top + 20, "no data", Svg::Font(12, "#888"));
    return;
  }
  const std::vector<double> xt = nice_ticks(x0, x1, 8), yt = nice_ticks(y0, y1, 5);
  const double xa = xt.front(), xb = xt.back(), ya = yt.front(), yb = yt.back();
  const auto sx = [&](double v) { return left + (v - xa) / (xb - xa) * pw; };
  const auto sy = [&](double v) { return bottom - (v - ya) / (yb - ya) * ph; };
  const Svg::Style grid("none", "#e6e6e6");
  const Svg::Font tick_font(11, "#444", "end");
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1, xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (const double v : yt) {
    svg.line(left, sy(v), right, sy(v), grid);
    svg.text(left - 5, sy(v) + 4, tick_label(v, ystep), tick_font);
  }
  for (const double v : xt) {
    svg.line(sx(v), top, sx(v), bottom, grid);
    svg.text(sx(v), bottom + 14, tick_label(v, xstep), Svg::Font(11, "#444", "middle"));
  }
  svg.rect(left, top, pw, ph, Svg::Style("none", "#999"));
  svg.text((left + right) / 2, bottom + 28, x_label, Svg::Font(11, "#444", "middle"));
  // The legend on the title's line, right-aligned.
  double legend_width = 0;
  for (const ChartSeries& s : series) {
    if (!s.points.empty()) legend_width += 28 + 6.2 * static_cast<double>(s.name.size());
  }
  double legend = right - legend_width;
  size_t index = 0;  // of the drawn series: staggers their extreme labels
  for (const ChartSeries& s : series) {
    if (s.points.empty()) continue;
    const double stagger = 11.0 * static_cast<double>(index++);
    std::vector<std::pair<double, double>> points;
    for (const auto& [px, py] : s.points) points.emplace_back(sx(px), sy(py));
    Svg::Style stroke("none", s.color, 1.6);
    stroke.tooltip = s.name;
    svg.polyline(points, stroke);
    if (s.points.size() == 1) svg.circle(points[0].first, points[0].second, 2.5, Svg::Style(s.color));
    svg.line(legend, y + 12, legend + 16, y + 12, Svg::Style("none", s.color, 2));
    svg.text(legend + 20, y + 16, s.name, Svg::Font(11, s.color));
    legend += 28 + 6.2 * static_cast<double>(s.name.size());
    if (!s.mark_extremes || s.points.size() < 2) continue;
    const auto by_y = [](const auto& a, const auto& b) { return a.second < b.second; };
    const auto lo = std::min_element(s.points.begin(), s.points.end(), by_y);
    const auto hi = std::max_element(s.points.begin(), s.points.end(), by_y);
    for (const auto& [it, above] : {std::pair{lo, false}, std::pair{hi, true}}) {
      const double cx = sx(it->first), cy = sy(it->second);
      Svg::Style dot("white", s.color, 1.2);
      dot.tooltip = fmt::format("{} {} {} at x = {}", s.name, above ? "max" : "min",
                                value_label(it->second), value_label(it->first));
      svg.circle(cx, cy, 3, dot);
      // Beside the point, inside the plot: away from the edge it is near, later series
      // further off so that labels of equal extremes do not overprint.
      const bool right_half = cx > left + pw * 0.8;
      const bool go_up = above ? cy - 16 - stagger > top : cy + 16 + stagger > bottom;
      const double ty = go_up ? cy - 5 - stagger : cy + 13 + stagger;
      svg.text(cx + (right_half ? -5 : 5), ty,
               std::string(above ? "max " : "min ") + value_label(it->second),
               Svg::Font(10, s.color, right_half ? "end" : "start"));
    }
  }
  if (highlight != nullptr) {
    const double cx = sx(highlight->x), cy = sy(highlight->y);
    svg.circle(cx, cy, 6, Svg::Style("none", "#111", 1.5));
    if (!highlight->label.empty()) {
      const bool right_half = cx > left + pw * 0.6;
      svg.text(cx + (right_half ? -9 : 9), cy - 8, highlight->label,
               Svg::Font(11, "#111", right_half ? "end" : "start", "bold"));
    }
  }
}

}  // namespace edgebert::convert
