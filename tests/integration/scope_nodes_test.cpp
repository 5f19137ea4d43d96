// Two services on one SQLite database (a CLI and `facegate serve`, or two
// processes): a scope index follows the other's enrolments and withdrawals.
#include <filesystem>

#include "../support/requirement.h"
#include "scope_nodes.h"

namespace facegate {
namespace {

using namespace facegate::testing;

TEST(ScopeNodes, SC2_C4_S7_ScopeLoadedByOneServiceFollowsTheOthersEnrolmentsAndWithdrawals) {
  std::filesystem::path home = TempHome("scope-nodes");
  {
    auto a = service::Service::Open(TestConfig(home));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    auto b = service::Service::Open(TestConfig(home));
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    REQUIREMENT("C4");
    REQUIREMENT("S7");
    ExpectScopeOfBFollowsA(**a, **b);
  }
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace facegate
