#include <facegate/status.h>

namespace facegate {

const char* ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "ok";
    case ErrorKind::kInvalidInput: return "invalid_input";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kRefused: return "refused";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kIntegrity: return "integrity";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = facegate::ToString(kind_);
  if (!requirement_.empty()) s += " [REQ " + requirement_ + "]";
  return s + ": " + message_;
}

}  // namespace facegate
