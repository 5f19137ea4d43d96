#include "policy/site.h"

#include "policy/site_graph.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <set>
#include <tuple>
#include <utility>

namespace facegate::policy {

using namespace site_detail;

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

const std::vector<std::string>& ZoneTypes() {
  static const std::vector<std::string> kTypes = {
      "public",  "work",    "office",     "shop",      "lobby",         "corridor", "stairs", "parking",
      "vehicle", "outdoor", "hotel_room", "bathhouse", "changing_room", "toilet",   "other"};
  return kTypes;
}

// REQ D4 (Measures 13; Civil Code 1033): places where a recognition device may not be installed.
bool IsForbiddenZoneType(const std::string& type) {
  return type == "hotel_room" || type == "bathhouse" || type == "changing_room" || type == "toilet";
}

namespace {


bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

// "zones[2]" or "zones[2] ('lobby')": how messages name an element of a list.
std::string Label(const char* list, size_t i, const std::string& id) {
  std::string s = std::string(list) + "[" + std::to_string(i) + "]";
  return id.empty() ? s : s + " ('" + id + "')";
}

Status BadId(const std::string& where, const std::string& id) {
  return Status::InvalidInput(where + ": '" + id +
                              "' is not a valid id: use 1-64 characters of A-Z a-z 0-9 . _ -");
}


// ---- Parsing ----------------------------------------------------------------------------------

bool IgnoredKey(const std::string& k) {
  return k.rfind("x-", 0) == 0 || k.rfind("_comment", 0) == 0;
}

Status CheckKeys(const json& obj, const std::string& where, const std::vector<std::string>& allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (IgnoredKey(it.key()) || std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end())
      continue;
    return Status::InvalidInput(where + ": unknown key '" + it.key() + "' (allowed: " + Join(allowed) +
                                "): fix its spelling or remove it; keys starting with \"x-\" or \"_comment\" "
                                "are ignored");
  }
  return Status::Ok();
}

Status NeedObject(const json& j, const std::string& where) {
  if (!j.is_object()) return Status::InvalidInput(where + ": want a JSON object {...}");
  return Status::Ok();
}

Status GetString(const json& obj, const char* key, const std::string& where, bool required,
                 std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return Status::InvalidInput(where + "." + key + ": missing: this field is required");
    return Status::Ok();
  }
  if (!it->is_string()) return Status::InvalidInput(where + "." + key + ": want a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status GetStringList(const json& obj, const char* key, std::vector<std::string>* out,
                     const std::string& what) {
  auto it = obj.find(key);
  if (it == obj.end())
    return Status::InvalidInput(std::string(key) + ": missing: list the zone ids " + what +
                                ", e.g. [\"street\"]");
  if (!it->is_array()) return Status::InvalidInput(std::string(key) + ": want a list of zone ids");
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string())
      return Status::InvalidInput(std::string(key) + "[" + std::to_string(i) +
                                  "]: want a zone id (a string)");
    out->push_back((*it)[i].get<std::string>());
  }
  return Status::Ok();
}

// Array `key` of objects (optional when !required); calls each(i, element, label).
Status ForEachObject(const json& root, const char* key, bool required, const std::string& what,
                     const std::function<Status(size_t, const json&, const std::string&)>& each) {
  auto it = root.find(key);
  if (it == root.end()) {
    if (required) return Status::InvalidInput(std::string(key) + ": missing: list the site's " + what);
    return Status::Ok();
  }
  if (!it->is_array()) return Status::InvalidInput(std::string(key) + ": want a list [...] of " + what);
  for (size_t i = 0; i < it->size(); ++i) {
    std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    FG_RETURN_IF_ERROR(NeedObject((*it)[i], where));
    if (auto id = (*it)[i].find("id"); id != (*it)[i].end() && id->is_string())
      where = Label(key, i, id->get<std::string>());
    FG_RETURN_IF_ERROR(each(i, (*it)[i], where));
  }
  return Status::Ok();
}

