// SiteMapSvg: a site and its check drawn as a self-contained SVG (docs/sites.md, "The map").
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

// ---- Drawing ----------------------------------------------------------------------------------

std::string Esc(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (c == '&')
      o += "&amp;";
    else if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '"')
      o += "&quot;";
    else if (c == '\'')
      o += "&apos;";
    else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      o += ' ';  // not allowed in XML 1.0
    else
      o += static_cast<char>(c);
  }
  return o;
}

// An XML id for an element: prefix + the site id, other characters replaced (valid sites have none).
std::string XmlId(const std::string& prefix, const std::string& id) {
  std::string o = prefix;
  for (unsigned char c : id)
    o += (std::isalnum(c) || c == '.' || c == '_' || c == '-') ? static_cast<char>(c) : '_';
  return o;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

struct Pt {
  double x = 0, y = 0;
};

// Where a ray from `o` (inside the box) along `d` leaves the box.
Pt ExitBox(const SiteZone::Box& b, Pt o, Pt d) {
  double t = std::numeric_limits<double>::infinity();
  if (d.x > 1e-9) t = std::min(t, (b.x + b.w - o.x) / d.x);
  if (d.x < -1e-9) t = std::min(t, (b.x - o.x) / d.x);
  if (d.y > 1e-9) t = std::min(t, (b.y + b.h - o.y) / d.y);
  if (d.y < -1e-9) t = std::min(t, (b.y - o.y) / d.y);
  if (!std::isfinite(t) || t < 0) t = 0;
  return {o.x + t * d.x, o.y + t * d.y};
}

// Approximate width of a line of text at font size `size` (no font metrics in a pure SVG writer).
double TextWidth(const std::string& s, double size) {
  size_t chars = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++chars;
  return chars * size * 0.6;
}


}  // namespace

// ---- SiteMapSvg -------------------------------------------------------------------------------

