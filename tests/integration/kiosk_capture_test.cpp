// A consent kiosk enrolling the person who tapped (docs/ui.md "Kiosk", docs/devices.md): an
// "enrol" capture session through the real Service, models and SQLite store. It opens only on
// the person's tap (REQ D1), for a named subject, for a purpose an admin allowed devices to
// enrol for; its frame enrols only under the subject's consent for exactly that purpose (C1);
// a face too poor to enrol asks for another frame; an enrolment ends the capture.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

class KioskCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("kiosk-capture");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    notice_ = DeclareWithNotice(*svc_, "office-entry", Scenario::kVerification);
    DeviceRecord d;
    d.id = "kiosk-1";
    d.purposes = {"office-entry"};
    d.location_type = "lobby";
    d.capture_timeout_s = 30;
    ASSERT_TRUE(svc_->RegisterDevice(d, "test").ok());
    auto live = svc_->SetDeviceLive("kiosk-1", "test");
    ASSERT_TRUE(live.ok()) << live.status().ToString();
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  Result<CaptureSessionRecord> Open(const std::string& subject, const std::string& by = "tap",
                                    const std::string& action = "enrol") {
    return svc_->OpenCaptureSession("kiosk-1", "office-entry", subject, by, "key:kiosk", action);
  }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  int64_t notice_ = 0;
};

TEST_F(KioskCapture, D1_AnEnrolCaptureOpensOnlyOnATapForANamedPersonWhereAllowed) {
  REQUIREMENT("D1");
  // Not allowed for the purpose yet: an admin decides whether devices may enrol (409).
  auto r = Open("S1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kConflict) << r.status().ToString();
  ASSERT_TRUE(svc_->SetDeviceEnrolment("office-entry", true, "test").ok());
  // Only the person's tap starts it, and only for the person named.
  r = Open("S1", "presence");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().requirement(), "D1") << r.status().ToString();
  r = Open("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput);
  r = Open("S1", "tap", "copy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput);
  r = Open("S1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, "enrol");
  EXPECT_LE(r->expires_at - r->opened_at, 60);
  // The action is stored (migration 12), not only answered.
  auto stored = svc_->GetCaptureSession(r->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->action, "enrol");
  auto match = Open("S1", "tap", "match");
  ASSERT_TRUE(match.ok());
  EXPECT_EQ(svc_->GetCaptureSession(match->id)->action, "match");
}

TEST_F(KioskCapture, C1_AnEnrolFrameNeedsTheConsentThenEnrolsClosesAndTheNextCaptureVerifies) {
  ASSERT_TRUE(svc_->SetDeviceEnrolment("office-entry", true, "test").ok());
  auto s = Open("S1");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // No consent yet: refused by the Gate, nothing stored, the capture still open.
  auto refused = svc_->SubmitFrame(s->id, Lfw("Alan_Greenspan", 1), "key:kiosk");
  ASSERT_FALSE(refused.ok());
  REQUIREMENT("C1");
  EXPECT_EQ(refused.status().requirement(), "C1") << refused.status().ToString();
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 0);
  EXPECT_FALSE(svc_->GetCaptureSession(s->id)->closed_at.has_value());
  // The person's tap on "yes": a consent "while in use" of this capture (REQ C5).
  service::Service::ConsentRequest c;
  c.subject = "S1";
  c.purpose = "office-entry";
  c.notice_id = notice_;
  c.option = ConsentOption::kWhileInUse;
  c.session = s->id;
  auto given = svc_->GiveConsent(c, "key:kiosk");
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  auto f = svc_->SubmitFrame(s->id, Lfw("Alan_Greenspan", 1), "key:kiosk");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->outcome, "enrolled");
  ASSERT_TRUE(f->enrol.has_value());
  EXPECT_GT(f->enrol->template_id, 0);
  EXPECT_EQ(f->enrol->consent_id, given->id);
  EXPECT_TRUE(f->session.closed_at.has_value());
  EXPECT_EQ(f->session.outcome, "result");
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 1);
  // The capture has ended: another frame is refused before decoding.
  EXPECT_FALSE(svc_->SubmitFrame(s->id, Lfw("Alan_Greenspan", 1), "key:kiosk").ok());
  // Its "while in use" consent ended with it: a new capture needs a new consent (REQ C5).
  auto again = Open("S1", "tap", "match");
  ASSERT_TRUE(again.ok());
  auto v = svc_->SubmitFrame(again->id, Lfw("Alan_Greenspan", 2), "key:kiosk");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().requirement(), "C5") << v.status().ToString();
  c.option = ConsentOption::kAlways;
  c.session.clear();
  ASSERT_TRUE(svc_->GiveConsent(c, "key:kiosk").ok());
  auto third = Open("S1", "tap", "match");
  ASSERT_TRUE(third.ok());
  v = svc_->SubmitFrame(third->id, Lfw("Alan_Greenspan", 2), "key:kiosk");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->outcome, "match");
}

TEST_F(KioskCapture, APoorFaceAsksForAnotherFrameAndTheCaptureGoesOn) {
  ASSERT_TRUE(svc_->SetDeviceEnrolment("office-entry", true, "test").ok());
  ASSERT_TRUE(ConsentAlways(*svc_, "S2", "office-entry", notice_).ok());
  auto s = Open("S2");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // The same face in a dim room: found, but too dark to make a template worth keeping.
  cv::Mat img = cv::imread(Facedata("lfw/Alan_Greenspan/Alan_Greenspan_0001.jpg"));
  ASSERT_FALSE(img.empty());
  cv::Mat dim;
  img.convertTo(dim, -1, 0.24, 0);  // 12% finds no face; 24% a face too dark
  std::vector<uchar> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", dim, jpeg));
  auto f = svc_->SubmitFrame(s->id, std::string(jpeg.begin(), jpeg.end()), "key:kiosk");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->outcome, "retake");
  ASSERT_TRUE(f->retake.has_value());
  EXPECT_FALSE(f->retake->advice.empty());
  EXPECT_FALSE(f->session.closed_at.has_value());
  EXPECT_EQ(*svc_->store().CountTemplates("S2"), 0);
  // The person steps into the light: the same capture enrols them.
  f = svc_->SubmitFrame(s->id, Lfw("Alan_Greenspan", 1), "key:kiosk");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->outcome, "enrolled");
}

}  // namespace
}  // namespace facegate
