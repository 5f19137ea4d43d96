// The lawful basis of a purpose, recorded after its declaration (REQ C2, AN4).
#include <facegate/service.h>

#include "policy/legal_basis.h"
#include "service/service_impl.h"

namespace facegate::service {

Status Service::SetPurposeBasis(const std::string& purpose, const std::string& basis,
                                const std::string& justification, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "purpose.basis";
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) {
    if (p.status().kind() == ErrorKind::kNotFound)
      return I.Fail(actor, act, "", purpose,
                    Status::NotFound("purpose '" + purpose + "' does not exist; declare it first"));
    return I.Fail(actor, act, "", purpose, p.status());
  }
  json d = {{"legal_basis", basis}, {"previous", policy::EffectiveBasis(*p)}};
  Status valid = policy::CheckLegalBasis(p->scenario, basis, justification);
  if (!valid.ok()) return I.Fail(actor, act, "", purpose, valid, d);
  Status st = I.store->SetPurposeBasis(purpose, basis, basis == "consent" ? "" : justification);
  I.Audit(actor, act, "", purpose, st, d);
  return st;
}

}  // namespace facegate::service
