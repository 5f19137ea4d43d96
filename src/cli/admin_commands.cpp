#include "cli/admin_commands.h"

#include "cli/cli_util.h"

#include "nn/model_files.h"
#include "policy/rules.h"
#include "server/server.h"
#include "service/json_views.h"
#include "store/fs_util.h"

#include <pthread.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace facegate::cli {

using service::FormatTime;

namespace {

// `retention` has no option values; its callback needs only the table's state.
struct RetentionCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);
};

void RetentionCommands::Add(CLI::App& app) {
  // retention sweep
  auto* retention = app.add_subcommand("retention", "retention of templates (REQ S5, S7)");
  retention->require_subcommand(1);
  auto* sweep = retention->add_subcommand("sweep", "delete every expired template and shred keys left unused; delete records that ended "
                                            "(consents, requests, transactions) and prune the audit log past their keeping (REQ S5)");
  sweep->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->SweepRetention(ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, service::SweepJson(*r), service::SweepText(*r));
  });
}

// The option values of `rules` and `models`: CLI11 fills them, the callbacks read them.
struct RulesCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  std::string rule_id;
};

void RulesCommands::Add(CLI::App& app) {
  // rules
  auto* rules = app.add_subcommand("rules", "the requirements facegate enforces, with their legal citations");
  rules->add_option("id", rule_id, "one requirement id, e.g. C1");
  rules->callback([&] {
    json arr = json::array();
    std::string human;
    for (const policy::Rule& r : policy::Rules()) {
      if (!rule_id.empty() && r.id != rule_id) continue;
      arr.push_back({{"id", r.id}, {"title", r.title}, {"citation", r.citation}});
      human += r.id + "\t" + r.title + (r.citation.empty() ? "" : " (" + r.citation + ")") + "\n";
    }
    if (arr.empty()) { rc = Report(ctx, Status::NotFound("no requirement '" + rule_id + "'; run 'facegate rules' for the list")); return; }
    rc = Print(ctx, arr, human.substr(0, human.size() - 1));
  });

  // models verify
  auto* models = app.add_subcommand("models", "the pinned model files (models.lock)");
  models->require_subcommand(1);
  auto* mv = models->add_subcommand("verify", "check every pinned model file's sha256 in the model cache");
  mv->callback([&] {
    service::Config cfg = service::DefaultConfig();
    auto files = nn::ModelFiles::Open(cfg.model_dir, cfg.lock_file);
    if (!files.ok()) { rc = Report(ctx, files.status()); return; }
    json arr = json::array();
    std::string human;
    Status worst;
    for (const auto& [pkg, path] : files->Pinned()) {
      auto r = files->Read(pkg, path);
      arr.push_back({{"package", pkg}, {"path", path}, {"ok", r.ok()}, {"message", r.ok() ? "" : r.status().message()}});
      human += std::string(r.ok() ? "ok      " : "FAILED  ") + pkg + "/" + path + (r.ok() ? "" : ": " + r.status().message()) + "\n";
      if (!r.ok() && worst.ok()) worst = r.status();
    }
    Print(ctx, json{{"ok", worst.ok()}, {"model_dir", cfg.model_dir}, {"files", arr}},
          human + (worst.ok() ? "all model files match models.lock" : "some model files differ from models.lock"));
    rc = worst.ok() ? kExitOk : ExitCode(worst);
  });
}

// The option values of `serve` and `apikey`: CLI11 fills them, the callbacks read them.
struct ServeCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);
  std::unique_ptr<server::ApiKeyStore> OpenKeys();

  struct {
    std::string listen = "127.0.0.1:8080", cert, key, role, device, web;
    bool no_web = false;
    std::vector<std::string> purposes;
    int threads = 32;  // connections; face work is bounded separately by the cores
    int sweep_every = 300;
    double rate = 20;
  } sv;
  std::string k_id;
};

