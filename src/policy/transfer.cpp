#include "policy/transfer.h"

#include <algorithm>

#include "policy/gate.h"

namespace facegate::policy {

const std::vector<std::string>& TransferMechanisms() {
  static const std::vector<std::string> kMechanisms = {"security_assessment", "certification", "standard_contract",
                                                       "law_or_treaty"};
  return kMechanisms;
}

bool IsAbroad(const std::string& country) {
  return !country.empty() && country != "CN";
}

namespace {

bool IsCountryCode(const std::string& c) {
  return c.size() == 2 && std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

std::string RecordCommand(const std::string& recipient, const std::string& country) {
  return "`facegate transfer record " + recipient + " --country " + (country.empty() ? "XX" : country) +
         " --mechanism standard_contract|security_assessment|certification|law_or_treaty --reference NUMBER "
         "--contact CONTACT`";
}

}  // namespace

Status ValidateTransferBasis(const TransferBasisRecord& t) {
  if (IsPublicRecipient(t.recipient))
    return Status::InvalidInput("a transfer basis names the one recipient the data goes to, never the public");
  if (!IsCountryCode(t.country))
    return Status::InvalidInput("country '" + t.country +
                                "' is not an ISO 3166-1 alpha-2 code in capitals, e.g. SG, DE, HK");
  if (!IsAbroad(t.country))
    return Status::InvalidInput("a recipient in mainland China (CN) needs no transfer basis: nothing crosses "
                                "the border");
  if (std::find(TransferMechanisms().begin(), TransferMechanisms().end(), t.mechanism) == TransferMechanisms().end())
    return Status::InvalidInput("mechanism '" + t.mechanism +
                                "' is not one of PIPL 38's: security_assessment, certification, "
                                "standard_contract, law_or_treaty");
  if (t.reference.empty())
    return Status::InvalidInput("give the mechanism's reference (the CAC assessment, the certificate or the "
                                "standard contract's filing number)");
  if (t.contact.empty())
    return Status::InvalidInput("give the recipient's contact: people are told it to exercise their rights "
                                "(PIPL 39)");
  return Status::Ok();
}

Status ValidateTransferConsentFields(const std::string& country, const std::string& contact,
                                     const std::string& rights) {
  if (country.empty()) return Status::Ok();
  if (!IsCountryCode(country))
    return Status::InvalidInput("recipient country '" + country +
                                "' is not an ISO 3166-1 alpha-2 code in capitals, e.g. SG, DE, HK");
  if (IsAbroad(country) && (contact.empty() || rights.empty()))
    return Status::Refused("S8", "a consent to send face data to a recipient in " + country +
                                     " names the recipient's contact and how the person exercises their "
                                     "rights against it (PIPL 39): give both and let the person read them");
  return Status::Ok();
}

Status CheckTransferConsent(const std::optional<TransferBasisRecord>& basis, const ConsentRecord& consent) {
  const bool abroad = basis.has_value() || IsAbroad(consent.recipient_country);
  if (!abroad) return Status::Ok();
  const std::string& recipient = consent.recipient;
  if (!basis)
    return Status::Refused("S8", "recipient '" + recipient + "' is in " + consent.recipient_country +
                                     ", and no PIPL 38 mechanism is recorded for it; nothing crosses the "
                                     "border without one: " +
                                     RecordCommand(recipient, consent.recipient_country));
  if (consent.recipient_country != basis->country)
    return Status::Refused("S8", "consent " + std::to_string(consent.id) + " does not tell the person that '" +
                                     recipient + "' is in " + basis->country +
                                     " (it names '" + consent.recipient_country +
                                     "'); ask for a separate consent naming where the data goes (PIPL 39)");
  if (consent.recipient_contact.empty() || consent.recipient_rights.empty())
    return Status::Refused("S8", "consent " + std::to_string(consent.id) + " does not name '" + recipient +
                                     "''s contact and how to exercise rights against it (PIPL 39); ask again "
                                     "with --recipient-contact and --recipient-rights");
  return Status::Ok();
}

}  // namespace facegate::policy
