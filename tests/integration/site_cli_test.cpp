// `facegate site check|map` as a user runs them on the example site files (REQ D4, D6;
// docs/sites.md): exit codes, the refusal naming the corridor, and a map that an XML parser
// other than ours (python3's xml.etree) reads, with one marker per device.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <map>
#include <string>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

class SiteCli : public ::testing::Test {
 protected:
  void SetUp() override { home_ = TempHome("site"); }
  void TearDown() override { std::filesystem::remove_all(home_); }
  CliResult Run(const std::string& args, bool merge = true) { return RunCli(home_, args, merge); }
  static std::string Example(const std::string& name) {
    return std::string(FACEGATE_SOURCE_DIR) + "/examples/" + name;
  }
  // Runs a shell command; its standard output and error, and its exit code.
  static CliResult Shell(const std::string& cmd) { return RunShell(cmd + " 2>&1"); }
  // The number of device markers python3's xml.etree finds in an SVG file (<g class="device ...">),
  // or -1 when it cannot parse the file.
  static int DeviceMarkersByPython(const std::string& svg_path) {
    const std::string program =
        "import sys, xml.etree.ElementTree as E\n"
        "root = E.parse(sys.argv[1]).getroot()\n"
        "assert root.tag == \"{http://www.w3.org/2000/svg}svg\", root.tag\n"
        "print(sum(1 for g in root.iter(\"{http://www.w3.org/2000/svg}g\")\n"
        "          if g.get(\"class\", \"\").split()[:1] == [\"device\"]))\n";
    CliResult r = Shell("python3 -c '" + program + "' '" + svg_path + "'");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    if (r.exit_code != 0) return -1;
    return std::stoi(r.out);
  }
  static size_t DevicesInFile(const std::string& site_path) {
    json j = json::parse(ReadAll(site_path), nullptr, false);
    return j.is_object() && j.contains("devices") ? j["devices"].size() : 0;
  }
  std::filesystem::path home_;
};

