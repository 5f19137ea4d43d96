// Sensitive inferences switched on and off per analysis purpose (REQ AN3, F1).
#include <facegate/service.h>

#include "policy/inference.h"
#include "service/service_impl.h"

namespace facegate::service {

Status Service::EnableInference(const std::string& purpose, const std::string& inference, const std::string& use,
                                const std::string& justification, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "purpose.inference.on";
  json d = {{"inference", inference}, {"use", use}};
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) {
    if (p.status().kind() == ErrorKind::kNotFound)
      return I.Fail(actor, act, "", purpose,
                    Status::NotFound("purpose '" + purpose + "' does not exist; declare it first"), d);
    return I.Fail(actor, act, "", purpose, p.status(), d);
  }
  Status valid = policy::CheckInferenceSwitch(p->scenario, inference, use, justification);
  if (!valid.ok()) return I.Fail(actor, act, "", purpose, valid, d);
  InferenceRecord r;
  r.purpose = purpose;
  r.inference = inference;
  r.declared_use = use;
  r.justification = justification;
  r.enabled_at = I.Now();
  r.enabled_by = actor;
  Status st = I.store->EnableInference(r);
  I.Audit(actor, act, "", purpose, st, d);
  if (!st.ok()) return st;
  // REQ F1: a sensitive inference switched on is a material change.
  I.MarkAssessmentsDue("purpose", purpose,
                       "the sensitive inference '" + inference + "' was switched on for " + use +
                           "; assess it before it runs",
                       actor);
  return Status::Ok();
}

Status Service::DisableInference(const std::string& purpose, const std::string& inference,
                                 const std::string& actor) {
  auto& I = *impl_;
  const char* act = "purpose.inference.off";
  json d = {{"inference", inference}};
  auto off = I.store->DisableInference(purpose, inference, I.Now(), actor);
  if (!off.ok()) return I.Fail(actor, act, "", purpose, off.status(), d);
  if (!*off)
    return I.Fail(actor, act, "", purpose,
                  Status::NotFound("the inference '" + inference + "' is not on for purpose '" + purpose + "'"), d);
  I.Audit(actor, act, "", purpose, Status::Ok(), d);
  return Status::Ok();
}

Result<std::vector<InferenceRecord>> Service::ListInferences(const std::string& purpose) {
  return impl_->store->ListInferences(purpose);
}

}  // namespace facegate::service
