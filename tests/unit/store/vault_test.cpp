// The Vault under real Grants (REQ C1, S3, S4, S7): sealing needs an enrolment
// grant, opening needs a grant for that purpose, shredding makes blobs
// unreadable, and no plaintext template ever reaches the database files.
#include <facegate/vault.h>
#include <gtest/gtest.h>

#include "../../support/requirement.h"

#include "test_grants.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_.File("var/facegate.db");
    key_path_ = dir_.File("var/master.key");
    store_ = MustOpen(db_path_);
    ASSERT_TRUE(store_);
    auto v = Vault::Open(key_path_);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vault_ = std::make_unique<Vault>(std::move(v).value());
  }

  Grant MustGrant(Operation op, const std::string& subject, const std::string& purpose,
                  Scenario scenario = Scenario::kVerification) {
    auto g = ConsentAndAuthorize(*store_, op, subject, purpose, scenario);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return std::move(g).value();
  }

  // A Template holding `values`, obtained the lawful way (sealed, then opened under a grant).
  Template MustTemplate(const std::string& subject, const std::string& purpose,
                        const std::array<float, kTemplateDim>& values) {
    Grant g = MustGrant(Operation::kVerify, subject, purpose);
    auto id = PlantTemplate(key_path_, *store_, subject, purpose, kModel, values);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    auto opened = vault_->OpenAll(g, *store_, subject);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened->back();
  }

  TempDir dir_;
  std::string db_path_, key_path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Vault> vault_;
};

TEST_F(VaultTest, SealedTemplateOpensToTheSameValuesAndModel) {
  Template t = MustTemplate("S1", "office-entry", KnownValues());
  EXPECT_EQ(t.values(), KnownValues());
  EXPECT_EQ(t.model(), kModel);

  Grant enrol = MustGrant(Operation::kEnrol, "S1", "office-entry");
  auto sealed = vault_->Seal(enrol, *store_, t, kNow, kNow + 86400);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->id, 0) << "Seal only seals; PutTemplate stores";
  EXPECT_EQ(sealed->subject, "S1");
  EXPECT_EQ(sealed->purpose, "office-entry");
  EXPECT_EQ(sealed->expires_at, kNow + 86400);
  ASSERT_TRUE(store_->PutTemplate(*sealed).ok());

  Grant verify = MustGrant(Operation::kVerify, "S1", "office-entry");
  auto all = vault_->OpenAll(verify, *store_, "S1");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].values(), KnownValues());
  EXPECT_FLOAT_EQ((*all)[0].DistanceTo((*all)[1]), 0.0f);
}

TEST_F(VaultTest, FirstSealMakesAWrappedKeyOfTheSubjectAndPurpose) {  // REQ S4, S7
  Template t = MustTemplate("S1", "office-entry", KnownValues());
  Grant enrol = MustGrant(Operation::kEnrol, "S2", "office-entry");
  EXPECT_EQ(store_->GetWrappedPurposeKey("S2", "office-entry").status().kind(), ErrorKind::kNotFound);
  auto sealed = vault_->Seal(enrol, *store_, t, kNow, kNow + 10);
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(sealed->purpose_key);
  auto wrapped = store_->GetWrappedPurposeKey("S2", "office-entry");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->size(), kNonceBytes + kKeyBytes + kTagBytes);
  EXPECT_EQ(store_->GetWrappedSubjectKey("S2").status().kind(), ErrorKind::kNotFound)
      << "new templates are sealed per purpose, never under a subject-wide key";
  ASSERT_TRUE(vault_->Seal(enrol, *store_, t, kNow, kNow + 10).ok());
  EXPECT_EQ(*store_->GetWrappedPurposeKey("S2", "office-entry"), *wrapped) << "one key per subject and purpose";
}

TEST_F(VaultTest, SealingNeedsAnEnrolmentGrant) {  // REQ C1
  Template t = MustTemplate("S1", "office-entry", KnownValues());
  Grant verify = MustGrant(Operation::kVerify, "S1", "office-entry");
  auto r = vault_->Seal(verify, *store_, t, kNow, kNow + 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kRefused);
  EXPECT_EQ(r.status().requirement(), "C1");
  Grant research = policy::Gate::AuthorizeResearch("lfw");
  EXPECT_EQ(vault_->Seal(research, *store_, t, kNow, kNow + 10).status().requirement(), "C1");
}

