#include "collect/sysctl_config.h"

#include <glob.h>
#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <iterator>
#include <map>
#include <system_error>
#include <utility>

namespace tcpdoctor {
namespace {

namespace fs = std::filesystem;

// Highest precedence first: a file name found here masks the same name further down.
constexpr std::array<std::string_view, 5> kConfigDirs = {
    "etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d", "lib/sysctl.d"};
constexpr std::string_view kSysctlConf = "etc/sysctl.conf";

// Also drops the '\r' of CRLF files.
std::string_view Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool IsComment(std::string_view line) { return line[0] == '#' || line[0] == ';'; }

// "## recycle faster" -> "recycle faster".
std::string_view CommentText(std::string_view line) {
  while (!line.empty() && (line.front() == '#' || line.front() == ';')) line.remove_prefix(1);
  return Trim(line);
}

// The key as a path below /proc/sys: dots separate, slashes stand for dots in a component.
std::string KeyPath(std::string_view key) {
  std::string path = "sys/";
  for (char c : NormalizeSysctlKey(key)) path += c == '.' ? '/' : c == '/' ? '.' : c;
  return path;
}

bool AnyMatch(const std::string& pattern) {
  glob_t found{};
  const bool matched = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found) == 0;
  ::globfree(&found);
  return matched;
}

// The *.conf names in `dir` (relative to the root), each with its relative path; a missing
// directory has none.
Result<std::map<std::string, std::string>> ListConfFiles(const ProcFs& files,
                                                         std::string_view dir) {
  std::map<std::string, std::string> found;
  const std::string full = files.Path(dir);
  std::error_code ec;
  fs::directory_iterator it(full, ec);
  if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return found;
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path name = it->path().filename();
    if (name.extension() == ".conf") found.emplace(name, std::string(dir) + "/" + name.string());
  }
  if (ec) return Error::FromErrno(ec.value(), "cannot list", full);
  return found;
}

}  // namespace

const SysctlSetting* SysctlConfig::Effective(std::string_view key) const {
  const std::string wanted = NormalizeSysctlKey(key);
  for (auto it = settings.rbegin(); it != settings.rend(); ++it) {
    if (it->key == wanted) return &*it;
  }
  return nullptr;
}

std::string NormalizeSysctlKey(std::string_view key) {
  std::string out(key);
  const size_t first = out.find_first_of("./");
  if (first == std::string::npos || out[first] == '.') return out;
  for (char& c : out) c = c == '/' ? '.' : c == '.' ? '/' : c;
  return out;
}

SysctlConfigFile ParseSysctlConfig(std::string_view text, const std::string& file) {
  SysctlConfigFile out;
  std::string comment;  // the comment block right above the current line
  int number = 0;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = Trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++number;
    if (!line.empty() && IsComment(line)) {
      const std::string_view words = CommentText(line);
      if (!words.empty()) comment += (comment.empty() ? "" : " ") + std::string(words);
      continue;
    }
    std::string above = std::exchange(comment, {});  // a blank or any other line ends the block
    if (line.empty()) continue;
    const std::string where = file + ":" + std::to_string(number) + ": ";
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      if (line[0] != '-')
        out.problems.push_back(where + "not an assignment, ignored: " + std::string(line));
      continue;
    }
    SysctlSetting s;
    std::string_view key = Trim(line.substr(0, eq));
    if (!key.empty() && key[0] == '-') {
      s.ignore_failure = true;
      key = Trim(key.substr(1));
    }
    if (key.empty()) {
      out.problems.push_back(where + "no key, ignored: " + std::string(line));
      continue;
    }
    s.key = NormalizeSysctlKey(key);
    s.value = Trim(line.substr(eq + 1));
    s.file = file;
    s.line = number;
    s.comment = std::move(above);
    out.settings.push_back(std::move(s));
  }
  return out;
}

Result<SysctlConfig> ReadSysctlConfig(const std::string& root) {
  // Plain files, not /proc, but ProcFs is the rooted reader this code base has.
  const ProcFs files(root);
  std::map<std::string, std::string> by_name;  // name -> its highest-precedence file
  for (std::string_view dir : kConfigDirs) {
    auto listed = ListConfFiles(files, dir);
    if (!listed) return listed.TakeError();
    by_name.merge(*listed);  // keeps the names already present: earlier directories win
  }
  std::vector<std::string> order;  // relative paths, in application order
  for (const auto& [name, relative] : by_name) {
    std::error_code ec;
    if (!fs::equivalent(files.Path(relative), files.Path(kSysctlConf), ec)) {
      order.push_back(relative);
    }
  }
  order.emplace_back(kSysctlConf);

  SysctlConfig config;
  for (const std::string& relative : order) {
    auto text = files.ReadFile(relative);
    if (!text) {
      const bool optional = relative == kSysctlConf && text.error().code == ErrorCode::kNotFound;
      if (!optional) config.problems.push_back(text.error().ToString());
      continue;
    }
    SysctlConfigFile parsed = ParseSysctlConfig(*text, files.Path(relative));
    std::move(parsed.settings.begin(), parsed.settings.end(), std::back_inserter(config.settings));
    std::move(parsed.problems.begin(), parsed.problems.end(), std::back_inserter(config.problems));
  }
  return config;
}

bool KeyExists(const ProcFs& proc, std::string_view key) {
  const std::string path = proc.Path(KeyPath(key));
  if (path.find_first_of("*?[") != std::string::npos) return AnyMatch(path);
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace tcpdoctor