// Keys live with the data: apikeys.db next to facegate.db, or the shared PostgreSQL
// database's api_keys table when the nodes share one (this home's keys copied in).
std::unique_ptr<server::ApiKeyStore> ServeCommands::OpenKeys() {
  const service::Config& cfg = ctx.svc->config();
  const std::string local = cfg.data_dir + "/apikeys.db";
  auto k = cfg.database.empty() ? server::ApiKeyStore::Open(local)
                                : server::ApiKeyStore::OpenPostgres(cfg.database, local);
  if (!k.ok()) { rc = Report(ctx, k.status()); return nullptr; }
  return std::move(k).value();
}

void ServeCommands::Add(CLI::App& app) {
  // serve / apikey (REST API, docs/api.md)
  auto* serve = app.add_subcommand("serve", "serve the HTTP/JSON API under /v1/ (docs/api.md); with --tenant NAME one tenant only, its own keys and data (several tenants: one serve each, docs/tenants.md)");
  serve->add_option("--listen", sv.listen, "host:port to listen on");
  serve->add_option("--web", sv.web,
                    "directory of the built kiosk and console pages (default: web/ next to this "
                    "binary; docs/ui.md)");
  serve->add_flag("--no-web", sv.no_web, "serve the API only, no pages");
  serve->add_option("--cert", sv.cert, "TLS certificate (PEM); with --key serves HTTPS");
  serve->add_option("--key", sv.key, "TLS private key (PEM)");
  serve->add_option("--threads", sv.threads, "connection threads (face work runs on at most one per core)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve->add_option("--sweep-every", sv.sweep_every, "seconds between retention sweeps (REQ S5)")->check(CLI::Range(1, 86400));
  serve->add_option("--rate", sv.rate, "requests per second per API key (burst: twice that; 0: unlimited)");
  serve->callback([&] {
    if (!open()) return;
    auto keys = OpenKeys();
    if (!keys) return;
    auto where = server::ParseListen(sv.listen);
    if (!where.ok()) { rc = Report(ctx, where.status()); return; }
    server::ServerConfig sc;
    std::tie(sc.host, sc.port) = *where;
    sc.cert_file = sv.cert;
    sc.key_file = sv.key;
    sc.threads = sv.threads;
    if (!sv.no_web) {
      sc.web_root = sv.web;
      if (sc.web_root.empty()) {  // the pages built beside this binary (<build>/web)
        std::error_code ec;
        auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
        if (!ec) sc.web_root = (exe.parent_path() / "web").string();
        if (ec || !std::filesystem::exists(sc.web_root + "/kiosk/index.html")) {
          std::cerr << "note: no built pages beside the binary (" << sc.web_root
                    << "); serving the API only. Build them with `cmake --build build --target web` "
                       "or give --web DIR (docs/ui.md)."
                    << std::endl;
          sc.web_root.clear();
        }
      }
    }
    sc.rate_per_second = sv.rate;
    sc.rate_burst = 2 * sv.rate;
    auto admins = keys->CountActive(server::Role::kAdmin);
    if (!admins.ok()) { rc = Report(ctx, admins.status()); return; }
    if (*admins == 0) {  // first start: one admin key, shown once
      auto k = keys->Create(server::Role::kAdmin, "", {}, static_cast<UnixTime>(std::time(nullptr)));
      if (!k.ok()) { rc = Report(ctx, k.status()); return; }
      std::cout << "No API key existed: created admin key " << k->key.id << " (shown only now, store it):\n  "
                << k->secret << "\n";
    }
    // Block SIGINT/SIGTERM before the server's threads start; this thread waits for them.
    std::signal(SIGINT, SIG_DFL);  // a shell may start background jobs with SIGINT ignored
    std::signal(SIGTERM, SIG_DFL);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    auto s = server::Server::Create(*ctx.svc, *keys, sc);
    if (!s.ok()) { rc = Report(ctx, s.status()); return; }
    Status st = (*s)->Start();
    if (!st.ok()) { rc = Report(ctx, st); return; }
    // Face data and API keys in clear text over a network: say so, loudly (docs/api.md, TLS).
    const bool loopback = sc.host == "127.0.0.1" || sc.host == "::1" || sc.host == "localhost" ||
                          sc.host.rfind("127.", 0) == 0;
    if (sc.cert_file.empty() && !loopback)
      std::cerr << "WARNING: serving plain HTTP on " << sc.host << ", a non-loopback address: photos, "
                << "decisions and API keys cross the network unencrypted. Give --cert and --key, or put "
                << "a TLS proxy in front and listen on 127.0.0.1." << std::endl;
    // Signed checkpoints of the audit chain outside the database (docs/security.md).
    auto checkpoint = [&] {
      auto cp = ctx.svc->CheckpointAudit();
      if (!cp.ok())
        std::cerr << "audit checkpoint failed: " << cp.status().ToString() << std::endl;
      else if (cp->written)
        std::cerr << "audit checkpoint " << cp->line << std::endl;
    };
    checkpoint();
    const std::string base = std::string(sc.cert_file.empty() ? "http" : "https") + "://" + sc.host + ":" +
                             std::to_string((*s)->port());
    std::cout << "facegate serving " << base << "/v1/ (data " << ctx.svc->config().data_dir
              << "; Ctrl-C stops)" << std::endl;
    if (!sc.web_root.empty())
      std::cout << "pages: " << base << "/kiosk/ (consent kiosk), " << base
                << "/console/ (operator console); docs/ui.md" << std::endl;
    // The retention sweeper runs here between signals (REQ S5, S7).
    int sig = -1;
    while (sig < 0) {
      struct timespec wait = {std::max(1, sv.sweep_every), 0};
      sig = sigtimedwait(&sigs, nullptr, &wait);
      if (sig < 0 && errno != EAGAIN && errno != EINTR) break;
      if (sig < 0) {
        auto swept = ctx.svc->SweepRetention("sweeper");
        if (!swept.ok())
          std::cerr << "retention sweep failed: " << swept.status().ToString() << std::endl;
        else if (swept->templates_deleted > 0)
          std::cout << "retention sweep: " << swept->templates_deleted << " expired template(s) deleted" << std::endl;
        checkpoint();
      }
    }
    std::cout << "stopping (signal " << sig << ")" << std::endl;
    (*s)->Stop();
    checkpoint();
  });
  auto* apikey = app.add_subcommand("apikey", "API keys for the REST API (stored hashed: in apikeys.db, or in the shared PostgreSQL database with --db)");
  apikey->require_subcommand(1);
  auto* kcreate = apikey->add_subcommand("create", "make a key; the key is printed once and never again");
  kcreate->add_option("--role", sv.role, "admin | operator | auditor | device")->required();
  kcreate->add_option("--device", sv.device, "device keys: the device it belongs to");
  kcreate->add_option("--purpose", sv.purposes, "device keys: a purpose it may act for (repeatable)");
  kcreate->callback([&] {
    if (!open()) return;
    auto keys = OpenKeys();
    if (!keys) return;
    auto role = server::ParseRole(sv.role);
    if (!role) { rc = Report(ctx, Status::InvalidInput("unknown role '" + sv.role + "'; use admin, operator, auditor or device")); return; }
    auto k = keys->Create(*role, sv.device, sv.purposes, static_cast<UnixTime>(std::time(nullptr)));
    if (!k.ok()) { rc = Report(ctx, k.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"id", k->key.id}, {"role", server::ToString(k->key.role)}, {"device", k->key.device},
                     {"purposes", k->key.purposes}, {"key", k->secret}},
               server::ToString(k->key.role) + std::string(" key ") + k->key.id + " (shown only now, store it):\n  " + k->secret);
  });
  auto* klist = apikey->add_subcommand("list", "list keys (ids and roles; secrets are not stored)");
  klist->callback([&] {
    if (!open()) return;
    auto keys = OpenKeys();
    if (!keys) return;
    auto ks = keys->List();
    if (!ks.ok()) { rc = Report(ctx, ks.status()); return; }
    json arr = json::array();
    std::string human;
    for (auto& k : *ks) {
      arr.push_back({{"id", k.id}, {"role", server::ToString(k.role)}, {"device", k.device}, {"purposes", k.purposes},
                     {"created_at", FormatTime(k.created_at)},
                     {"revoked_at", k.revoked_at ? json(FormatTime(*k.revoked_at)) : json(nullptr)}});
      human += k.id + "\t" + server::ToString(k.role) + "\t" + (k.device.empty() ? "-" : k.device) + "\t" +
               (k.revoked_at ? "revoked" : "active") + "\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no API keys" : human.substr(0, human.size() - 1));
  });
  auto* krevoke = apikey->add_subcommand("revoke", "revoke a key by id; it stops working at once");
  krevoke->add_option("id", k_id)->required();
  krevoke->callback([&] {
    if (!open()) return;
    auto keys = OpenKeys();
    if (!keys) return;
    Status st = keys->Revoke(k_id, static_cast<UnixTime>(std::time(nullptr)));
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"id", k_id}, {"revoked", true}}, "API key " + k_id + " revoked");
  });
}

