// The threshold identify uses when the operator set a stricter one for the purpose (REQ SC2;
// docs/identification.md "Operator threshold"). Pure, so the rule is tested on its own.
#pragma once

#include <facegate/records.h>

#include <cstdint>
#include <optional>

#include "service/calibration.h"

namespace facegate::service {

struct EffectiveThreshold {
  float threshold = 0;         // accept the nearest member when distance <= threshold
  double stranger_far = 0;     // expected share of strangers accepted at this size
  double genuine_accept = 0;   // expected share of same-person comparisons accepted
  bool from_operator = false;  // the operator's threshold is the one used
  bool allowed = true;         // false: 1:N is refused at this size (SC2)
  bool operator_too_loose = false;  // refused although the operator set one: the scope outgrew it
};

// The rule: the stricter of the operator's threshold and the scope rule's applies. The
// operator's, when it is the stricter, keeps the expected stranger accept rate within
// `target_far` at this size and so serves the scope even past max_scope_size (fewer enrolled
// people are recognised; they use the alternative). When the scope has outgrown it (the rule's
// threshold is now the stricter) and the rule cannot serve the size, 1:N is refused.
EffectiveThreshold ApplyOperatorThreshold(const ScopeThreshold& rule,
                                          const std::optional<IdentifyThresholdRecord>& op,
                                          uint64_t scope_size, double target_far = kDefaultStrangerFar);

}  // namespace facegate::service
