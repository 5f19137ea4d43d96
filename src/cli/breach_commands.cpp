#include "cli/breach_commands.h"

#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include "service/json_views.h"
#include "store/fs_util.h"

namespace facegate::cli {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Option values of every breach subcommand; shared by their callbacks.
struct BreachArgs {
  std::string description, cause, harm, measures, advice, contact, from, to, detected;
  std::vector<std::string> kinds, purposes;
  std::string reference, reason, out, format;
  int64_t id = 0;
};

std::string Line(const BreachRecord& b) {
  std::string s = std::to_string(b.id) + "\t" + b.status + "\topened " + service::FormatTime(b.opened_at) +
                  "\twindow " + service::FormatTime(b.window_from) + " - " +
                  service::FormatTime(b.window_to) + "\tkinds ";
  for (size_t i = 0; i < b.kinds.size(); ++i) s += (i ? "," : "") + b.kinds[i];
  if (!b.purposes.empty()) {
    s += "\tpurposes ";
    for (size_t i = 0; i < b.purposes.size(); ++i) s += (i ? "," : "") + b.purposes[i];
  }
  return s;
}

std::string NextLine(const std::vector<std::string>& next, int64_t id) {
  if (next.empty()) return "closed: no further step";
  std::string s = "next: ";
  for (size_t i = 0; i < next.size(); ++i)
    s += (i ? " or " : "") + std::string("facegate breach ") + next[i] + " " + std::to_string(id);
  return s;
}

// A file name made only of safe characters from a subject id.
std::string SafeName(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out;
}

// Breach reports and notices name people: written 0600 (store::WritePrivateFile).
Status WriteFile(const fs::path& p, const std::string& body) { return store::WritePrivateFile(p.string(), body); }

}  // namespace

std::optional<UnixTime> ParseCliTime(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return static_cast<UnixTime>(std::stoll(s));
  std::tm tm{};
  const char* end = nullptr;
  if (s.size() == 10) {
    end = strptime(s.c_str(), "%Y-%m-%d", &tm);
  } else {
    end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end) {
      tm = std::tm{};
      end = strptime(s.c_str(), "%Y-%m-%dT%H:%MZ", &tm);
    }
  }
  if (!end || *end) return std::nullopt;
  return static_cast<UnixTime>(timegm(&tm));
}

