// The site model (REQ D4, D6; docs/sites.md): parsing with errors that name the field, the
// forbidden zones, clear routes past automatic devices, the canonical JSON and the SVG map.
#include "policy/site.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../../support/requirement.h"

namespace facegate::policy {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A site file from its parts (each a JSON list body), so a test states only what it is about.
std::string SiteJson(const std::string& zones, const std::string& passages, const std::string& entrances,
                     const std::string& destinations, const std::string& devices) {
  return R"({"id": "t", "zones": [)" + zones + R"(], "passages": [)" + passages + R"(], "entrances": [)" +
         entrances + R"(], "destinations": [)" + destinations + R"(], "devices": [)" + devices + "]}";
}

// street - front-door - lobby - corridor - office: the one-corridor site.
const std::string kZones3 =
    R"({"id": "street", "type": "public"}, {"id": "lobby", "type": "lobby"},)"
    R"( {"id": "office", "type": "office"})";
const std::string kPassages3 =
    R"({"id": "front-door", "from": "street", "to": "lobby"},)"
    R"( {"id": "corridor", "from": "lobby", "to": "office"})";

Site Parse(const std::string& text) {
  auto r = ParseSite(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Site{};
}

std::string ParseError(const std::string& text) {
  auto r = ParseSite(text);
  EXPECT_FALSE(r.ok()) << "parsed, but should not have:\n" << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput) << r.status().ToString();
  return r.status().message();
}

const SiteFinding* FindRefusal(const SiteCheck& c, const std::string& requirement) {
  for (const SiteFinding& f : c.refusals)
    if (f.requirement == requirement) return &f;
  return nullptr;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + part.size())) ++n;
  return n;
}

