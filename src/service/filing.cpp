// The filing line (REQ F2, F3; Measures 15): the count of distinct people with face data,
// the marks it crossed and when, the filing's due date 30 working days later on the PRC
// calendar (data/holidays-cn.tsv), and the filing pack (docs/reports.md).
#include <facegate/service.h>
#include <facegate/tenants.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "service/service_impl.h"
#include "service/workdays.h"

namespace facegate::service {

namespace {

// Measures 15: the filing is made within 30 working days of reaching the line.
constexpr int kFilingWorkingDays = 30;

std::string HolidaysPath(const Config& c) {
  if (!c.holidays_file.empty()) return c.holidays_file;
  if (const char* env = std::getenv("FACEGATE_HOLIDAYS")) return env;
#ifdef FACEGATE_DEFAULT_HOLIDAYS
  return FACEGATE_DEFAULT_HOLIDAYS;
#else
  return "data/holidays-cn.tsv";
#endif
}

std::vector<int64_t> Marks(const Config& c) {
  std::set<int64_t> m;
  for (int64_t v : c.filing_warn_marks)
    if (v > 0 && v < c.filing_line) m.insert(v);
  m.insert(c.filing_line);
  m.insert(1'000'000);   // REQ F3
  m.insert(10'000'000);  // REQ F3
  return {m.begin(), m.end()};
}

// The value of "Key: value" in a notice text ("" when absent).
std::string NoticeField(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

}  // namespace

Result<FilingStatus> Service::Impl::CheckFiling(const std::string& actor, bool across_tenants) {
  FilingStatus f;
  f.filing_line = config.filing_line;
  f.marks = Marks(config);
  FG_ASSIGN_OR_RETURN(int64_t own, store->CountPeopleWithFaceData());
  f.people = own;
  f.by_tenant.emplace_back("", own);
  if (across_tenants) {
    // Tenants of one processor (REQ S10): their people count towards its line. Pseudonymous ids
    // are per tenant, so the sum is an upper bound: one person in two tenants counts twice.
    tenants::TenantRegistry registry(config);
    FG_ASSIGN_OR_RETURN(std::vector<tenants::TenantRecord> all, registry.List());
    for (const tenants::TenantRecord& t : all) {
      if (t.state != "active") continue;
      FG_ASSIGN_OR_RETURN(auto opened, registry.OpenTenant(t.name));
      FG_ASSIGN_OR_RETURN(std::unique_ptr<Service> svc, Service::Open(opened.first));
      FG_ASSIGN_OR_RETURN(int64_t n, svc->store().CountPeopleWithFaceData());
      f.by_tenant.emplace_back(t.name, n);
      f.people += n;
    }
  }
  const UnixTime now = Now();
  for (int64_t mark : f.marks) {
    if (f.people < mark) break;
    FilingMarkRecord m;
    m.mark = mark;
    m.people = f.people;
    m.crossed_at = now;
    m.crossed_date = ChinaDate(now);
    m.actor = actor;
    if (mark == config.filing_line) {
      FG_ASSIGN_OR_RETURN(WorkdayCalendar cal, WorkdayCalendar::Load(HolidaysPath(config)));
      int64_t day = 0;
      ParseCivilDate(m.crossed_date, &day);
      m.due_date = CivilFromDays(cal.AddWorkdays(day, kFilingWorkingDays));
    }
    FG_ASSIGN_OR_RETURN(bool recorded, store->RecordFilingMark(m));
    if (!recorded) continue;
    f.newly_crossed.push_back(m);
    const char* what = mark < config.filing_line ? "filing.warning" : "filing.line";
    json detail = {{"mark", mark}, {"people", f.people}, {"crossed_date", m.crossed_date}};
    if (!m.due_date.empty()) detail["due_date"] = m.due_date;
    Audit(actor, what, "", "", Status::Ok(), detail);
  }
  FG_ASSIGN_OR_RETURN(f.crossed, store->ListFilingMarks());
  for (const FilingMarkRecord& m : f.crossed)
    if (m.mark == config.filing_line) f.due_date = m.due_date;
  if (!f.due_date.empty()) {
    f.warning = "the filing line of " + std::to_string(config.filing_line) +
                " people was crossed; file with the provincial cyberspace office by " + f.due_date +
                " (Measures 15; facegate report filing --out pack.pdf)";
    auto cal = WorkdayCalendar::Load(HolidaysPath(config));
    if (cal.ok() && !cal->Covers(std::stoi(f.due_date.substr(0, 4))))
      f.warning += "; the holiday calendar does not cover " + f.due_date.substr(0, 4) +
                   ": the due date counts weekends only, update data/holidays-cn.tsv";
  } else {
    for (const FilingMarkRecord& m : f.crossed)
      if (m.mark < config.filing_line)
        f.warning = std::to_string(f.people) + " people hold face data, past the warning mark of " +
                    std::to_string(m.mark) + "; the filing line is " + std::to_string(config.filing_line);
  }
  return f;
}

Result<FilingStatus> Service::CheckFilingLine(const std::string& actor, bool across_tenants) {
  auto r = impl_->CheckFiling(actor, across_tenants);
  if (!r.ok()) return impl_->Fail(actor, "filing.check", "", "", r.status());
  return r;
}

Result<std::string> Service::FilingPack(const std::string& actor, bool across_tenants) {
  auto& I = *impl_;
  auto fail = [&](Status st) { return I.Fail(actor, "filing.pack", "", "", std::move(st)); };
  auto f = I.CheckFiling(actor, across_tenants);
  if (!f.ok()) return fail(f.status());
  auto purposes = I.store->ListPurposes();
  if (!purposes.ok()) return fail(purposes.status());
  json processor = json::array(), contacts = json::array(), ps = json::array();
  std::set<std::string> seen_processor, seen_contact;
  for (const PurposeRecord& p : *purposes) {
    json pj = {{"name", p.name},
               {"scenario", ToString(p.scenario)},
               {"retention_days", p.retention_days},
               {"alternatives", p.alternatives},
               {"liveness", ToString(p.liveness)}};
    auto n = I.store->LatestNotice(p.name);
    if (n.ok()) {
      pj["notice"] = {{"version", n->version}, {"sha256", n->sha256}};
      const std::string who = NoticeField(n->text, "Processor"), contact = NoticeField(n->text, "Contact");
      if (!who.empty() && seen_processor.insert(who).second) processor.push_back(who);
      if (!contact.empty() && seen_contact.insert(contact).second) contacts.push_back(contact);
    }
    auto people = I.store->CountPeopleForPurpose(p.name);
    if (people.ok()) pj["people"] = *people;
    auto as = I.store->ListAssessments("purpose", p.name);
    json aj = json::array();
    if (as.ok())
      for (const ImpactAssessmentRecord& a : *as)
        aj.push_back({{"id", a.id},
                      {"status", a.status},
                      {"author", a.author},
                      {"approver", a.approver},
                      {"approved", a.approved_at ? ChinaDate(*a.approved_at) : ""},
                      {"lawfulness", a.lawfulness},
                      {"impact", a.impact},
                      {"data_kinds", a.data_kinds},
                      {"scope_size", a.scope_size},
                      {"measures", json::parse(a.measures, nullptr, false)},
                      {"document_sha256", a.document_sha256},
                      {"due_reason", a.due_reason}});
    pj["assessments"] = aj;
    ps.push_back(pj);
  }
  json devices = json::array();
  auto ds = I.store->ListDevices("");
  if (ds.ok())
    for (const DeviceRecord& d : *ds)
      devices.push_back({{"id", d.id},
                         {"name", d.name},
                         {"mode", ToString(d.mode)},
                         {"status", ToString(d.status)},
                         {"location_type", d.location_type},
                         {"purposes", d.purposes}});
  json marks = json::array();
  for (const FilingMarkRecord& m : f->crossed)
    marks.push_back({{"mark", m.mark}, {"people", m.people}, {"crossed_date", m.crossed_date},
                     {"due_date", m.due_date}});
  json tenants = json::array();
  for (const auto& [name, n] : f->by_tenant) tenants.push_back({{"tenant", name.empty() ? "(home)" : name}, {"people", n}});
  json pack = {
      {"title", "Filing of face recognition processing (CAC/MPS Measures, art. 15)"},
      {"made", ChinaDate(I.Now())},
      {"processor", processor},
      {"contact", contacts},
      {"people_with_face_data", f->people},
      {"by_tenant", tenants},
      {"filing_line", f->filing_line},
      {"marks_crossed", marks},
      {"due_date", f->due_date},
      {"warning", f->warning},
      {"purposes", ps},
      {"devices", devices},
      {"measures",
       {{"encryption", "XChaCha20-Poly1305 per-subject keys wrapped by the master key (REQ S4)"},
        {"deletion", "withdrawal, expiry and erasure delete templates and destroy the key (REQ C4, S5, S7)"},
        {"storage", I.config.database.empty() ? "embedded SQLite on the operator's server (REQ S1)"
                                              : "PostgreSQL on the operator's nodes (REQ S1, S8)"},
        {"audit", "hash-chained audit log of every read, search, export and refusal (REQ S6)"},
        {"alternatives", "every verification and identification purpose offers a non-face method (REQ A1)"}}}};
  I.Audit(actor, "filing.pack", "", "", Status::Ok(),
          {{"people", f->people}, {"purposes", ps.size()}, {"due_date", f->due_date}});
  return pack.dump(2);
}

}  // namespace facegate::service
