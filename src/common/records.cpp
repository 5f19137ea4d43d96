#include <facegate/grant.h>
#include <facegate/records.h>
#include <facegate/template.h>

#include <cmath>
#include <cstring>

namespace facegate {

const char* ToString(Scenario s) {
  switch (s) {
    case Scenario::kVerification: return "verification";
    case Scenario::kIdentification: return "identification";
    case Scenario::kAnalysis: return "analysis";
  }
  return "?";
}
const char* ToString(ConsentOption o) {
  switch (o) {
    case ConsentOption::kOnce: return "once";
    case ConsentOption::kWhileInUse: return "while_in_use";
    case ConsentOption::kAlways: return "always";
  }
  return "?";
}
const char* ToString(ConsentMethod m) {
  switch (m) {
    case ConsentMethod::kClick: return "click";
    case ConsentMethod::kWritten: return "written";
    case ConsentMethod::kGuardian: return "guardian";
  }
  return "?";
}
const char* ToString(ConsentKind k) {
  switch (k) {
    case ConsentKind::kProcessing: return "processing";
    case ConsentKind::kDisclosure: return "disclosure";
    case ConsentKind::kImport: return "import";
  }
  return "?";
}
const char* ToString(Operation op) {
  switch (op) {
    case Operation::kEnrol: return "enrol";
    case Operation::kVerify: return "verify";
    case Operation::kIdentify: return "identify";
    case Operation::kResearch: return "research";
    case Operation::kDisclose: return "disclose";
  }
  return "?";
}
const char* ToString(SensitiveInference i) {
  switch (i) {
    case SensitiveInference::kDrowsiness: return "drowsiness";
  }
  return "?";
}

std::optional<Scenario> ParseScenario(const std::string& s) {
  for (auto v : {Scenario::kVerification, Scenario::kIdentification, Scenario::kAnalysis})
    if (s == ToString(v)) return v;
  return std::nullopt;
}
std::optional<ConsentOption> ParseConsentOption(const std::string& s) {
  for (auto v : {ConsentOption::kOnce, ConsentOption::kWhileInUse, ConsentOption::kAlways})
    if (s == ToString(v)) return v;
  return std::nullopt;
}
std::optional<ConsentMethod> ParseConsentMethod(const std::string& s) {
  for (auto v : {ConsentMethod::kClick, ConsentMethod::kWritten, ConsentMethod::kGuardian})
    if (s == ToString(v)) return v;
  return std::nullopt;
}

std::optional<ConsentKind> ParseConsentKind(const std::string& s) {
  for (auto v : {ConsentKind::kProcessing, ConsentKind::kDisclosure, ConsentKind::kImport})
    if (s == ToString(v)) return v;
  return std::nullopt;
}

void Template::Wipe() {
  // volatile writes so the compiler cannot drop the wipe of a dying object (REQ S2, D3)
  volatile float* p = v_.data();
  for (size_t i = 0; i < v_.size(); ++i) p[i] = 0.0f;
}

float Template::DistanceTo(const Template& other) const {
  float s = 0;
  for (int i = 0; i < kTemplateDim; ++i) {
    float d = v_[i] - other.v_[i];
    s += d * d;
  }
  return std::sqrt(s);
}

const char* ToString(DeviceMode m) { return m == DeviceMode::kAutomatic ? "automatic" : "triggered"; }
const char* ToString(DeviceStatus s) {
  switch (s) {
    case DeviceStatus::kDraft: return "draft";
    case DeviceStatus::kLive: return "live";
    case DeviceStatus::kSuspended: return "suspended";
  }
  return "?";
}
std::optional<DeviceMode> ParseDeviceMode(const std::string& s) {
  for (auto v : {DeviceMode::kTriggered, DeviceMode::kAutomatic})
    if (s == ToString(v)) return v;
  return std::nullopt;
}
std::optional<DeviceStatus> ParseDeviceStatus(const std::string& s) {
  for (auto v : {DeviceStatus::kDraft, DeviceStatus::kLive, DeviceStatus::kSuspended})
    if (s == ToString(v)) return v;
  return std::nullopt;
}

}  // namespace facegate
