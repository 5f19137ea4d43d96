// The master key is never made anew for a database written with one, and a different key is
// refused at start (security item 9, docs/security.md): before, a restored database or a node
// without the key file got a fresh key silently, and every subject failed to open.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
namespace fs = std::filesystem;

class MasterKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { home_ = TempHome("masterkey"); }
  void TearDown() override { fs::remove_all(home_); }

  // A store with one enrolled subject (so a wrapped subject key exists).
  void Populate() {
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto& svc = **s;
    const int64_t notice = DeclareWithNotice(svc, "door");
    ASSERT_TRUE(ConsentAlways(svc, "S1", "door", notice).ok());
    auto e = svc.Enrol("S1", "door", Lfw("Ai_Sugiyama", 1), "", "test");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
  }
  fs::path Key() const { return home_ / "master.key"; }

  fs::path home_;
};

TEST_F(MasterKeyTest, S4_AMissingKeyIsRefusedAndNeverMadeAnewForADatabaseWrittenWithOne) {
  Populate();
  const std::string original = ReadAll(Key().string());
  fs::rename(Key(), home_ / "master.key.away");
  auto s = service::Service::Open(TestConfig(home_));
  ASSERT_FALSE(s.ok()) << "a service started without the key its database was written with";
  EXPECT_EQ(s.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(s.status().message().find("missing"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("restore"), std::string::npos) << s.status().message();
  EXPECT_FALSE(fs::exists(Key())) << "a new master key was made for a database that has subject keys";
  // With the key back, everything opens as before.
  fs::rename(home_ / "master.key.away", Key());
  auto back = service::Service::Open(TestConfig(home_));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  auto v = (*back)->Verify("S1", "door", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->match);
  EXPECT_EQ(ReadAll(Key().string()), original);
}

TEST_F(MasterKeyTest, S4_ADifferentKeyIsRefusedAtStartNamingTheMismatch) {
  Populate();
  const std::string original = ReadAll(Key().string());
  // Another installation's key, with the right size and mode.
  fs::path other = TempHome("masterkey-other");
  ASSERT_TRUE(service::Service::Open(TestConfig(other)).ok());
  fs::copy_file(other / "master.key", Key(), fs::copy_options::overwrite_existing);
  fs::remove_all(other);
  auto s = service::Service::Open(TestConfig(home_));
  ASSERT_FALSE(s.ok()) << "a service started with a key its database was not written with";
  EXPECT_EQ(s.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(s.status().message().find("not the key"), std::string::npos) << s.status().message();
  WriteAll(Key().string(), original);
  EXPECT_TRUE(service::Service::Open(TestConfig(home_)).ok());
}

TEST_F(MasterKeyTest, AFreshHomeStillGetsItsKeyOnFirstRun) {
  auto s = service::Service::Open(TestConfig(home_));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(fs::exists(Key()));
  EXPECT_EQ(fs::status(Key()).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

}  // namespace
}  // namespace facegate