// The option values of `policy`, `disclose` and `backup`: CLI11 fills them, the callbacks read them.
struct AdminCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  std::string pol_name, pol_value;
  std::string ds_subject, ds_purpose, ds_to, ds_key, ds_out;
  std::string bk_file, bk_to;
  TransferBasisRecord tr;
};

void AdminCommands::Add(CLI::App& app) {
  // policy set / show (REQ M2)
  auto* policy_cmd = app.add_subcommand("policy", "policy switches, persisted and audited (REQ M2)");
  policy_cmd->require_subcommand(1);
  auto* pset = policy_cmd->add_subcommand("set", "set a switch: minors-face on|off (off: no face processing under 14)");
  pset->add_option("name", pol_name, "minors-face")->required();
  pset->add_option("value", pol_value, "on | off")->required();
  pset->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->SetPolicy(pol_name, pol_value, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"policy", pol_name}, {"value", pol_value}}, "policy " + pol_name + " = " + pol_value);
  });
  auto* pshow = policy_cmd->add_subcommand("show", "every policy switch and its value");
  pshow->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->Policies();
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = json::object();
    std::string human;
    for (auto& [k, v] : *r) {
      j[k] = v;
      human += k + " = " + v + "\n";
    }
    rc = Print(ctx, j, human.substr(0, human.size() - 1));
  });

  // disclose (REQ C8, P2)
  auto* disclose = app.add_subcommand(
      "disclose", "hand a subject's templates to one named processor, sealed to its key; needs a consent naming it (REQ C8, P2)");
  disclose->add_option("subject", ds_subject)->required();
  disclose->add_option("purpose", ds_purpose)->required();
  disclose->add_option("--to", ds_to, "the recipient named in the disclosure consent (never the public)")->required();
  disclose->add_option("--recipient-key", ds_key, "file with the recipient's X25519 public key (64 hex digits)")->required();
  disclose->add_option("--out", ds_out, "write the sealed package here (default: print it)");
  disclose->callback([&] {
    if (!open()) return;
    auto hex = ReadFile(ds_key);
    if (!hex.ok()) { rc = Report(ctx, hex.status()); return; }
    std::string h;
    for (char ch : *hex) if (!std::isspace(static_cast<unsigned char>(ch))) h += ch;
    std::string key;
    bool good = h.size() == 64;
    for (size_t i = 0; good && i < 64; i += 2) {
      try { key += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)); } catch (...) { good = false; }
      if (good && !std::isxdigit(static_cast<unsigned char>(h[i])) ) good = false;
      if (good && !std::isxdigit(static_cast<unsigned char>(h[i + 1]))) good = false;
    }
    if (!good) { rc = Report(ctx, Status::InvalidInput("--recipient-key " + ds_key + " must hold the recipient's X25519 public key as 64 hex digits")); return; }
    if (!ds_out.empty() && std::filesystem::exists(ds_out)) { rc = Report(ctx, Status::Conflict("output " + ds_out + " exists; give a new file name")); return; }
    auto r = ctx.svc->Disclose(ds_subject, ds_purpose, ds_to, key, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), ds_purpose); return; }
    if (!ds_out.empty()) {
      if (Status w = store::WritePrivateFile(ds_out, r->package + "\n"); !w.ok()) { rc = Report(ctx, w); return; }
    }
    json j = {{"ok", true}, {"recipient", r->recipient}, {"consent_id", r->consent_id}, {"templates", r->templates},
              {"model", r->model}, {"disclosed_at", FormatTime(r->disclosed_at)}};
    if (ds_out.empty()) j["package"] = json::parse(r->package);
    else j["file"] = ds_out;
    rc = Print(ctx, j, ds_out.empty() ? r->package
                                      : std::to_string(r->templates) + " template(s) of " + ds_subject + " sealed for " +
                                            r->recipient + " in " + ds_out + " (consent " + std::to_string(r->consent_id) + ")");
  });

  // backup: a keyless copy of the database (REQ S7; docs/compliance-minors.md)
  auto* backup = app.add_subcommand(
      "backup", "copy the SQLite database without subject keys: what is shredded later stays unreadable in the copy (REQ S7)");
  backup->add_option("file", bk_file, "the backup file to write (never overwritten)")->required();
  backup->add_option("--to", bk_to,
                     "the storage provider it goes to; one abroad (a recorded transfer basis) needs every "
                     "person's separate consent naming it (REQ S8)");
  backup->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->Backup(bk_file, bk_to, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"file", bk_file}, {"subject_keys", "excluded"}},
               "backup written to " + bk_file + " (sealed templates without subject keys: they open only "
               "with a key the live store still holds)");
  });

  // transfer record / list (REQ S8; PIPL 38, 39)
  auto* transfer = app.add_subcommand(
      "transfer", "PIPL 38 mechanisms for recipients outside mainland China: nothing goes abroad without one (REQ S8)");
  transfer->require_subcommand(1);
  auto* trec = transfer->add_subcommand("record", "record (or replace) the mechanism for one recipient abroad");
  trec->add_option("recipient", tr.recipient, "as disclosure consents name it (--to)")->required();
  trec->add_option("--country", tr.country, "ISO 3166-1 alpha-2 of where it processes the data, e.g. SG")->required();
  trec->add_option("--mechanism", tr.mechanism,
                   "security_assessment (CAC) | certification | standard_contract | law_or_treaty (PIPL 38)")
      ->required();
  trec->add_option("--reference", tr.reference, "the assessment, certificate or standard contract filing number")
      ->required();
  trec->add_option("--contact", tr.contact, "the recipient's contact, told to people (PIPL 39)")->required();
  trec->footer(
      "Each person's disclosure consent to this recipient must then name its country, contact and how to\n"
      "exercise rights (consent give --kind disclosure --to R --recipient-country --recipient-contact\n"
      "--recipient-rights); disclose, backup --to and tenant end --return-recipient check both.");
  trec->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->RecordTransferBasis(tr, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"recipient", tr.recipient}, {"country", tr.country}, {"mechanism", tr.mechanism}},
               "transfer basis recorded: " + tr.recipient + " (" + tr.country + "), " + tr.mechanism + " " +
                   tr.reference);
  });
  auto* tlist = transfer->add_subcommand("list", "the recorded mechanisms");
  tlist->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListTransferBases();
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json arr = json::array();
    std::string human;
    for (const TransferBasisRecord& t : *r) {
      arr.push_back({{"recipient", t.recipient}, {"country", t.country}, {"mechanism", t.mechanism},
                     {"reference", t.reference}, {"contact", t.contact}, {"recorded_at", t.recorded_at},
                     {"actor", t.actor}});
      human += t.recipient + "\t" + t.country + "\t" + t.mechanism + "\t" + t.reference + "\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no transfer basis recorded: nothing goes abroad" : human.substr(0, human.size() - 1));
  });
}

}  // namespace

void AddRetentionCommands(CLI::App& app, Cli& cli) { AddFamily<RetentionCommands>(app, cli); }
void AddRulesCommands(CLI::App& app, Cli& cli) { AddFamily<RulesCommands>(app, cli); }
void AddServeCommands(CLI::App& app, Cli& cli) { AddFamily<ServeCommands>(app, cli); }
void AddAdminCommands(CLI::App& app, Cli& cli) { AddFamily<AdminCommands>(app, cli); }

}  // namespace facegate::cli
