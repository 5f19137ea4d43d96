// Timings, not checks: disabled by default. Run with
//   test_store --gtest_also_run_disabled_tests --gtest_filter='*Measure*'
// (SQLite) or the same with test_store_pg under a server from tests/postgres/pg-start.sh.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "store_backends.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

AuditEvent Event(int64_t i) {
  AuditEvent e;
  e.actor = "bench";
  e.action = "verify";
  e.subject = Numbered("S", i);
  e.purpose = "office-entry";
  e.outcome = "ok";
  e.detail = R"({"score":0.41,"threshold":0.6})";
  return e;
}

using StoreMeasure = BackendTest;

TEST_P(StoreMeasure, DISABLED_AuditAppendAndVerifyRates) {
  Store* store = store_.get();
  std::cout << "[ measure  ] backend " << GetParam() << "\n";
  constexpr int kSingle = 300;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSingle; ++i) ASSERT_TRUE(store->AppendAudit(Event(i)).ok());
  double single = Seconds(t0);
  std::cout << "[ measure  ] AppendAudit, one commit each: " << kSingle / single << " /s\n";

  constexpr int kBatch = 20000;
  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(store
                  ->Transaction([&]() -> Status {
                    for (int i = 0; i < kBatch; ++i)
                      FG_RETURN_IF_ERROR(store->AppendAudit(Event(i)).status());
                    return Status::Ok();
                  })
                  .ok());
  double batch = Seconds(t0);
  std::cout << "[ measure  ] AppendAudit, " << kBatch << " in one Transaction: " << kBatch / batch
            << " /s\n";

  t0 = std::chrono::steady_clock::now();
  auto check = store->VerifyAudit();
  double verify = Seconds(t0);
  ASSERT_TRUE(check.ok() && check->intact);
  std::cout << "[ measure  ] VerifyAudit over " << check->events << " events: " << verify << " s ("
            << check->events / verify << " events/s)\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreMeasure, ::testing::ValuesIn(TestBackends()),
                         BackendName());

}  // namespace
}  // namespace facegate::store