TEST_F(VaultTest, OpeningNeedsAGrantForThatSubjectAndPurpose) {  // REQ C1
  MustTemplate("S1", "office-entry", KnownValues());
  Grant other_subject = MustGrant(Operation::kVerify, "S2", "office-entry");
  auto r = vault_->OpenAll(other_subject, *store_, "S1");
  EXPECT_EQ(r.status().kind(), ErrorKind::kRefused);
  EXPECT_EQ(r.status().requirement(), "C1");

  Grant research = policy::Gate::AuthorizeResearch("lfw");
  r = vault_->OpenAll(research, *store_, "S1");
  EXPECT_EQ(r.status().kind(), ErrorKind::kRefused);
  EXPECT_EQ(r.status().requirement(), "C1");

  // A grant for another purpose sees none of this purpose's templates.
  Grant canteen = MustGrant(Operation::kVerify, "S1", "canteen");
  EXPECT_EQ(vault_->OpenAll(canteen, *store_, "S1").status().kind(), ErrorKind::kNotFound);
}

TEST_F(VaultTest, IdentificationOpensCandidatesWithinItsPurpose) {  // REQ SC2
  Grant identify = MustGrant(Operation::kIdentify, "S1", "site-a", Scenario::kIdentification);
  ASSERT_TRUE(PlantTemplate(key_path_, *store_, "S1", "site-a", kModel, KnownValues()).ok());
  ASSERT_TRUE(PlantTemplate(key_path_, *store_, "S2", "site-a", kModel, KnownValues(1)).ok());
  auto s2 = vault_->OpenAll(identify, *store_, "S2");
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  EXPECT_EQ((*s2)[0].values(), KnownValues(1));
}