void AddBreachCommands(CLI::App& app, BreachCliContext& ctx) {
  auto a = std::make_shared<BreachArgs>();
  auto* breach = app.add_subcommand(
      "breach",
      "breach workflow: record a leak, tampering or loss, compute the affected people and their "
      "data kinds, report to the authority, notify the people or record why not, close "
      "(REQ S9, PIPL 57; docs/breach.md)");
  breach->require_subcommand(1);

  // Prints one breach (with its affected people when given), or the error.
  auto show = [&ctx](const Result<service::BreachView>& v, const std::string& verb) {
    if (!v.ok()) {
      *ctx.rc = ctx.report(v.status());
      return;
    }
    std::string human = verb + ": " + Line(v->breach) + "\n" + std::to_string(v->affected.size()) +
                        " affected";
    for (const BreachAffectedRecord& p : v->affected) {
      human += "\n  " + p.subject + "\t";
      for (size_t i = 0; i < p.kinds.size(); ++i) human += (i ? "," : "") + p.kinds[i];
      if (p.notified_at) human += "\tnotified " + service::FormatTime(*p.notified_at);
    }
    human += "\n" + NextLine(v->next_steps, v->breach.id);
    *ctx.rc = ctx.print(json{{"ok", true}, {"breach", service::BreachViewJson(*v)}}, human);
  };
  auto show_record = [&ctx](const Result<BreachRecord>& b, const std::string& verb) {
    if (!b.ok()) {
      *ctx.rc = ctx.report(b.status());
      return;
    }
    json j = service::BreachRecordJson(*b);
    std::vector<std::string> next = j["next_steps"];
    *ctx.rc = ctx.print(json{{"ok", true}, {"breach", j}},
                        verb + ": " + Line(*b) + "\n" + NextLine(next, b->id));
  };

  std::string kinds;
  for (const std::string& k : service::BreachDataKinds()) kinds += (kinds.empty() ? "" : " | ") + k;
  auto* open = breach->add_subcommand(
      "open", "record a breach with the PIPL 57 contents, the exposure window and the data kinds");
  open->add_option("--description", a->description, "what happened")->required();
  open->add_option("--cause", a->cause, "the cause (\"under investigation\" if not yet known)")->required();
  open->add_option("--harm", a->harm, "the harm it may cause to the people")->required();
  open->add_option("--measures", a->measures, "the remedial measures taken")->required();
  open->add_option("--advice", a->advice, "what the people can do to reduce the harm")->required();
  open->add_option("--contact", a->contact, "the handler's contact for the people and the authority")
      ->required();
  open->add_option("--from", a->from,
                   "start of the window when data may have been exposed: Unix seconds, YYYY-MM-DD or "
                   "YYYY-MM-DDTHH:MM:SSZ (UTC)")
      ->required();
  open->add_option("--to", a->to, "end of that window (now at the latest), same forms")->required();
  open->add_option("--kind", a->kinds, "data kind concerned, repeatable: " + kinds)->required();
  open->add_option("--purpose", a->purposes, "purpose concerned, repeatable (default: every purpose)");
  open->add_option("--detected", a->detected, "when the breach was detected (default: now)");
  open->callback([a, &ctx, show_record] {
    service::BreachInput in;
    auto from = ParseCliTime(a->from), to = ParseCliTime(a->to);
    std::optional<UnixTime> detected = a->detected.empty() ? std::optional<UnixTime>(0)
                                                           : ParseCliTime(a->detected);
    if (!from || !to || !detected) {
      *ctx.rc = ctx.report(Status::InvalidInput(
          "cannot read the time '" + (!from ? a->from : !to ? a->to : a->detected) +
          "': give Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"));
      return;
    }
    service::Service* svc = ctx.open();
    if (!svc) return;
    in.detected_at = *detected;
    in.description = a->description;
    in.cause = a->cause;
    in.harm = a->harm;
    in.measures = a->measures;
    in.individual_advice = a->advice;
    in.contact = a->contact;
    in.window_from = *from;
    in.window_to = *to;
    in.kinds = a->kinds;
    in.purposes = a->purposes;
    show_record(svc->OpenBreach(in, *ctx.actor), "breach recorded");
  });

  auto* assess = breach->add_subcommand(
      "assess", "compute from the store the people affected and which of their data kinds");
  assess->add_option("id", a->id, "breach id")->required();
  assess->callback([a, &ctx, show] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    show(svc->AssessBreach(a->id, *ctx.actor), "assessed");
  });

  auto* sh = breach->add_subcommand("show", "one breach with its affected people (the read is audited)");
  sh->add_option("id", a->id, "breach id")->required();
  sh->callback([a, &ctx, show] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    show(svc->ShowBreach(a->id, *ctx.actor), "breach");
  });

  auto* list = breach->add_subcommand("list", "every breach, newest first, with its status");
  list->callback([&ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto bs = svc->ListBreaches();
    if (!bs.ok()) {
      *ctx.rc = ctx.report(bs.status());
      return;
    }
    json arr = json::array();
    std::string human;
    for (const BreachRecord& b : *bs) {
      arr.push_back(service::BreachRecordJson(b));
      human += Line(b) + "\n";
    }
    if (human.empty()) human = "no breaches\n";
    *ctx.rc = ctx.print(json{{"ok", true}, {"breaches", arr}}, human.substr(0, human.size() - 1));
  });

  // Writes a step's documents to --out DIR, or prints them (JSON with --json or --format json).
  auto emit = [a, &ctx](const service::BreachDocument& doc, const std::string& what, bool people) {
    const bool as_json = a->format == "json" || (a->format.empty() && ctx.as_json());
    if (a->out.empty()) {
      const std::string& body = as_json ? doc.json : doc.markdown;
      std::cout << body << (body.empty() || body.back() == '\n' ? "" : "\n");
      *ctx.rc = 0;
      return;
    }
    std::error_code ec;
    fs::create_directories(a->out, ec);
    const std::string id = std::to_string(doc.breach_id);
    json files = json::array();
    auto write = [&](const std::string& name, const std::string& body) -> bool {
      fs::path p = fs::path(a->out) / name;
      Status st = WriteFile(p, body);
      if (!st.ok()) {
        *ctx.rc = ctx.report(st);
        return false;
      }
      files.push_back(p.string());
      return true;
    };
    if (people) {
      if (!write("breach-" + id + "-notices.json", doc.json)) return;
      for (const auto& [subject, text] : doc.notices)
        if (!write("breach-" + id + "-notice-" + SafeName(subject) + ".md", text)) return;
    } else {
      if (!write("breach-" + id + "-authority-report.json", doc.json)) return;
      if (!write("breach-" + id + "-authority-report.md", doc.markdown)) return;
    }
    *ctx.rc = ctx.print(json{{"ok", true}, {"breach", doc.breach_id}, {"files", files}},
                        what + ": " + std::to_string(files.size()) + " file(s) written to " + a->out);
  };

  auto* auth = breach->add_subcommand(
      "notify-authority",
      "the report to the authority (PIPL 57 contents, people per kind, purposes, window, measures); "
      "records the authority's reference");
  auth->add_option("id", a->id, "breach id")->required();
  auth->add_option("--reference", a->reference, "the authority's case number, or how and when it was filed")
      ->required();
  auth->add_option("--out", a->out, "write breach-ID-authority-report.{json,md} into this folder");
  auth->add_option("--format", a->format, "markdown (default) | json, when printed")
      ->check(CLI::IsMember({"markdown", "json"}));
  auth->callback([a, &ctx, emit] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto doc = svc->NotifyAuthority(a->id, a->reference, *ctx.actor);
    if (!doc.ok()) {
      *ctx.rc = ctx.report(doc.status());
      return;
    }
    emit(*doc, "authority report of breach " + std::to_string(a->id), false);
  });

  auto* ppl = breach->add_subcommand(
      "notify-people",
      "one notice per affected person (Chinese and English): their data kinds involved, what they can "
      "do, the contact; records when");
  ppl->add_option("id", a->id, "breach id")->required();
  ppl->add_option("--out", a->out,
                  "write breach-ID-notices.json and one breach-ID-notice-SUBJECT.md per person into this folder");
  ppl->add_option("--format", a->format, "markdown (default) | json, when printed")
      ->check(CLI::IsMember({"markdown", "json"}));
  ppl->callback([a, &ctx, emit] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto doc = svc->NotifyPeople(a->id, *ctx.actor);
    if (!doc.ok()) {
      *ctx.rc = ctx.report(doc.status());
      return;
    }
    emit(*doc, "notices of breach " + std::to_string(a->id), true);
  });

  auto* no = breach->add_subcommand(
      "no-notify",
      "record the decision not to notify the people because the measures effectively avoid harm "
      "(PIPL 57); the authority may still require notify-people");
  no->add_option("id", a->id, "breach id")->required();
  no->add_option("--reason", a->reason, "how the measures taken effectively avoid harm")->required();
  no->callback([a, &ctx, show_record] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    show_record(svc->DecideNotToNotify(a->id, a->reason, *ctx.actor), "decided not to notify");
  });

  auto* close = breach->add_subcommand(
      "close", "close the breach; its record is deleted after the retention period (REQ S5)");
  close->add_option("id", a->id, "breach id")->required();
  close->callback([a, &ctx, show_record] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    show_record(svc->CloseBreach(a->id, *ctx.actor), "closed");
  });
}

}  // namespace facegate::cli
