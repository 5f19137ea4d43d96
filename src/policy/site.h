// The site model (REQ D4, D6; docs/sites.md): a physical place as zones (nodes) joined by
// passages (edges), its entrances, the destinations people must be able to reach, and the
// recognition devices placed on passages or in zones. CheckSite refuses a device in a hotel
// room, bathhouse, changing room or toilet (D4: Measures 13; Civil Code 1033) and a site where
// some needed place can only be reached past an automatic recognition device (D6).
// Pure logic: no store, no clock; the CLI (`facegate site check|map`) reads a JSON file.
#pragma once

#include <facegate/status.h>

#include <string>
#include <vector>

namespace facegate::policy {

// A place people are in: a room, a corridor, the street. `type` is one of ZoneTypes().
struct SiteZone {
  std::string id, type, name;  // id unique in the site; name is free text for people (optional)
  // Where the map draws it (site units; y grows downwards); only read when has_map.
  struct Box {
    double x = 0, y = 0, w = 0, h = 0;
    bool operator==(const Box&) const = default;
  } map;
  bool has_map = false;  // false: SiteMapSvg lays the zone out by itself
  bool operator==(const SiteZone&) const = default;
};

// A way between two zones (door, turnstile, stairs); two-way unless one_way (from -> to only).
struct SitePassage {
  std::string id, from, to, name;  // from/to are zone ids; name is free text (optional)
  bool one_way = false;
  bool operator==(const SitePassage&) const = default;
};

// A recognition device. An automatic one recognises whoever passes (blocks its place for D6);
// a triggered one starts only when a person asks (REQ D1) and blocks nothing.
struct SiteDevice {
  std::string id, mode /* "automatic" | "triggered" */, zone, passage /* exactly one of zone/passage */;
  std::string signage; /* free text: where the notice hangs, optional */
  bool operator==(const SiteDevice&) const = default;
};

// A whole site file. entrances and destinations are zone ids, each list non-empty.
struct Site {
  std::string id, name;
  std::vector<SiteZone> zones;
  std::vector<SitePassage> passages;
  std::vector<std::string> entrances, destinations;
  std::vector<SiteDevice> devices;
  bool operator==(const Site&) const = default;
};

// The zone types a site may use, in documentation order (an unknown type is refused by name).
const std::vector<std::string>& ZoneTypes();
// REQ D4: hotel_room, bathhouse, changing_room, toilet: no recognition device may be inside.
bool IsForbiddenZoneType(const std::string& type);

// Checks a site's structure: ids (1-64 of [A-Za-z0-9._-], unique across zones, passages and
// devices), known zone types, passages between two different known zones, each device on
// exactly one known zone or passage with a known mode, entrances/destinations known zones, and
// every destination reachable from every entrance with all devices removed (otherwise the file,
// not a device, is wrong). kInvalidInput naming the element (e.g. "passages[2] ('x').to") and
// what to do.
Status ValidateSite(const Site& site);
// Parses a site file (docs/sites.md) and validates it (ValidateSite). kInvalidInput naming the
// field and what to do; keys starting with "x-" or "_comment" are ignored, other unknown keys
// are refused so a typo cannot silently drop a device.
Result<Site> ParseSite(const std::string& json_text);
// The site as canonical JSON (fixed key order, optional fields only when set, 2-space indent);
// ParseSite(SiteToJson(s)) == s for a valid site.
std::string SiteToJson(const Site& site);

// A refusal of CheckSite: the requirement, a message for people, and the elements at fault.
struct SiteFinding {
  std::string requirement;                            // "D4" | "D6"
  std::string message;                                // names the elements, the rule and what to do
  std::vector<std::string> passages, zones, devices;  // D4: where the device is; D6: the cut
  std::string entrance, destination;                  // D6: the pair without a clear route (empty for D4)
  // D6: a route that does exist, through the fewest blocked elements (shortest among those).
  std::vector<std::string> route_zones, route_passages;
};

// A route: zones in order from entrance to destination and the passage ids between them
// (passages.size() == zones.size() - 1).
struct SiteRoute {
  std::string entrance, destination;
  std::vector<std::string> zones;
  std::vector<std::string> passages;
};

// The verdict of CheckSite. ok == (invalid.ok() && refusals.empty()).
struct SiteCheck {
  bool ok = false;
  std::vector<SiteFinding> refusals;
  std::vector<std::string> warnings;    // notes that refuse nothing (D4 door, D5 signage, ...)
  std::vector<SiteRoute> clear_routes;  // one shortest clear route per (entrance, destination) that has one
  Status invalid;                       // not ok when ValidateSite failed; nothing else is then computed
};

// Applies D4 (a device of either mode in a forbidden zone is refused; one on a passage into
// such a zone is a warning) and D6 (every entrance reaches every destination on a route free of
// automatic devices: a passage with one is blocked, a zone with one is blocked to pass or
// arrive in, including the entrance and destination zones themselves).
SiteCheck CheckSite(const Site& site);

// A self-contained SVG 1.1 drawing of the site and its check: zones (forbidden ones marked),
// passages, device markers (automatic: red disc "A"; triggered: green square "T"), the clear
// routes in green, refused elements and offending routes in red, a legend and the verdict.
// Zones without a map box are laid out in columns by distance from the entrances.
std::string SiteMapSvg(const Site& site, const SiteCheck& check);

}  // namespace facegate::policy
