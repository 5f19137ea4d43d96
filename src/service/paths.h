// Default locations, overridable by environment variables.
#pragma once

#include <string>

namespace facegate::service {

// models.lock: $FACEGATE_LOCK, else the one in the source tree this was built from.
std::string DefaultLockFile();
// Model cache: $FACEGATE_MODELS, else ~/.cache/facegate/models.
std::string DefaultModelDir();
// Data directory (database, master key): $FACEGATE_HOME, else ./var.
std::string DefaultDataDir();

}  // namespace facegate::service
