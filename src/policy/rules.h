// The rule table: one source of requirement ids, titles and citations used by
// refusals, docs and reports, so a correction is one edit (REQUIREMENTS.md).
#pragma once

#include <string>
#include <vector>

namespace facegate::policy {

struct Rule {
  std::string id;        // "C1"
  std::string title;     // one line: what the rule demands
  std::string citation;  // legal sources, e.g. "PIPL 14, 29; SPC 2, 4"; empty when the catalogue gives none
};

// Every rule the program enforces or reports on.
const std::vector<Rule>& Rules();
// The rule with that id, or nullptr.
const Rule* FindRule(const std::string& id);

}  // namespace facegate::policy
