#include "cli/cli_util.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace facegate::cli {

int ExitCode(const Status& s) {
  switch (s.kind()) {
    case ErrorKind::kOk: return kExitOk;
    case ErrorKind::kInvalidInput: return kExitInput;
    case ErrorKind::kRefused: return kExitRefused;
    case ErrorKind::kNotFound: return kExitNotFound;
    case ErrorKind::kConflict: return kExitConflict;
    case ErrorKind::kIntegrity: return kExitIntegrity;
    case ErrorKind::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

int Report(Ctx& ctx, const Status& st, const std::string& purpose) {
  std::vector<std::string> alts;
  if (ctx.svc && !purpose.empty()) alts = ctx.svc->AlternativesOf(purpose);
  if (ctx.as_json) {
    json j = {{"ok", false}, {"error", ToString(st.kind())}, {"message", st.message()}};
    if (st.kind() == ErrorKind::kRefused) {
      service::Refusal r = service::DescribeRefusal(st, alts);
      j["requirement"] = r.requirement;
      j["rule"] = r.title;
      j["citation"] = r.citation;
      j["alternatives"] = r.alternatives;
    }
    std::cout << j.dump(2) << "\n";
  } else if (st.kind() == ErrorKind::kRefused) {
    service::Refusal r = service::DescribeRefusal(st, alts);
    std::cerr << "refused (REQ " << r.requirement << ": " << r.title
              << (r.citation.empty() ? "" : "; " + r.citation) << ")\n  "
              << r.message << "\n";
    if (!r.alternatives.empty()) {
      std::cerr << "  alternatives on offer (REQ A1):";
      for (auto& a : r.alternatives) std::cerr << " " << a;
      std::cerr << "\n";
    }
  } else {
    std::cerr << "error (" << ToString(st.kind()) << "): " << st.message() << "\n";
  }
  return ExitCode(st);
}

int Print(Ctx& ctx, const json& j, const std::string& human) {
  if (ctx.as_json)
    std::cout << j.dump(2) << "\n";
  else
    std::cout << human << "\n";
  return kExitOk;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open file " + path + ": check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<int64_t> ParseDuration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t pos = 0;
  long long n = 0;
  try {
    n = std::stoll(s, &pos);
  } catch (...) {
    return std::nullopt;
  }
  if (n <= 0) return std::nullopt;
  std::string unit = s.substr(pos);
  if (unit.empty() || unit == "d") return n * 86400;
  if (unit == "h") return n * 3600;
  if (unit == "m") return n * 60;
  if (unit == "s") return n;
  return std::nullopt;
}

}  // namespace facegate::cli
