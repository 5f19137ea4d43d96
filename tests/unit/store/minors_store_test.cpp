// Birth dates, consent kinds and policy switches in the Store, on every backend
// (REQ M1, M2, C8, P1).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using StoreMinors = BackendTest;

TEST_P(StoreMinors, M1_BirthDateLivesOnTheSubjectAndMinorConsentsKeepTheGuardian) {
  EXPECT_EQ(store_->SubjectBirthDate("K1").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(store_->SetSubjectBirthDate("K1", "2015-06-01").kind(), ErrorKind::kNotFound);
  ASSERT_TRUE(store_->EnsureSubject("K1", kNow).ok());
  EXPECT_EQ(*store_->SubjectBirthDate("K1"), "");
  ASSERT_TRUE(store_->SetSubjectBirthDate("K1", "2015-06-01").ok());
  EXPECT_EQ(*store_->SubjectBirthDate("K1"), "2015-06-01");
  ASSERT_TRUE(store_->EnsureSubject("K1", kNow).ok());  // registering again keeps it
  EXPECT_EQ(*store_->SubjectBirthDate("K1"), "2015-06-01");

  MustAddPurpose(*store_, "school-gate");
  ConsentRecord c;
  c.subject = "K1";
  c.purpose = "school-gate";
  c.method = ConsentMethod::kGuardian;
  c.minor = true;
  c.guardian = "G-77";
  c.guardian_relation = "father";
  c.given_at = kNow;
  c.expires_at = kNow + 100;
  auto added = store_->AddConsent(c);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  auto got = store_->GetConsent(added->id);
  ASSERT_TRUE(got.ok());
  REQUIREMENT("M1");
  EXPECT_TRUE(got->minor);
  EXPECT_EQ(got->guardian, "G-77");
  EXPECT_EQ(got->guardian_relation, "father");
  EXPECT_EQ(got->kind, ConsentKind::kProcessing);
  ASSERT_TRUE(store_->SetSubjectBirthDate("K1", "").ok());  // cleared
  EXPECT_EQ(*store_->SubjectBirthDate("K1"), "");
}

TEST_P(StoreMinors, C8_DisclosureAndImportConsentsKeepRecipientAndSource) {
  MustAddPurpose(*store_, "office-entry");
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());
  ConsentRecord d;
  d.subject = "S1";
  d.purpose = "office-entry";
  d.kind = ConsentKind::kDisclosure;
  d.recipient = "partner-co";
  d.given_at = kNow;
  d.expires_at = kNow + 100;
  ASSERT_TRUE(store_->AddConsent(d).ok());
  ConsentRecord i = d;
  i.kind = ConsentKind::kImport;
  i.recipient = "";
  i.source = "profile-picture";
  i.given_at = kNow + 1;
  ASSERT_TRUE(store_->AddConsent(i).ok());
  auto list = store_->ListConsents("S1", "office-entry");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].kind, ConsentKind::kImport);
  EXPECT_EQ((*list)[0].source, "profile-picture");
  EXPECT_EQ((*list)[1].kind, ConsentKind::kDisclosure);
  EXPECT_EQ((*list)[1].recipient, "partner-co");
  EXPECT_FALSE((*list)[1].minor);
  // the schema refuses a kind it does not know
  std::string err;
  EXPECT_FALSE(db_->RawExec("UPDATE consents SET kind = 'sale' WHERE subject = 'S1'", &err));
}

TEST_P(StoreMinors, M2_PolicySettingPersistsAcrossOpens) {
  EXPECT_FALSE(store_->GetSetting("minors-face")->has_value());
  ASSERT_TRUE(store_->PutSetting("minors-face", "off", kNow).ok());
  EXPECT_EQ(store_->GetSetting("minors-face")->value_or(""), "off");
  store_.reset();
  store_ = db_->MustOpen();
  ASSERT_TRUE(store_);
  EXPECT_EQ(store_->GetSetting("minors-face")->value_or(""), "off");
  ASSERT_TRUE(store_->PutSetting("minors-face", "on", kNow + 1).ok());
  EXPECT_EQ(store_->GetSetting("minors-face")->value_or(""), "on");
  EXPECT_EQ(db_->RawInt("SELECT COUNT(*) FROM policy_settings"), 1);
  EXPECT_EQ(store_->PutSetting("", "x", kNow).kind(), ErrorKind::kInvalidInput);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreMinors, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
