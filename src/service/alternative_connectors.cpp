// Alternatives as pluggable connectors (REQ A4): a declared alternative of a purpose is bound
// to a connector kind that decides its face-free transactions from a credential (PIN, card,
// signed QR token, an external identity service) or leaves them to staff.
#include <facegate/service.h>

#include <algorithm>
#include <cctype>

#include "service/service_impl.h"

namespace facegate::service {

namespace {

constexpr char kTokenKeyContext[] = "altokens";  // crypto_kdf context: exactly 8 characters
constexpr char kPepperContext[] = "credpepr";    // the PIN and card verifiers' pepper

bool AllOf(const std::string& s, int (*pred)(int)) {
  return std::all_of(s.begin(), s.end(), [&](unsigned char ch) { return pred(ch) != 0; });
}

Status CheckSecret(const std::string& kind, const std::string& secret) {
  if (kind == "pin" && (secret.size() < 4 || secret.size() > 12 || !AllOf(secret, ::isdigit)))
    return Status::InvalidInput("a PIN is 4 to 12 digits");
  if (kind == "card" && (secret.size() < 4 || secret.size() > 64 || !AllOf(secret, ::isalnum)))
    return Status::InvalidInput("a card number is 4 to 64 letters or digits, as the reader gives it");
  return Status::Ok();
}

}  // namespace

Result<std::pair<AlternativeConnectorRecord, std::unique_ptr<Connector>>> Service::Impl::ConnectorFor(
    const std::string& purpose, const std::string& method) {
  Service::Impl& I = *this;
  FG_ASSIGN_OR_RETURN(std::optional<AlternativeConnectorRecord> bound,
                      I.store->GetAlternativeConnector(purpose, method));
  AlternativeConnectorRecord rec;
  if (bound) {
    rec = *bound;
  } else {
    rec.purpose = purpose;
    rec.method = method;
    rec.kind = "staff";
  }
  ConnectorEnv env{I.store.get(), I.vault->DeriveKey(kTokenKeyContext, 1), I.vault->DeriveKey(kPepperContext, 1)};
  ConnectorFactory custom;
  {
    std::lock_guard lock(I.connector_kinds_mu);
    auto it = I.connector_kinds.find(rec.kind);
    if (it != I.connector_kinds.end()) custom = it->second;
  }
  Result<std::unique_ptr<Connector>> c =
      custom ? custom(rec.config, env) : MakeBuiltInConnector(rec.kind, rec.config, env);
  if (!c.ok()) return c.status();
  return std::make_pair(rec, std::move(*c));
}

Status Service::AddConnectorKind(const std::string& kind, ConnectorFactory factory) {
  auto& I = *impl_;
  if (kind.empty() || !factory) return Status::InvalidInput("a connector kind needs a name and a factory");
  if (std::find(BuiltInConnectorKinds().begin(), BuiltInConnectorKinds().end(), kind) !=
      BuiltInConnectorKinds().end())
    return Status::Conflict("connector kind '" + kind + "' is built in; give the new kind another name");
  std::lock_guard lock(I.connector_kinds_mu);
  I.connector_kinds[kind] = std::move(factory);
  return Status::Ok();
}

Status Service::ConnectAlternative(const AlternativeConnectorRecord& in, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "alternative.connect";
  auto p = I.store->GetPurpose(in.purpose);
  if (!p.ok())
    return I.Fail(actor, act, "", in.purpose,
                  p.status().kind() == ErrorKind::kNotFound
                      ? Status::NotFound("purpose '" + in.purpose + "' does not exist")
                      : p.status());
  if (std::find(p->alternatives.begin(), p->alternatives.end(), in.method) == p->alternatives.end())
    return I.Fail(actor, act, "", in.purpose,
                  Status::InvalidInput("'" + in.method + "' is not a declared alternative of purpose '" +
                                       in.purpose + "'; declare it with `purpose add --alternative`"));
  AlternativeConnectorRecord c = in;
  if (c.config.empty()) c.config = "{}";
  c.actor = actor;
  c.set_at = I.Now();
  // The settings are checked by making the connector once, before they are stored.
  bool custom = false;
  {
    std::lock_guard lock(I.connector_kinds_mu);
    custom = I.connector_kinds.count(c.kind) > 0;
  }
  if (!custom) {
    ConnectorEnv env{I.store.get(), I.vault->DeriveKey(kTokenKeyContext, 1), I.vault->DeriveKey(kPepperContext, 1)};
    auto made = MakeBuiltInConnector(c.kind, c.config, env);
    if (!made.ok()) return I.Fail(actor, act, "", in.purpose, made.status(), {{"method", c.method}});
  }
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->SetAlternativeConnector(c));
    return I.Audit(actor, act, "", c.purpose, Status::Ok(),
                   {{"method", c.method}, {"kind", c.kind}, {"config", json::parse(c.config, nullptr, false)}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", c.purpose, st, {{"method", c.method}});
  return st;
}

Result<std::vector<AlternativeConnectorRecord>> Service::AlternativeConnectors(const std::string& purpose) {
  auto& I = *impl_;
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok())
    return p.status().kind() == ErrorKind::kNotFound ? Status::NotFound("purpose '" + purpose + "' does not exist")
                                                     : p.status();
  FG_ASSIGN_OR_RETURN(std::vector<AlternativeConnectorRecord> bound, I.store->ListAlternativeConnectors(purpose));
  std::vector<AlternativeConnectorRecord> out;
  for (const std::string& m : p->alternatives) {
    auto it = std::find_if(bound.begin(), bound.end(), [&](const auto& b) { return b.method == m; });
    if (it != bound.end()) {
      out.push_back(*it);
    } else {
      AlternativeConnectorRecord staff;
      staff.purpose = purpose;
      staff.method = m;
      staff.kind = "staff";
      out.push_back(staff);
    }
  }
  return out;
}

Status Service::RegisterAlternativeCredential(const std::string& subject, const std::string& purpose,
                                              const std::string& method, const std::string& secret,
                                              const std::string& actor) {
  auto& I = *impl_;
  const char* act = "alternative.register";
  if (subject.empty()) return I.Fail(actor, act, "", purpose, Status::InvalidInput("a subject id is required"));
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok())
    return I.Fail(actor, act, subject, purpose,
                  p.status().kind() == ErrorKind::kNotFound
                      ? Status::NotFound("purpose '" + purpose + "' does not exist")
                      : p.status());
  auto conn = I.ConnectorFor(purpose, method);
  if (!conn.ok()) return I.Fail(actor, act, subject, purpose, conn.status(), {{"method", method}});
  const std::string kind = conn->first.kind;
  if (kind != "pin" && kind != "card")
    return I.Fail(actor, act, subject, purpose,
                  Status::InvalidInput("alternative '" + method + "' of purpose '" + purpose + "' is checked by a '" +
                                       kind + "' connector, which keeps no registered secret; only pin and card do"),
                  {{"method", method}});
  Status bad = CheckSecret(kind, secret);
  if (!bad.ok()) return I.Fail(actor, act, subject, purpose, bad, {{"method", method}});
  auto verifier = MakeCredentialVerifier(secret, I.vault->DeriveKey(kPepperContext, 1));
  if (!verifier.ok()) return I.Fail(actor, act, subject, purpose, verifier.status(), {{"method", method}});
  AlternativeCredentialRecord c;
  c.subject = subject;
  c.purpose = purpose;
  c.method = method;
  c.verifier = *verifier;
  c.created_at = I.Now();
  c.expires_at = c.created_at + p->retention_days * 86400;  // REQ S5: it expires with the purpose's records
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->EnsureSubject(subject, c.created_at));
    FG_RETURN_IF_ERROR(I.store->PutAlternativeCredential(c));
    return I.Audit(actor, act, subject, purpose, Status::Ok(),
                   {{"method", method}, {"kind", kind}, {"expires_at", c.expires_at}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, purpose, st, {{"method", method}});
  return st;
}