TEST_F(SiteCli, D6_TheOfficeExamplePassesWithAClearRouteBesideTheTurnstiles) {
  CliResult r = Run("site check " + Example("site-office.json"));
  REQUIREMENT("D6");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("passes REQ D4 and D6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("street -> office-a: street > [main-door] > lobby > [staff-door] > corridor"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("[turnstiles]"), std::string::npos) << r.out;  // the clear routes avoid the gate
}

TEST_F(SiteCli, D6_TheOneCorridorExampleIsRefusedNamingTheCorridor) {
  CliResult r = Run("site check " + Example("site-one-corridor.json"));
  REQUIREMENT("D6");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("refused (REQ D6"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("passage 'corridor'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cut at: passage corridor; device cam-corridor"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Offending path: street > [front-door] > lobby > [corridor: automatic cam-corridor]"),
            std::string::npos)
      << r.out;

  CliResult js = Run("--json site check " + Example("site-one-corridor.json"), /*merge=*/false);
  EXPECT_EQ(js.exit_code, 3);
  json j = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js.out;
  EXPECT_EQ(j["ok"], false);
  ASSERT_EQ(j["refusals"].size(), 1u);
  EXPECT_EQ(j["refusals"][0]["requirement"], "D6");
  EXPECT_EQ(j["refusals"][0]["passages"], json::array({"corridor"}));
  EXPECT_EQ(j["refusals"][0]["devices"], json::array({"cam-corridor"}));
  EXPECT_EQ(j["refusals"][0]["offending_route"]["passages"], json::array({"front-door", "corridor"}));
  EXPECT_EQ(j["clear_routes"], json::array());
}

TEST_F(SiteCli, D6_TheMapIsXmlWithAMarkerPerDeviceAndShowsTheOffendingPath) {
  for (const char* name : {"site-office.json", "site-one-corridor.json"}) {
    const std::string svg = (home_ / (std::string(name) + ".svg")).string();
    CliResult r = Run("site map " + Example(name) + " -o " + svg);
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.out;  // written even for the refused site
    EXPECT_NE(r.out.find(svg), std::string::npos) << r.out;
    EXPECT_EQ(DeviceMarkersByPython(svg), static_cast<int>(DevicesInFile(Example(name)))) << name;
  }
  const std::string refused = ReadAll((home_ / "site-one-corridor.json.svg").string());
  REQUIREMENT("D6");
  EXPECT_NE(refused.find("class=\"offending-route\""), std::string::npos);
  EXPECT_NE(refused.find("Verdict: REFUSED"), std::string::npos);
  const std::string passed = ReadAll((home_ / "site-office.json.svg").string());
  EXPECT_NE(passed.find("class=\"clear-route\""), std::string::npos);
  EXPECT_EQ(passed.find("class=\"offending-route\""), std::string::npos);
}

// Pixels of `png` near `bgr` (each channel within `tol`).
int PixelsNear(const cv::Mat& png, cv::Vec3b bgr, int tol) {
  int n = 0;
  for (int y = 0; y < png.rows; ++y)
    for (int x = 0; x < png.cols; ++x) {
      const cv::Vec3b p = png.at<cv::Vec3b>(y, x);
      if (std::abs(p[0] - bgr[0]) <= tol && std::abs(p[1] - bgr[1]) <= tol && std::abs(p[2] - bgr[2]) <= tol) ++n;
    }
  return n;
}

// The map as a new user opens it: Debian's Chromium renders each example's SVG (headless
// screenshot). The automatic device's red marker is drawn on both; the clear routes (green)
// only on the site that has them.
TEST_F(SiteCli, D6_TheMapOpensInABrowserShowingTheDeviceAndTheClearRoutes) {
  ASSERT_EQ(Shell("command -v chromium").exit_code, 0) << "chromium is missing: run scripts/setup.sh";
  std::map<std::string, cv::Mat> shots;
  for (const char* name : {"site-office", "site-one-corridor"}) {
    const std::string svg = (home_ / (std::string(name) + ".svg")).string();
    const std::string png = (home_ / (std::string(name) + ".png")).string();
    ASSERT_EQ(Run("site map " + Example(std::string(name) + ".json") + " -o " + svg).exit_code, 0);
    const CliResult shot =
        Shell("timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir='" +
              (home_ / "chromium").string() + "' --window-size=1400,1000 --screenshot='" + png + "' 'file://" + svg +
              "'");
    ASSERT_TRUE(std::filesystem::exists(png)) << shot.out;
    shots[name] = cv::imread(png, cv::IMREAD_COLOR);
    ASSERT_FALSE(shots[name].empty()) << png;
  }
  REQUIREMENT("D6");
  const cv::Vec3b red(40, 40, 214);  // #d62828: automatic devices and refusals
  for (const auto& [name, png] : shots) EXPECT_GT(PixelsNear(png, red, 40), 60) << name << ": no red device marker";
  const cv::Vec3b route(196, 233, 170);  // #2ecc71 at 40% over the light background
  const int office = PixelsNear(shots["site-office"], route, 30);
  const int corridor = PixelsNear(shots["site-one-corridor"], route, 30);
  EXPECT_GT(office, 4 * std::max(corridor, 1)) << "office " << office << " vs one corridor " << corridor;
}

TEST_F(SiteCli, AnInvalidSiteFileExitsTwoNamingTheField) {
  const std::string bad = (home_ / "bad.json").string();
  WriteAll(bad, R"({"id": "x", "zones": [{"id": "a", "type": "public"}, {"id": "b", "type": "office"}],
                    "passages": [{"id": "door", "from": "a", "to": "c"}],
                    "entrances": ["a"], "destinations": ["b"]})");
  CliResult r = Run("site check " + bad);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("passages[0] ('door').to: unknown zone 'c'"), std::string::npos) << r.out;
  const std::string svg = (home_ / "bad.svg").string();
  r = Run("site map " + bad + " -o " + svg);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(std::filesystem::exists(svg));
}

}  // namespace
}  // namespace facegate
