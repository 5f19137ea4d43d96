// Devices, capture sessions and sites through the real Service, models and SQLite store
// (REQ D1-D7): what a deployment may not do is refused, and a refused frame is never decoded.
#include <facegate/service.h>
#include <facegate/vision.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <atomic>
#include <cstring>

#include "../support/requirement.h"
#include "policy/gate.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

const char* kMembers[] = {"Alan_Greenspan", "Ai_Sugiyama", "Ahmed_Chalabi"};

// Two routes from the street to the office: through the turnstiles or the side door.
const char* kTwoRouteSite = R"({
  "id": "hq", "name": "Headquarters",
  "zones": [{"id": "street", "type": "public"}, {"id": "lobby", "type": "lobby"},
            {"id": "hall", "type": "corridor"}, {"id": "office", "type": "office"},
            {"id": "wc", "type": "toilet"}],
  "passages": [{"id": "main-door", "from": "street", "to": "lobby"},
               {"id": "turnstiles", "from": "lobby", "to": "office"},
               {"id": "side-door", "from": "street", "to": "hall"},
               {"id": "hall-door", "from": "hall", "to": "office"},
               {"id": "wc-door", "from": "office", "to": "wc"}],
  "entrances": ["street"], "destinations": ["office", "wc"], "devices": []})";

// One corridor: whoever goes to the office passes the turnstiles.
const char* kOneCorridorSite = R"({
  "id": "hq", "name": "Headquarters",
  "zones": [{"id": "street", "type": "public"}, {"id": "lobby", "type": "lobby"},
            {"id": "office", "type": "office"}, {"id": "wc", "type": "toilet"}],
  "passages": [{"id": "main-door", "from": "street", "to": "lobby"},
               {"id": "turnstiles", "from": "lobby", "to": "office"},
               {"id": "wc-door", "from": "office", "to": "wc"}],
  "entrances": ["street"], "destinations": ["office"], "devices": []})";

class DevicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("devices");
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_.load(); };
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    gate_notice_ = DeclareWithNotice(*svc_, "site-entry", Scenario::kIdentification);
    door_notice_ = DeclareWithNotice(*svc_, "office-entry", Scenario::kVerification);
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }

  void Members() {
    for (int i = 0; i < 3; ++i) {
      const std::string subject = "P" + std::to_string(i);
      ASSERT_TRUE(ConsentAlways(*svc_, subject, "site-entry", gate_notice_).ok());
      for (int n : {1, 2}) {
        auto e = svc_->Enrol(subject, "site-entry", Lfw(kMembers[i], n), "", "test");
        ASSERT_TRUE(e.ok()) << e.status().ToString();
      }
    }
  }

  DeviceRecord Device(const std::string& id, DeviceMode mode, const std::string& purpose) {
    DeviceRecord d;
    d.id = id;
    d.mode = mode;
    d.purposes = {purpose};
    d.location_type = "lobby";
    d.capture_timeout_s = 20;
    return d;
  }
  DeviceSignage Signage(int64_t version = 1) {
    DeviceSignage s;
    s.voice_prompt = "Face recognition at the turnstiles; press the card button to use your card instead";
    s.warning_line = "yellow line 2 m before the turnstiles";
    s.notice_version = version;
    s.notice_location = "A1 poster left of the main door";
    s.consent_method = "written form at reception";
    s.confirmed_by = "facilities:wang";
    return s;
  }
  // A live device of `mode` for `purpose` (automatic ones with their signage).
  DeviceRecord Live(const std::string& id, DeviceMode mode, const std::string& purpose,
                    const std::string& area = "[]") {
    DeviceRecord d = Device(id, mode, purpose);
    d.area = area;
    auto r = svc_->RegisterDevice(d, "test");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (mode == DeviceMode::kAutomatic) EXPECT_TRUE(svc_->ConfirmSignage(id, Signage(), "test").ok());
    if (mode == DeviceMode::kAutomatic) ApproveAssessment(*svc_, id, "device");  // REQ F1
    auto live = svc_->SetDeviceLive(id, "test");
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    return live.ok() ? *live : d;
  }

  std::filesystem::path home_;
  std::atomic<int64_t> now_{1'800'000'000};
  std::unique_ptr<service::Service> svc_;
  int64_t gate_notice_ = 0, door_notice_ = 0;
};

