// Impact assessments (REQ F1; PIPL 55, 56; Measures 9): written per purpose or device, the
// measures drawn from the configuration, approved by a second person, made due again by a
// material change, and kept at least three years (docs/reports.md).
#include <facegate/service.h>

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "service/service_impl.h"
#include "service/workdays.h"

namespace facegate::service {

namespace {

// PIPL 56: the assessment report and the processing records are kept at least three years.
constexpr int64_t kKeepDays = 3 * 365 + 1;

std::string Sha256Hex(const std::string& text) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : h) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Normalised(const std::string& name) {
  std::string out;
  for (char c : name)
    if (!std::isspace(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Day(UnixTime t) { return t ? ChinaDate(t) : "-"; }

}  // namespace

// The measures in force, read from the configuration, never typed in (PIPL 56 (3)).
static Result<json> MeasuresFor(store::Store& store, const Config& config, const std::string& kind,
                                 const std::string& target, int64_t scope_size) {
  json m;
  m["encryption"] = "templates sealed with XChaCha20-Poly1305 under per-subject keys wrapped by the master key; "
                    "withdrawal and expiry destroy the key (REQ S4, S7)";
  m["storage"] = config.database.empty() ? "embedded SQLite on this server (REQ S1)"
                                           : "PostgreSQL shared by this operator's nodes (REQ S1, S8)";
  m["audit"] = "every read, search, export and refusal in a hash-chained audit log with signed checkpoints (REQ S6)";
  m["raw_images"] = "deleted right after extraction or matching; probes never stored (REQ S2, D3)";
  if (kind == "purpose") {
    FG_ASSIGN_OR_RETURN(PurposeRecord p, store.GetPurpose(target));
    m["scenario"] = ToString(p.scenario);
    m["retention_days"] = p.retention_days;
    m["alternatives"] = p.alternatives;
    if (!p.legal_mandate.empty()) m["legal_mandate"] = p.legal_mandate;
    m["liveness"] = ToString(p.liveness);
    m["scope_size"] = scope_size;
    auto n = store.LatestNotice(target);
    if (n.ok()) m["notice"] = {{"version", n->version}, {"sha256", n->sha256}};
    else if (n.status().kind() != ErrorKind::kNotFound) return n.status();
    FG_ASSIGN_OR_RETURN(std::vector<DeviceRecord> devices, store.ListDevices(""));
    json ds = json::array();
    for (const DeviceRecord& d : devices)
      if (std::find(d.purposes.begin(), d.purposes.end(), target) != d.purposes.end())
        ds.push_back({{"id", d.id}, {"mode", ToString(d.mode)}, {"status", ToString(d.status)}});
    m["devices"] = ds;
    // REQ AN3: the sensitive inferences in force are part of what is assessed.
    FG_ASSIGN_OR_RETURN(std::vector<InferenceRecord> inferences, store.ListInferences(target));
    json in = json::array();
    for (const InferenceRecord& r : inferences)
      if (!r.disabled_at)
        in.push_back({{"inference", r.inference}, {"use", r.declared_use}, {"justification", r.justification}});
    if (p.scenario == Scenario::kAnalysis) {
      m["legal_basis"] = p.legal_basis;
      m["sensitive_inferences"] = in;
    }
    return m;
  }
  FG_ASSIGN_OR_RETURN(DeviceRecord d, store.GetDevice(target));
  m["mode"] = ToString(d.mode);
  m["location_type"] = d.location_type;
  m["site"] = d.site;
  m["purposes"] = d.purposes;
  m["collection_area"] = d.area;
  m["capture_timeout_s"] = d.capture_timeout_s;
  m["public_security"] = d.public_security;
  m["signage"] = {{"voice_prompt", d.signage.voice_prompt},
                  {"warning_line", d.signage.warning_line},
                  {"notice_version", d.signage.notice_version},
                  {"notice_location", d.signage.notice_location},
                  {"consent_method", d.signage.consent_method},
                  {"confirmed_by", d.signage.confirmed_by},
                  {"confirmed_at", d.signage.confirmed_at}};
  return m;
}

std::string Service::AssessmentDocument(const ImpactAssessmentRecord& a) {
  std::string kinds;
  for (const std::string& k : a.data_kinds) kinds += (kinds.empty() ? "" : ", ") + k;
  json measures = json::parse(a.measures, nullptr, false);
  std::string doc;
  doc += "Personal information protection impact assessment (PIPL 55, 56; Measures 9)\n";
  doc += "Assessment: " + std::to_string(a.id) + "\n";
  doc += "Of: " + a.target_kind + " " + a.target + "\n";
  doc += "Lawfulness, legitimacy and necessity: " + a.lawfulness + "\n";
  doc += "Data kinds: " + kinds + "\n";
  doc += "Impact on people's rights and the risks: " + a.impact + "\n";
  doc += "Measures taken: " + (measures.is_discarded() ? a.measures : measures.dump(1)) + "\n";
  doc += "People assessed (scope size): " + std::to_string(a.scope_size) + "\n";
  doc += "Notice version assessed: " + std::to_string(a.notice_version) + "\n";
  doc += "Author: " + a.author + ", written " + Day(a.created_at) + "\n";
  doc += "Approver: " + a.approver + ", approved " + Day(a.approved_at.value_or(0)) + "\n";
  doc += "Kept until: " + Day(a.keep_until) + " at least (PIPL 56)\n";
  return doc;
}

Result<ImpactAssessmentRecord> Service::CreateAssessment(const AssessmentInput& in, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "assessment.create";
  const std::string purpose = in.target_kind == "purpose" ? in.target : "";
  auto bad = [&](const std::string& msg) { return I.Fail(actor, act, "", purpose, Status::InvalidInput(msg)); };
  if (in.target_kind != "purpose" && in.target_kind != "device")
    return bad("an impact assessment is of a 'purpose' or a 'device', not '" + in.target_kind + "'");
  if (in.target.empty()) return bad("name the " + in.target_kind + " the impact assessment is of");
  std::vector<std::string> missing;
  if (in.lawfulness.empty()) missing.push_back("why the processing is lawful, legitimate and necessary (--lawfulness)");
  if (in.impact.empty()) missing.push_back("its impact on people's rights and the risks (--impact)");
  if (!missing.empty()) {
    std::string m;
    for (const std::string& s : missing) m += (m.empty() ? "" : " and ") + s;
    return bad("an impact assessment states " + m + " (PIPL 56)");
  }
  if (in.target_kind == "purpose" && in.scope_size <= 0)
    return bad("state the most people the purpose may hold (--scope-size N, N > 0): growing past it asks for "
               "a new assessment");
  ImpactAssessmentRecord a;
  a.target_kind = in.target_kind;
  a.target = in.target;
  a.lawfulness = in.lawfulness;
  a.data_kinds = in.data_kinds;
  if (a.data_kinds.empty()) a.data_kinds = {"face image", "face template"};
  a.impact = in.impact;
  a.author = in.author.empty() ? actor : in.author;
  a.scope_size = in.target_kind == "purpose" ? in.scope_size : 0;
  auto measures = MeasuresFor(*I.store, I.config, a.target_kind, a.target, a.scope_size);
  if (!measures.ok()) return I.Fail(actor, act, "", purpose, measures.status());
  a.measures = measures->dump();
  a.created_at = I.Now();
  a.keep_until = a.created_at + kKeepDays * 86400;
  auto r = I.store->AddAssessment(a);
  I.Audit(actor, act, "", purpose, r.status(),
          r.ok() ? json{{"assessment", r->id}, {"of", a.target_kind + " " + a.target}, {"author", a.author}}
                 : json::object());
  return r;
}

Result<ImpactAssessmentRecord> Service::ApproveAssessment(int64_t id, const std::string& approver,
                                                          const std::string& actor) {
  auto& I = *impl_;
  const char* act = "assessment.approve";
  auto a = I.store->GetAssessment(id);
  if (!a.ok()) return I.Fail(actor, act, "", "", a.status(), {{"assessment", id}});
  const std::string purpose = a->target_kind == "purpose" ? a->target : "";
  auto fail = [&](Status st) { return I.Fail(actor, act, "", purpose, std::move(st), {{"assessment", id}}); };
  const std::string who = approver.empty() ? actor : approver;
  if (a->status == "approved")
    return fail(Status::Conflict("impact assessment " + std::to_string(id) + " is approved already (" +
                                 a->approver + ", " + Day(a->approved_at.value_or(0)) + ")"));
  // Like every step that lifts a protection, a second person decides (docs/security.md).
  if (Normalised(who) == Normalised(a->author))
    return fail(Status::Refused("F1", "impact assessment " + std::to_string(id) + " was written by '" + a->author +
                                          "'; another person approves it (--approver NAME)"));
  ImpactAssessmentRecord b = *a;
  FG_ASSIGN_OR_RETURN(json measures, MeasuresFor(*I.store, I.config, b.target_kind, b.target, b.scope_size));
  b.measures = measures.dump();
  b.notice_version = measures.contains("notice") ? measures["notice"].value("version", int64_t{0}) : 0;
  b.status = "approved";
  b.approver = who;
  b.approved_at = I.Now();
  b.due_reason.clear();
  b.due_at.reset();
  b.keep_until = std::max(b.keep_until, *b.approved_at + kKeepDays * 86400);
  b.document_sha256 = Sha256Hex(AssessmentDocument(b));
  Status st = I.store->UpdateAssessment(b, a->status);
  I.Audit(actor, act, "", purpose, st,
          {{"assessment", id}, {"of", b.target_kind + " " + b.target}, {"approver", who},
           {"was", a->status}, {"notice_version", b.notice_version}, {"document_sha256", b.document_sha256}});
  if (!st.ok()) return st;
  return b;
}

Result<ImpactAssessmentRecord> Service::GetAssessment(int64_t id) { return impl_->store->GetAssessment(id); }

Result<std::vector<ImpactAssessmentRecord>> Service::ListAssessments(const std::string& target_kind,
                                                                     const std::string& target) {
  return impl_->store->ListAssessments(target_kind, target);
}

void Service::Impl::MarkAssessmentsDue(const std::string& kind, const std::string& target,
                                       const std::string& reason, const std::string& actor) {
  auto ids = store->MarkAssessmentsDue(kind, target, reason, Now());
  if (!ids.ok()) {
    Audit(actor, "assessment.due", "", kind == "purpose" ? target : "", ids.status(), {{"reason", reason}});
    return;
  }
  if (ids->empty()) return;
  Audit(actor, "assessment.due", "", kind == "purpose" ? target : "", Status::Ok(),
        {{"assessments", *ids}, {"of", kind + " " + target}, {"reason", reason}});
}

void Service::Impl::AfterEnrol(const std::string& subject, const std::string& purpose, const std::string& actor) {
  // REQ F1: a scope grown past the size assessed is a material change.
  auto people = store->CountPeopleForPurpose(purpose);
  auto all = store->ListAssessments("purpose", purpose);
  if (people.ok() && all.ok()) {
    for (const ImpactAssessmentRecord& a : *all) {
      if (a.status != "approved" || *people <= a.scope_size) continue;
      MarkAssessmentsDue("purpose", purpose,
                         std::to_string(*people) + " people now hold face data for the purpose, past the " +
                             std::to_string(a.scope_size) + " assessed; assess the larger scope",
                         actor);
      break;
    }
  }
  // REQ F2: only a person's first template can move the count of people.
  auto held = store->CountTemplates(subject);
  if (held.ok() && *held == 1) (void)CheckFiling(actor, false);
}

}  // namespace facegate::service
