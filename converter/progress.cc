#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace edgebert::convert {

ProgressBar::ProgressBar(std::string what, size_t total, std::string unit, size_t first)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      first_(first),
      done_(first),
      interactive_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) finish();
}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(size_t done, const std::string& detail) {
  done_ = done;
  detail_ = detail;
  const auto now = std::chrono::steady_clock::now();
  const auto period = interactive_ ? std::chrono::milliseconds(100) : std::chrono::seconds(30);
  if (now - last_draw_ >= period) {
    last_draw_ = now;
    draw(false);
  }
}

void ProgressBar::finish(const std::string& detail) {
  if (finished_) return;
  finished_ = true;
  if (!detail.empty()) detail_ = detail;
  draw(true);
}

void ProgressBar::draw(bool final) {
  const double seconds = elapsed_seconds();
  const double rate = seconds > 0 ? (done_ - first_) / seconds : 0.0;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  constexpr int kWidth = 28;
  const int filled = static_cast<int>(fraction * kWidth + 0.5);
  std::string bar(static_cast<size_t>(filled < kWidth ? filled : kWidth), '=');
  bar.resize(kWidth, ' ');
  const double eta = rate > 0 && total_ > done_ ? (total_ - done_) / rate : 0.0;
  const std::string line = fmt::format("{} [{}] {}/{} {} {:.3g}/s {} {}", what_, bar, done_, total_,
                                       unit_, rate,
                                       final ? fmt::format("in {:.1f}s", seconds)
                                             : fmt::format("ETA {:.0f}s", eta),
                                       detail_);
  std::fprintf(stderr, "%s%s%s", interactive_ ? "\r\033[K" : "", line.c_str(),
               final || !interactive_ ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace edgebert::convert
