// One scenario, run on SQLite (two services on one database file) and on
// PostgreSQL (two nodes): a scope index loaded by node B follows enrolments
// and withdrawals made by node A at B's next search (REQ SC2, C4, S7).
#pragma once

#include <facegate/service.h>
#include <gtest/gtest.h>

#include <string>

#include "testutil.h"

namespace facegate::testing {

inline std::string LfwPhoto(const std::string& name, int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "_%04d.jpg", n);
  return ReadAll(Facedata("lfw/" + name + "/" + name + buf));
}

// Consent and two enrolled photos of LFW person `who` as `subject`, on `node`.
inline void EnrolMember(service::Service& node, const std::string& subject, const std::string& who,
                        const std::string& purpose) {
  auto n = node.LatestNotice(purpose);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  service::Service::ConsentRequest r;
  r.subject = subject;
  r.purpose = purpose;
  r.notice_id = n->id;
  r.option = ConsentOption::kAlways;
  auto c = node.GiveConsent(r, "node-a");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (int i : {1, 2}) {
    auto e = node.Enrol(subject, purpose, LfwPhoto(who, i), "", "node-a");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
  }
}

inline void ExpectScopeOfBFollowsA(service::Service& a, service::Service& b) {
  PurposeRecord p;
  p.name = "site-roster";
  p.scenario = Scenario::kIdentification;
  p.retention_days = 30;
  p.alternatives = {"staff-card"};
  ASSERT_TRUE(a.AddPurpose(p, "node-a").ok());
  ASSERT_TRUE(a.PublishNotice("site-roster", NoticeKeptFor(30), "node-a").ok());
  ApproveAssessment(a, "site-roster");  // REQ F1
  EnrolMember(a, "P0", "Alan_Greenspan", "site-roster");

  // B loads the scope on its first search.
  auto r0 = b.Identify("site-roster", LfwPhoto("Alan_Greenspan", 3), "node-b");
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  EXPECT_TRUE(r0->identified);
  EXPECT_EQ(r0->subject, "P0");
  EXPECT_EQ(r0->scope_size, 1u);

  // A enrols somebody new: B's next search finds them, without a restart.
  EnrolMember(a, "P1", "Ai_Sugiyama", "site-roster");
  auto r1 = b.Identify("site-roster", LfwPhoto("Ai_Sugiyama", 3), "node-b");
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_TRUE(r1->identified);
  EXPECT_EQ(r1->subject, "P1");
  EXPECT_EQ(r1->scope_size, 2u);
  EXPECT_EQ(r1->scope_templates, 4u);

  // A withdraws P0: on B's next search P0 is out of B's index, not only
  // refused by the consent re-check (REQ C4, S7).
  auto w = a.WithdrawConsent("P0", "site-roster", "node-a");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto r2 = b.Identify("site-roster", LfwPhoto("Alan_Greenspan", 3), "node-b");
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_FALSE(r2->identified);
  EXPECT_EQ(r2->scope_size, 1u);
  EXPECT_EQ(r2->scope_templates, 2u);

  // Nothing changed: B searches without re-reading (the same answer).
  auto r3 = b.Identify("site-roster", LfwPhoto("Ai_Sugiyama", 4), "node-b");
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_EQ(r3->scope_size, 1u);
}

}  // namespace facegate::testing