TEST_F(VaultTest, DestroyedSubjectKeyMakesTemplatesUnreadable) {  // REQ S7
  Template t = MustTemplate("S1", "office-entry", KnownValues());
  ASSERT_TRUE(store_->DestroySubjectKey("S1").ok());
  EXPECT_GT(*store_->CountTemplates("S1"), 0) << "the blob remains, as in a backup";
  Grant verify = MustGrant(Operation::kVerify, "S1", "office-entry");
  auto r = vault_->OpenAll(verify, *store_, "S1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("shredded"), std::string::npos) << r.status().message();
}

TEST_F(VaultTest, S7_DestroyedPurposeKeyShredsThatPurposeOnly) {  // REQ S7
  Template t = MustTemplate("S1", "office-entry", KnownValues());
  for (const char* purpose : {"office-entry", "canteen"}) {
    Grant enrol = MustGrant(Operation::kEnrol, "S1", purpose);
    auto sealed = vault_->Seal(enrol, *store_, t, kNow, kNow + 10);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    ASSERT_TRUE(store_->PutTemplate(*sealed).ok());
  }
  REQUIREMENT("S7");
  auto destroyed = store_->DestroyPurposeKey("S1", "canteen");
  ASSERT_TRUE(destroyed.ok());
  EXPECT_TRUE(*destroyed);
  EXPECT_FALSE(*store_->DestroyPurposeKey("S1", "canteen")) << "idempotent: nothing left to destroy";
  Grant canteen = MustGrant(Operation::kVerify, "S1", "canteen");
  auto gone = vault_->OpenAll(canteen, *store_, "S1");
  EXPECT_EQ(gone.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(gone.status().message().find("shredded"), std::string::npos) << gone.status().message();
  // The other purpose opens: the planted template under the subject key, the sealed one under
  // its purpose key.
  Grant office = MustGrant(Operation::kVerify, "S1", "office-entry");
  auto kept = vault_->OpenAll(office, *store_, "S1");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->size(), 2u);
}

TEST_F(VaultTest, BlobMovedToAnotherPurposeOrSubjectFailsToOpen) {  // REQ S3, S4
  MustTemplate("S1", "office-entry", KnownValues());
  SealedTemplate blob = (*store_->GetTemplates("S1", "office-entry"))[0];
  // Same subject key, other purpose: only the associated data differs.
  Grant canteen = MustGrant(Operation::kVerify, "S1", "canteen");
  SealedTemplate moved = blob;
  moved.purpose = "canteen";
  ASSERT_TRUE(store_->PutTemplate(moved).ok());
  auto r = vault_->OpenAll(canteen, *store_, "S1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kIntegrity);
  // Other subject.
  MustTemplate("S2", "office-entry", KnownValues(2));
  SealedTemplate stolen = blob;
  stolen.subject = "S2";
  ASSERT_TRUE(store_->PutTemplate(stolen).ok());
  Grant s2 = MustGrant(Operation::kVerify, "S2", "office-entry");
  EXPECT_EQ(vault_->OpenAll(s2, *store_, "S2").status().kind(), ErrorKind::kIntegrity);
}

TEST_F(VaultTest, AnotherMasterKeyCannotOpenTemplates) {  // REQ S4
  MustTemplate("S1", "office-entry", KnownValues());
  auto other = Vault::Open(dir_.File("other/master.key"));
  ASSERT_TRUE(other.ok());
  Grant verify = MustGrant(Operation::kVerify, "S1", "office-entry");
  auto r = other->OpenAll(verify, *store_, "S1");
  EXPECT_EQ(r.status().kind(), ErrorKind::kIntegrity);
  // The same key file reopened (a restart) still opens them.
  auto again = Vault::Open(key_path_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->OpenAll(verify, *store_, "S1").ok());
}

// Whether `hay` holds the template's 512 bytes or any 16-byte window of them.
bool HoldsPlaintext(const std::string& hay, const std::string& plain) {
  for (size_t i = 0; i + 16 <= plain.size(); ++i) {
    if (hay.find(plain.substr(i, 16)) != std::string::npos) return true;
  }
  return false;
}

TEST_F(VaultTest, DatabaseFilesHoldNoPlaintextTemplate) {  // REQ S4
  const std::string plain = EncodeTemplateValues(KnownValues());
  // Control: the scan finds a plaintext template where one was written.
  {
    TempDir control_dir;
    auto control = MustOpen(control_dir.File("c.db"));
    MustAddPurpose(*control, "office-entry");
    ASSERT_TRUE(control->EnsureSubject("S1", kNow).ok());
    SealedTemplate t;
    t.subject = "S1";
    t.purpose = "office-entry";
    t.nonce = std::string(24, 'n');
    t.ciphertext = plain;
    ASSERT_TRUE(control->PutTemplate(t).ok());
    std::string files =
        ReadBytes(control_dir.File("c.db")) + ReadBytes(control_dir.File("c.db-wal"));
    ASSERT_TRUE(HoldsPlaintext(files, plain));
  }
  // Sealed by the low-level functions (PlantTemplate) and by Vault::Seal.
  Template t = MustTemplate("S1", "office-entry", KnownValues());
  Grant enrol = MustGrant(Operation::kEnrol, "S1", "office-entry");
  auto sealed = vault_->Seal(enrol, *store_, t, kNow, kNow + 10);
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE(store_->PutTemplate(*sealed).ok());
  ASSERT_EQ(*store_->CountTemplates("S1"), 2);

  std::string live = ReadBytes(db_path_) + ReadBytes(db_path_ + "-wal");
  ASSERT_GT(live.size(), 4096u);
  EXPECT_FALSE(HoldsPlaintext(live, plain)) << "while open (WAL)";
  store_.reset();  // closing checkpoints the WAL into the database file
  std::string closed = ReadBytes(db_path_) + ReadBytes(db_path_ + "-wal");
  EXPECT_FALSE(HoldsPlaintext(closed, plain)) << "after checkpoint";
  EXPECT_FALSE(HoldsPlaintext(ReadBytes(key_path_), plain));
}

}  // namespace
}  // namespace facegate::store