// A small XML well-formedness check (what the SVG needs): one root element, every tag closed in
// order, attribute values quoted, and no raw '<' or stray '&' in text or attribute values.
// Returns "" when well-formed, else what is wrong.
std::string XmlProblem(const std::string& x) {
  auto entity_ok = [&](size_t amp) {
    size_t semi = x.find(';', amp);
    if (semi == std::string::npos || semi - amp > 6) return false;
    const std::string e = x.substr(amp, semi - amp + 1);
    return e == "&amp;" || e == "&lt;" || e == "&gt;" || e == "&quot;" || e == "&apos;";
  };
  std::vector<std::string> open;
  int roots = 0;
  size_t i = 0;
  if (x.rfind("<?xml", 0) == 0) {
    i = x.find("?>");
    if (i == std::string::npos) return "unterminated XML declaration";
    i += 2;
  }
  while (i < x.size()) {
    if (x[i] != '<') {
      if (x[i] == '&' && !entity_ok(i)) return "stray '&' in text at " + std::to_string(i);
      if (x[i] == '>') return "raw '>' in text at " + std::to_string(i);  // Esc() writes &gt;
      if (open.empty() && !std::isspace(static_cast<unsigned char>(x[i])))
        return "text outside the root element at " + std::to_string(i);
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool closing = j < x.size() && x[j] == '/';
    if (closing) ++j;
    size_t name_start = j;
    while (j < x.size() && (std::isalnum(static_cast<unsigned char>(x[j])) || x[j] == ':' || x[j] == '-'))
      ++j;
    const std::string name = x.substr(name_start, j - name_start);
    if (name.empty()) return "tag without a name at " + std::to_string(i);
    // Attributes: name="value" with no '<' and only known entities inside.
    while (j < x.size() && x[j] != '>' && !(x[j] == '/' && j + 1 < x.size() && x[j + 1] == '>')) {
      if (std::isspace(static_cast<unsigned char>(x[j]))) {
        ++j;
        continue;
      }
      size_t a = j;
      while (j < x.size() && x[j] != '=' && !std::isspace(static_cast<unsigned char>(x[j])) && x[j] != '>')
        ++j;
      if (j >= x.size() || x[j] != '=' || a == j || closing)
        return "bad attribute in <" + name + "> at " + std::to_string(a);
      ++j;
      if (j >= x.size() || (x[j] != '"' && x[j] != '\'')) return "unquoted attribute in <" + name + ">";
      char q = x[j++];
      for (; j < x.size() && x[j] != q; ++j) {
        if (x[j] == '<') return "'<' inside an attribute of <" + name + ">";
        if (x[j] == '&' && !entity_ok(j)) return "stray '&' inside an attribute of <" + name + ">";
      }
      if (j >= x.size()) return "unterminated attribute in <" + name + ">";
      ++j;
    }
    if (j >= x.size()) return "unterminated tag <" + name + ">";
    const bool self_closing = x[j] == '/';
    i = j + (self_closing ? 2 : 1);
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      open.pop_back();
    } else {
      if (open.empty()) ++roots;
      if (!self_closing) open.push_back(name);
    }
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

TEST(SiteTest, ParseErrorsNameTheFieldAndWhatToDo) {
  // A passage into an unknown zone names the passage, the field and the zones there are.
  std::string e = ParseError(SiteJson(kZones3, R"({"id": "door", "from": "street", "to": "lobyy"})",
                                      R"("street")", R"("lobby")", ""));
  EXPECT_TRUE(Has(e, "passages[0] ('door').to")) << e;
  EXPECT_TRUE(Has(e, "unknown zone 'lobyy'")) << e;
  EXPECT_TRUE(Has(e, "street, lobby, office")) << e;

  e = ParseError(SiteJson(kZones3 + R"(, {"id": "lobby", "type": "office"})", kPassages3, R"("street")",
                          R"("office")", ""));
  EXPECT_TRUE(Has(e, "duplicate id 'lobby'")) << e;
  EXPECT_TRUE(Has(e, "zones[1]")) << e;
  EXPECT_TRUE(Has(e, "zones[3]")) << e;

  e = ParseError(SiteJson(R"({"id": "street", "type": "toilets"})", "", R"("street")", R"("street")", ""));
  EXPECT_TRUE(Has(e, "zones[0] ('street').type")) << e;
  EXPECT_TRUE(Has(e, "unknown zone type 'toilets'")) << e;
  for (const std::string& t : ZoneTypes()) EXPECT_TRUE(Has(e, t)) << t << " not listed in: " << e;

  e = ParseError(SiteJson(kZones3, kPassages3, R"("street")", R"("office")",
                          R"({"id": "cam", "mode": "automatic", "zone": "lobby", "passage": "corridor"})"));
  EXPECT_TRUE(Has(e, "devices[0] ('cam')")) << e;
  EXPECT_TRUE(Has(e, "both \"zone\" and \"passage\"")) << e;
  e = ParseError(
      SiteJson(kZones3, kPassages3, R"("street")", R"("office")", R"({"id": "cam", "mode": "automatic"})"));
  EXPECT_TRUE(Has(e, "neither \"zone\" nor \"passage\"")) << e;
  e = ParseError(SiteJson(kZones3, kPassages3, R"("street")", R"("office")",
                          R"({"id": "cam", "mode": "always", "zone": "lobby"})"));
  EXPECT_TRUE(Has(e, "devices[0] ('cam').mode")) << e;
  EXPECT_TRUE(Has(e, "\"automatic\"")) << e;
  e = ParseError(SiteJson(kZones3, kPassages3, R"("street")", R"("office")",
                          R"({"id": "cam", "mode": "automatic", "passage": "hall"})"));
  EXPECT_TRUE(Has(e, "devices[0] ('cam').passage: unknown passage 'hall'")) << e;
  EXPECT_TRUE(Has(e, "front-door, corridor")) << e;

  e = ParseError(SiteJson(kZones3, kPassages3, R"("gate")", R"("office")", ""));
  EXPECT_TRUE(Has(e, "entrances[0]: 'gate' is not a zone")) << e;
  e = ParseError(SiteJson(kZones3, kPassages3, R"("street")", "", ""));
  EXPECT_TRUE(Has(e, "destinations: empty")) << e;

  // A typo in a key is refused by name (a "devics" list must not silently vanish) ...
  e = ParseError(R"({"id": "t", "zones": [{"id": "a", "type": "public"}], "entrances": ["a"],
                   "destinations": ["a"], "devics": []})");
  EXPECT_TRUE(Has(e, "unknown key 'devics'")) << e;
  e = ParseError(SiteJson(R"({"id": "a", "type": "public", "map": {"x": 0, "y": 0, "w": 10, "hh": 5}})", "",
                          R"("a")", R"("a")", ""));
  EXPECT_TRUE(Has(e, "zones[0] ('a').map")) << e;
  // ... as is a second key of the same name, which JSON would keep only once.
  e = ParseError(R"({"id": "t", "zones": [{"id": "a", "type": "public"}], "entrances": ["a"],
                   "destinations": ["a"], "devices": [], "devices": []})");
  EXPECT_TRUE(Has(e, "'devices' appears twice")) << e;
  // ... while "x-" and "_comment" keys are comments.
  Site ok = Parse(R"({"id": "t", "_comment": "hi", "x-owner": {"a": 1},
                      "zones": [{"id": "a", "type": "public", "x-note": 3}],
                      "entrances": ["a"], "destinations": ["a"]})");
  EXPECT_EQ(ok.zones.size(), 1u);

  e = ParseError(SiteJson(R"({"id": "a b", "type": "public"})", "", R"("a b")", R"("a b")", ""));
  EXPECT_TRUE(Has(e, "zones[0] ('a b').id")) << e;
  EXPECT_TRUE(Has(e, "A-Z a-z 0-9 . _ -")) << e;
  e = ParseError(SiteJson(R"({"id": "a", "type": "public", "map": {"x": 0, "y": 0, "w": 0, "h": 5}})", "",
                          R"("a")", R"("a")", ""));
  EXPECT_TRUE(Has(e, "zones[0] ('a').map")) << e;
  e = ParseError("{\"id\": \"t\", \"zones\": [");
  EXPECT_TRUE(Has(e, "not valid JSON")) << e;
  e = ParseError(R"({"id": "t", "zones": [], "entrances": [], "destinations": []})");
  EXPECT_TRUE(Has(e, "zones: empty")) << e;
}

