// The device routes against a real server on 127.0.0.1, a real Service and the pinned models
// (REQ D1, D5, D7): a device key acts only through its own device, opens captures there and
// sends their frames; a registered device's key cannot go around its captures.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../../support/assessment.h"
#include "../../support/requirement.h"
#include "api_suite.h"

namespace facegate::server {
namespace {

using json = nlohmann::json;
using testing::Auth;
using testing::Body;

std::string Photo(const std::string& name, int n) {
  char file[256];
  std::snprintf(file, sizeof file, "%s/lfw/%s/%s_%04d.jpg", FACEGATE_FACEDATA, name.c_str(), name.c_str(), n);
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DevicesApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig sc;
    sc.threads = 4;
    sc.rate_per_second = 0;
    sc.log = [](const std::string&) {};
    suite_.Open("devices-api", sc);
    ASSERT_NE(suite_.server, nullptr);
    admin_ = suite_.Key(Role::kAdmin);
    auditor_ = suite_.Key(Role::kAuditor);
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", suite_.server->port());
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    ASSERT_TRUE(suite_.svc->AddPurpose(p, "test").ok());
    auto n = suite_.svc->PublishNotice(
        "office-entry",
        "Processor: Example Co.\nContact: dpo@example.com\nPurpose: office entry\nMethod: 1:1 at the door\n"
        "Data kinds: face template\nStorage period: 365 days, then deleted\nWhy face: faster entry; impact: "
        "sensitive data\nRights: withdraw any time\n",
        "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_TRUE(::facegate::testing::ApproveAssessmentInStore(suite_.svc->store(), "office-entry").ok());  // REQ F1
    service::Service::ConsentRequest r;
    r.subject = "S1";
    r.purpose = "office-entry";
    r.notice_id = n->id;
    r.option = ConsentOption::kAlways;
    ASSERT_TRUE(suite_.svc->GiveConsent(r, "test").ok());
    ASSERT_TRUE(suite_.svc->Enrol("S1", "office-entry", Photo("Alan_Greenspan", 1), "", "test").ok());
  }
  void TearDown() override {
    cli_.reset();
    suite_.Close();
  }
  httplib::Result Post(const CreatedKey& k, const std::string& path, const json& body) {
    return cli_->Post(path, Auth(k), body.dump(), "application/json");
  }
  // Registers and puts live a triggered door device over REST.
  void Door(const std::string& id) {
    auto r = Post(admin_, "/v1/devices",
                  {{"id", id}, {"purposes", {"office-entry"}}, {"location_type", "lobby"},
                   {"area", {{0.1, 0.1}, {0.9, 0.1}, {0.9, 0.9}, {0.1, 0.9}}}, {"capture_timeout_s", 20}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    r = Post(admin_, "/v1/devices/" + id + "/live", json::object());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }

  testing::ApiSuite suite_;
  CreatedKey admin_, auditor_;
  std::unique_ptr<httplib::Client> cli_;
};

TEST_F(DevicesApi, D1_ADeviceKeyCapturesOnlyThroughItsOwnDeviceAndItsCaptures) {
  Door("door-1");
  Door("door-2");
  const CreatedKey key = suite_.Key(Role::kDevice, "door-1", {"office-entry"});
  // Not at another device.
  auto other = Post(key, "/v1/devices/door-2/sessions", {{"purpose", "office-entry"}, {"subject", "S1"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403) << other->body;
  // Not around its captures: a registered device's photos go through them.
  json direct = {{"subject", "S1"}, {"purpose", "office-entry"}, {"image_base64", "AAAA"}};
  auto verify = Post(key, "/v1/verify", direct);
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->status, 403) << verify->body;
  EXPECT_NE(verify->body.find("capture sessions"), std::string::npos) << verify->body;
  // At its own device, on the person's tap, with a frame sent as image/jpeg.
  auto open = Post(key, "/v1/devices/door-1/sessions", {{"purpose", "office-entry"}, {"subject", "S1"}});
  ASSERT_TRUE(open);
  ASSERT_EQ(open->status, 201) << open->body;
  const std::string session = Body(open)["session"]["id"];
  REQUIREMENT("D1");
  EXPECT_EQ(Body(open)["session"]["opened_by"], "tap");
  auto frame = cli_->Post("/v1/sessions/" + session + "/frames", Auth(key), Photo("Alan_Greenspan", 2), "image/jpeg");
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->status, 200) << frame->body;
  const json j = Body(frame);
  EXPECT_EQ(j["outcome"], "match");
  EXPECT_EQ(j["session"]["outcome"], "result");
  EXPECT_FALSE(j.contains("distance")) << "a device sees decisions, never scores";
  // The capture is over: the next frame is refused.
  auto again = cli_->Post("/v1/sessions/" + session + "/frames", Auth(key), Photo("Alan_Greenspan", 2), "image/jpeg");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409) << again->body;
  // Another device's key cannot read or feed this capture.
  const CreatedKey key2 = suite_.Key(Role::kDevice, "door-2", {"office-entry"});
  auto peek = cli_->Get("/v1/sessions/" + session, Auth(key2));
  ASSERT_TRUE(peek);
  EXPECT_EQ(peek->status, 403);
}

TEST_F(DevicesApi, D7_AfterTheChoiceAtTheDeviceItsFramesAreRefusedOverHttp) {
  Door("door-1");
  const CreatedKey key = suite_.Key(Role::kDevice, "door-1", {"office-entry"});
  auto open = Post(key, "/v1/devices/door-1/sessions", {{"purpose", "office-entry"}, {"subject", "S1"}});
  ASSERT_TRUE(open);
  ASSERT_EQ(open->status, 201) << open->body;
  const std::string session = Body(open)["session"]["id"];
  auto alt = Post(key, "/v1/sessions/" + session + "/alternative", {{"method", "staff-card"}});
  ASSERT_TRUE(alt);
  ASSERT_EQ(alt->status, 200) << alt->body;
  EXPECT_TRUE(Body(alt)["session"]["face_free"].get<bool>());
  const uint64_t decoded = vision::DecodedImageCount();
  auto frame = cli_->Post("/v1/sessions/" + session + "/frames", Auth(key), Photo("Alan_Greenspan", 2), "image/jpeg");
  ASSERT_TRUE(frame);
  REQUIREMENT("D7");
  EXPECT_EQ(frame->status, 422) << frame->body;
  EXPECT_EQ(Body(frame)["requirement"], "D7") << frame->body;
  EXPECT_EQ(vision::DecodedImageCount(), decoded);
}

TEST_F(DevicesApi, D5_AnAutomaticDeviceDoesNotGoLiveWithoutSignageOverHttpAndAnAuditorChangesNothing) {
  Door("door-1");
  auto list = cli_->Get("/v1/devices", Auth(auditor_));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_EQ(Body(list)["items"].size(), 1u);
  auto reg = Post(auditor_, "/v1/devices", {{"id", "x"}, {"purposes", {"office-entry"}}, {"location_type", "lobby"}});
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->status, 403);
  // An automatic device without signage does not go live over HTTP either.
  auto gate = Post(admin_, "/v1/devices",
                   {{"id", "gate-1"}, {"mode", "automatic"}, {"purposes", {"office-entry"}}, {"location_type", "lobby"}});
  ASSERT_TRUE(gate);
  ASSERT_EQ(gate->status, 201) << gate->body;
  auto live = Post(admin_, "/v1/devices/gate-1/live", json::object());
  ASSERT_TRUE(live);
  REQUIREMENT("D5");
  EXPECT_EQ(live->status, 422) << live->body;
  EXPECT_EQ(Body(live)["requirement"], "D5") << live->body;
}

}  // namespace
}  // namespace facegate::server