TEST_F(DevicesTest, D4_ADeviceInAToiletIsRefusedAndNotRegistered) {
  DeviceRecord d = Device("wc-cam", DeviceMode::kTriggered, "office-entry");
  d.location_type = "toilet";
  auto r = svc_->RegisterDevice(d, "test");
  ASSERT_FALSE(r.ok());
  REQUIREMENT("D4");
  EXPECT_EQ(r.status().requirement(), "D4") << r.status().ToString();
  EXPECT_EQ(svc_->GetDevice("wc-cam").status().kind(), ErrorKind::kNotFound);
  // The same through a registered site: the zone's type decides, whatever the caller says.
  ASSERT_TRUE(svc_->RegisterSite(kTwoRouteSite, "test").ok());
  d.site = "hq";
  d.zone = "wc";
  d.location_type.clear();
  r = svc_->RegisterDevice(d, "test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().requirement(), "D4") << r.status().ToString();
  for (const char* type : {"hotel_room", "bathhouse", "changing_room"}) {
    DeviceRecord e = Device(std::string("cam-") + type, DeviceMode::kTriggered, "office-entry");
    e.location_type = type;
    EXPECT_EQ(svc_->RegisterDevice(e, "test").status().requirement(), "D4") << type;
  }
}

TEST_F(DevicesTest, D5_AnAutomaticDeviceGoesLiveOnlyWithItsConfirmedSignage) {
  ASSERT_TRUE(svc_->RegisterDevice(Device("gate-1", DeviceMode::kAutomatic, "site-entry"), "test").ok());
  ApproveAssessment(*svc_, "gate-1", "device");  // REQ F1
  auto live = svc_->SetDeviceLive("gate-1", "test");
  ASSERT_FALSE(live.ok());
  REQUIREMENT("D5");
  EXPECT_EQ(live.status().requirement(), "D5") << live.status().ToString();
  EXPECT_EQ(svc_->GetDevice("gate-1")->status, DeviceStatus::kDraft);
  // An incomplete record names what is missing.
  DeviceSignage partial = Signage();
  partial.warning_line.clear();
  partial.confirmed_by.clear();
  auto s = svc_->ConfirmSignage("gate-1", partial, "test");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("warning line"), std::string::npos) << s.status().ToString();
  EXPECT_NE(s.status().message().find("confirmed by"), std::string::npos);
  // A notice version that is not the one in force is not signage for it.
  EXPECT_FALSE(svc_->ConfirmSignage("gate-1", Signage(7), "test").ok());
  ASSERT_TRUE(svc_->ConfirmSignage("gate-1", Signage(), "test").ok());
  // A new notice version makes the posted one stale: not live until it is posted again.
  ASSERT_TRUE(svc_->PublishNotice("site-entry", std::string(kNoticeText) + "Cameras: lobby.\n", "test").ok());
  ApproveAssessment(*svc_, "site-entry");  // REQ F1: the new notice made the assessment due
  live = svc_->SetDeviceLive("gate-1", "test");
  ASSERT_FALSE(live.ok());
  EXPECT_EQ(live.status().requirement(), "D5");
  ASSERT_TRUE(svc_->ConfirmSignage("gate-1", Signage(2), "test").ok());
  live = svc_->SetDeviceLive("gate-1", "test");
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->status, DeviceStatus::kLive);
  // A triggered device needs no signage record to go live.
  ASSERT_TRUE(svc_->RegisterDevice(Device("kiosk-1", DeviceMode::kTriggered, "office-entry"), "test").ok());
  EXPECT_TRUE(svc_->SetDeviceLive("kiosk-1", "test").ok());
}

TEST_F(DevicesTest, D5_APublicSecurityDeviceIsLockedToItsOnePurpose) {
  DeviceRecord d = Device("ps-1", DeviceMode::kAutomatic, "site-entry");
  d.purposes = {"site-entry", "office-entry"};
  d.public_security = true;
  auto r = svc_->RegisterDevice(d, "test");
  ASSERT_FALSE(r.ok());
  REQUIREMENT("D5");
  EXPECT_EQ(r.status().requirement(), "D5");
  d.purposes = {"site-entry"};
  ASSERT_TRUE(svc_->RegisterDevice(d, "test").ok());
  ApproveAssessment(*svc_, "ps-1", "device");  // REQ F1
  ASSERT_TRUE(svc_->ConfirmSignage("ps-1", Signage(), "test").ok());
  ASSERT_TRUE(svc_->SetDeviceLive("ps-1", "test").ok());
  auto other = svc_->OpenCaptureSession("ps-1", "office-entry", "S1", "tap", "test");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().requirement(), "D5") << other.status().ToString();
}