// A destination that no passage leads to is a mistake in the file, reported as invalid input.
TEST(SiteTest, UnreachableDestinationIsASiteErrorNotARefusal) {
  const std::string text = SiteJson(kZones3, R"({"id": "front-door", "from": "street", "to": "lobby"})",
                                    R"("street")", R"("office")", "");
  std::string e = ParseError(text);
  EXPECT_TRUE(Has(e, "'office' cannot be reached from entrance 'street' even with no device")) << e;

  Site s;  // built in code, not parsed: CheckSite says it is invalid, refuses nothing
  s.id = "t";
  s.zones = {{"street", "public", "", {}, false}, {"office", "office", "", {}, false}};
  s.entrances = {"street"};
  s.destinations = {"office"};
  SiteCheck c = CheckSite(s);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.invalid.kind(), ErrorKind::kInvalidInput);
  EXPECT_TRUE(c.refusals.empty());
}

TEST(SiteTest, D4_ForbiddenZoneTypesAreTheFourPlacesOfTheRule) {
  REQUIREMENT("D4");
  std::vector<std::string> forbidden;
  for (const std::string& t : ZoneTypes())
    if (IsForbiddenZoneType(t)) forbidden.push_back(t);
  EXPECT_EQ(forbidden, (std::vector<std::string>{"hotel_room", "bathhouse", "changing_room", "toilet"}));
  EXPECT_FALSE(IsForbiddenZoneType("office"));
  EXPECT_FALSE(IsForbiddenZoneType("Toilet"));
}

TEST(SiteTest, D4_ADeviceInAToiletIsRefusedWhateverItsMode) {
  for (const std::string mode : {"automatic", "triggered"}) {
    Site s =
        Parse(SiteJson(kZones3 + R"(, {"id": "wc", "type": "toilet"})",
                       kPassages3 + R"(, {"id": "wc-door", "from": "lobby", "to": "wc"})", R"("street")",
                       R"("office", "wc")", R"({"id": "cam-wc", "mode": ")" + mode + R"(", "zone": "wc"})"));
    SiteCheck c = CheckSite(s);
    REQUIREMENT("D4");
    EXPECT_FALSE(c.ok) << mode;
    const SiteFinding* f = FindRefusal(c, "D4");
    ASSERT_NE(f, nullptr) << mode;
    EXPECT_EQ(f->devices, std::vector<std::string>{"cam-wc"});
    EXPECT_EQ(f->zones, std::vector<std::string>{"wc"});
    EXPECT_TRUE(Has(f->message, "cam-wc")) << f->message;
    EXPECT_TRUE(Has(f->message, "toilet")) << f->message;
  }
}