Result<std::string> Service::IssueAlternativeToken(const std::string& subject, const std::string& purpose,
                                                   const std::string& method, int64_t valid_seconds,
                                                   const std::string& actor) {
  auto& I = *impl_;
  const char* act = "alternative.token";
  if (subject.empty()) return I.Fail(actor, act, "", purpose, Status::InvalidInput("a subject id is required"));
  if (valid_seconds < 1 || valid_seconds > 86400)
    return I.Fail(actor, act, subject, purpose,
                  Status::InvalidInput("a token is valid for 1 to 86400 seconds, not " + std::to_string(valid_seconds)));
  auto conn = I.ConnectorFor(purpose, method);
  if (!conn.ok()) return I.Fail(actor, act, subject, purpose, conn.status(), {{"method", method}});
  if (conn->first.kind != "qr")
    return I.Fail(actor, act, subject, purpose,
                  Status::InvalidInput("alternative '" + method + "' of purpose '" + purpose + "' is checked by a '" +
                                       conn->first.kind + "' connector; tokens are for 'qr' alternatives"),
                  {{"method", method}});
  const UnixTime exp = I.Now() + valid_seconds;
  std::string token = IssueToken(I.vault->DeriveKey(kTokenKeyContext, 1), subject, purpose, method, exp);
  Status st = I.Audit(actor, act, subject, purpose, Status::Ok(), {{"method", method}, {"expires_at", exp}});
  if (!st.ok()) return st;
  return token;
}