TEST_F(DevicesTest, D1_ATriggeredDeviceNeverStartsOnItsOwnAndNoCaptureLastsOverAMinute) {
  DeviceRecord slow = Device("slow", DeviceMode::kTriggered, "office-entry");
  slow.capture_timeout_s = 90;
  auto r = svc_->RegisterDevice(slow, "test");
  ASSERT_FALSE(r.ok());
  REQUIREMENT("D1");
  EXPECT_EQ(r.status().requirement(), "D1");
  // Triggered is the default.
  DeviceRecord plain;
  plain.id = "door-1";
  plain.location_type = "lobby";
  plain.purposes = {"office-entry"};
  auto reg = svc_->RegisterDevice(plain, "test");
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->mode, DeviceMode::kTriggered);
  ASSERT_TRUE(svc_->SetDeviceLive("door-1", "test").ok());
  for (const char* by : {"automatic", "presence"}) {
    auto s = svc_->OpenCaptureSession("door-1", "office-entry", "S1", by, "test");
    ASSERT_FALSE(s.ok()) << by;
    EXPECT_EQ(s.status().requirement(), "D1") << by;
  }
  auto tap = svc_->OpenCaptureSession("door-1", "office-entry", "S1", "tap", "test");
  ASSERT_TRUE(tap.ok()) << tap.status().ToString();
  EXPECT_EQ(tap->expires_at - tap->opened_at, 30) << "the default timeout";
}

TEST_F(DevicesTest, D1_AFrameOutsideASessionOrAfterItsTimeoutIsRefusedUndecoded) {
  Live("door-1", DeviceMode::kTriggered, "office-entry");
  ASSERT_TRUE(ConsentAlways(*svc_, "S1", "office-entry", door_notice_).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Alan_Greenspan", 1), "", "test").ok());
  const std::string photo = Lfw("Alan_Greenspan", 2);
  const uint64_t decoded = vision::DecodedImageCount();
  auto none = svc_->SubmitFrame("cs_00000000000000000000000000000000", photo, "test");
  ASSERT_FALSE(none.ok());
  REQUIREMENT("D1");
  EXPECT_EQ(none.status().kind(), ErrorKind::kNotFound);
  auto s = svc_->OpenCaptureSession("door-1", "office-entry", "S1", "tap", "test");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  now_ += 21;  // past the device's 20 s
  auto late = svc_->SubmitFrame(s->id, photo, "test");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().requirement(), "D1") << late.status().ToString();
  EXPECT_EQ(vision::DecodedImageCount(), decoded) << "a refused frame was decoded";
  EXPECT_EQ(svc_->GetCaptureSession(s->id)->outcome, "timeout");
  // In time, the same frame is decoded, verified, and ends the capture.
  auto again = svc_->OpenCaptureSession("door-1", "office-entry", "S1", "tap", "test");
  ASSERT_TRUE(again.ok());
  auto ok = svc_->SubmitFrame(again->id, photo, "test");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->outcome, "match");
  EXPECT_GT(vision::DecodedImageCount(), decoded);
  EXPECT_EQ(ok->session.outcome, "result");
  EXPECT_FALSE(svc_->SubmitFrame(again->id, photo, "test").ok()) << "a closed capture takes no frame";
}