Status ParseZone(const json& z, const std::string& where, SiteZone* out) {
  FG_RETURN_IF_ERROR(CheckKeys(z, where, {"id", "type", "name", "map"}));
  FG_RETURN_IF_ERROR(GetString(z, "id", where, true, &out->id));
  FG_RETURN_IF_ERROR(GetString(z, "type", where, true, &out->type));
  FG_RETURN_IF_ERROR(GetString(z, "name", where, false, &out->name));
  auto m = z.find("map");
  if (m == z.end()) return Status::Ok();
  FG_RETURN_IF_ERROR(NeedObject(*m, where + ".map"));
  FG_RETURN_IF_ERROR(CheckKeys(*m, where + ".map", {"x", "y", "w", "h"}));
  std::pair<const char*, double*> fields[] = {
      {"x", &out->map.x}, {"y", &out->map.y}, {"w", &out->map.w}, {"h", &out->map.h}};
  for (auto& [k, v] : fields) {
    auto it = m->find(k);
    if (it == m->end() || !it->is_number())
      return Status::InvalidInput(where + ".map." + k + ": want a number (the map box is x, y, w, h)");
    *v = it->get<double>();
  }
  out->has_map = true;
  return Status::Ok();
}

Status ParsePassage(const json& p, const std::string& where, SitePassage* out) {
  FG_RETURN_IF_ERROR(CheckKeys(p, where, {"id", "from", "to", "name", "one_way"}));
  FG_RETURN_IF_ERROR(GetString(p, "id", where, true, &out->id));
  FG_RETURN_IF_ERROR(GetString(p, "from", where, true, &out->from));
  FG_RETURN_IF_ERROR(GetString(p, "to", where, true, &out->to));
  FG_RETURN_IF_ERROR(GetString(p, "name", where, false, &out->name));
  if (auto it = p.find("one_way"); it != p.end()) {
    if (!it->is_boolean()) return Status::InvalidInput(where + ".one_way: want true or false");
    out->one_way = it->get<bool>();
  }
  return Status::Ok();
}

Status ParseDevice(const json& d, const std::string& where, SiteDevice* out) {
  FG_RETURN_IF_ERROR(CheckKeys(d, where, {"id", "mode", "zone", "passage", "signage"}));
  FG_RETURN_IF_ERROR(GetString(d, "id", where, true, &out->id));
  FG_RETURN_IF_ERROR(GetString(d, "mode", where, true, &out->mode));
  FG_RETURN_IF_ERROR(GetString(d, "zone", where, false, &out->zone));
  FG_RETURN_IF_ERROR(GetString(d, "passage", where, false, &out->passage));
  FG_RETURN_IF_ERROR(GetString(d, "signage", where, false, &out->signage));
  if (d.contains("zone") && out->zone.empty())
    return Status::InvalidInput(where + ".zone: empty: give the zone id or leave the key out");
  if (d.contains("passage") && out->passage.empty())
    return Status::InvalidInput(where + ".passage: empty: give the passage id or leave the key out");
  return Status::Ok();
}

std::string JsonError(const std::string& what) {
  // "[json.exception.parse_error.101] parse error at line 3, ..." -> "parse error at line 3, ..."
  size_t close = what.find("] ");
  return close == std::string::npos ? what : what.substr(close + 2);
}

}  // namespace

// ---- ValidateSite / ParseSite / SiteToJson ----------------------------------------------------