std::string SiteMapSvg(const Site& s, const SiteCheck& check) {
  constexpr double kW = 170, kH = 80, kGapX = 120, kGapY = 60, kMargin = 30, kHeader = 70;
  const size_t n = s.zones.size();
  std::map<std::string, size_t> zi;
  for (size_t i = 0; i < n; ++i) zi.emplace(s.zones[i].id, i);

  // Layout: map boxes where given; the others in columns by distance from the entrances (following
  // one-way passages; zones reached only against them, or not at all, by plain adjacency), rows in a
  // column ordered by where their neighbours in earlier columns sit (fewer crossing lines).
  std::vector<SiteZone::Box> box(n);
  {
    std::vector<std::vector<size_t>> out(n), adj(n);
    for (const SitePassage& p : s.passages) {
      auto f = zi.find(p.from), t = zi.find(p.to);
      if (f == zi.end() || t == zi.end()) continue;
      out[f->second].push_back(t->second);
      if (!p.one_way) out[t->second].push_back(f->second);
      adj[f->second].push_back(t->second);
      adj[t->second].push_back(f->second);
    }
    std::vector<int> dist(n, -1);
    std::queue<size_t> q;
    for (const std::string& e : s.entrances)
      if (auto it = zi.find(e); it != zi.end() && dist[it->second] < 0)
        dist[it->second] = 0, q.push(it->second);
    if (q.empty() && n) dist[0] = 0, q.push(0);
    while (!q.empty()) {
      size_t u = q.front();
      q.pop();
      for (size_t v : out[u])
        if (dist[v] < 0) dist[v] = dist[u] + 1, q.push(v);
    }
    for (bool changed = true; changed;) {  // the rest: one column after their nearest placed neighbour
      changed = false;
      for (size_t v = 0; v < n; ++v) {
        if (dist[v] >= 0) continue;
        int best = -1;
        for (size_t u : adj[v])
          if (dist[u] >= 0 && (best < 0 || dist[u] < best)) best = dist[u];
        if (best >= 0) dist[v] = best + 1, changed = true;
      }
    }
    int far = 0;
    for (int d : dist) far = std::max(far, d);
    for (int& d : dist)
      if (d < 0) d = far + 1;  // islands: a last column
    bool any_map = false;
    double my0 = 0, mx1 = 0;
    for (const SiteZone& z : s.zones) {
      if (!z.has_map) continue;
      my0 = any_map ? std::min(my0, z.map.y) : z.map.y;
      mx1 = any_map ? std::max(mx1, z.map.x + z.map.w) : z.map.x + z.map.w;
      any_map = true;
    }
    std::map<int, std::vector<size_t>> columns;  // distance -> zones without a map box, file order
    for (size_t i = 0; i < n; ++i)
      if (s.zones[i].has_map)
        box[i] = s.zones[i].map;
      else
        columns[dist[i]].push_back(i);
    std::vector<double> row_of(n, -1);  // placed rows, for the next columns' ordering
    size_t tallest = 0;
    for (auto& [d, zs] : columns) tallest = std::max(tallest, zs.size());
    const double ox = any_map ? mx1 + kGapX : 0, oy = any_map ? my0 : 0;
    int col = 0;
    for (auto& [d, zs] : columns) {
      std::vector<std::pair<double, size_t>> order;
      for (size_t k = 0; k < zs.size(); ++k) {
        double sum = 0;
        int cnt = 0;
        for (size_t u : adj[zs[k]])
          if (row_of[u] >= 0) sum += row_of[u], ++cnt;
        order.push_back({cnt ? sum / cnt : static_cast<double>(k), zs[k]});
      }
      std::stable_sort(order.begin(), order.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      const double top = oy + (tallest - zs.size()) * (kH + kGapY) / 2;  // columns centred on each other
      for (size_t r = 0; r < order.size(); ++r) {
        size_t i = order[r].second;
        box[i] = {ox + col * (kW + kGapX), top + r * (kH + kGapY), kW, kH};
        row_of[i] = (tallest - zs.size()) / 2.0 + r;
      }
      ++col;
    }
  }
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  for (size_t i = 0; i < n; ++i) {
    x0 = i ? std::min(x0, box[i].x) : box[i].x;
    y0 = i ? std::min(y0, box[i].y) : box[i].y;
    x1 = i ? std::max(x1, box[i].x + box[i].w) : box[i].x + box[i].w;
    y1 = i ? std::max(y1, box[i].y + box[i].h) : box[i].y + box[i].h;
  }
  // Shift everything so the map starts below the header.
  const double dx = kMargin - x0, dy = kHeader + kMargin - y0;
  for (auto& bx : box) bx.x += dx, bx.y += dy;
  auto centre = [&](size_t z) { return Pt{box[z].x + box[z].w / 2, box[z].y + box[z].h / 2}; };

  // Passages: parallel ones between the same two zones are drawn side by side.
  struct Seg {
    bool ok = false;
    size_t from = 0, to = 0;
    Pt a, b;                // clipped to the boxes, from -> to
    Pt side;                // unit vector to the side where the label goes: away from parallel passages
    bool parallel = false;  // shares its two zones with another passage
  };
  std::vector<Seg> seg(s.passages.size());
  {
    std::map<std::pair<size_t, size_t>, std::vector<size_t>> pairs;
    for (size_t i = 0; i < s.passages.size(); ++i) {
      auto f = zi.find(s.passages[i].from), t = zi.find(s.passages[i].to);
      if (f == zi.end() || t == zi.end() || f->second == t->second) continue;
      seg[i].ok = true, seg[i].from = f->second, seg[i].to = t->second;
      pairs[{std::min(f->second, t->second), std::max(f->second, t->second)}].push_back(i);
    }
    for (auto& [key, list] : pairs) {
      Pt ca = centre(key.first), cb = centre(key.second);
      double len = std::hypot(cb.x - ca.x, cb.y - ca.y);
      Pt d = len > 0 ? Pt{(cb.x - ca.x) / len, (cb.y - ca.y) / len} : Pt{1, 0};
      Pt perp{-d.y, d.x};
      for (size_t k = 0; k < list.size(); ++k) {
        double off = (k - (list.size() - 1) / 2.0) * 26;
        Pt oa{ca.x + perp.x * off, ca.y + perp.y * off}, ob{cb.x + perp.x * off, cb.y + perp.y * off};
        Pt a = ExitBox(box[key.first], oa, d), b = ExitBox(box[key.second], ob, Pt{-d.x, -d.y});
        if ((b.x - a.x) * d.x + (b.y - a.y) * d.y <= 0)
          a = oa, b = ob;  // overlapping boxes: centre to centre
        Seg& sg = seg[list[k]];
        if (sg.from == key.first)
          sg.a = a, sg.b = b;
        else
          sg.a = b, sg.b = a;
        sg.parallel = list.size() > 1;
        // Outer passages label outwards; a lone (or middle) one above its line, or right of a vertical one.
        if (off > 0)
          sg.side = perp;
        else if (off < 0)
          sg.side = {-perp.x, -perp.y};
        else
          sg.side = (perp.y > 0 || (perp.y == 0 && perp.x < 0)) ? Pt{-perp.x, -perp.y} : perp;
      }
    }
  }
  std::map<std::string, size_t> pi;
  for (size_t i = 0; i < s.passages.size(); ++i) pi.emplace(s.passages[i].id, i);

  // Route polyline points: zone centres joined through each passage's drawn segment.
  auto route_points = [&](const std::vector<std::string>& zones, const std::vector<std::string>& passages) {
    std::string pts;
    auto add = [&](Pt p) { pts += (pts.empty() ? "" : " ") + Num(p.x) + "," + Num(p.y); };
    for (size_t i = 0; i < zones.size(); ++i) {
      auto z = zi.find(zones[i]);
      if (z == zi.end()) continue;
      add(centre(z->second));
      if (i >= passages.size() || i + 1 >= zones.size()) continue;
      auto p = pi.find(passages[i]);
      if (p == pi.end() || !seg[p->second].ok) continue;
      const Seg& sg = seg[p->second];
      bool forward = s.zones[sg.from].id == zones[i];
      add(forward ? sg.a : sg.b);
      add(forward ? sg.b : sg.a);
    }
    return pts;
  };

  // What the check refused, to outline in red.
  std::set<std::string> bad_zones, bad_passages, bad_devices;
  for (const SiteFinding& f : check.refusals) {
    bad_zones.insert(f.zones.begin(), f.zones.end());
    bad_passages.insert(f.passages.begin(), f.passages.end());
    bad_devices.insert(f.devices.begin(), f.devices.end());
  }

  // The verdict and the lines under the map.
  std::string verdict;
  std::string verdict_colour = "#1b7f3b";
  if (!check.invalid.ok()) {
    verdict = "Verdict: invalid site file: " + check.invalid.message();
    verdict_colour = "#d62828";
  } else if (check.ok) {
    verdict = "Verdict: passes REQ D4 and D6 (" + std::to_string(check.clear_routes.size()) + " clear route" +
              (check.clear_routes.size() == 1 ? "" : "s") + " free of automatic recognition)";
  } else {
    std::set<std::string> reqs;
    for (const SiteFinding& f : check.refusals) reqs.insert(f.requirement);
    verdict = "Verdict: REFUSED, " + std::to_string(check.refusals.size()) + " refusal" +
              (check.refusals.size() == 1 ? "" : "s") + " (REQ " +
              Join(std::vector<std::string>(reqs.begin(), reqs.end())) + ")";
    verdict_colour = "#d62828";
  }
  std::vector<std::pair<std::string, std::string>> notes;  // (text, colour)
  for (const SiteFinding& f : check.refusals) {
    std::string t = "REQ " + f.requirement + ": ";
    if (f.requirement == "D6") {
      std::vector<std::string> cut;
      for (auto& p : f.passages) cut.push_back("passage " + p);
      for (auto& z : f.zones) cut.push_back("zone " + z);
      t += f.entrance + " -> " + f.destination + " only past automatic recognition, cut at " + Join(cut) +
           " (device" + (f.devices.size() == 1 ? " " : "s ") + Join(f.devices) + ")";
    } else {
      t += "device " + Join(f.devices) + " inside forbidden zone " + Join(f.zones);
    }
    notes.push_back({t, "#d62828"});
  }
  for (const std::string& w : check.warnings) notes.push_back({"warning: " + w, "#8a5a00"});

  const double map_bottom = y1 + dy;
  const double notes_top = map_bottom + 36;
  const double legend_top = notes_top + notes.size() * 18 + (notes.empty() ? 0 : 12);
  const double legend_h = 120;
  double width = std::max({x1 + dx + kMargin, 880.0, 2 * kMargin + TextWidth(verdict, 14)});
  for (auto& [t, col] : notes) width = std::max(width, 2 * kMargin + TextWidth(t, 12));
  const double height = legend_top + legend_h + kMargin;

  std::string o;
  o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + Num(width) + "\" height=\"" +
       Num(height) + "\" viewBox=\"0 0 " + Num(width) + " " + Num(height) +
       "\" font-family=\"Helvetica, Arial, sans-serif\">\n";
  o += "<title>" + Esc("Site " + s.id + (s.name.empty() ? "" : " (" + s.name + ")") + ": " + verdict) +
       "</title>\n";
  o += "<rect x=\"0\" y=\"0\" width=\"" + Num(width) + "\" height=\"" + Num(height) +
       "\" fill=\"#ffffff\"/>\n";
  o += "<text x=\"" + Num(kMargin) + "\" y=\"30\" font-size=\"18\" font-weight=\"bold\" fill=\"#1d2b36\">" +
       Esc("Site " + s.id + (s.name.empty() ? "" : ": " + s.name)) + "</text>\n";
  o += "<text id=\"verdict\" x=\"" + Num(kMargin) +
       "\" y=\"54\" font-size=\"14\" font-weight=\"bold\" fill=\"" + verdict_colour + "\">" + Esc(verdict) +
       "</text>\n";

  // Zones: the boxes now; their labels after the routes and passages, which never hide them.
  o += "<g id=\"zones\">\n";
  for (size_t i = 0; i < n; ++i) {
    const SiteZone& z = s.zones[i];
    const SiteZone::Box& bx = box[i];
    const bool forbidden = IsForbiddenZoneType(z.type);
    o += "<g id=\"" + XmlId("zone-", z.id) + "\" class=\"zone" + (forbidden ? " forbidden" : "") + "\">";
    o += "<rect x=\"" + Num(bx.x) + "\" y=\"" + Num(bx.y) + "\" width=\"" + Num(bx.w) + "\" height=\"" +
         Num(bx.h) + "\" rx=\"6\" fill=\"" +
         (forbidden ? "#f3e3f6\" stroke=\"#7b2d8b\" stroke-dasharray=\"7 4\""
                    : "#edf2f7\" stroke=\"#5a6b7b\"") +
         " stroke-width=\"1.5\"/>";
    o += "<title>" + Esc("zone " + z.id + " (" + z.type + ")" + (z.name.empty() ? "" : ": " + z.name)) +
         "</title>";
    o += "</g>\n";
  }
  o += "</g>\n";
  std::string zone_labels = "<g id=\"zone-labels\">\n";
  for (size_t i = 0; i < n; ++i) {
    const SiteZone& z = s.zones[i];
    const SiteZone::Box& bx = box[i];
    const bool forbidden = IsForbiddenZoneType(z.type);
    zone_labels += "<text x=\"" + Num(bx.x + 8) + "\" y=\"" + Num(bx.y + 18) +
                   "\" font-size=\"13\" font-weight=\"bold\" fill=\"#1d2b36\">" +
                   Esc(z.name.empty() ? z.id : z.name) + "</text>";
    zone_labels += "<text x=\"" + Num(bx.x + 8) + "\" y=\"" + Num(bx.y + 33) +
                   "\" font-size=\"10\" fill=\"#52606d\">" +
                   Esc(z.name.empty() ? z.type : z.id + " \xC2\xB7 " + z.type) + "</text>";
    std::vector<std::string> tags;
    if (std::find(s.entrances.begin(), s.entrances.end(), z.id) != s.entrances.end())
      tags.push_back("ENTRANCE");
    if (std::find(s.destinations.begin(), s.destinations.end(), z.id) != s.destinations.end())
      tags.push_back("DESTINATION");
    if (forbidden) tags.push_back("NO DEVICES (D4)");
    // The tags on the bottom line, or one a line upwards when they do not fit the width.
    std::vector<std::string> lines{Join(tags, " \xC2\xB7 ")};
    if (TextWidth(lines[0], 9) * 1.1 > bx.w - 14) lines.assign(tags.rbegin(), tags.rend());
    for (size_t k = 0; !tags.empty() && k < lines.size(); ++k)
      zone_labels += "<text x=\"" + Num(bx.x + 8) + "\" y=\"" + Num(bx.y + bx.h - 8 - 11.0 * k) +
                     "\" font-size=\"9\" font-weight=\"bold\" fill=\"" + (forbidden ? "#7b2d8b" : "#2b6cb0") +
                     "\">" + Esc(lines[k]) + "</text>";
    zone_labels += "\n";
  }
  zone_labels += "</g>\n";

  // Refused passages under their lines, clear and offending routes.
  o += "<g id=\"refused-passages\">\n";
  for (size_t i = 0; i < s.passages.size(); ++i)
    if (seg[i].ok && bad_passages.count(s.passages[i].id))
      o += "<line x1=\"" + Num(seg[i].a.x) + "\" y1=\"" + Num(seg[i].a.y) + "\" x2=\"" + Num(seg[i].b.x) +
           "\" y2=\"" + Num(seg[i].b.y) +
           "\" stroke=\"#d62828\" stroke-width=\"9\" stroke-opacity=\"0.55\"/>\n";
  o += "</g>\n<g id=\"clear-routes\">\n";
  for (const SiteRoute& r : check.clear_routes)
    o += "<polyline class=\"clear-route\" points=\"" + route_points(r.zones, r.passages) +
         "\" fill=\"none\" stroke=\"#2ecc71\" stroke-width=\"12\" stroke-opacity=\"0.4\" "
         "stroke-linejoin=\"round\" "
         "stroke-linecap=\"round\"><title>" +
         Esc("clear route " + r.entrance + " -> " + r.destination) + "</title></polyline>\n";
  o += "</g>\n<g id=\"offending-routes\">\n";
  for (const SiteFinding& f : check.refusals)
    if (f.requirement == "D6" && !f.route_zones.empty())
      o +=
          "<polyline class=\"offending-route\" points=\"" + route_points(f.route_zones, f.route_passages) +
          "\" fill=\"none\" stroke=\"#d62828\" stroke-width=\"3\" stroke-dasharray=\"9 5\" "
          "stroke-opacity=\"0.85\" "
          "stroke-linejoin=\"round\"><title>" +
          Esc("the only way from " + f.entrance + " to " + f.destination + " crosses automatic recognition") +
          "</title></polyline>\n";
  o += "</g>\n";

  // Passages: a line, an arrowhead when one-way, the id on a light label.
  o += "<g id=\"passages\">\n";
  for (size_t i = 0; i < s.passages.size(); ++i) {
    if (!seg[i].ok) continue;
    const SitePassage& p = s.passages[i];
    const Seg& sg = seg[i];
    o += "<g id=\"" + XmlId("passage-", p.id) + "\" class=\"passage" + (p.one_way ? " one-way" : "") + "\">";
    o += "<line x1=\"" + Num(sg.a.x) + "\" y1=\"" + Num(sg.a.y) + "\" x2=\"" + Num(sg.b.x) + "\" y2=\"" +
         Num(sg.b.y) + "\" stroke=\"#34495e\" stroke-width=\"2.5\"/>";
    double len = std::hypot(sg.b.x - sg.a.x, sg.b.y - sg.a.y);
    Pt d = len > 0 ? Pt{(sg.b.x - sg.a.x) / len, (sg.b.y - sg.a.y) / len} : Pt{1, 0};
    Pt perp{-d.y, d.x};
    if (p.one_way) {
      Pt tip{sg.a.x + d.x * len * 0.8, sg.a.y + d.y * len * 0.8};
      Pt l{tip.x - d.x * 12 + perp.x * 6, tip.y - d.y * 12 + perp.y * 6};
      Pt r{tip.x - d.x * 12 - perp.x * 6, tip.y - d.y * 12 - perp.y * 6};
      o += "<polygon points=\"" + Num(tip.x) + "," + Num(tip.y) + " " + Num(l.x) + "," + Num(l.y) + " " +
           Num(r.x) + "," + Num(r.y) + "\" fill=\"#34495e\"/>";
    }
    // The label sits beside the line's middle (the device markers go on the line itself).
    Pt mid{(sg.a.x + sg.b.x) / 2, (sg.a.y + sg.b.y) / 2};
    Pt at{mid.x + sg.side.x * 20, mid.y + sg.side.y * 20};
    std::string label = p.id + (p.one_way ? " (one-way)" : "");
    double tw = TextWidth(label, 10);
    o += "<rect x=\"" + Num(at.x - tw / 2 - 3) + "\" y=\"" + Num(at.y - 9) + "\" width=\"" + Num(tw + 6) +
         "\" height=\"13\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.85\"/>";
    o += "<text x=\"" + Num(at.x) + "\" y=\"" + Num(at.y + 1) +
         "\" font-size=\"10\" text-anchor=\"middle\" "
         "fill=\"#34495e\">" +
         Esc(label) + "</text>";
    o += "<title>" +
         Esc("passage " + p.id + (p.name.empty() ? "" : " (" + p.name + ")") + ": " + p.from +
             (p.one_way ? " -> " : " <-> ") + p.to) +
         "</title>";
    o += "</g>\n";
  }
  o += "</g>\n";

  o += zone_labels;

  // Device markers: on the middle of their passage, or along the top right of their zone.
  o += "<g id=\"devices\">\n";
  std::map<std::string, int> placed;  // zone or passage id -> devices drawn there
  for (const SiteDevice& dev : s.devices) {
    Pt at;
    if (!dev.passage.empty()) {
      auto p = pi.find(dev.passage);
      if (p == pi.end() || !seg[p->second].ok) continue;
      const Seg& sg = seg[p->second];
      int k = placed[dev.passage]++;
      double len = std::hypot(sg.b.x - sg.a.x, sg.b.y - sg.a.y);
      Pt d = len > 0 ? Pt{(sg.b.x - sg.a.x) / len, (sg.b.y - sg.a.y) / len} : Pt{1, 0};
      at = {(sg.a.x + sg.b.x) / 2 + d.x * 28 * k, (sg.a.y + sg.b.y) / 2 + d.y * 28 * k};
    } else {
      auto z = zi.find(dev.zone);
      if (z == zi.end()) continue;
      int k = placed[dev.zone]++;
      at = {box[z->second].x + box[z->second].w - 16 - 34 * k, box[z->second].y + 18};
    }
    const bool automatic = dev.mode == kAutomatic;
    o += "<g id=\"" + XmlId("device-", dev.id) + "\" class=\"device " +
         (automatic ? "automatic" : "triggered") + "\">";
    if (bad_devices.count(dev.id))
      o += "<circle cx=\"" + Num(at.x) + "\" cy=\"" + Num(at.y) +
           "\" r=\"16\" fill=\"none\" stroke=\"#d62828\" "
           "stroke-width=\"3\"/>";
    if (automatic)
      o += "<circle cx=\"" + Num(at.x) + "\" cy=\"" + Num(at.y) +
           "\" r=\"10\" fill=\"#d62828\"/>"
           "<text x=\"" +
           Num(at.x) + "\" y=\"" + Num(at.y + 4) +
           "\" font-size=\"11\" font-weight=\"bold\" "
           "text-anchor=\"middle\" fill=\"#ffffff\">A</text>";
    else
      o += "<rect x=\"" + Num(at.x - 9) + "\" y=\"" + Num(at.y - 9) +
           "\" width=\"18\" height=\"18\" fill=\"#ffffff\" "
           "stroke=\"#1b7f3b\" stroke-width=\"2.5\"/>"
           "<text x=\"" +
           Num(at.x) + "\" y=\"" + Num(at.y + 4) +
           "\" font-size=\"11\" font-weight=\"bold\" "
           "text-anchor=\"middle\" fill=\"#1b7f3b\">T</text>";
    // The device's id: under a zone's marker; beside a passage's, away from the passage label.
    Pt id_at{at.x, at.y + 22};
    std::string anchor = "middle";
    if (!dev.passage.empty()) {
      const Seg& sg = seg[pi.at(dev.passage)];
      id_at = {at.x - sg.side.x * 19, at.y - sg.side.y * 19 + 3};
      if (std::fabs(sg.side.x) > std::fabs(sg.side.y))  // a mostly vertical line: the id beside it
        id_at = {at.x - sg.side.x * 14, at.y + 3}, anchor = sg.side.x > 0 ? "end" : "start";
      if (sg.parallel) id_at = {at.x + 13, at.y + (sg.side.y > 0 ? -7 : 15)}, anchor = "start";
    }
    const double tw = TextWidth(dev.id, 9);
    const double bx0 = anchor == "start" ? id_at.x - 2
                       : anchor == "end" ? id_at.x - tw - 2
                                         : id_at.x - tw / 2 - 2;
    o += "<rect x=\"" + Num(bx0) + "\" y=\"" + Num(id_at.y - 8) + "\" width=\"" + Num(tw + 4) +
         "\" height=\"11\" fill=\"#ffffff\" fill-opacity=\"0.8\"/>";
    o += "<text x=\"" + Num(id_at.x) + "\" y=\"" + Num(id_at.y) + "\" font-size=\"9\" text-anchor=\"" +
         anchor + "\" fill=\"#1d2b36\">" + Esc(dev.id) + "</text>";
    o += "<title>" +
         Esc("device " + dev.id + " (" + dev.mode + ")" +
             (dev.signage.empty() ? "" : ", signage: " + dev.signage)) +
         "</title>";
    o += "</g>\n";
  }
  o += "</g>\n";

  // Refused zones outlined in red, above everything in the map.
  o += "<g id=\"refused-zones\">\n";
  for (size_t i = 0; i < n; ++i)
    if (bad_zones.count(s.zones[i].id))
      o += "<rect x=\"" + Num(box[i].x - 4) + "\" y=\"" + Num(box[i].y - 4) + "\" width=\"" +
           Num(box[i].w + 8) + "\" height=\"" + Num(box[i].h + 8) +
           "\" rx=\"8\" fill=\"none\" stroke=\"#d62828\" stroke-width=\"4\"/>\n";
  o += "</g>\n";

  // Refusals and warnings, one line each.
  o += "<g id=\"notes\">\n";
  for (size_t i = 0; i < notes.size(); ++i)
    o += "<text x=\"" + Num(kMargin) + "\" y=\"" + Num(notes_top + i * 18) + "\" font-size=\"12\" fill=\"" +
         notes[i].second + "\">" + Esc(notes[i].first) + "</text>\n";
  o += "</g>\n";

  // Legend: three columns of samples.
  o += "<g id=\"legend\">\n";
  o += "<rect x=\"" + Num(kMargin) + "\" y=\"" + Num(legend_top) + "\" width=\"" + Num(width - 2 * kMargin) +
       "\" height=\"" + Num(legend_h) + "\" rx=\"6\" fill=\"#fafafa\" stroke=\"#c5cdd5\"/>\n";
  o += "<text x=\"" + Num(kMargin + 10) + "\" y=\"" + Num(legend_top + 18) +
       "\" font-size=\"12\" font-weight=\"bold\" fill=\"#1d2b36\">Legend</text>\n";
  auto item = [&](int col, int row, const std::string& sample, const std::string& text) {
    double x = kMargin + 14 + col * 250, y = legend_top + 40 + row * 26;
    std::string s2 = sample;
    for (const char* key : {"@X", "@Y"}) {  // sample coordinates relative to the item
      size_t pos;
      while ((pos = s2.find(key)) != std::string::npos) {
        size_t end = s2.find('@', pos + 2);
        double v = std::stod(s2.substr(pos + 2, end - pos - 2));
        s2.replace(pos, end - pos + 1, Num((key[1] == 'X' ? x : y) + v));
      }
    }
    o += "<g class=\"legend-item\">" + s2 + "<text x=\"" + Num(x + 40) + "\" y=\"" + Num(y + 4) +
         "\" font-size=\"11\" fill=\"#1d2b36\">" + Esc(text) + "</text></g>\n";
  };
  item(0, 0,
       "<rect x=\"@X0@\" y=\"@Y-8@\" width=\"30\" height=\"16\" rx=\"3\" fill=\"#edf2f7\" "
       "stroke=\"#5a6b7b\"/>",
       "zone");
  item(0, 1,
       "<rect x=\"@X0@\" y=\"@Y-8@\" width=\"30\" height=\"16\" rx=\"3\" fill=\"#f3e3f6\" stroke=\"#7b2d8b\" "
       "stroke-dasharray=\"7 4\"/>",
       "no devices allowed (D4)");
  item(0, 2,
       "<line x1=\"@X0@\" y1=\"@Y0@\" x2=\"@X30@\" y2=\"@Y0@\" stroke=\"#34495e\" stroke-width=\"2.5\"/>",
       "passage");
  item(1, 0,
       "<circle cx=\"@X15@\" cy=\"@Y0@\" r=\"10\" fill=\"#d62828\"/><text x=\"@X15@\" y=\"@Y4@\" "
       "font-size=\"11\" "
       "font-weight=\"bold\" text-anchor=\"middle\" fill=\"#ffffff\">A</text>",
       "automatic device");
  item(1, 1,
       "<rect x=\"@X6@\" y=\"@Y-9@\" width=\"18\" height=\"18\" fill=\"#ffffff\" stroke=\"#1b7f3b\" "
       "stroke-width=\"2.5\"/><text x=\"@X15@\" y=\"@Y4@\" font-size=\"11\" font-weight=\"bold\" "
       "text-anchor=\"middle\" fill=\"#1b7f3b\">T</text>",
       "triggered device (blocks nothing)");
  item(1, 2,
       "<line x1=\"@X0@\" y1=\"@Y0@\" x2=\"@X30@\" y2=\"@Y0@\" stroke=\"#34495e\" stroke-width=\"2.5\"/>"
       "<polygon points=\"@X30@,@Y0@ @X20@,@Y-5@ @X20@,@Y5@\" fill=\"#34495e\"/>",
       "one-way passage");
  item(2, 0,
       "<line x1=\"@X0@\" y1=\"@Y0@\" x2=\"@X30@\" y2=\"@Y0@\" stroke=\"#2ecc71\" stroke-width=\"12\" "
       "stroke-opacity=\"0.4\"/>",
       "clear route (D6)");
  item(2, 1,
       "<rect x=\"@X0@\" y=\"@Y-8@\" width=\"30\" height=\"16\" rx=\"3\" fill=\"none\" stroke=\"#d62828\" "
       "stroke-width=\"3\"/>",
       "refused element");
  item(2, 2,
       "<line x1=\"@X0@\" y1=\"@Y0@\" x2=\"@X30@\" y2=\"@Y0@\" stroke=\"#d62828\" stroke-width=\"3\" "
       "stroke-dasharray=\"9 5\"/>",
       "only way, past automatic recognition");
  o += "</g>\n</svg>\n";
  return o;
}
}  // namespace facegate::policy