TEST_F(DevicesTest, D7_AfterAnotherMethodAtAGateNoFrameIsDecodedForIdentification) {
  Members();
  Live("gate-1", DeviceMode::kAutomatic, "site-entry");
  auto s = svc_->OpenCaptureSession("gate-1", "site-entry", "", "automatic", "test");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto chosen = svc_->ChooseAlternativeAtSession(s->id, "staff-card", "test");
  ASSERT_TRUE(chosen.ok()) << chosen.status().ToString();
  EXPECT_TRUE(chosen->face_free);
  EXPECT_GT(chosen->alternative_id, 0);
  const std::string photo = Lfw(kMembers[1], 4);
  const uint64_t decoded = vision::DecodedImageCount();
  auto frame = svc_->SubmitFrame(s->id, photo, "test");
  ASSERT_FALSE(frame.ok());
  REQUIREMENT("D7");
  EXPECT_EQ(frame.status().requirement(), "D7") << frame.status().ToString();
  // Service::Identify in that session is refused the same way, before decoding.
  auto ident = svc_->Identify("site-entry", photo, s->id, "test");
  ASSERT_FALSE(ident.ok());
  EXPECT_EQ(ident.status().requirement(), "A2") << ident.status().ToString();
  EXPECT_EQ(vision::DecodedImageCount(), decoded) << "a frame after the choice was decoded";
  // Another person's capture at the same gate is not affected.
  auto next = svc_->OpenCaptureSession("gate-1", "site-entry", "", "automatic", "test");
  ASSERT_TRUE(next.ok());
  auto r = svc_->SubmitFrame(next->id, photo, "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, "identified");
  EXPECT_EQ(r->identify->subject, "P1");
}

TEST_F(DevicesTest, D7_AfterAnotherMethodAtAOneToOneDeviceNoFrameIsDecoded) {
  Live("door-1", DeviceMode::kTriggered, "office-entry");
  ASSERT_TRUE(ConsentAlways(*svc_, "S1", "office-entry", door_notice_).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Alan_Greenspan", 1), "", "test").ok());
  auto s = svc_->OpenCaptureSession("door-1", "office-entry", "S1", "tap", "test");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(svc_->ChooseAlternativeAtSession(s->id, "", "test").ok());
  const uint64_t decoded = vision::DecodedImageCount();
  auto frame = svc_->SubmitFrame(s->id, Lfw("Alan_Greenspan", 2), "test");
  ASSERT_FALSE(frame.ok());
  REQUIREMENT("D7");
  EXPECT_EQ(frame.status().requirement(), "D7");
  auto verify = svc_->Verify("S1", "office-entry", Lfw("Alan_Greenspan", 2), s->id, "test");
  ASSERT_FALSE(verify.ok());
  EXPECT_EQ(verify.status().requirement(), "A2");
  EXPECT_EQ(vision::DecodedImageCount(), decoded);
}

TEST_F(DevicesTest, D6_AnAutomaticDeviceOnTheOnlyCorridorCannotGoLiveAndTwoRoutesAreAccepted) {
  auto site = svc_->RegisterSite(kOneCorridorSite, "test");
  ASSERT_TRUE(site.ok()) << site.status().ToString();
  EXPECT_TRUE(site->check_ok) << "no device yet: every route is clear";
  DeviceRecord d = Device("gate-1", DeviceMode::kAutomatic, "site-entry");
  d.location_type.clear();
  d.site = "hq";
  d.passage = "turnstiles";
  ASSERT_TRUE(svc_->RegisterDevice(d, "test").ok());
  ApproveAssessment(*svc_, "gate-1", "device");  // REQ F1
  ASSERT_TRUE(svc_->ConfirmSignage("gate-1", Signage(), "test").ok());
  auto live = svc_->SetDeviceLive("gate-1", "test");
  ASSERT_FALSE(live.ok());
  REQUIREMENT("D6");
  EXPECT_EQ(live.status().requirement(), "D6") << live.status().ToString();
  EXPECT_NE(live.status().message().find("turnstiles"), std::string::npos) << live.status().ToString();
  // The check the site reports now counts the registered device.
  bool ok = true;
  auto report = svc_->CheckSiteNow("hq", &ok);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(ok);
  // With a second, recognition-free way in, the same device goes live.
  ASSERT_TRUE(svc_->RegisterSite(kTwoRouteSite, "test").ok());
  live = svc_->SetDeviceLive("gate-1", "test");
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  // And the site file cannot be replaced by one that leaves no clear way while it is live.
  auto back = svc_->RegisterSite(kOneCorridorSite, "test");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().requirement(), "D6");
  auto svg = svc_->SiteMap("hq");
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find("gate-1"), std::string::npos);
}

