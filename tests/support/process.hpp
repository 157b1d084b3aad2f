// Runs the real `calyx` binary as a child process with a chosen environment, its output captured in files,
// so the CLI, configuration failures and signal handling are tested as an operator would meet them.
#pragma once

#include "support/temp_dir.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace calyx::testing {

class Process {
 public:
  // Starts `binary args...` in `working_dir` with the parent's environment plus `env` (CALYX_* of the parent
  // are removed first so the test decides every setting).
  Process(const std::string& binary, const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
          const std::string& working_dir, const std::string& input = "");
  ~Process();  // kills the child if it still runs
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int signal_number);
  // The exit code, or nullopt if it did not exit within `timeout` (or died of a signal: then -signal).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string output() const;  // stdout
  std::string errors() const;  // stderr
  // Waits until stderr contains `text`; returns the stderr read so far.
  std::optional<std::string> wait_for_error_text(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Runs the calyx binary to completion (at most 60 s) and returns {exit code, stdout, stderr}.
struct Completed {
  int exit_code;
  std::string out;
  std::string err;
};
// `input`, when given, is the program's standard input (otherwise /dev/null).
Completed run_calyx(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                    const std::string& working_dir, const std::string& input = "");

}  // namespace calyx::testing
