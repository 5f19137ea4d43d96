// Timings, not checks: disabled by default. Run with
//   test_store --gtest_also_run_disabled_tests --gtest_filter='*Measure*'
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "store_test_util.h"

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

TEST(StoreMeasure, DISABLED_AuditAppendAndVerifyRates) {
  TempDir dir;
  auto store = MustOpen(dir.File("m.db"));
  ASSERT_TRUE(store);
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

}  // namespace
}  // namespace facegate::store
