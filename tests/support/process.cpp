#include "support/process.hpp"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace calyx::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Process::Process(const std::string& binary, const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, const std::string& working_dir, const std::string& input) {
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "CALYX_", 6) != 0) environment.emplace_back(*e);
  }
  for (const auto& [name, value] : env) environment.push_back(name + "=" + value);
  std::vector<char*> envp, argv;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> all_args{binary};
  all_args.insert(all_args.end(), args.begin(), args.end());
  for (auto& arg : all_args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string out_path = dir_.file("stdout"), err_path = dir_.file("stderr"), in_path = "/dev/null";
  if (!input.empty()) {
    in_path = dir_.file("stdin");
    std::ofstream(in_path, std::ios::binary) << input;
  }

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open(in_path.c_str(), O_RDONLY);
    if (out < 0 || err < 0 || in < 0 || ::chdir(working_dir.c_str()) != 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

Process::~Process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Process::signal(int signal_number) { ::kill(pid_, signal_number); }

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int raw = 0;
    pid_t done = ::waitpid(pid_, &raw, WNOHANG);
    if (done == pid_) {
      status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : -WTERMSIG(raw);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Process::output() const { return slurp(dir_.file("stdout")); }
std::string Process::errors() const { return slurp(dir_.file("stderr")); }

std::optional<std::string> Process::wait_for_error_text(const std::string& text,
                                                        std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string err = errors();
    if (err.find(text) != std::string::npos) return err;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

Completed run_calyx(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                    const std::string& working_dir, const std::string& input) {
  Process process(CALYX_BINARY, args, env, working_dir, input);
  auto code = process.wait(std::chrono::seconds(60));
  if (!code) throw std::runtime_error("calyx did not finish within 60 s");
  return {*code, process.output(), process.errors()};
}

}  // namespace calyx::testing
