// Internal to src/policy/site*.cpp: what parsing (site.cpp), the route check (site_check.cpp)
// and the map (site_map.cpp) share: the device modes, a list join and the zone/passage graph.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "policy/site.h"

namespace facegate::policy::site_detail {

inline constexpr const char* kAutomatic = "automatic";
inline constexpr const char* kTriggered = "triggered";

inline std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// The zones and passages as a directed graph: out[z] lists (passage, neighbour) a person at z can take.
struct Graph {
  std::map<std::string, size_t> zone, passage;
  std::vector<std::vector<std::pair<size_t, size_t>>> out;

  explicit Graph(const Site& s) : out(s.zones.size()) {
    for (size_t i = 0; i < s.zones.size(); ++i) zone.emplace(s.zones[i].id, i);
    for (size_t i = 0; i < s.passages.size(); ++i) {
      passage.emplace(s.passages[i].id, i);
      auto f = zone.find(s.passages[i].from), t = zone.find(s.passages[i].to);
      if (f == zone.end() || t == zone.end()) continue;
      out[f->second].push_back({i, t->second});
      if (!s.passages[i].one_way) out[t->second].push_back({i, f->second});
    }
  }
  // Zones reachable from `start` (passages only, devices ignored).
  std::vector<bool> Reach(size_t start) const {
    std::vector<bool> seen(out.size(), false);
    std::vector<size_t> stack{start};
    seen[start] = true;
    while (!stack.empty()) {
      size_t u = stack.back();
      stack.pop_back();
      for (auto [p, v] : out[u])
        if (!seen[v]) seen[v] = true, stack.push_back(v);
    }
    return seen;
  }
  // Zones from which `target` can be reached (devices ignored) without entering a zone of `avoid`.
  std::vector<bool> ReachesTo(size_t target, const std::vector<bool>& avoid) const {
    std::vector<std::vector<size_t>> in(out.size());
    for (size_t u = 0; u < out.size(); ++u)
      for (auto [p, v] : out[u]) in[v].push_back(u);
    std::vector<bool> seen(out.size(), false);
    std::vector<size_t> stack{target};
    seen[target] = true;
    while (!stack.empty()) {
      size_t v = stack.back();
      stack.pop_back();
      for (size_t u : in[v])
        if (!seen[u] && !avoid[u]) seen[u] = true, stack.push_back(u);
    }
    return seen;
  }
};

}  // namespace facegate::policy::site_detail
