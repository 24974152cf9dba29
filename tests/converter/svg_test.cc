// The SVG writer behind every picture: well-formed output (escaped text, balanced elements),
// round axis ticks, and a line chart that marks each series' extremes and the best point.
#include "svg.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "converter/xml_check.h"

namespace edgebert::convert {
namespace {

TEST_CASE("SVG writer: escaped text and attributes, tooltips, groups closed: well-formed") {
  Svg svg(200, 100, "a <title> & 'quotes'");
  Svg::Style style("#fff", "red");
  style.tooltip = "x < y & \"z\"";
  svg.rect(1, 2, 3, 4, style, 2);
  svg.line(0, 0, 10, 10, Svg::Style("none", "#000", 0.5));
  svg.begin_group(5, 5);
  svg.text(3, 4, "[CLS] <tag> & \xc3\xa9", Svg::Font(10, "#222", "middle", "bold"));
  svg.circle(1, 1, 1, Svg::Style("blue"));
  // a group left open is closed by str()
  const std::string doc = svg.str();
  CHECK(test::xml_problem(doc) == "");
  CHECK(doc.find("&lt;tag&gt; &amp; \xc3\xa9") != std::string::npos);
  CHECK(doc.find("<title>x &lt; y &amp; &quot;z&quot;</title>") != std::string::npos);
  CHECK(test::xml_problem("<svg><g></svg>") != "");
  CHECK(test::xml_problem("<svg a='<'/>") != "");
  CHECK(test::xml_problem("<svg>&nbsp;</svg>") != "");
}

TEST_CASE("Nice ticks: steps of 1, 2, 5 x 10^k that cover the range, 0 when it is crossed") {
  // The old curves' axes: -0.039 .. 0.819 and a learning rate from 0 to 5e-5.
  CHECK(nice_ticks(-0.039, 0.819, 5) ==
        std::vector<double>{-0.2, 0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0});
  const std::vector<double> lr = nice_ticks(0, 5e-5, 5);
  CHECK(lr.front() == 0.0);
  CHECK(lr.back() == doctest::Approx(5e-5));
  CHECK(lr.size() == 6);
  CHECK(nice_ticks(0, 1000, 5) == std::vector<double>{0, 200, 400, 600, 800, 1000});
  CHECK(nice_ticks(0, 1000, 8).size() == 11);  // steps of 100
  CHECK(nice_ticks(3, 3).size() >= 2);  // one value: a range around it
  CHECK(tick_label(0.4, 0.2) == "0.4");
  CHECK(tick_label(600, 200) == "600");
  CHECK(tick_label(2e-5, 1e-5) == "2e-05");
  CHECK(tick_label(2.5e-5, 5e-6) == "2.5e-05");
  CHECK(tick_label(-0.2, 0.2) == "-0.2");
  CHECK(tick_label(0, 0.2) == "0");
}

TEST_CASE("Line chart: grid, legend, min and max of each series, the best point") {
  Svg svg(600, 300);
  ChartSeries train{"train loss", "#1f77b4", {{0, 2.0}, {50, 1.2}, {100, 0.7}}};
  ChartSeries dev{"dev f1", "#d62728", {{50, 0.61}, {100, 0.83}}};
  ChartPoint best{100, 0.83, "best f1 0.83 at step 100"};
  line_chart(svg, 0, 0, 600, 300, "curves", "step", {train, dev}, &best);
  const std::string doc = svg.str();
  CHECK(test::xml_problem(doc) == "");
  for (const char* expected : {"max 2", "min 0.7", "max 0.83", "min 0.61",
                               "best f1 0.83 at step 100", "train loss", "dev f1", "step"}) {
    INFO(expected);
    CHECK(doc.find(expected) != std::string::npos);
  }
  Svg empty(100, 100);
  line_chart(empty, 0, 0, 100, 100, "nothing", "step", {});
  CHECK(empty.str().find("no data") != std::string::npos);
}

}  // namespace
}  // namespace edgebert::convert
