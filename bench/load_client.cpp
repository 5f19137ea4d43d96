// Load client for the REST API (issue 6 item 8): verify requests per second and
// p50/p99 latency at several concurrency levels, then an enrolment load whose
// acknowledged writes are all checked afterwards (audit events + a verify of each
// enrolled subject) and the audit chain check. Talks only to the URL it is given
// (bench/load/run.sh starts a private server on 127.0.0.1). Exit code 0 only when
// there were no unexpected answers, no lost writes and the chain is intact.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string admin_key, key;  // admin: setup and audit; key: the load (operator)
  std::string facedata = FACEGATE_FACEDATA;
  std::string purpose = "office-entry";
  int subjects = 16;
  double duration_s = 20;
  std::vector<int> clients = {1, 8, 32};
  int enrol_clients = 8, enrol_per_client = 6;
  int timeout_s = 300;  // client-side: a queued request at 32 clients may wait long
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Person {
  std::string name;
  std::string enrol_jpg, probe_jpg;  // two different photos of one person
};

// LFW people with at least two photos, in name order (deterministic).
std::vector<Person> People(const std::string& facedata, size_t want) {
  std::vector<fs::path> dirs;
  for (auto& e : fs::directory_iterator(fs::path(facedata) / "lfw"))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  std::vector<Person> out;
  for (auto& d : dirs) {
    std::vector<fs::path> jpgs;
    for (auto& f : fs::directory_iterator(d))
      if (f.path().extension() == ".jpg") jpgs.push_back(f.path());
    if (jpgs.size() < 2) continue;
    std::sort(jpgs.begin(), jpgs.end());
    out.push_back({d.filename().string(), ReadFile(jpgs[0]), ReadFile(jpgs[1])});
    if (out.size() == want) break;
  }
  return out;
}

struct Answer {
  int status = -1;  // -1: no HTTP answer (connection error or timeout)
  std::string body;
  double ms = 0;
};

class Api {
 public:
  Api(const Options& o, const std::string& key) : cli_(o.url), key_(key) {
    cli_.set_connection_timeout(10, 0);
    cli_.set_read_timeout(o.timeout_s, 0);
    cli_.set_write_timeout(o.timeout_s, 0);
  }
  Answer Json(const std::string& method, const std::string& path, const json& body = nullptr) {
    httplib::Headers h = {{"Authorization", "Bearer " + key_}};
    auto t0 = Clock::now();
    httplib::Result r =
        method == "GET" ? cli_.Get(path, h)
                        : cli_.Post(path, h, body.is_null() ? "" : body.dump(), "application/json");
    return Done(r, t0);
  }
  Answer Face(const std::string& path, const std::string& subject, const std::string& purpose,
              const std::string& jpg) {
    httplib::Headers h = {{"Authorization", "Bearer " + key_}};
    httplib::MultipartFormDataItems items = {{"subject", subject, "", ""},
                                             {"purpose", purpose, "", ""},
                                             {"image", jpg, "probe.jpg", "image/jpeg"}};
    auto t0 = Clock::now();
    httplib::Result r = cli_.Post(path, h, items);
    return Done(r, t0);
  }

 private:
  static Answer Done(httplib::Result& r, Clock::time_point t0) {
    Answer a;
    a.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (r) {
      a.status = r->status;
      a.body = r->body;
    } else {
      a.body = "no answer: " + httplib::to_string(r.error());
    }
    return a;
  }
  httplib::Client cli_;
  std::string key_;
};

