// SPDX-License-Identifier: Apache-2.0
#include "rtsec/yaml_guard.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace rtsec {
namespace {

// Parsing once without building nodes finds the document that consumes nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark start;
};

}  // namespace

std::optional<YAML::Mark> find_stuck_yaml_document(const std::string& content) {
  std::istringstream in(content);
  YAML::Parser parser(in);
  DocumentStarts handler;
  int last = -1;
  while (parser.HandleNextDocument(handler)) {
    if (handler.start.pos == last) return handler.start;
    last = handler.start.pos;
  }
  return std::nullopt;
}

}  // namespace rtsec
