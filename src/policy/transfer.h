// Transfers outside mainland China (REQ S8; PIPL 38, 39): off by default. Data goes to a
// recipient abroad only with a PIPL 38 mechanism recorded for that recipient and, for each
// person, a separate consent that names the recipient, where it is, its contact and how to
// exercise rights against it.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <optional>
#include <string>
#include <vector>

namespace facegate::policy {

// PIPL 38 (1)-(4): "security_assessment" (CAC), "certification", "standard_contract",
// "law_or_treaty".
const std::vector<std::string>& TransferMechanisms();

// True for a country code outside mainland China (non-empty and not "CN"; Hong Kong, Macao and
// Taiwan count as outside for transfers).
bool IsAbroad(const std::string& country);

// A complete record: recipient named (not the public), an ISO 3166-1 alpha-2 country other
// than CN, a mechanism of TransferMechanisms(), its reference and the recipient's contact.
// kInvalidInput naming the field otherwise.
Status ValidateTransferBasis(const TransferBasisRecord& t);

// Checks the fields a disclosure consent names for its recipient when given: a country is two
// capital letters; abroad, the recipient's contact and how to exercise rights are named
// (kRefused "S8" saying what to ask the person for).
Status ValidateTransferConsentFields(const std::string& country, const std::string& contact,
                                     const std::string& rights);

// Whether a disclosure resting on `consent` may go to its recipient, whose recorded mechanism is
// `basis` (nullopt: none recorded). Ok for a recipient in mainland China (no mechanism and no
// foreign country in the consent). Abroad: kRefused "S8" without a mechanism, when the consent
// names another country than the mechanism, or lacks the recipient's contact or rights.
Status CheckTransferConsent(const std::optional<TransferBasisRecord>& basis, const ConsentRecord& consent);

}  // namespace facegate::policy
