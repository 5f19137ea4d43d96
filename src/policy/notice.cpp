#include "policy/notice.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace facegate::policy {

const std::vector<NoticeField>& RequiredNoticeFields() {
  static const std::vector<NoticeField> kFields = {
      {"processor", {"Processor", "处理者", "个人信息处理者"}},
      {"contact", {"Contact", "联系方式"}},
      {"purpose", {"Purpose", "处理目的", "目的"}},
      {"method", {"Method", "处理方式", "方式"}},
      {"data kinds", {"Data kinds", "Data", "数据种类", "个人信息种类"}},
      {"storage period", {"Storage period", "Retention", "保存期限"}},
      {"why face and impact", {"Why face", "Necessity", "Impact", "必要性", "影响"}},
      {"rights", {"Rights", "权利", "行使权利"}},
  };
  return kFields;
}

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// True if `line` (trimmed, without markdown list/heading marks) starts with
// `label` followed by ':' / '：' and some text, or is a heading naming it.
bool LineHasField(const std::string& raw, const std::string& label, bool* heading) {
  std::string line = Trim(raw);
  *heading = false;
  while (!line.empty() && (line[0] == '#' || line[0] == '-' || line[0] == '*')) {
    if (line[0] == '#') *heading = true;
    line = Trim(line.substr(1));
  }
  std::string l = Lower(line), lab = Lower(label);
  if (l.compare(0, lab.size(), lab) != 0) return false;
  std::string rest = Trim(line.substr(lab.size()));
  if (*heading) return rest.empty() || rest[0] == ':' || rest.rfind("：", 0) == 0;
  if (rest.rfind(":", 0) == 0) return !Trim(rest.substr(1)).empty();
  if (rest.rfind("：", 0) == 0) return !Trim(rest.substr(3)).empty();
  return false;
}

}  // namespace

Status ValidateNotice(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<std::string> missing;
  for (const NoticeField& f : RequiredNoticeFields()) {
    bool found = false;
    for (size_t i = 0; i < lines.size() && !found; ++i) {
      for (const std::string& label : f.labels) {
        bool heading = false;
        if (!LineHasField(lines[i], label, &heading)) continue;
        if (!heading) { found = true; break; }
        // a heading counts when some text follows before the next heading
        for (size_t j = i + 1; j < lines.size(); ++j) {
          std::string t = Trim(lines[j]);
          if (!t.empty() && t[0] == '#') break;
          if (!t.empty()) { found = true; break; }
        }
        if (found) break;
      }
    }
    if (!found) missing.push_back(f.key);
  }
  if (missing.empty()) return Status::Ok();
  std::string m = "the notice lacks required field(s): ";
  for (size_t i = 0; i < missing.size(); ++i) m += (i ? ", " : "") + missing[i];
  m += ". Add a line \"<Field>: <text>\" for each (e.g. \"Storage period: 365 days, then deleted\")"
       " and publish again";
  return Status::Refused("N1", m);
}

std::string NoticeDigest(const std::string& text) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : h) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace facegate::policy