// The probe's template, made apart under a research grant: what must appear nowhere.
std::vector<float> ProbeValues(service::Service& svc, const std::string& photo) {
  auto eng = svc.engine();
  EXPECT_TRUE(eng.ok());
  if (!eng.ok()) return {};
  const Grant research = policy::Gate::AuthorizeResearch("test");
  auto img = vision::DecodeImage(photo);
  EXPECT_TRUE(img.ok());
  auto faces = (*eng)->Detect(research, *img);
  EXPECT_TRUE(faces.ok() && !faces->empty());
  if (!faces.ok() || faces->empty()) return {};
  auto t = (*eng)->Extract(research, *img, faces->front());
  EXPECT_TRUE(t.ok());
  return t.ok() ? std::vector<float>(t->values().begin(), t->values().end()) : std::vector<float>{};
}

// A 640x480 clip: a member's photo inside the area (left half), a stranger outside (right).
std::filesystem::path TwoPeopleClip(const std::filesystem::path& dir, const std::string& inside,
                                    const std::string& outside) {
  const cv::Mat a = cv::imread(Facedata("lfw/" + inside + "/" + inside + "_0004.jpg"));
  const cv::Mat b = cv::imread(Facedata("lfw/" + outside + "/" + outside + "_0001.jpg"));
  const auto path = dir / "two.avi";
  cv::VideoWriter w(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, cv::Size(640, 480));
  for (int f = 0; f < 20; ++f) {
    cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(90, 90, 90));
    a.copyTo(frame(cv::Rect(20 + f, 110, a.cols, a.rows)));  // walks slowly: one pass
    b.copyTo(frame(cv::Rect(370, 110, b.cols, b.rows)));
    w.write(frame);
  }
  return path;
}

TEST_F(DevicesTest, D2_AVideoWithOneFaceInsideAndOneOutsideTheAreaProcessesOneAndKeepsNoTraceOfTheOther) {
  Members();
  Live("gate-1", DeviceMode::kAutomatic, "site-entry", "[[0,0],[0.5,0],[0.5,1],[0,1]]");
  const std::string stranger = "Angela_Bassett";
  const auto clip = TwoPeopleClip(home_, kMembers[1], stranger);
  service::VideoInput in;
  in.file = clip.string();
  service::WatchOptions opt;
  opt.sample_fps = 0;
  auto rep = svc_->WatchDevice("gate-1", in, opt, "test");
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  REQUIREMENT("D2");
  EXPECT_EQ(rep->frames, 20);
  EXPECT_EQ(rep->passes, 1) << "one pass of one face is processed once";
  EXPECT_EQ(rep->identified, 1);
  ASSERT_EQ(rep->events.size(), 1u);
  EXPECT_EQ(rep->events[0].subject, "P1");
  EXPECT_EQ(rep->faces_outside_area, 20) << "the stranger, dropped in every frame";
  // The stranger's template, made here on purpose, appears nowhere: not in the database
  // files (any float of it, raw), not in the audit details (as text).
  const std::vector<float> values = ProbeValues(*svc_, Lfw(stranger, 1));
  ASSERT_FALSE(values.empty());
  std::string bytes;
  for (const char* f : {"facegate.db", "facegate.db-wal"})
    if (std::filesystem::exists(home_ / f)) bytes += ReadAll((home_ / f).string());
  ASSERT_FALSE(bytes.empty());
  for (size_t i = 0; i + 2 <= values.size(); i += 16) {
    const std::string raw(reinterpret_cast<const char*>(&values[i]), 2 * sizeof(float));
    EXPECT_EQ(bytes.find(raw), std::string::npos) << "template values " << i << ".. in the database";
  }
  auto events = svc_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  int identifications = 0;
  for (const AuditEvent& e : *events) {
    if (e.action == "identify") {
      ++identifications;
      EXPECT_EQ(e.subject, "P1");
      const json d = json::parse(e.detail);
      EXPECT_EQ(d.value("device", ""), "gate-1");
      EXPECT_EQ(d.value("faces_outside_area", -1), 1);
      EXPECT_FALSE(d.contains("box")) << e.detail;
    }
    for (size_t i = 0; i < 4; ++i) {
      char text[32];
      std::snprintf(text, sizeof text, "%.5f", values[i]);
      EXPECT_EQ(e.detail.find(text), std::string::npos) << e.action << ": " << e.detail;
    }
  }
  EXPECT_EQ(identifications, 1) << "the stranger was never searched for";
}

