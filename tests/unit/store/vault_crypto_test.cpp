// The vault's sealing primitives and master key file (REQ S4, S7).
#include "store/vault_crypto.h"

#include <facegate/vault.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "store_test_util.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

SecretKey NewKey() {
  auto k = SecretKey::Random();
  EXPECT_TRUE(k.ok());
  return *k;
}

TEST(SealBytes, OpensWithTheSameKeyAndAssociatedData) {
  SecretKey key = NewKey();
  auto sealed = SealBytes(key, "feature vector", "ad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->nonce.size(), kNonceBytes);
  EXPECT_EQ(sealed->ciphertext.size(), std::strlen("feature vector") + kTagBytes);
  EXPECT_EQ(sealed->ciphertext.find("feature"), std::string::npos);
  auto plain = OpenBytes(key, sealed->nonce, sealed->ciphertext, "ad");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "feature vector");
}

TEST(SealBytes, UsesAFreshNonceEachTime) {
  SecretKey key = NewKey();
  auto a = SealBytes(key, "same", "ad");
  auto b = SealBytes(key, "same", "ad");
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_NE(a->ciphertext, b->ciphertext);
}

TEST(SealBytes, WrongKeyAdOrAlteredBytesFailWithIntegrity) {
  SecretKey key = NewKey();
  auto sealed = SealBytes(key, std::string(512, '\x42'), TemplateAd("S1", "office-entry", "m1"));
  ASSERT_TRUE(sealed.ok());
  // Moved to another subject, purpose or model: the AD no longer matches (REQ S3, S4).
  for (const std::string& ad :
       {TemplateAd("S2", "office-entry", "m1"), TemplateAd("S1", "canteen", "m1"),
        TemplateAd("S1", "office-entry", "m2")}) {
    auto r = OpenBytes(key, sealed->nonce, sealed->ciphertext, ad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kIntegrity);
  }
  EXPECT_EQ(
      OpenBytes(NewKey(), sealed->nonce, sealed->ciphertext, TemplateAd("S1", "office-entry", "m1"))
          .status()
          .kind(),
      ErrorKind::kIntegrity);
  std::string altered = sealed->ciphertext;
  altered[100] ^= 1;
  EXPECT_EQ(OpenBytes(key, sealed->nonce, altered, TemplateAd("S1", "office-entry", "m1"))
                .status()
                .kind(),
            ErrorKind::kIntegrity);
  EXPECT_EQ(OpenBytes(key, "short", sealed->ciphertext, "").status().kind(), ErrorKind::kIntegrity);
}

TEST(TemplateAd, FieldBoundariesCannotBeShifted) {
  EXPECT_NE(TemplateAd("S1", "ab", "c"), TemplateAd("S1", "a", "bc"));
  EXPECT_NE(TemplateAd("S1", "p", "m"), SubjectKeyAd("S1"));
}

TEST(WrapKey, UnwrapsOnlyWithTheMasterKeyAndSubject) {  // REQ S4, S7
  SecretKey master = NewKey();
  SecretKey subject_key = NewKey();
  auto wrapped = WrapKey(master, subject_key, "S1");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->size(), kNonceBytes + kKeyBytes + kTagBytes);
  EXPECT_EQ(wrapped->find(std::string(subject_key.view())), std::string::npos);
  auto back = UnwrapKey(master, *wrapped, "S1");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->view(), subject_key.view());
  EXPECT_EQ(UnwrapKey(master, *wrapped, "S2").status().kind(), ErrorKind::kIntegrity)
      << "a wrapped key copied to another subject does not unwrap";
  auto other = UnwrapKey(NewKey(), *wrapped, "S1");
  EXPECT_EQ(other.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(other.status().message().find("master key"), std::string::npos);
}

TEST(TemplateValues, EncodeAsLittleEndianFloat32) {
  std::array<float, kTemplateDim> v{};
  v[0] = 1.0f;
  v[127] = -2.5f;
  std::string b = EncodeTemplateValues(v);
  ASSERT_EQ(b.size(), 512u);
  EXPECT_EQ(b.substr(0, 4), std::string("\x00\x00\x80\x3f", 4));
  EXPECT_EQ(b.substr(508, 4), std::string("\x00\x00\x20\xc0", 4));
  auto back = DecodeTemplateValues(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  EXPECT_EQ(DecodeTemplateValues(b.substr(1)).status().kind(), ErrorKind::kIntegrity);
}

// ---- master key file ----

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(MasterKeyFile, IsCreatedOwnerOnlyOnFirstRun) {  // REQ S4
  TempDir dir;
  std::string path = dir.File("keys/master.key");
  auto v = Vault::Open(path);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(dir.File("keys")), 0700u);
  std::string key = ReadBytes(path);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_NE(key, std::string(32, '\0'));
  ASSERT_TRUE(Vault::Open(path).ok());
  EXPECT_EQ(ReadBytes(path), key) << "a second open keeps the key";
}

TEST(MasterKeyFile, ReadableByOthersIsRefused) {  // REQ S4
  TempDir dir;
  std::string path = dir.File("master.key");
  ASSERT_TRUE(Vault::Open(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto v = Vault::Open(path);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(v.status().message().find("chmod 600"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("0644"), std::string::npos) << v.status().message();
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_EQ(Vault::Open(path).status().kind(), ErrorKind::kIntegrity);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(Vault::Open(path).ok()) << "the fix the message gives works";
}

TEST(MasterKeyFile, WrongSizeIsRefused) {
  TempDir dir;
  std::string path = dir.File("master.key");
  ASSERT_TRUE(Vault::Open(path).ok());
  ASSERT_EQ(::truncate(path.c_str(), 31), 0);
  auto v = Vault::Open(path);
  EXPECT_EQ(v.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(v.status().message().find("restore"), std::string::npos) << v.status().message();
}

TEST(MasterKeyFile, SymlinkIsRefused) {
  TempDir dir;
  std::string real = dir.File("real.key");
  ASSERT_TRUE(Vault::Open(real).ok());
  std::string link = dir.File("link.key");
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  EXPECT_EQ(Vault::Open(link).status().kind(), ErrorKind::kIntegrity);
}

}  // namespace
}  // namespace facegate::store
