// Names of LivenessRequirement, as stored in purposes.liveness and taken by the CLI and API.
#include <facegate/records.h>

namespace facegate {

const char* ToString(LivenessRequirement r) {
  switch (r) {
    case LivenessRequirement::kOff: return "off";
    case LivenessRequirement::kEnrol: return "enrol";
    case LivenessRequirement::kVerify: return "verify";
    case LivenessRequirement::kBoth: return "both";
  }
  return "?";
}

std::optional<LivenessRequirement> ParseLivenessRequirement(const std::string& s) {
  for (auto v : {LivenessRequirement::kOff, LivenessRequirement::kEnrol,
                 LivenessRequirement::kVerify, LivenessRequirement::kBoth}) {
    if (s == ToString(v)) return v;
  }
  return std::nullopt;
}

}  // namespace facegate