Status ValidateSite(const Site& s) {
  if (!ValidId(s.id)) return BadId("id", s.id);
  if (s.zones.empty()) return Status::InvalidInput("zones: empty: a site needs at least one zone");
  std::map<std::string, std::string> used;  // id -> the element that took it first
  auto take = [&](const std::string& id, const std::string& where) -> Status {
    auto [it, fresh] = used.emplace(id, where);
    if (fresh) return Status::Ok();
    return Status::InvalidInput("duplicate id '" + id + "': " + it->second + " and " + where +
                                " both use it; give every zone, passage and device its own id");
  };
  std::vector<std::string> zone_ids;
  for (size_t i = 0; i < s.zones.size(); ++i) {
    const SiteZone& z = s.zones[i];
    const std::string where = Label("zones", i, z.id);
    if (!ValidId(z.id)) return BadId(where + ".id", z.id);
    FG_RETURN_IF_ERROR(take(z.id, where));
    zone_ids.push_back(z.id);
    const auto& types = ZoneTypes();
    if (std::find(types.begin(), types.end(), z.type) == types.end())
      return Status::InvalidInput(where + ".type: unknown zone type '" + z.type + "': use one of " +
                                  Join(types));
    if (z.has_map) {
      const SiteZone::Box& b = z.map;
      if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.w) || !std::isfinite(b.h) ||
          b.w <= 0 || b.h <= 0)
        return Status::InvalidInput(where + ".map: want finite x and y and a width w and height h above 0");
    }
  }
  const std::string known_zones = "use one of the zone ids (" + Join(zone_ids) + ")";
  auto is_zone = [&](const std::string& id) {
    return std::find(zone_ids.begin(), zone_ids.end(), id) != zone_ids.end();
  };
  for (size_t i = 0; i < s.passages.size(); ++i) {
    const SitePassage& p = s.passages[i];
    const std::string where = Label("passages", i, p.id);
    if (!ValidId(p.id)) return BadId(where + ".id", p.id);
    FG_RETURN_IF_ERROR(take(p.id, where));
    if (!is_zone(p.from))
      return Status::InvalidInput(where + ".from: unknown zone '" + p.from + "': " + known_zones);
    if (!is_zone(p.to))
      return Status::InvalidInput(where + ".to: unknown zone '" + p.to + "': " + known_zones);
    if (p.from == p.to)
      return Status::InvalidInput(where + ": from and to are both '" + p.from +
                                  "': a passage joins two different zones");
  }
  for (const bool entrances : {true, false}) {
    const std::string list = entrances ? "entrances" : "destinations";
    const auto& ids = entrances ? s.entrances : s.destinations;
    if (ids.empty())
      return Status::InvalidInput(list + ": empty: list at least one zone id " +
                                  (entrances ? "where people come in" : "people must be able to reach"));
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string where = list + "[" + std::to_string(i) + "]";
      if (!is_zone(ids[i]))
        return Status::InvalidInput(where + ": '" + ids[i] + "' is not a zone: " + known_zones);
      if (std::find(ids.begin(), ids.begin() + i, ids[i]) != ids.begin() + i)
        return Status::InvalidInput(where + ": '" + ids[i] + "' is listed twice: list each zone once");
    }
  }
  std::vector<std::string> passage_ids;
  for (const SitePassage& p : s.passages) passage_ids.push_back(p.id);
  for (size_t i = 0; i < s.devices.size(); ++i) {
    const SiteDevice& d = s.devices[i];
    const std::string where = Label("devices", i, d.id);
    if (!ValidId(d.id)) return BadId(where + ".id", d.id);
    FG_RETURN_IF_ERROR(take(d.id, where));
    if (d.mode != kAutomatic && d.mode != kTriggered)
      return Status::InvalidInput(where + ".mode: '" + d.mode +
                                  "' is not a mode: use \"automatic\" (recognises everyone who passes) or "
                                  "\"triggered\" (starts only when a person asks, REQ D1)");
    if (!d.zone.empty() && !d.passage.empty())
      return Status::InvalidInput(where +
                                  ": has both \"zone\" and \"passage\": a device stands in one place, "
                                  "give only one of them");
    if (d.zone.empty() && d.passage.empty())
      return Status::InvalidInput(where +
                                  ": says neither \"zone\" nor \"passage\": give the zone id or the "
                                  "passage id where the device stands");
    if (!d.zone.empty() && !is_zone(d.zone))
      return Status::InvalidInput(where + ".zone: unknown zone '" + d.zone + "': " + known_zones);
    if (!d.passage.empty() &&
        std::find(passage_ids.begin(), passage_ids.end(), d.passage) == passage_ids.end())
      return Status::InvalidInput(
          where + ".passage: unknown passage '" + d.passage + "': use one of the passage ids (" +
          (passage_ids.empty() ? std::string("the site has none") : Join(passage_ids)) + ")");
  }
  // A destination out of reach with no device at all is a mistake in the file, not a D6 matter.
  Graph g(s);
  for (const std::string& e : s.entrances) {
    std::vector<bool> reach = g.Reach(g.zone.at(e));
    for (const std::string& d : s.destinations)
      if (!reach[g.zone.at(d)])
        return Status::InvalidInput(
            "destinations: '" + d + "' cannot be reached from entrance '" + e +
            "' even with no device at all: add the passage that leads there (or check "
            "the direction of one_way passages); the site file is wrong, not a device");
  }
  return Status::Ok();
}

