// Devices, capture sessions and sites on every backend (SQLite in test_store,
// PostgreSQL in test_store_pg) (REQ D1, D4, D7).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using DeviceStore = BackendTest;

DeviceRecord Gate(const std::string& id = "gate-1") {
  DeviceRecord d;
  d.id = id;
  d.name = "Lobby turnstile";
  d.site = "hq";
  d.passage = "turnstiles";
  d.location_type = "lobby";
  d.mode = DeviceMode::kAutomatic;
  d.purposes = {"office-entry"};
  d.area = "[[0.2,0.1],[0.8,0.1],[0.8,0.9],[0.2,0.9]]";
  d.capture_timeout_s = 20;
  d.signage.voice_prompt = "Face recognition ahead";
  d.signage.notice_version = 2;
  d.created_at = d.updated_at = kNow;
  d.actor = "key:admin";
  return d;
}

CaptureSessionRecord Session(const std::string& id, UnixTime opened = kNow, int64_t timeout = 30) {
  CaptureSessionRecord s;
  s.id = id;
  s.device = "gate-1";
  s.purpose = "office-entry";
  s.subject = "S1";
  s.opened_by = "tap";
  s.opened_at = opened;
  s.expires_at = opened + timeout;
  return s;
}

TEST_P(DeviceStore, ADeviceIsStoredWithEveryFieldAndChangedWhole) {
  ASSERT_TRUE(store_->AddDevice(Gate()).ok());
  auto got = store_->GetDevice("gate-1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->passage, "turnstiles");
  EXPECT_EQ(got->mode, DeviceMode::kAutomatic);
  EXPECT_EQ(got->purposes, std::vector<std::string>{"office-entry"});
  EXPECT_EQ(got->area, "[[0.2,0.1],[0.8,0.1],[0.8,0.9],[0.2,0.9]]");
  EXPECT_EQ(got->signage.voice_prompt, "Face recognition ahead");
  EXPECT_EQ(got->signage.notice_version, 2);
  EXPECT_EQ(got->status, DeviceStatus::kDraft);
  EXPECT_EQ(store_->AddDevice(Gate()).kind(), ErrorKind::kConflict);
  got->status = DeviceStatus::kLive;
  got->signage.confirmed_by = "facilities";
  ASSERT_TRUE(store_->UpdateDevice(*got).ok());
  EXPECT_EQ(store_->GetDevice("gate-1")->status, DeviceStatus::kLive);
  EXPECT_EQ(store_->GetDevice("gate-1")->signage.confirmed_by, "facilities");
  EXPECT_EQ(store_->GetDevice("nope").status().kind(), ErrorKind::kNotFound);
  DeviceRecord other = Gate("kiosk-1");
  other.site = "";
  ASSERT_TRUE(store_->AddDevice(other).ok());
  EXPECT_EQ(store_->ListDevices("")->size(), 2u);
  EXPECT_EQ(store_->ListDevices("hq")->size(), 1u);
}

TEST_P(DeviceStore, D4_TheSchemaRefusesADeviceInAToiletEvenPastTheService) {
  REQUIREMENT("D4");
  DeviceRecord d = Gate();
  d.location_type = "toilet";
  EXPECT_FALSE(store_->AddDevice(d).ok());
  EXPECT_EQ(store_->GetDevice("gate-1").status().kind(), ErrorKind::kNotFound);
}

TEST_P(DeviceStore, D1_TheSchemaRefusesACaptureLongerThanSixtySeconds) {
  REQUIREMENT("D1");
  ASSERT_TRUE(store_->AddDevice(Gate()).ok());
  EXPECT_FALSE(store_->AddCaptureSession(Session("cs_long", kNow, 61)).ok());
  DeviceRecord d = Gate("slow");
  d.capture_timeout_s = 90;
  EXPECT_FALSE(store_->AddDevice(d).ok());
}

TEST_P(DeviceStore, D1_AFrameIsAcceptedOnlyWhileTheSessionIsOpenAndBeforeItsTimeout) {
  REQUIREMENT("D1");
  ASSERT_TRUE(store_->AddDevice(Gate()).ok());
  ASSERT_TRUE(store_->AddCaptureSession(Session("cs_a")).ok());
  EXPECT_EQ(*store_->AcceptCaptureFrame("cs_a", kNow + 1), 1);
  EXPECT_EQ(*store_->AcceptCaptureFrame("cs_a", kNow + 29), 2);
  auto late = store_->AcceptCaptureFrame("cs_a", kNow + 30);
  EXPECT_EQ(late.status().kind(), ErrorKind::kConflict);
  EXPECT_NE(late.status().message().find("timed out"), std::string::npos) << late.status().ToString();
  EXPECT_EQ(*store_->ExpireCaptureSessions("gate-1", kNow + 30), 1);
  auto s = store_->GetCaptureSession("cs_a");
  EXPECT_EQ(s->outcome, "timeout");
  EXPECT_EQ(s->frames, 2);
  EXPECT_EQ(store_->AcceptCaptureFrame("nope", kNow).status().kind(), ErrorKind::kNotFound);
}

TEST_P(DeviceStore, D7_ChoosingAnotherMethodMakesTheSessionFaceFreeOnce) {
  REQUIREMENT("D7");
  ASSERT_TRUE(store_->AddDevice(Gate()).ok());
  ASSERT_TRUE(store_->AddCaptureSession(Session("cs_b")).ok());
  ASSERT_TRUE(store_->CloseCaptureSession("cs_b", "alternative", 7, kNow + 2).ok());
  auto s = store_->GetCaptureSession("cs_b");
  EXPECT_TRUE(s->face_free);
  EXPECT_EQ(s->alternative_id, 7);
  auto frame = store_->AcceptCaptureFrame("cs_b", kNow + 3);
  EXPECT_EQ(frame.status().kind(), ErrorKind::kConflict);
  EXPECT_NE(frame.status().message().find("face-free"), std::string::npos);
  EXPECT_EQ(store_->CloseCaptureSession("cs_b", "result", 0, kNow + 4).kind(), ErrorKind::kConflict);
  EXPECT_TRUE(store_->GetCaptureSession("cs_b")->face_free) << "a later close cannot undo the choice";
}

TEST_P(DeviceStore, ClosedSessionsAreDeletedAfterTheirKeepingTime) {
  ASSERT_TRUE(store_->AddDevice(Gate()).ok());
  ASSERT_TRUE(store_->AddCaptureSession(Session("cs_old")).ok());
  ASSERT_TRUE(store_->AddCaptureSession(Session("cs_open")).ok());
  ASSERT_TRUE(store_->CloseCaptureSession("cs_old", "result", 0, kNow + 5).ok());
  EXPECT_EQ(*store_->DeleteCaptureSessionsClosedBefore(kNow + 6), 1);
  EXPECT_EQ(store_->GetCaptureSession("cs_old").status().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(store_->GetCaptureSession("cs_open").ok());
}

TEST_P(DeviceStore, ASiteIsStoredAndReplacedById) {
  SiteRecord s{"hq", "Headquarters", R"({"id":"hq"})", false, R"({"refusals":[]})", kNow, kNow, "key:admin"};
  ASSERT_TRUE(store_->PutSite(s).ok());
  s.check_ok = true;
  s.updated_at = kNow + 10;
  ASSERT_TRUE(store_->PutSite(s).ok());
  auto got = store_->GetSite("hq");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->check_ok);
  EXPECT_EQ(got->created_at, kNow);
  EXPECT_EQ(got->updated_at, kNow + 10);
  EXPECT_EQ(store_->ListSites()->size(), 1u);
  EXPECT_EQ(store_->GetSite("x").status().kind(), ErrorKind::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, DeviceStore, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
