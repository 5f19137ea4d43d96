// Transfers outside mainland China (REQ S8; PIPL 38, 39): the mechanism recorded per recipient,
// and the check that every person whose data a bulk transfer carries consented to it.
#include <facegate/service.h>

#include "policy/transfer.h"
#include "service/service_impl.h"

namespace facegate::service {

Status Service::RecordTransferBasis(const TransferBasisRecord& in, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "transfer.basis";
  TransferBasisRecord t = in;
  t.recorded_at = I.Now();
  t.actor = actor;
  json d = {{"recipient", t.recipient}, {"country", t.country}, {"mechanism", t.mechanism},
            {"reference", t.reference}};
  Status valid = policy::ValidateTransferBasis(t);
  if (!valid.ok()) return I.Fail(actor, act, "", "", valid, d);
  Status st = I.store->PutTransferBasis(t);
  I.Audit(actor, act, "", "", st, d);
  return st;
}

Result<std::vector<TransferBasisRecord>> Service::ListTransferBases() {
  return impl_->store->ListTransferBases();
}

Status Service::CheckTransferOfEveryone(const std::string& recipient, const std::string& what) {
  auto& I = *impl_;
  auto basis = I.store->GetTransferBasis(recipient);
  if (!basis.ok()) return basis.status().kind() == ErrorKind::kNotFound ? Status::Ok() : basis.status();
  FG_ASSIGN_OR_RETURN(std::vector<std::string> subjects, I.store->ListSubjects());
  FG_ASSIGN_OR_RETURN(std::vector<PurposeRecord> purposes, I.store->ListPurposes());
  const UnixTime now = I.Now();
  int64_t without = 0;
  std::string example;
  for (const std::string& s : subjects) {
    bool consented = false;
    for (const PurposeRecord& p : purposes) {
      FG_ASSIGN_OR_RETURN(std::vector<ConsentRecord> consents, I.store->ListConsents(s, p.name));
      for (const ConsentRecord& c : consents)
        if (c.kind == ConsentKind::kDisclosure && c.recipient == recipient && c.active_at(now) &&
            policy::CheckTransferConsent(*basis, c).ok())
          consented = true;
      if (consented) break;
    }
    if (consented) continue;
    if (example.empty()) example = s;
    ++without;
  }
  if (without == 0) return Status::Ok();
  return Status::Refused("S8", what + " goes to " + basis->country + " and would carry the data of " +
                                   std::to_string(without) + " person(s) without a separate consent naming '" +
                                   recipient + "', its contact and their rights (PIPL 39), e.g. subject '" +
                                   example + "'; keep it in mainland China, or ask each person first");
}

}  // namespace facegate::service
