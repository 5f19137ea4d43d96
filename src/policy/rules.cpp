#include "policy/rules.h"

namespace facegate::policy {

const std::vector<Rule>& Rules() {
  // Texts follow ../shared/REQUIREMENTS.md; citations come from official summaries.
  static const std::vector<Rule> kRules = {
      {"SC1", "Verification compares a probe with one enrolled person's template", "seed"},
      {"SC2", "Identification searches a specified scope, never everyone; a non-match discards the probe",
       "NDR 24"},
      {"SC3", "Analysis gives counts and attributes with no identity, template or stored image", "seed"},
      {"C1",
       "No template extraction, enrolment, matching or search without an active, separate consent for "
       "exactly that purpose",
       "PIPL 14, 29; SPC 2, 4"},
      {"C2",
       "A consent record holds subject, purpose, scenario, notice version, option, method, time, expiry "
       "and legal basis",
       "PIPL 13, 14, 17"},
      {"C3", "A change of purpose, method or data kind stops old consents from covering the new processing",
       "PIPL 14; NDR 22"},
      {"C4", "Withdrawal is one step on the same channel and deletes templates and images at once",
       "PIPL 15, 47"},
      {"C5",
       "Authorization options once / while in use / always each have an expiry, can be withdrawn, and are "
       "never irrevocable or transferable",
       "SPC 11"},
      {"C6", "Refusing face processing never blocks the service", "PIPL 16; SPC 4"},
      {"C7", "No re-prompt after a refusal within a quiet period", "NDR 22"},
      {"C8", "Handing face data to another processor needs a separate consent naming the recipient",
       "PIPL 23, 25"},
      {"N1",
       "Before any capture a versioned notice (processor and contact, purpose, method, data kinds, storage "
       "period, rights) is presented and acknowledged",
       "PIPL 17, 30; Measures 5"},
      {"N2", "The notice has an accessible form (voice text, large print)", "PIPL 17"},
      {"N3", "A changed notice gets a new version; a material change re-asks consent", "PIPL 14, 17"},
      {"A1", "Every verification or identification flow offers at least one non-face method",
       "Measures 10; SPC 10"},
      {"A2", "Choosing the alternative disables capture for that transaction", "Measures 10"},
      {"S2", "Raw images are deleted right after extraction or matching", "GB/T 35273; GB/T 41819"},
      {"S3", "Templates are stored apart from identity data, linked by pseudonymous id", "GB/T 41819"},
      {"S4", "Templates, images and face-bearing logs are encrypted at rest", "PIPL 51; Measures 14"},
      {"S5", "Every record has an expiry; deletion on expiry, purpose met, withdrawal, account closure",
       "PIPL 19, 47; NDR 24"},
      {"S6", "Role-based access; every read, search and export is logged tamper-evidently",
       "PIPL 51; Measures 14"},
      {"S7", "Deletion reaches every copy (store, index, caches, backups by crypto-shredding)",
       "PIPL 47; SPC 12"},
      {"D3", "Bystanders and non-matches: the probe is discarded, nothing stored", "NDR 24"},
      {"P3", "Research and training data is tagged and kept apart", "GB/T 41819"},
  };
  return kRules;
}

const Rule* FindRule(const std::string& id) {
  for (const Rule& r : Rules())
    if (r.id == id) return &r;
  return nullptr;
}

}  // namespace facegate::policy