Result<Service::PresentResult> Service::PresentAlternative(int64_t id, const std::string& credential,
                                                           const std::string& actor) {
  auto& I = *impl_;
  const char* act = "alternative.present";
  auto a = I.store->GetAlternative(id);
  if (!a.ok()) return I.Fail(actor, act, "", "", a.status(), {{"transaction", id}});
  if (a->closed_at)
    return I.Fail(actor, act, a->subject, a->purpose,
                  Status::Conflict("alternative transaction " + std::to_string(id) + " was already closed with outcome '" +
                                   a->outcome + "': open a new one"),
                  {{"transaction", id}});
  auto conn = I.ConnectorFor(a->purpose, a->method);
  if (!conn.ok()) return I.Fail(actor, act, a->subject, a->purpose, conn.status(), {{"transaction", id}});
  auto& [rec, connector] = *conn;
  if (connector->manual())
    return I.Fail(actor, act, a->subject, a->purpose,
                  Status::InvalidInput("alternative '" + a->method + "' is checked by staff: record the outcome with "
                                       "`facegate alternative complete " + std::to_string(id) + " granted|denied`"),
                  {{"transaction", id}});
  if (credential.empty() || credential.size() > 4096)
    return I.Fail(actor, act, a->subject, a->purpose,
                  Status::InvalidInput("present the credential (1 to 4096 characters) the person gave"),
                  {{"transaction", id}});
  // Online guessing: wrong credentials for this subject and purpose are counted across
  // transactions (a new transaction does not reset them); past the limit, presenting is
  // locked for a while and staff check the person by hand.
  {
    const UnixTime now = I.Now(), since = now - kAlternativeLockoutSeconds;
    auto events = I.store->ListAuditForSubject(a->subject, 0, 0);
    if (!events.ok()) return I.Fail(actor, act, a->subject, a->purpose, events.status(), {{"transaction", id}});
    int64_t failures = 0;
    UnixTime last_failure = 0;
    for (const AuditEvent& e : *events) {
      if (e.at < since || e.purpose != a->purpose || e.outcome != "ok") continue;
      if (e.action != act && e.action != "alternative.complete") continue;
      json d = json::parse(e.detail, nullptr, false);
      // Staff decisions by hand are not guesses.
      if (!d.is_object() || !d.contains("connector") || d.value("decided_by", "") == "staff") continue;
      const std::string outcome = d.value("outcome", "");
      if (outcome == "granted") {
        failures = 0;  // a success ends a run of failures
      } else if (outcome == "retry" || outcome == "denied") {
        ++failures;
        last_failure = e.at;
      }
    }
    if (failures >= kMaxAlternativeFailures)
      return I.Fail(actor, act, a->subject, a->purpose,
                    Status::Conflict("presenting a credential for subject '" + a->subject + "' and purpose '" +
                                     a->purpose + "' is locked for " +
                                     std::to_string((last_failure + kAlternativeLockoutSeconds - now + 59) / 60) +
                                     " more minute(s) after " + std::to_string(failures) +
                                     " wrong credentials; staff can check the person by hand (an operator "
                                     "completes the transaction) meanwhile"),
                    {{"transaction", id}, {"locked", true}, {"failures", failures}});
  }
  CredentialCheck check{id, a->subject, a->purpose, a->method, credential, I.Now()};
  auto decision = connector->Check(check);
  if (!decision.ok())  // the method could not decide: the transaction stays open for staff or a retry
    return I.Fail(actor, act, a->subject, a->purpose, decision.status(),
                  {{"transaction", id}, {"connector", rec.kind}});
  PresentResult out;
  out.connector = rec.kind;
  out.reason = decision->reason;
  json detail = {{"transaction", id}, {"method", a->method}, {"session", a->session}, {"connector", rec.kind},
                 {"reason", decision->reason}};
  if (!decision->reference.empty()) detail["reference"] = decision->reference;
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(int64_t attempts, I.store->CountAlternativeAttempt(id));
    out.attempts_left = std::max<int64_t>(0, kMaxAlternativeAttempts - attempts);
    if (decision->granted) {
      out.outcome = "granted";
    } else if (out.attempts_left == 0) {
      out.outcome = "denied";
    } else {
      out.outcome = "retry";
    }
    detail["attempts"] = attempts;
    detail["outcome"] = out.outcome;
    if (out.outcome != "retry") {
      FG_RETURN_IF_ERROR(I.store->CloseAlternative(id, out.outcome, I.Now()));
      // REQ C6: the outcome is recorded like a face outcome ("match"), with the close.
      detail["match"] = out.outcome == "granted";
      return I.Audit(actor, "alternative.complete", a->subject, a->purpose, Status::Ok(), detail);
    }
    return I.Audit(actor, act, a->subject, a->purpose, Status::Ok(), detail);
  });
  if (!st.ok()) return I.Fail(actor, act, a->subject, a->purpose, st, {{"transaction", id}});
  return out;
}

}  // namespace facegate::service
