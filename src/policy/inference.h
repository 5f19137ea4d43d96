// The catalogue of sensitive inferences (REQ AN3): what an analysis purpose may infer beyond
// age, gender and expression only when switched on for it, the uses each may serve, and the
// words its notice must carry. Drowsiness is a state of the body (health-adjacent, GB/T
// 41819-2022 6.4; PIPL 28): only a purpose declared for driving safety may switch it on.
#pragma once

#include <facegate/grant.h>
#include <facegate/records.h>
#include <facegate/status.h>

#include <optional>
#include <string>
#include <vector>

namespace facegate::policy {

// One catalogue entry.
struct InferenceInfo {
  SensitiveInference inference;
  std::string name;                       // "drowsiness"
  std::string what;                       // one line for notices, reports and --help
  std::vector<std::string> allowed_uses;  // the declared uses that may switch it on
  std::vector<std::string> notice_words;  // any of these in the notice's inferences field names it
};

const std::vector<InferenceInfo>& SensitiveInferences();
// The entry named `name` ("drowsiness"); nullopt for a name the catalogue does not list.
std::optional<InferenceInfo> FindInference(const std::string& name);
const InferenceInfo& InferenceOf(SensitiveInference inference);

// Checks switching `name` on for a purpose of `scenario` for `use` (REQ AN3): an analysis
// purpose, a catalogued inference, one of its allowed uses (kRefused "AN3" naming them), and a
// written justification of at least kMinJustification characters.
Status CheckInferenceSwitch(Scenario scenario, const std::string& name, const std::string& use,
                            const std::string& justification);

// REQ AN3: the notice in force names the inference in an "Sensitive inferences:" field
// (敏感推断：). kRefused "AN3" saying what to write.
Status CheckNoticeStatesInference(const std::string& notice_text, const InferenceInfo& info);

}  // namespace facegate::policy