TEST(SiteTest, D4_ADeviceAtTheDoorOfAChangingRoomIsAWarningNotARefusal) {
  Site s = Parse(SiteJson(kZones3 + R"(, {"id": "changing", "type": "changing_room"})",
                          kPassages3 + R"(, {"id": "changing-door", "from": "lobby", "to": "changing"})",
                          R"("street")", R"("office", "changing")",
                          R"({"id": "reader", "mode": "triggered", "passage": "changing-door"})"));
  SiteCheck c = CheckSite(s);
  REQUIREMENT("D4");
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(FindRefusal(c, "D4"), nullptr);
  bool warned = false;
  for (const std::string& w : c.warnings)
    warned = warned || (Has(w, "D4") && Has(w, "reader") && Has(w, "changing"));
  EXPECT_TRUE(warned) << ::testing::PrintToString(c.warnings);
}

TEST(SiteTest, D6_OneCorridorWithAnAutomaticDeviceIsRefusedNamingTheCorridor) {
  Site s = Parse(
      SiteJson(kZones3, kPassages3, R"("street")", R"("office")",
               R"({"id": "cam-1", "mode": "automatic", "passage": "corridor", "signage": "at the door"})"));
  SiteCheck c = CheckSite(s);
  REQUIREMENT("D6");
  EXPECT_FALSE(c.ok);
  ASSERT_EQ(c.refusals.size(), 1u);
  const SiteFinding& f = c.refusals[0];
  EXPECT_EQ(f.requirement, "D6");
  EXPECT_EQ(f.passages, std::vector<std::string>{"corridor"});
  EXPECT_TRUE(f.zones.empty());
  EXPECT_EQ(f.devices, std::vector<std::string>{"cam-1"});
  EXPECT_EQ(f.entrance, "street");
  EXPECT_EQ(f.destination, "office");
  for (const char* part : {"'street'", "'office'", "passage 'corridor'", "cam-1"})
    EXPECT_TRUE(Has(f.message, part)) << part << " not in: " << f.message;
  // The offending path is shown: the route that exists, through the corridor.
  EXPECT_EQ(f.route_zones, (std::vector<std::string>{"street", "lobby", "office"}));
  EXPECT_EQ(f.route_passages, (std::vector<std::string>{"front-door", "corridor"}));
  EXPECT_TRUE(Has(f.message, "street > [front-door] > lobby > [corridor: automatic cam-1] > office"))
      << f.message;
  EXPECT_TRUE(c.clear_routes.empty());
}

TEST(SiteTest, D6_ATwoRouteSiteIsAcceptedAndItsClearRouteAvoidsTheDevice) {
  Site s = Parse(
      SiteJson(kZones3, kPassages3 + R"(, {"id": "side-door", "from": "lobby", "to": "office"})",
               R"("street")", R"("office")",
               R"({"id": "cam-1", "mode": "automatic", "passage": "corridor", "signage": "at the door"})"));
  SiteCheck c = CheckSite(s);
  REQUIREMENT("D6");
  EXPECT_TRUE(c.ok);
  EXPECT_TRUE(c.refusals.empty());
  ASSERT_EQ(c.clear_routes.size(), 1u);
  const SiteRoute& r = c.clear_routes[0];
  EXPECT_EQ(r.entrance, "street");
  EXPECT_EQ(r.destination, "office");
  EXPECT_EQ(r.zones, (std::vector<std::string>{"street", "lobby", "office"}));
  EXPECT_EQ(r.passages, (std::vector<std::string>{"front-door", "side-door"}));
  EXPECT_FALSE(Contains(r.passages, "corridor"));
}

