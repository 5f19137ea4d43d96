// Test fixtures' impact assessments (REQ F1): the Gate grants nothing for a purpose without an
// approved one, so every fixture that declares a purpose and publishes its notice assesses it.
#pragma once

#include <facegate/store.h>

#include <string>

namespace facegate::testing {

// Records an approved impact assessment of `purpose` straight in the store, unless one is in
// force already (store-level fixtures with no Service; notice version 0 binds no version).
inline Status ApproveAssessmentInStore(store::Store& store, const std::string& purpose, UnixTime at = 1) {
  auto all = store.ListAssessments("purpose", purpose);
  if (!all.ok()) return all.status();
  for (const ImpactAssessmentRecord& a : *all)
    if (a.status == "approved") return Status::Ok();
  ImpactAssessmentRecord a;
  a.target = purpose;
  a.lawfulness = "test fixture: consent of each person (PIPL 13, 29)";
  a.data_kinds = {"face template"};
  a.impact = "test fixture";
  a.author = "test-author";
  a.created_at = at;
  a.status = "approved";
  a.approver = "test-dpo";
  a.approved_at = at;
  a.scope_size = 1000000;
  a.document_sha256 = "fixture";
  a.keep_until = at + 3 * 366 * 86400;
  return store.AddAssessment(a).status();
}

}  // namespace facegate::testing

// The server tests live in facegate::server, whose own `testing` namespace (api_suite.h) hides
// the one above: the same helper by that name.
namespace facegate::server::testing {
using ::facegate::testing::ApproveAssessmentInStore;
}  // namespace facegate::server::testing
