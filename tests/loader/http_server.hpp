// SPDX-License-Identifier: Apache-2.0
// A real HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that serves the
// files of one folder, for the loader's download tests.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

namespace rtsec::test {

class FileServer {
 public:
  explicit FileServer(std::filesystem::path root);
  ~FileServer();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int requests() const { return requests_; }

 private:
  void serve();
  void answer(int conn);
  std::filesystem::path root_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace rtsec::test
