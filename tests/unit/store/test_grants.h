// Grants and Templates for the Vault tests, made the lawful way: Grants come
// from the real policy::Gate after purpose, notice and consent exist; a
// Template comes out of Vault::OpenAll after a known vector was sealed into
// the store with the vault's own low-level functions (PlantTemplate).
#pragma once

#include <facegate/grant.h>
#include <facegate/template.h>
#include <facegate/vault.h>

#include <array>
#include <string>

#include "policy/gate.h"
#include "store/vault_crypto.h"
#include "store_test_util.h"
#include "../../support/assessment.h"

namespace facegate::store::testing {

// Declares `purpose` (if new), publishes a notice and records an "always"
// consent of `subject`, then asks the Gate for a grant of `op`.
inline Result<Grant> ConsentAndAuthorize(Store& store, Operation op, const std::string& subject,
                                         const std::string& purpose,
                                         Scenario scenario = Scenario::kVerification) {
  if (!store.GetPurpose(purpose).ok()) {
    PurposeRecord p;
    p.name = purpose;
    p.scenario = scenario;
    p.retention_days = 30;
    p.alternatives = {"staff-card"};
    p.created_at = kNow;
    FG_RETURN_IF_ERROR(store.AddPurpose(p));
    NoticeRecord n;
    n.purpose = purpose;
    n.text = "Notice for " + purpose;
    n.published_at = kNow;
    FG_ASSIGN_OR_RETURN(NoticeRecord published, store.PublishNotice(n));
    (void)published;
  }
  FG_RETURN_IF_ERROR(facegate::testing::ApproveAssessmentInStore(store, purpose, kNow));  // REQ F1
  MustConsent(store, subject, purpose, ConsentOption::kAlways);
  policy::Gate gate(store, [] { return kNow + 1; });
  return gate.Authorize(op, subject, purpose);
}

// A recognisable template vector (no two equal 16-byte windows).
inline std::array<float, kTemplateDim> KnownValues(float offset = 0) {
  std::array<float, kTemplateDim> v{};
  for (int i = 0; i < kTemplateDim; ++i) v[i] = offset + 0.0123f * static_cast<float>(i) - 0.77f;
  return v;
}

// Seals `values` for subject/purpose/model exactly as Vault::Seal does (the
// subject key made and wrapped with the master key on first use) and stores it.
inline Result<int64_t> PlantTemplate(const std::string& master_key_path, Store& store,
                                     const std::string& subject, const std::string& purpose,
                                     const std::string& model,
                                     const std::array<float, kTemplateDim>& values) {
  FG_ASSIGN_OR_RETURN(SecretKey master, SecretKey::FromBytes(ReadBytes(master_key_path)));
  FG_RETURN_IF_ERROR(store.EnsureSubject(subject, kNow));
  Result<std::string> wrapped = store.GetWrappedSubjectKey(subject);
  SecretKey key;
  if (wrapped.ok()) {
    FG_ASSIGN_OR_RETURN(key, UnwrapKey(master, *wrapped, subject));
  } else {
    FG_ASSIGN_OR_RETURN(key, SecretKey::Random());
    FG_ASSIGN_OR_RETURN(std::string w, WrapKey(master, key, subject));
    FG_RETURN_IF_ERROR(store.PutWrappedSubjectKey(subject, w));
  }
  FG_ASSIGN_OR_RETURN(SealedBytes sealed, SealBytes(key, EncodeTemplateValues(values),
                                                    TemplateAd(subject, purpose, model)));
  SealedTemplate t;
  t.subject = subject;
  t.purpose = purpose;
  t.model = model;
  t.nonce = sealed.nonce;
  t.ciphertext = sealed.ciphertext;
  t.created_at = kNow;
  t.expires_at = kNow + 86400;
  return store.PutTemplate(t);
}

inline const std::string kModel = "face-api-1.7.15/face_recognition_model";

}  // namespace facegate::store::testing