TEST_F(DevicesTest, D3_AnUnknownFaceAtAGateLeavesNoTemplateOrDistanceInTheStoreOrTheAudit) {
  Members();
  Live("gate-1", DeviceMode::kAutomatic, "site-entry");
  auto s = svc_->OpenCaptureSession("gate-1", "site-entry", "", "automatic", "test");
  ASSERT_TRUE(s.ok());
  const std::string photo = Lfw("Angela_Bassett", 1);
  auto r = svc_->SubmitFrame(s->id, photo, "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  REQUIREMENT("D3");
  EXPECT_EQ(r->outcome, "unknown");
  const float distance = r->identify->distance;  // what the caller was told, never stored
  const std::vector<float> probe = ProbeValues(*svc_, photo);
  ASSERT_FALSE(probe.empty());
  // The database files, byte by byte: no run of the probe's values, raw.
  std::string bytes;
  for (const char* f : {"facegate.db", "facegate.db-wal"})
    if (std::filesystem::exists(home_ / f)) bytes += ReadAll((home_ / f).string());
  ASSERT_FALSE(bytes.empty());
  for (size_t i = 0; i + 2 <= probe.size(); i += 8) {
    const std::string raw(reinterpret_cast<const char*>(&probe[i]), 2 * sizeof(float));
    EXPECT_EQ(bytes.find(raw), std::string::npos) << "probe values " << i << ".. in the database";
  }
  const std::string raw_distance(reinterpret_cast<const char*>(&distance), sizeof distance);
  EXPECT_EQ(bytes.find(raw_distance), std::string::npos) << "the distance, raw, in the database";
  // The audit details: no distance, and none of the probe's values as text.
  auto events = svc_->ListAudit(0, 0);
  ASSERT_TRUE(events.ok());
  int unknowns = 0;
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", distance);
  for (const AuditEvent& e : *events) {
    EXPECT_EQ(e.detail.find(text), std::string::npos) << e.action << ": " << e.detail;
    for (size_t i = 0; i < 8; ++i) {
      char v[32];
      std::snprintf(v, sizeof v, "%.5f", probe[i]);
      EXPECT_EQ(e.detail.find(v), std::string::npos) << e.action << ": " << e.detail;
    }
    if (e.action != "identify") continue;
    const json d = json::parse(e.detail);
    if (d.value("identified", true)) continue;
    ++unknowns;
    EXPECT_EQ(e.subject, "");
    EXPECT_FALSE(d.contains("distance")) << e.detail;
  }
  EXPECT_EQ(unknowns, 1);
}

TEST_F(DevicesTest, C5_AllowWhileInUseGivenAtACaptureEndsWithThatCapture) {
  Live("door-1", DeviceMode::kTriggered, "office-entry");
  ASSERT_TRUE(ConsentAlways(*svc_, "S1", "office-entry", door_notice_).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "office-entry", Lfw("Alan_Greenspan", 1), "", "test").ok());
  auto s = svc_->OpenCaptureSession("door-1", "office-entry", "S2", "tap", "test");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  service::Service::ConsentRequest r;
  r.subject = "S2";
  r.purpose = "office-entry";
  r.notice_id = door_notice_;
  r.option = ConsentOption::kWhileInUse;
  r.session = s->id;
  ASSERT_TRUE(svc_->GiveConsent(r, "test").ok());
  ASSERT_TRUE(svc_->Enrol("S2", "office-entry", Lfw("Ai_Sugiyama", 1), s->id, "test").ok());
  auto frame = svc_->SubmitFrame(s->id, Lfw("Ai_Sugiyama", 2), "test");
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  REQUIREMENT("C5");
  EXPECT_EQ(frame->outcome, "match");
  // The capture closed with the result: the consent given in it no longer authorizes anything.
  auto after = svc_->Verify("S2", "office-entry", Lfw("Ai_Sugiyama", 2), s->id, "test");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().requirement(), "C5") << after.status().ToString();
}