TEST(SiteTest, D6_ATriggeredDeviceBlocksNothing) {
  Site s = Parse(SiteJson(kZones3, kPassages3, R"("street")", R"("office")",
                          R"({"id": "kiosk", "mode": "triggered", "passage": "corridor"},
                             {"id": "desk", "mode": "triggered", "zone": "office"},
                             {"id": "door-reader", "mode": "triggered", "zone": "street"})"));
  SiteCheck c = CheckSite(s);
  REQUIREMENT("D6");
  EXPECT_TRUE(c.ok);
  ASSERT_EQ(c.clear_routes.size(), 1u);
  EXPECT_EQ(c.clear_routes[0].passages, (std::vector<std::string>{"front-door", "corridor"}));
}

TEST(SiteTest, D6_AnAutomaticDeviceInTheDestinationZoneIsRefused) {
  // Two ways into the office do not help: the office itself recognises everyone in it.
  Site s = Parse(SiteJson(
      kZones3, kPassages3 + R"(, {"id": "side-door", "from": "lobby", "to": "office"})", R"("street")",
      R"("office")", R"({"id": "cam-office", "mode": "automatic", "zone": "office", "signage": "door"})"));
  SiteCheck c = CheckSite(s);
  REQUIREMENT("D6");
  EXPECT_FALSE(c.ok);
  const SiteFinding* f = FindRefusal(c, "D6");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->zones, std::vector<std::string>{"office"});
  EXPECT_TRUE(f->passages.empty());
  EXPECT_EQ(f->devices, std::vector<std::string>{"cam-office"});
  EXPECT_TRUE(Has(f->message, "zone 'office'")) << f->message;
}

TEST(SiteTest, D6_AnAutomaticDeviceInTheEntranceZoneIsRefused) {
  Site s =
      Parse(SiteJson(kZones3, kPassages3, R"("street")", R"("office")",
                     R"({"id": "street-cam", "mode": "automatic", "zone": "street", "signage": "pole"})"));
  SiteCheck c = CheckSite(s);
  REQUIREMENT("D6");
  const SiteFinding* f = FindRefusal(c, "D6");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->zones, std::vector<std::string>{"street"});
  EXPECT_EQ(f->devices, std::vector<std::string>{"street-cam"});
}

TEST(SiteTest, D6_OneWayPassagesAreHonoured) {
  // The clear side door is an exit only (office -> lobby): going in, only the watched corridor is left.
  const std::string devices =
      R"({"id": "cam-1", "mode": "automatic", "passage": "corridor", "signage": "door"})";
  Site exit_only = Parse(
      SiteJson(kZones3, kPassages3 + R"(, {"id": "exit", "from": "office", "to": "lobby", "one_way": true})",
               R"("street")", R"("office")", devices));
  SiteCheck c = CheckSite(exit_only);
  REQUIREMENT("D6");
  EXPECT_FALSE(c.ok);
  const SiteFinding* f = FindRefusal(c, "D6");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->passages, std::vector<std::string>{"corridor"});

  // The same door one-way inwards is a clear route in.
  Site entry_only = Parse(
      SiteJson(kZones3, kPassages3 + R"(, {"id": "entry", "from": "lobby", "to": "office", "one_way": true})",
               R"("street")", R"("office")", devices));
  c = CheckSite(entry_only);
  EXPECT_TRUE(c.ok);
  ASSERT_EQ(c.clear_routes.size(), 1u);
  EXPECT_EQ(c.clear_routes[0].passages, (std::vector<std::string>{"front-door", "entry"}));

  // One-way also counts for reachability: an office only left through a one-way door is a site error.
  std::string e = ParseError(SiteJson(
      kZones3,
      R"({"id": "front-door", "from": "street", "to": "lobby"},
         {"id": "exit", "from": "office", "to": "lobby", "one_way": true})",
      R"("street")", R"("office")", ""));
  EXPECT_TRUE(Has(e, "one_way")) << e;
}

TEST(SiteTest, D6_TheCutIsTheFrontierThatLeadsToTheDestination) {
  // street - hall; hall -> office through a watched gate, or through a watched zone "atrium";
  // hall -> store through a watched door (a dead end: not part of the cut to the office).
  Site s = Parse(SiteJson(
      R"({"id": "street", "type": "public"}, {"id": "hall", "type": "lobby"},
         {"id": "atrium", "type": "lobby"},
         {"id": "office", "type": "office"}, {"id": "store", "type": "other"})",
      R"({"id": "door", "from": "street", "to": "hall"}, {"id": "gate", "from": "hall", "to": "office"},
         {"id": "arch", "from": "hall", "to": "atrium"},
         {"id": "atrium-door", "from": "atrium", "to": "office"},
         {"id": "store-door", "from": "hall", "to": "store"})",
      R"("street")", R"("office")",
      R"({"id": "g1", "mode": "automatic", "passage": "gate", "signage": "x"},
         {"id": "a1", "mode": "automatic", "zone": "atrium", "signage": "x"},
         {"id": "s1", "mode": "automatic", "passage": "store-door", "signage": "x"})"));
  SiteCheck c = CheckSite(s);
  REQUIREMENT("D6");
  const SiteFinding* f = FindRefusal(c, "D6");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->passages, std::vector<std::string>{"gate"});
  EXPECT_EQ(f->zones, std::vector<std::string>{"atrium"});
  std::vector<std::string> devices = f->devices;
  std::sort(devices.begin(), devices.end());
  EXPECT_EQ(devices, (std::vector<std::string>{"a1", "g1"}));
  EXPECT_FALSE(Has(f->message, "store-door")) << f->message;
  // The route shown crosses one blocked element (the gate), not two (the atrium and its door).
  EXPECT_EQ(f->route_passages, (std::vector<std::string>{"door", "gate"}));
}

