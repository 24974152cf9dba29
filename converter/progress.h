// A progress bar on stderr for long converter work: done/total, rate and ETA, redrawn at most
// ten times a second when stderr is a terminal, else one line every 30 seconds (logs); one
// summary line at the end either way.
#ifndef EDGEBERT_CONVERTER_PROGRESS_H_
#define EDGEBERT_CONVERTER_PROGRESS_H_

#include <chrono>
#include <cstddef>
#include <string>

namespace edgebert::convert {

class ProgressBar {
 public:
  // `first`: units already done before this run (a resumed run), left out of the rate.
  ProgressBar(std::string what, size_t total, std::string unit, size_t first = 0);
  ~ProgressBar();  // finishes if finish() was not called

  void update(size_t done, const std::string& detail = "");
  void finish(const std::string& detail = "");
  double elapsed_seconds() const;

 private:
  void draw(bool final);

  std::string what_, unit_, detail_;
  size_t total_, first_, done_ = 0;
  bool interactive_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_PROGRESS_H_