TEST_F(DevicesTest, ASuspendedDeviceTakesNoFrameAndItsOpenCapturesEnd) {
  Members();
  Live("gate-1", DeviceMode::kAutomatic, "site-entry");
  auto s = svc_->OpenCaptureSession("gate-1", "site-entry", "", "automatic", "test");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(svc_->SuspendDevice("gate-1", "", "test").ok()) << "a reason is required";
  ASSERT_TRUE(svc_->SuspendDevice("gate-1", "camera moved; signage to check", "test").ok());
  const uint64_t decoded = vision::DecodedImageCount();
  EXPECT_FALSE(svc_->SubmitFrame(s->id, Lfw(kMembers[0], 4), "test").ok());
  EXPECT_EQ(vision::DecodedImageCount(), decoded);
  EXPECT_EQ(svc_->OpenCaptureSession("gate-1", "site-entry", "", "automatic", "test").status().kind(),
            ErrorKind::kConflict);
}

}  // namespace
}  // namespace facegate

namespace facegate {
namespace {

using namespace facegate::testing;

// The device commands as a user runs them: register, signage, live, a capture with its frame,
// the choice of another method, and `device watch` on a clip.
class DevicesCli : public ::testing::Test {
 protected:
  void SetUp() override { home_ = TempHome("devices-cli"); }
  void TearDown() override { std::filesystem::remove_all(home_); }
  CliResult Run(const std::string& args) { return RunCli(home_, args); }
  std::filesystem::path home_;
};

TEST_F(DevicesCli, D2_WatchProcessesEachPassOnceAndDropsTheFaceOutsideTheArea) {
  const std::string notice = (home_ / "notice.md").string();
  WriteAll(notice, kNoticeText);
  ASSERT_EQ(Run("purpose add site-entry --scenario identification --retention 365d --alternative staff-card").exit_code, 0);
  ASSERT_EQ(Run("notice publish site-entry " + notice).exit_code, 0);
  ASSERT_TRUE(CliAssess(home_, "site-entry"));  // REQ F1
  for (int i = 0; i < 3; ++i) {
    const std::string s = "P" + std::to_string(i);
    ASSERT_EQ(Run("consent give " + s + " site-entry --notice 1 --option always --method click").exit_code, 0);
    ASSERT_EQ(Run("enrol " + s + " site-entry " + Facedata("lfw/" + std::string(kMembers[i]) + "/" +
                                                          kMembers[i] + "_0001.jpg"))
                  .exit_code,
              0);
  }
  auto reg = Run("device register gate-1 --purpose site-entry --mode automatic --location lobby "
                 "--area '[[0,0],[0.5,0],[0.5,1],[0,1]]' --timeout 20");
  ASSERT_EQ(reg.exit_code, 0) << reg.out;
  ASSERT_TRUE(CliAssess(home_, "gate-1", /*device=*/true));  // REQ F1
  auto live = Run("device live gate-1");
  EXPECT_EQ(live.exit_code, 3) << live.out;
  EXPECT_NE(live.out.find("D5"), std::string::npos) << live.out;
  auto sign = Run("device signage gate-1 --voice 'Face recognition ahead' --warning-line 'yellow line' "
                  "--notice-version 1 --notice-location 'poster at the door' --consent-method 'form at reception' "
                  "--confirmed-by facilities");
  ASSERT_EQ(sign.exit_code, 0) << sign.out;
  live = Run("device live gate-1");
  ASSERT_EQ(live.exit_code, 0) << live.out;
  const auto clip = TwoPeopleClip(home_, kMembers[1], "Angela_Bassett");
  auto watch = Run("--json device watch gate-1 " + clip.string() + " --fps 0");
  ASSERT_EQ(watch.exit_code, 0) << watch.out;
  REQUIREMENT("D2");
  const json j = json::parse(watch.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << watch.out;
  EXPECT_EQ(j["passes"], 1);
  EXPECT_EQ(j["identified"], 1);
  EXPECT_EQ(j["faces_outside_area"], 20);
  EXPECT_EQ(j["events"][0]["subject"], "P1");
  // A capture by hand: the frame of a face-free capture is refused, exit 3 naming D7.
  auto cap = Run("--json device capture gate-1 --purpose site-entry --by automatic");
  ASSERT_EQ(cap.exit_code, 0) << cap.out;
  const std::string id = json::parse(cap.out)["session"]["id"];
  ASSERT_EQ(Run("device alternative " + id).exit_code, 0);
  auto frame = Run("device frame " + id + " " + Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0004.jpg"));
  EXPECT_EQ(frame.exit_code, 3) << frame.out;
  EXPECT_NE(frame.out.find("D7"), std::string::npos) << frame.out;
}

}  // namespace
}  // namespace facegate