TEST(SiteTest, AnAutomaticDeviceWithoutSignageIsNoted) {
  Site s = Parse(SiteJson(kZones3, kPassages3 + R"(, {"id": "side-door", "from": "lobby", "to": "office"})",
                          R"("street")", R"("office")",
                          R"({"id": "cam-1", "mode": "automatic", "passage": "corridor"})"));
  SiteCheck c = CheckSite(s);
  EXPECT_TRUE(c.ok);  // a note, not a refusal: the full D5 checks belong to the device's setup
  bool noted = false;
  for (const std::string& w : c.warnings) noted = noted || (Has(w, "D5") && Has(w, "cam-1"));
  EXPECT_TRUE(noted) << ::testing::PrintToString(c.warnings);
}

TEST(SiteTest, SiteToJsonRoundTrips) {
  Site s = Parse(R"({"id": "hq", "name": "Head office \"A\" & <B>", "x-ignored": 1,
    "zones": [{"id": "street", "type": "public", "name": "Street",
               "map": {"x": 0, "y": 10.5, "w": 120, "h": 80}},
              {"id": "lobby", "type": "lobby"}, {"id": "wc", "type": "toilet", "name": "WC"}],
    "passages": [{"id": "door", "from": "street", "to": "lobby", "name": "Main door"},
                 {"id": "wc-door", "from": "lobby", "to": "wc"},
                 {"id": "back", "from": "wc", "to": "lobby", "one_way": true}],
    "entrances": ["street"], "destinations": ["lobby", "wc"],
    "devices": [{"id": "gate-1", "mode": "automatic", "passage": "door", "signage": "notice NS-3"},
                {"id": "kiosk-1", "mode": "triggered", "zone": "lobby"}]})");
  const std::string canonical = SiteToJson(s);
  auto again = ParseSite(canonical);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << canonical;
  EXPECT_EQ(*again, s);
  EXPECT_EQ(SiteToJson(*again), canonical);                      // canonical: a fixed point
  EXPECT_TRUE(Has(canonical, "\n  \"zones\": [")) << canonical;  // 2-space indent
  EXPECT_TRUE(Has(canonical, "\"y\": 10.5")) << canonical;
  EXPECT_TRUE(Has(canonical, "\"w\": 120,")) << canonical;  // whole numbers stay whole
  EXPECT_FALSE(Has(canonical, "x-ignored"));
  EXPECT_TRUE(s.zones[0].has_map);
  EXPECT_FALSE(s.zones[1].has_map);
  EXPECT_TRUE(s.passages[2].one_way);
}

