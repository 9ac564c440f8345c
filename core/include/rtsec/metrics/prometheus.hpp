// SPDX-License-Identifier: Apache-2.0
// Prometheus text exposition format 0.0.4: one HELP and TYPE per family, then
// its samples; label values escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtsec::metrics {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  // Starts a family; its samples follow. type: "counter" or "gauge".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, uint64_t value);
  const std::string& text() const { return out_; }

 private:
  void begin_sample(std::string_view name, const Labels& labels);
  std::string out_;
};

}  // namespace rtsec::metrics
