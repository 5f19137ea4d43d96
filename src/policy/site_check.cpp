// CheckSite (REQ D4, D6): devices in forbidden zones, and for every entrance and destination a
// route free of automatic recognition, or the passages that cut every such route.
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

namespace {

// ---- Routes -----------------------------------------------------------------------------------

// Where automatic devices stand: they block their passage or zone for D6.
struct Blocks {
  std::vector<std::vector<std::string>> on_passage, in_zone;  // automatic device ids
  bool Passage(size_t p) const { return !on_passage[p].empty(); }
  bool Zone(size_t z) const { return !in_zone[z].empty(); }
};

Blocks FindBlocks(const Site& s, const Graph& g) {
  Blocks b{std::vector<std::vector<std::string>>(s.passages.size()),
           std::vector<std::vector<std::string>>(s.zones.size())};
  for (const SiteDevice& d : s.devices) {
    if (d.mode != kAutomatic) continue;  // REQ D6: a triggered device starts only on request, blocks nothing
    if (!d.passage.empty())
      b.on_passage[g.passage.at(d.passage)].push_back(d.id);
    else
      b.in_zone[g.zone.at(d.zone)].push_back(d.id);
  }
  return b;
}

// A shortest route from `e` to `d` under `cost` (per entered zone and per crossed passage, added to
// one hop): Dijkstra on (cost, hops). `allowed` may forbid elements entirely. Empty when none.
struct Path {
  std::vector<size_t> zones, passages;
};
Path ShortestPath(const Graph& g, size_t e, size_t d, const std::function<int(bool, size_t)>& cost,
                  const std::function<bool(bool, size_t)>& allowed) {
  using Key = std::pair<int, int>;  // (blocked elements crossed, hops)
  const Key kInf{std::numeric_limits<int>::max(), 0};
  std::vector<Key> best(g.out.size(), kInf);
  std::vector<std::pair<size_t, size_t>> parent(g.out.size(), {SIZE_MAX, SIZE_MAX});  // (zone, passage)
  if (!allowed(false, e)) return {};
  using Item = std::tuple<Key, size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
  best[e] = {cost(false, e), 0};
  q.push({best[e], e});
  while (!q.empty()) {
    auto [k, u] = q.top();
    q.pop();
    if (k != best[u]) continue;
    for (auto [p, v] : g.out[u]) {
      if (!allowed(true, p) || !allowed(false, v)) continue;
      Key nk{k.first + cost(true, p) + cost(false, v), k.second + 1};
      if (nk < best[v]) best[v] = nk, parent[v] = {u, p}, q.push({nk, v});
    }
  }
  if (best[d] == kInf) return {};
  Path path;
  for (size_t z = d; z != e; z = parent[z].first) {
    path.zones.push_back(z);
    path.passages.push_back(parent[z].second);
  }
  path.zones.push_back(e);
  std::reverse(path.zones.begin(), path.zones.end());
  std::reverse(path.passages.begin(), path.passages.end());
  return path;
}

// "street > [front-door] > lobby > [corridor: automatic cam-1] > office"
std::string DescribeRoute(const Site& s, const Path& p, const Blocks& b) {
  auto zone = [&](size_t z) {
    return b.Zone(z) ? s.zones[z].id + " (automatic: " + Join(b.in_zone[z]) + ")" : s.zones[z].id;
  };
  std::string out = zone(p.zones[0]);
  for (size_t i = 0; i < p.passages.size(); ++i) {
    size_t q = p.passages[i];
    out += " > [" + s.passages[q].id + (b.Passage(q) ? ": automatic " + Join(b.on_passage[q]) : "") + "] > " +
           zone(p.zones[i + 1]);
  }
  return out;
}

void AddUnique(std::vector<std::string>& v, const std::string& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

// ---- CheckSite --------------------------------------------------------------------------------

SiteCheck CheckSite(const Site& s) {
  SiteCheck c;
  c.invalid = ValidateSite(s);
  if (!c.invalid.ok()) return c;
  const Graph g(s);
  const Blocks b = FindBlocks(s, g);

  // REQ D4 (Measures 13; Civil Code 1033): no device of any mode inside a forbidden zone; one at
  // the door of such a zone is allowed but noted, as its view must not reach inside.
  for (const SiteDevice& d : s.devices) {
    if (!d.zone.empty()) {
      const SiteZone& z = s.zones[g.zone.at(d.zone)];
      if (!IsForbiddenZoneType(z.type)) continue;
      SiteFinding f;
      f.requirement = "D4";
      f.message =
          "device '" + d.id + "' (" + d.mode + ") is inside zone '" + z.id + "' of type " + z.type +
          ": no recognition device may be placed in hotel rooms, bathhouses, changing rooms or toilets "
          "(Measures 13; Civil Code 1033); remove it from the site";
      f.zones = {z.id};
      f.devices = {d.id};
      c.refusals.push_back(std::move(f));
    } else {
      const SitePassage& p = s.passages[g.passage.at(d.passage)];
      for (const std::string& end : {p.from, p.to}) {
        const SiteZone& z = s.zones[g.zone.at(end)];
        if (IsForbiddenZoneType(z.type))
          c.warnings.push_back("D4: device '" + d.id + "' is on passage '" + p.id + "' at the door of " +
                               z.type + " zone '" + z.id +
                               "': allowed, as it is not inside, but aim it so that it sees "
                               "nothing of the inside");
      }
    }
  }
  // REQ D5: an automatic device needs a written notice posted before the area; the site file only
  // records where (the full D5 checks belong to the device's own setup).
  for (const SiteDevice& d : s.devices)
    if (d.mode == kAutomatic && d.signage.empty())
      c.warnings.push_back("D5: automatic device '" + d.id +
                           "' has no \"signage\": post a written notice before "
                           "the area and record where it hangs");

  // REQ D6: from every entrance to every destination, a route that crosses no automatic device.
  auto clear_only = [&](bool is_passage, size_t i) { return is_passage ? !b.Passage(i) : !b.Zone(i); };
  auto crossings = [&](bool is_passage, size_t i) { return (is_passage ? b.Passage(i) : b.Zone(i)) ? 1 : 0; };
  auto anything = [](bool, size_t) { return true; };
  auto none = [](bool, size_t) { return 0; };
  for (const std::string& e : s.entrances) {
    const size_t ez = g.zone.at(e);
    for (const std::string& d : s.destinations) {
      const size_t dz = g.zone.at(d);
      Path clear = ShortestPath(g, ez, dz, none, clear_only);
      if (!clear.zones.empty()) {
        SiteRoute r{e, d, {}, {}};
        for (size_t z : clear.zones) r.zones.push_back(s.zones[z].id);
        for (size_t p : clear.passages) r.passages.push_back(s.passages[p].id);
        c.clear_routes.push_back(std::move(r));
        continue;
      }
      // No clear route: the cut is the blocked elements on the frontier of what the entrance reaches
      // without crossing one, kept when the destination lies beyond them (without coming back).
      std::vector<bool> reached(s.zones.size(), false);
      if (!b.Zone(ez)) {
        reached[ez] = true;
        std::vector<size_t> stack{ez};
        while (!stack.empty()) {
          size_t u = stack.back();
          stack.pop_back();
          for (auto [p, v] : g.out[u])
            if (!b.Passage(p) && !b.Zone(v) && !reached[v]) reached[v] = true, stack.push_back(v);
        }
      }
      const std::vector<bool> leads_there = g.ReachesTo(dz, reached);
      SiteFinding f;
      f.requirement = "D6";
      f.entrance = e;
      f.destination = d;
      std::vector<std::string> cut;
      auto cut_zone = [&](size_t z) {
        if (std::find(f.zones.begin(), f.zones.end(), s.zones[z].id) != f.zones.end()) return;
        f.zones.push_back(s.zones[z].id);
        for (const std::string& dev : b.in_zone[z]) AddUnique(f.devices, dev);
        cut.push_back("zone '" + s.zones[z].id + "' (automatic device" +
                      (b.in_zone[z].size() > 1 ? "s " : " ") + Join(b.in_zone[z]) + ")");
      };
      if (b.Zone(ez)) cut_zone(ez);
      for (size_t u = 0; u < s.zones.size(); ++u) {
        if (!reached[u]) continue;
        for (auto [p, v] : g.out[u]) {
          if (reached[v] || !leads_there[v]) continue;
          if (b.Passage(p)) {
            if (std::find(f.passages.begin(), f.passages.end(), s.passages[p].id) != f.passages.end())
              continue;
            f.passages.push_back(s.passages[p].id);
            for (const std::string& dev : b.on_passage[p]) AddUnique(f.devices, dev);
            cut.push_back("passage '" + s.passages[p].id + "' (automatic device" +
                          (b.on_passage[p].size() > 1 ? "s " : " ") + Join(b.on_passage[p]) + ")");
          } else if (b.Zone(v)) {
            cut_zone(v);
          }
        }
      }
      // The offending path: the route that exists, crossing the fewest blocked elements.
      Path through = ShortestPath(g, ez, dz, crossings, anything);
      for (size_t z : through.zones) f.route_zones.push_back(s.zones[z].id);
      for (size_t p : through.passages) f.route_passages.push_back(s.passages[p].id);
      f.message =
          "no route from entrance '" + e + "' to destination '" + d +
          "' is free of automatic recognition: every route is cut at " + Join(cut) +
          ". Offending path: " + DescribeRoute(s, through, b) +
          ". Give people a way without automatic recognition (another door or passage with no automatic "
          "device), or make the device triggered (REQ D1)";
      c.refusals.push_back(std::move(f));
    }
  }

  // Zones no entrance leads to: usually a missing passage.
  std::vector<bool> any(s.zones.size(), false);
  for (const std::string& e : s.entrances) {
    std::vector<bool> r = g.Reach(g.zone.at(e));
    for (size_t i = 0; i < r.size(); ++i) any[i] = any[i] || r[i];
  }
  for (size_t i = 0; i < s.zones.size(); ++i)
    if (!any[i])
      c.warnings.push_back("zone '" + s.zones[i].id +
                           "' cannot be reached from any entrance: is a passage missing?");

  c.ok = c.refusals.empty();
  return c;
}
}  // namespace facegate::policy