TEST(SiteTest, MapSvgIsWellFormedWithAMarkerPerDeviceAndALegend) {
  // Names with XML specials, zones without map boxes (laid out automatically), both device modes.
  Site s = Parse(SiteJson(
      R"({"id": "street", "type": "public", "name": "Rue <A> & \"B\""}, {"id": "lobby", "type": "lobby"},
         {"id": "office", "type": "office"}, {"id": "wc", "type": "toilet"})",
      kPassages3 +
          R"(, {"id": "side", "from": "lobby", "to": "office"},)"
              R"( {"id": "wc-door", "from": "lobby", "to": "wc"})",
      R"("street")", R"("office", "wc")",
      R"({"id": "cam-1", "mode": "automatic", "passage": "corridor", "signage": "x & y"},
         {"id": "kiosk", "mode": "triggered", "zone": "lobby"},
         {"id": "wc-cam", "mode": "triggered", "zone": "wc"})"));
  SiteCheck c = CheckSite(s);
  ASSERT_FALSE(c.ok);  // D4: wc-cam
  const std::string svg = SiteMapSvg(s, c);
  EXPECT_EQ(XmlProblem(svg), "") << svg;
  EXPECT_TRUE(Has(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(Has(svg, "version=\"1.1\""));
  EXPECT_FALSE(Has(svg, "<script"));
  EXPECT_FALSE(Has(svg, "href"));  // no external references
  EXPECT_TRUE(Has(svg, "Rue &lt;A&gt; &amp; &quot;B&quot;")) << svg;
  EXPECT_EQ(Count(svg, "<g id=\"device-"), s.devices.size());
  EXPECT_EQ(Count(svg, "class=\"device automatic\""), 1u);
  EXPECT_EQ(Count(svg, "class=\"device triggered\""), 2u);
  EXPECT_EQ(Count(svg, "class=\"zone"), s.zones.size());
  EXPECT_EQ(Count(svg, "class=\"zone forbidden\""), 1u);
  EXPECT_EQ(Count(svg, "<g id=\"passage-"), s.passages.size());
  EXPECT_TRUE(Has(svg, "<g id=\"legend\">"));
  for (const char* item : {"automatic device", "triggered device", "clear route", "refused element"})
    EXPECT_TRUE(Has(svg, item)) << item;
  EXPECT_TRUE(Has(svg, "Verdict: REFUSED")) << svg;
  EXPECT_TRUE(Has(svg, "NO DEVICES (D4)"));  // the forbidden zone is marked
  EXPECT_EQ(Count(svg, "class=\"clear-route\""), c.clear_routes.size());
}

TEST(SiteTest, D6_TheMapShowsTheOffendingRouteAndTheCutInRed) {
  Site s =
      Parse(SiteJson(kZones3, kPassages3, R"("street")", R"("office")",
                     R"({"id": "cam-1", "mode": "automatic", "passage": "corridor", "signage": "door"})"));
  SiteCheck c = CheckSite(s);
  const std::string svg = SiteMapSvg(s, c);
  REQUIREMENT("D6");
  EXPECT_EQ(XmlProblem(svg), "") << svg;
  EXPECT_EQ(Count(svg, "class=\"offending-route\""), 1u);
  EXPECT_EQ(Count(svg, "class=\"clear-route\""), 0u);
  // The refused passage carries a red underlay, and the refusal is written under the map.
  size_t refused = svg.find("<g id=\"refused-passages\">");
  ASSERT_NE(refused, std::string::npos);
  EXPECT_TRUE(Has(svg.substr(refused, svg.find("</g>", refused) - refused), "stroke=\"#d62828\""));
  EXPECT_TRUE(Has(svg, "REQ D6: street -&gt; office")) << svg;
  EXPECT_TRUE(Has(svg, "cut at passage corridor")) << svg;
}

TEST(SiteTest, D6_TheExamplesPassAndFailAsDocumented) {
  auto office = ParseSite(ReadFile(std::string(FACEGATE_SOURCE_DIR) + "/examples/site-office.json"));
  ASSERT_TRUE(office.ok()) << office.status().ToString();
  SiteCheck c = CheckSite(*office);
  REQUIREMENT("D6");
  EXPECT_TRUE(c.ok) << (c.refusals.empty() ? "" : c.refusals[0].message);
  EXPECT_EQ(c.clear_routes.size(), office->entrances.size() * office->destinations.size());
  for (const SiteRoute& r : c.clear_routes) EXPECT_FALSE(Contains(r.passages, "turnstiles"));
  EXPECT_EQ(XmlProblem(SiteMapSvg(*office, c)), "");

  auto one = ParseSite(ReadFile(std::string(FACEGATE_SOURCE_DIR) + "/examples/site-one-corridor.json"));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  c = CheckSite(*one);
  EXPECT_FALSE(c.ok);
  ASSERT_EQ(c.refusals.size(), 1u);
  EXPECT_EQ(c.refusals[0].passages, std::vector<std::string>{"corridor"});
  EXPECT_EQ(XmlProblem(SiteMapSvg(*one, c)), "");
}

}  // namespace
}  // namespace facegate::policy