[[noreturn]] void Die(const std::string& what, const Answer& a) {
  std::cerr << "load_client: " << what << " failed: HTTP " << a.status << " " << a.body << "\n";
  std::exit(2);
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string Statuses(const std::map<int, int>& m) {
  std::string s;
  for (auto& [k, n] : m) {
    if (!s.empty()) s += ' ';
    s += std::to_string(k) + "x" + std::to_string(n);
  }
  return s;
}

struct PhaseResult {
  int clients = 0;
  int requests = 0, ok2xx = 0, matches = 0;
  std::map<int, int> statuses;
  double wall_s = 0, p50 = 0, p99 = 0, max = 0;
  std::string first_error;
};

// c threads, each with its own connection, send verifies back to back until the
// deadline; requests started before it are awaited, so wall time is slightly longer.
PhaseResult VerifyPhase(const Options& o, const std::vector<Person>& ppl, int c) {
  PhaseResult res;
  res.clients = c;
  std::mutex mu;
  std::vector<double> lat;
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::duration<double>(o.duration_s);
  std::vector<std::thread> ts;
  for (int t = 0; t < c; ++t)
    ts.emplace_back([&, t] {
      Api api(o, o.key);
      for (size_t i = t; Clock::now() < deadline; i += c) {
        const Person& p = ppl[i % ppl.size()];
        Answer a = api.Face("/v1/verify", p.name, o.purpose, p.probe_jpg);
        bool match = false;
        if (a.status == 200) match = json::parse(a.body, nullptr, false).value("match", false);
        std::lock_guard<std::mutex> l(mu);
        ++res.requests;
        ++res.statuses[a.status];
        if (a.status >= 200 && a.status < 300) {
          ++res.ok2xx;
          lat.push_back(a.ms);
        } else if (res.first_error.empty()) {
          res.first_error = std::to_string(a.status) + " " + a.body.substr(0, 300);
        }
        if (match) ++res.matches;
      }
    });
  for (auto& t : ts) t.join();
  res.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  res.p50 = Percentile(lat, 0.50);
  res.p99 = Percentile(lat, 0.99);
  res.max = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  return res;
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) v.push_back(std::stoi(x));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url")
      o.url = v;
    else if (k == "--admin-key")
      o.admin_key = v;
    else if (k == "--key")
      o.key = v;
    else if (k == "--facedata")
      o.facedata = v;
    else if (k == "--subjects")
      o.subjects = std::stoi(v);
    else if (k == "--duration")
      o.duration_s = std::stod(v);
    else if (k == "--clients")
      o.clients = ParseList(v);
    else if (k == "--enrol-clients")
      o.enrol_clients = std::stoi(v);
    else if (k == "--enrol-per-client")
      o.enrol_per_client = std::stoi(v);
    else {
      std::cerr << "load_client: unknown option " << k
                << "; use --url --admin-key --key --facedata --subjects --duration --clients 1,8,32"
                   " --enrol-clients --enrol-per-client\n";
      return 64;
    }
  }
  if (o.admin_key.empty()) {
    std::cerr << "load_client: --admin-key is required (serve prints it on first start)\n";
    return 64;
  }
  if (o.key.empty()) o.key = o.admin_key;
  const size_t n_enrol = static_cast<size_t>(o.enrol_clients * o.enrol_per_client);
  auto ppl = People(o.facedata, 2 * (o.subjects + n_enrol));  // spares for unusable photos
  if (ppl.size() < o.subjects + n_enrol) {
    std::cerr << "load_client: only " << ppl.size() << " LFW people with two photos under "
              << o.facedata << "/lfw; lower --subjects or the enrolment load\n";
    return 2;
  }

  // ---- setup: purpose, notice, N subjects with consent, enrolled one by one ----
  Api admin(o, o.admin_key), op(o, o.key);
  auto t_setup = Clock::now();
  Answer a = admin.Json("POST", "/v1/purposes",
                        {{"name", o.purpose},
                         {"scenario", "verification"},
                         {"retention_days", 365},
                         {"alternatives", {"staff-card"}}});
  if (a.status != 201 && a.status != 200) Die("POST /v1/purposes", a);
  a = admin.Json(
      "POST", "/v1/purposes/" + o.purpose + "/notices",
      {{"text", ReadFile(fs::path(FACEGATE_SOURCE_DIR) / "examples/notice-office-entry.md")}});
  if (a.status != 201) Die("POST notices", a);
  const int64_t notice_id = json::parse(a.body).at("notice_id").get<int64_t>();
  // REQ F1: nothing is enrolled or matched before an impact assessment of the purpose is
  // written and approved by a second person.
  a = admin.Json("POST", "/v1/assessments",
                 {{"target", o.purpose},
                  {"author", "load benchmark"},
                  {"lawfulness", "consent of each person enrolled (PIPL 13, 29)"},
                  {"impact", "sensitive data of the people enrolled; risks: leak, misidentification"}});
  if (a.status != 201) Die("POST /v1/assessments", a);
  const int64_t assessment = json::parse(a.body).at("id").get<int64_t>();
  a = admin.Json("POST", "/v1/assessments/" + std::to_string(assessment) + "/approve",
                 {{"approver", "load benchmark approver"}});
  if (a.status != 200) Die("POST /v1/assessments/{id}/approve", a);
  auto consent = [&](Api& api, const std::string& subject) {
    return api.Json("POST", "/v1/consents",
                    {{"subject", subject},
                     {"purpose", o.purpose},
                     {"notice_id", notice_id},
                     {"option", "always"},
                     {"method", "click"}});
  };
  // Some LFW photos show two faces or none: the server answers 400 and we take the next
  // person, so that the verify load has only photos that should give 200.
  std::vector<Person> verify_ppl;
  int skipped = 0;
  for (size_t i = 0; i < ppl.size() && static_cast<int>(verify_ppl.size()) < o.subjects; ++i) {
    const Person& p = ppl[i];
    a = consent(op, p.name);
    if (a.status != 201 && a.status != 200) Die("consent for " + p.name, a);
    a = op.Face("/v1/enrol", p.name, o.purpose, p.enrol_jpg);
    if (a.status == 400) {
      ++skipped;
      continue;
    }
    if (a.status != 201) Die("enrol " + p.name, a);
    a = op.Face("/v1/verify", p.name, o.purpose, p.probe_jpg);
    if (a.status == 400) {
      ++skipped;
      continue;
    }
    if (a.status != 200) Die("verify " + p.name, a);
    verify_ppl.push_back(p);
  }
  if (static_cast<int>(verify_ppl.size()) < o.subjects) {
    std::cerr << "load_client: too few usable LFW people for " << o.subjects << " subjects\n";
    return 2;
  }
  // The enrolment load takes people after the ones setup looked at.
  const size_t used = verify_ppl.size() + skipped;
  if (ppl.size() < used + n_enrol) {
    std::cerr << "load_client: too few LFW people left for the enrolment load\n";
    return 2;
  }
  std::vector<Person> enrol_ppl(ppl.begin() + used, ppl.begin() + used + n_enrol);
  std::printf(
      "setup: purpose, notice, %d subjects consented, enrolled and verified once in %.1f s "
      "(%d people skipped: photo with no face or several faces)\n",
      o.subjects, std::chrono::duration<double>(Clock::now() - t_setup).count(), skipped);

  // ---- verify load ----
  bool failed = false;
  std::vector<PhaseResult> rs;
  for (int c : o.clients) {
    rs.push_back(VerifyPhase(o, verify_ppl, c));
    const auto& r = rs.back();
    std::printf("verify c=%d: %d requests, %d 2xx, statuses %s\n", c, r.requests, r.ok2xx,
                Statuses(r.statuses).c_str());
    std::fflush(stdout);
    if (r.ok2xx != r.requests) {
      failed = true;
      std::printf("  first error: %s\n", r.first_error.c_str());
    }
  }

  // ---- enrolment load: distinct subjects, consent then enrol, from enrol_clients threads ----
  std::mutex mu;
  std::set<std::string> acked;
  std::map<int, int> enrol_statuses;
  std::vector<double> enrol_lat;
  std::string enrol_err;
  int photo_refused = 0;
  auto t_enrol = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < o.enrol_clients; ++t)
    ts.emplace_back([&, t] {
      Api api(o, o.key);
      for (int i = 0; i < o.enrol_per_client; ++i) {
        const Person& p = enrol_ppl[t * o.enrol_per_client + i];
        const std::string subject = "load-" + p.name;
        Answer c = consent(api, subject);
        Answer e = (c.status == 201 || c.status == 200)
                       ? api.Face("/v1/enrol", subject, o.purpose, p.enrol_jpg)
                       : c;
        std::lock_guard<std::mutex> l(mu);
        ++enrol_statuses[e.status];
        if (e.status == 201) {
          acked.insert(subject);
          enrol_lat.push_back(e.ms);
        } else if (e.status == 400 && e.body.find("face") != std::string::npos) {
          ++photo_refused;  // expected: the photo has no face or several (a 400 that says so)
        } else if (enrol_err.empty()) {
          enrol_err = std::to_string(e.status) + " " + e.body.substr(0, 300);
        }
      }
    });
  for (auto& t : ts) t.join();
  const double enrol_wall = std::chrono::duration<double>(Clock::now() - t_enrol).count();
  if (acked.size() + photo_refused != n_enrol) {
    failed = true;
    std::printf("enrol load: first error: %s\n", enrol_err.c_str());
  }

  // ---- no lost writes: every acknowledged enrolment is in the audit log and verifies ----
  // Each GET /v1/audit is itself audited, so read up to the newest seq of the first page only.
  std::set<std::string> audited;
  int64_t after = 0, events = 0, last = -1;
  for (;;) {
    a = admin.Json("GET", "/v1/audit?size=500&after=" + std::to_string(after));
    if (a.status != 200) Die("GET /v1/audit", a);
    json j = json::parse(a.body);
    if (last < 0) last = j.value("total", int64_t{0});
    if (j["items"].empty() || after >= last) break;
    for (auto& e : j["items"]) {
      after = std::max<int64_t>(after, e["seq"].get<int64_t>());
      ++events;
      if (e["action"] == "enrol" && e["outcome"] == "ok")
        audited.insert(e["subject"].get<std::string>());
    }
  }
  int in_audit = 0, verified = 0;
  std::string lost;
  for (auto& p : enrol_ppl) {
    const std::string subject = "load-" + p.name;
    if (!acked.count(subject)) continue;
    in_audit += audited.count(subject) ? 1 : 0;
    Answer v = op.Face("/v1/verify", subject, o.purpose, p.enrol_jpg);  // same photo: must match
    bool match = v.status == 200 && json::parse(v.body, nullptr, false).value("match", false);
    if (match)
      ++verified;
    else
      lost += " " + subject + "(" + std::to_string(v.status) + ")";
  }
  a = admin.Json("GET", "/v1/audit/verify");
  if (a.status != 200) Die("GET /v1/audit/verify", a);
  json chain = json::parse(a.body);
  const bool intact = chain.value("intact", false);
  if (in_audit != static_cast<int>(acked.size()) || verified != static_cast<int>(acked.size()) ||
      !intact)
    failed = true;

  // ---- table ----
  std::printf(
      "\n| verify (multipart, LFW 250x250) | requests | 2xx | other | matches | req/s | p50 ms "
      "| p99 ms | max ms |\n|---|---|---|---|---|---|---|---|---|\n");
  for (auto& r : rs)
    std::printf("| %d client%s, %.0f s | %d | %d | %d | %d | %.2f | %.0f | %.0f | %.0f |\n",
                r.clients, r.clients == 1 ? "" : "s", r.wall_s, r.requests, r.ok2xx,
                r.requests - r.ok2xx, r.matches, r.ok2xx / r.wall_s, r.p50, r.p99, r.max);
  std::printf(
      "\nenrol load: %d clients x %d distinct subjects (consent + enrol): %zu acknowledged (201) "
      "of %zu (%d photos refused with 400: no face or several) in %.1f s (%.2f enrolments/s, "
      "p50 %.0f ms, p99 %.0f ms), statuses %s\n",
      o.enrol_clients, o.enrol_per_client, acked.size(), n_enrol, photo_refused, enrol_wall,
      acked.size() / enrol_wall, Percentile(enrol_lat, 0.5), Percentile(enrol_lat, 0.99),
      Statuses(enrol_statuses).c_str());
  std::printf(
      "lost writes: %zu acknowledged, %d with an ok enrol audit event, %d verify with the "
      "enrolment photo (match)%s%s\n",
      acked.size(), in_audit, verified, lost.empty() ? "" : "; NOT verified:", lost.c_str());
  std::printf("audit chain: %s, %lld events (GET /v1/audit/verify); %lld read via GET /v1/audit\n",
              intact ? "intact" : "BROKEN", static_cast<long long>(chain.value("events", 0LL)),
              static_cast<long long>(events));
  // One machine-readable line: bench/load/run.sh divides by the engine's own time per photo.
  json summary = json::object();
  for (auto& r : rs) summary[std::to_string(r.clients)] = {{"p50_ms", r.p50}, {"req_per_s", r.ok2xx / r.wall_s}};
  std::printf("summary-json: %s\n", json{{"verify", summary}}.dump().c_str());
  std::printf("%s\n",
              failed ? "RESULT: FAIL" : "RESULT: PASS (no errors, no lost writes, chain intact)");
  return failed ? 1 : 0;
}
