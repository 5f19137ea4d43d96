#include "cli/site_commands.h"

#include <fstream>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "policy/rules.h"
#include "policy/site.h"
#include "service/json_views.h"

namespace facegate::cli {

namespace {

using policy::Site;
using policy::SiteCheck;

// "street > [main-door] > lobby": a route as people read it.
std::string RouteText(const std::vector<std::string>& zones, const std::vector<std::string>& passages) {
  std::string out;
  for (size_t i = 0; i < zones.size(); ++i) {
    if (i) out += " > [" + (i - 1 < passages.size() ? passages[i - 1] : std::string("?")) + "] > ";
    out += zones[i];
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// "passage" or "passages" for n of them.
std::string Plural(size_t n, const std::string& word) {
  return n == 1 ? word : word + "s";
}

// "3 zones", "1 device".
std::string CountOf(size_t n, const std::string& word) {
  return std::to_string(n) + " " + Plural(n, word);
}

std::string Title(const Site& s) {
  return "site " + s.id + (s.name.empty() ? "" : " (" + s.name + ")");
}

std::string Verdict(const SiteCheck& c) {
  if (c.ok) return "passes REQ D4 and D6";
  return "REFUSED (" + CountOf(c.refusals.size(), "refusal") + ")";
}

std::string CheckText(const Site& s, const SiteCheck& c) {
  std::string t = Title(s) + ": " + Verdict(c) + "\n";
  t += "  " + CountOf(s.zones.size(), "zone") + ", " + CountOf(s.passages.size(), "passage") + ", " +
       CountOf(s.devices.size(), "device") + "; " + CountOf(s.entrances.size(), "entrance") + ", " +
       CountOf(s.destinations.size(), "destination") + "\n";
  for (const auto& f : c.refusals) {
    const policy::Rule* rule = policy::FindRule(f.requirement);
    t += "  refused (REQ " + f.requirement +
         (rule ? ": " + rule->title + (rule->citation.empty() ? "" : "; " + rule->citation) : "") + ")\n";
    t += "    " + f.message + "\n";
    std::vector<std::string> at;
    if (!f.passages.empty()) at.push_back(Plural(f.passages.size(), "passage") + " " + Join(f.passages));
    if (!f.zones.empty()) at.push_back(Plural(f.zones.size(), "zone") + " " + Join(f.zones));
    if (!f.devices.empty()) at.push_back(Plural(f.devices.size(), "device") + " " + Join(f.devices));
    t += "    " + std::string(f.requirement == "D6" ? "cut at: " : "at: ") + Join(at, "; ") + "\n";
  }
  if (c.clear_routes.empty()) {
    t += "  no clear route\n";
  } else {
    t += "  clear routes (free of automatic recognition):\n";
    for (const auto& r : c.clear_routes)
      t += "    " + r.entrance + " -> " + r.destination + ": " + RouteText(r.zones, r.passages) + "\n";
  }
  for (const auto& w : c.warnings) t += "  warning: " + w + "\n";
  return t.substr(0, t.size() - 1);
}

// The option values of `site`: CLI11 fills them, the callbacks read them.
struct SiteCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);
  // Reads and parses the site file; reports and returns false when it cannot.
  bool Load(Site* out);

  std::string file, out, id;
};

bool SiteCommands::Load(Site* site) {
  auto text = ReadFile(file);
  if (!text.ok()) {
    rc = Report(ctx, text.status());
    return false;
  }
  auto parsed = policy::ParseSite(*text);
  if (!parsed.ok()) {
    rc = Report(ctx, Status::InvalidInput(file + ": " + parsed.status().message()));
    return false;
  }
  *site = std::move(parsed).value();
  return true;
}

void SiteCommands::Add(CLI::App& app) {
  auto* site = app.add_subcommand(
      "site",
      "site files: the zones, passages, entrances, destinations and recognition devices of a place, checked "
      "without a database (docs/sites.md). REQ D4: no device in hotel rooms, bathhouses, changing rooms or "
      "toilets. REQ D6: every entrance reaches every destination on a route free of automatic devices");
  site->require_subcommand(1);

  auto* check = site->add_subcommand(
      "check",
      "check a site file: exit 0 with the clear routes found; exit 3 naming each refusal (REQ D4: a device "
      "inside a forbidden zone; REQ D6: a destination reachable only past an automatic device, with the "
      "passages/zones that cut every clear route and the way that exists); exit 2 for an invalid file; "
      "--json prints the whole check (refusals, warnings, clear routes)");
  check->add_option("site", file, "the site file (JSON, docs/sites.md), e.g. examples/site-office.json")
      ->required();
  check->callback([&] {
    Site s;
    if (!Load(&s)) return;
    SiteCheck c = policy::CheckSite(s);
    Print(ctx, service::SiteCheckJson(s, c), CheckText(s, c));
    rc = c.ok ? kExitOk : kExitRefused;
  });

  auto* map = site->add_subcommand(
      "map",
      "draw a site file as a self-contained SVG: zones, passages, device markers (automatic: red disc A; "
      "triggered: green square T), clear routes in green, refused elements in red, legend and verdict. "
      "Written also when the check refuses the site (the map shows why); exit 0 when written, 2 on bad "
      "input");
  map->add_option("site", file, "the site file (JSON, docs/sites.md)")->required();
  map->add_option("-o,--out", out, "where to write the SVG, e.g. map.svg")->required();
  map->callback([&] {
    Site s;
    if (!Load(&s)) return;
    SiteCheck c = policy::CheckSite(s);
    const std::string svg = policy::SiteMapSvg(s, c);
    {
      std::ofstream f(out, std::ios::binary | std::ios::trunc);
      f << svg;
      f.close();
      if (!f) {
        rc = Report(ctx, Status::InvalidInput("cannot write " + out +
                                              ": check that its folder exists and is writable"));
        return;
      }
    }
    rc = Print(ctx,
               {{"ok", true},
                {"written", out},
                {"site", s.id},
                {"check_ok", c.ok},
                {"refusals", c.refusals.size()},
                {"devices", s.devices.size()},
                {"bytes", svg.size()}},
               "wrote the map of " + Title(s) + " to " + out + " (check: " + Verdict(c) + ")");
  });

  // The registered sites: stored with their check, which counts the devices registered on them.
  auto* reg = site->add_subcommand(
      "register",
      "store a site file (or replace it by id) with its check, so devices can be placed on it (facegate device "
      "register --site); a device goes live only while its site passes. Replacing a site that has live "
      "devices with a file that fails the check is refused (REQ D4, D6)");
  reg->add_option("site", file, "the site file (JSON, docs/sites.md)")->required();
  reg->callback([&] {
    auto text = ReadFile(file);
    if (!text.ok()) { rc = Report(ctx, text.status()); return; }
    if (!open()) return;
    auto r = ctx.svc->RegisterSite(*text, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"site", service::SiteJson(*r, false)}},
               "site " + r->id + " registered; its check " +
                   (r->check_ok ? std::string("passes") : "refuses it: no device on it goes live until it passes") +
                   " (facegate site show " + r->id + ")");
  });
  auto* list = site->add_subcommand("list", "the registered sites and whether each passes its check");
  list->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListSites();
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json items = json::array();
    std::string text;
    for (const SiteRecord& x : *r) {
      items.push_back(service::SiteJson(x, false));
      text += x.id + "  " + (x.check_ok ? "passes" : "REFUSED") + "  " + x.name + "\n";
    }
    if (r->empty()) text = "no sites registered (facegate site register SITE.json)\n";
    rc = Print(ctx, {{"ok", true}, {"items", items}}, text.substr(0, text.size() - 1));
  });
  auto* show = site->add_subcommand(
      "show", "a registered site's check now, with the devices registered on it; exit 3 when it refuses; -o "
              "writes its map");
  show->add_option("id", id, "site id")->required();
  show->add_option("-o,--out", out, "write the map (SVG) here too");
  show->callback([&] {
    if (!open()) return;
    bool ok = false;
    auto report = ctx.svc->CheckSiteNow(id, &ok);
    if (!report.ok()) { rc = Report(ctx, report.status()); return; }
    if (!out.empty()) {
      auto svg = ctx.svc->SiteMap(id);
      if (!svg.ok()) { rc = Report(ctx, svg.status()); return; }
      std::ofstream f(out, std::ios::binary | std::ios::trunc);
      f << *svg;
      f.close();
      if (!f) {
        rc = Report(ctx, Status::InvalidInput("cannot write " + out + ": check that its folder exists and is writable"));
        return;
      }
    }
    const json j = json::parse(*report);
    std::string text = "site " + id + ": " + (ok ? std::string("passes REQ D4 and D6") : "REFUSED");
    for (const auto& r : j["refusals"])
      text += "\n  refused (REQ " + r.value("requirement", "") + "): " + r.value("message", "");
    for (const auto& w : j["warnings"]) text += "\n  warning: " + w.get<std::string>();
    if (!out.empty()) text += "\n  map written to " + out;
    Print(ctx, j, text);
    rc = ok ? kExitOk : kExitRefused;
  });
}

}  // namespace

void AddSiteCommands(CLI::App& app, Cli& cli) {
  AddFamily<SiteCommands>(app, cli);
}

}  // namespace facegate::cli