Result<Site> ParseSite(const std::string& json_text) {
  // JSON keeps only the last of two equal keys: refuse them, a second "devices" would drop the first.
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::object_start)
      keys.emplace_back();
    else if (ev == json::parse_event_t::object_end && !keys.empty())
      keys.pop_back();
    else if (ev == json::parse_event_t::key && !keys.empty() &&
             !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json root;
  try {
    root = json::parse(json_text, cb);
  } catch (const json::exception& e) {
    return Status::InvalidInput("the site file is not valid JSON: " + JsonError(e.what()));
  }
  if (!duplicate.empty())
    return Status::InvalidInput("key '" + duplicate +
                                "' appears twice in one object: JSON keeps only the last "
                                "one, which would silently drop data; merge the two");
  FG_RETURN_IF_ERROR(NeedObject(root, "the site file"));
  FG_RETURN_IF_ERROR(CheckKeys(root, "the site file",
                               {"id", "name", "zones", "passages", "entrances", "destinations", "devices"}));
  Site s;
  auto top = [&](const char* key, bool required, std::string* out) -> Status {
    auto it = root.find(key);
    if (it == root.end())
      return required ? Status::InvalidInput(std::string(key) + ": missing: this field is required")
                      : Status::Ok();
    if (!it->is_string()) return Status::InvalidInput(std::string(key) + ": want a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  FG_RETURN_IF_ERROR(top("id", true, &s.id));
  FG_RETURN_IF_ERROR(top("name", false, &s.name));
  FG_RETURN_IF_ERROR(ForEachObject(root, "zones", true, "zones: [{\"id\", \"type\", ...}]",
                                   [&](size_t, const json& j, const std::string& where) {
                                     s.zones.emplace_back();
                                     return ParseZone(j, where, &s.zones.back());
                                   }));
  FG_RETURN_IF_ERROR(ForEachObject(root, "passages", false, "passages",
                                   [&](size_t, const json& j, const std::string& where) {
                                     s.passages.emplace_back();
                                     return ParsePassage(j, where, &s.passages.back());
                                   }));
  FG_RETURN_IF_ERROR(GetStringList(root, "entrances", &s.entrances, "where people come in"));
  FG_RETURN_IF_ERROR(GetStringList(root, "destinations", &s.destinations, "people must be able to reach"));
  FG_RETURN_IF_ERROR(
      ForEachObject(root, "devices", false, "devices", [&](size_t, const json& j, const std::string& where) {
        s.devices.emplace_back();
        return ParseDevice(j, where, &s.devices.back());
      }));
  FG_RETURN_IF_ERROR(ValidateSite(s));
  return s;
}

std::string SiteToJson(const Site& s) {
  auto num = [](double v) -> ojson {
    if (std::floor(v) == v && std::fabs(v) < 1e15) return static_cast<int64_t>(v);
    return v;
  };
  ojson j;
  j["id"] = s.id;
  if (!s.name.empty()) j["name"] = s.name;
  j["zones"] = ojson::array();
  for (const SiteZone& z : s.zones) {
    ojson o;
    o["id"] = z.id;
    o["type"] = z.type;
    if (!z.name.empty()) o["name"] = z.name;
    if (z.has_map)
      o["map"] = {{"x", num(z.map.x)}, {"y", num(z.map.y)}, {"w", num(z.map.w)}, {"h", num(z.map.h)}};
    j["zones"].push_back(std::move(o));
  }
  j["passages"] = ojson::array();
  for (const SitePassage& p : s.passages) {
    ojson o;
    o["id"] = p.id;
    o["from"] = p.from;
    o["to"] = p.to;
    if (!p.name.empty()) o["name"] = p.name;
    if (p.one_way) o["one_way"] = true;
    j["passages"].push_back(std::move(o));
  }
  j["entrances"] = s.entrances;
  j["destinations"] = s.destinations;
  j["devices"] = ojson::array();
  for (const SiteDevice& d : s.devices) {
    ojson o;
    o["id"] = d.id;
    o["mode"] = d.mode;
    if (!d.zone.empty()) o["zone"] = d.zone;
    if (!d.passage.empty()) o["passage"] = d.passage;
    if (!d.signage.empty()) o["signage"] = d.signage;
    j["devices"].push_back(std::move(o));
  }
  return j.dump(2) + "\n";
}

}  // namespace facegate::policy
