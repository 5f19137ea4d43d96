// What a tenant's end needs from the Store, on every backend (REQ S10).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include "store_backends.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using StoreTenants = BackendTest;

TEST_P(StoreTenants, S10_ListSubjectsNamesEverySubjectOnceSorted) {
  ASSERT_TRUE(store_->ListSubjects().ok());
  EXPECT_TRUE(store_->ListSubjects()->empty());
  for (const char* s : {"S2", "K1", "S10", "S1"}) ASSERT_TRUE(store_->EnsureSubject(s, kNow).ok());
  ASSERT_TRUE(store_->EnsureSubject("S1", kNow).ok());  // twice: still one
  auto all = store_->ListSubjects();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<std::string>{"K1", "S1", "S10", "S2"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTenants, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
