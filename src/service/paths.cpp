#include "service/paths.h"

#include <cstdlib>

namespace facegate::service {

std::string DefaultLockFile() {
  if (const char* p = std::getenv("FACEGATE_LOCK")) return p;
  return FACEGATE_DEFAULT_LOCK;
}

std::string DefaultModelDir() {
  if (const char* p = std::getenv("FACEGATE_MODELS")) return p;
  if (const char* home = std::getenv("HOME")) return std::string(home) + "/.cache/facegate/models";
  return ".cache/facegate/models";
}

std::string DefaultDataDir() {
  if (const char* p = std::getenv("FACEGATE_HOME")) return p;
  return "var";
}

}  // namespace facegate::service
