#include "support/lab_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "support/netns_sandbox.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"

namespace tcpdoctor::itest {
namespace {

void ExpectNothingLeftBehind(const nlohmann::json& doc) {
  for (const nlohmann::json& pid : doc.at("pids")) {
    EXPECT_FALSE(ProcessExists(pid.get<pid_t>()))
        << "helper process " << pid << " of the lab is still there (alive or not reaped)";
  }
  const auto inode = doc.at("namespace").at("inode").get<uint64_t>();
  EXPECT_NE("net:[" + std::to_string(inode) + "]", CurrentNetnsId())
      << "the lab ran in its caller's namespace";
  const std::vector<pid_t> inside = ProcessesInNetns("net:[" + std::to_string(inode) + "]");
  EXPECT_TRUE(inside.empty()) << inside.size() << " process(es) still in the lab namespace net:["
                              << inode << "], e.g. pid " << inside.front();
  if (InNetnsSandbox()) {
    const SsResult ss = RunSs();
    EXPECT_TRUE(ss.error.empty()) << ss.error;
    EXPECT_TRUE(ss.rows.empty()) << "the lab left " << ss.rows.size()
                                 << " socket(s) in its caller's namespace, e.g. "
                                 << ss.rows.front().ToString();
  }
}

}  // namespace

LabRun RunLabScenario(const std::string& name, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"lab", name};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--json");
  CommandOptions options;
  options.timeout = std::chrono::seconds(45);
  LabRun lab;
  const auto start = std::chrono::steady_clock::now();
  lab.run = RunTcpdoctor(argv, options);
  lab.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(lab.run.exit_code, 0) << CommandLine(argv) << ": " << lab.run.Describe();
  EXPECT_LT(lab.seconds, kLabSecondsAllowed) << CommandLine(argv) << " took too long";
  lab.doc = nlohmann::json::parse(lab.run.out, nullptr, false);
  if (lab.doc.is_discarded()) {
    ADD_FAILURE() << CommandLine(argv) << " printed invalid JSON:\n" << lab.run.Describe();
    lab.doc = nullptr;
    return lab;
  }
  EXPECT_EQ(lab.doc.value("scenario", ""), name);
  ExpectNothingLeftBehind(lab.doc);
  return lab;
}

nlohmann::json Observed(const nlohmann::json& doc, const std::string& key) {
  if (doc.is_null() || !doc.contains("observed") || !doc["observed"].contains(key)) {
    ADD_FAILURE() << "the lab run reports no observation '" << key << "'";
    return nullptr;
  }
  return doc["observed"][key];
}

std::string LabSysctlValue(const nlohmann::json& doc, const std::string& key) {
  if (doc.is_null()) return "";
  for (const nlohmann::json& s : doc.at("namespace").at("sysctls")) {
    if (s["key"] == key) return s["value"];
  }
  return "";
}

nlohmann::json LabFinding(const nlohmann::json& doc, const std::string& rule,
                          const std::string& subject) {
  if (doc.is_null()) return nullptr;
  for (const nlohmann::json& f : doc.at("checkup").at("findings")) {
    if (f["id"] == rule && f["subject"] == subject) return f;
  }
  return nullptr;
}

void ExpectLabFinding(const nlohmann::json& doc, const std::string& rule,
                      const std::string& subject) {
  if (doc.is_null()) return;
  EXPECT_FALSE(LabFinding(doc, rule, subject).is_null())
      << "the checkup of the lab namespace has no " << rule << " finding about " << subject << ":\n"
      << doc["checkup"].dump(2);
  bool listed = false;
  for (const nlohmann::json& e : doc.at("expected_findings")) {
    if (e["rule"] == rule && e["subject"] == subject) {
      listed = true;
      EXPECT_TRUE(e["found"].get<bool>()) << e.dump();
    }
  }
  EXPECT_TRUE(listed) << "the run does not list " << rule << " about " << subject
                      << " as expected: " << doc["expected_findings"].dump();
}

}  // namespace tcpdoctor::itest
