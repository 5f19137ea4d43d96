#include "policy/inference.h"

#include <algorithm>
#include <cctype>

#include "policy/legal_basis.h"
#include "policy/notice.h"

namespace facegate::policy {

const std::vector<InferenceInfo>& SensitiveInferences() {
  static const std::vector<InferenceInfo> kCatalogue = {
      {SensitiveInference::kDrowsiness, "drowsiness",
       "eye closure, blinks and yawns of a driver, to warn of drowsiness (no frame is kept)",
       {"driving_safety"},
       {"drowsiness", "drowsy", "fatigue", "疲劳", "瞌睡"}},
  };
  return kCatalogue;
}

std::optional<InferenceInfo> FindInference(const std::string& name) {
  for (const InferenceInfo& i : SensitiveInferences())
    if (i.name == name) return i;
  return std::nullopt;
}

const InferenceInfo& InferenceOf(SensitiveInference inference) {
  for (const InferenceInfo& i : SensitiveInferences())
    if (i.inference == inference) return i;
  return SensitiveInferences().front();  // every enum value is catalogued (inference_test)
}

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

Status CheckInferenceSwitch(Scenario scenario, const std::string& name, const std::string& use,
                            const std::string& justification) {
  std::vector<std::string> names;
  for (const InferenceInfo& i : SensitiveInferences()) names.push_back(i.name);
  auto info = FindInference(name);
  if (!info)
    return Status::InvalidInput("'" + name + "' is not a sensitive inference of the catalogue (" + Join(names) +
                                "); age, gender and expression need no switch");
  if (scenario != Scenario::kAnalysis)
    return Status::Refused("AN3", "the inference '" + name + "' runs only under a purpose declared for analysis, not " +
                                      ToString(scenario));
  if (std::find(info->allowed_uses.begin(), info->allowed_uses.end(), use) == info->allowed_uses.end())
    return Status::Refused("AN3", "the inference '" + name + "' may serve only " + Join(info->allowed_uses) +
                                      ", not '" + use + "': " + info->what);
  if (!IsWrittenJustification(justification))
    return Status::Refused("AN3", "switching '" + name + "' on needs a written justification (at least " +
                                      std::to_string(kMinJustification) +
                                      " characters) saying why it is necessary for " + use);
  return Status::Ok();
}

Status CheckNoticeStatesInference(const std::string& notice_text, const InferenceInfo& info) {
  const std::string stated = Lower(NoticeFieldValue(notice_text, "inferences"));
  for (const std::string& w : info.notice_words)
    if (stated.find(Lower(w)) != std::string::npos) return Status::Ok();
  return Status::Refused("AN3", "the notice in force does not name the sensitive inference '" + info.name +
                                    "': publish a notice version with a line 'Sensitive inferences: " + info.name +
                                    ", " + info.what + "' (敏感推断：…), then have its impact assessment approved");
}

}  // namespace facegate::policy
