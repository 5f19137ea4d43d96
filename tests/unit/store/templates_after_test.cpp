// What a node that loaded a scope index reads to catch up with enrolments made
// by other nodes on the same database (REQ SC2), on every backend.
#include <facegate/store.h>
#include <gtest/gtest.h>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

SealedTemplate Sealed(const std::string& subject, const std::string& purpose, char fill) {
  SealedTemplate t;
  t.subject = subject;
  t.purpose = purpose;
  t.model = "face-api-1.7.15/face_recognition_model";
  t.nonce = std::string(24, fill);
  t.ciphertext = std::string(528, fill);
  t.created_at = kNow;
  t.expires_at = kNow + 86400;
  return t;
}

class TemplatesAfter : public BackendTest {};

TEST_P(TemplatesAfter, SC2_OnlyTheScopesTemplatesPastTheMarkBySubjectThenId) {
  MustAddPurpose(*store_, "site-entry");
  MustAddPurpose(*store_, "canteen");
  for (const char* s : {"S1", "S2", "S3"}) ASSERT_TRUE(store_->EnsureSubject(s, kNow).ok());
  auto a = store_->PutTemplate(Sealed("S2", "site-entry", 'a'));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // Another node (another connection) enrols after this one loaded up to `a`.
  auto other = db_->MustOpen();
  ASSERT_TRUE(other);
  auto b = other->PutTemplate(Sealed("S3", "site-entry", 'b'));
  ASSERT_TRUE(other->PutTemplate(Sealed("S1", "canteen", 'c')).ok());
  auto d = other->PutTemplate(Sealed("S1", "site-entry", 'd'));
  ASSERT_TRUE(b.ok() && d.ok());

  auto got = store_->ListTemplatesForPurposeAfter("site-entry", *a);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  REQUIREMENT("SC2");
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].subject, "S1");
  EXPECT_EQ((*got)[0].id, *d);
  EXPECT_EQ((*got)[0].ciphertext, std::string(528, 'd'));
  EXPECT_EQ((*got)[1].subject, "S3");
  EXPECT_EQ((*got)[1].id, *b);
  for (const SealedTemplate& t : *got) EXPECT_EQ(t.purpose, "site-entry");

  auto all = store_->ListTemplatesForPurposeAfter("site-entry", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  auto none = store_->ListTemplatesForPurposeAfter("site-entry", std::max(*b, *d));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(store_->ListTemplatesForPurposeAfter("unknown-purpose", 0)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, TemplatesAfter, ::testing::ValuesIn(TestBackends()),
                         BackendName());

}  // namespace
}  // namespace facegate::store
