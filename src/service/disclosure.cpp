// Third-party disclosure (REQ C8, P2) and imported photos (REQ P1): face data
// goes to one named recipient only under a separate consent naming it, sealed
// so that only that recipient can read it; a public photo or profile picture
// becomes a template only under a separate consent naming its source.
#include <facegate/service.h>
#include <sodium.h>

#include <array>
#include <cstring>

#include "policy/minors.h"
#include "service/json_views.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace {

std::string Base64(const unsigned char* p, size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), p, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

}  // namespace

Result<DisclosureResult> Service::Disclose(const std::string& subject, const std::string& purpose,
                                           const std::string& recipient,
                                           const std::string& recipient_public_key,
                                           const std::string& actor) {
  auto& I = *impl_;
  const char* act = "disclose";
  json d = {{"recipient", recipient}};
  if (recipient_public_key.size() != crypto_box_PUBLICKEYBYTES)
    return I.Fail(actor, act, subject, purpose,
                  Status::InvalidInput("the recipient's public key must be 32 bytes (X25519, 64 hex "
                                       "digits in --recipient-key FILE); it seals the data so only "
                                       "the recipient can read it"),
                  d);
  if (sodium_init() < 0) return I.Fail(actor, act, subject, purpose, Status::Internal("libsodium failed to start"), d);
  // REQ C8, P2: the Gate grants a disclosure only under a consent naming the recipient.
  auto grant = I.gate->AuthorizeDisclosure(subject, purpose, recipient);
  if (!grant.ok()) return I.Fail(actor, act, subject, purpose, grant.status(), d);
  d["grant"] = grant->id();
  d["consent_id"] = grant->consent_id();
  auto templates = I.vault->OpenAll(*grant, *I.store, subject);
  if (!templates.ok()) {
    Status st = templates.status().kind() == ErrorKind::kNotFound
                    ? Status::NotFound("subject '" + subject + "' has no enrolled template for purpose '" +
                                       purpose + "'; nothing to disclose")
                    : templates.status();
    return I.Fail(actor, act, subject, purpose, st, d);
  }
  DisclosureResult res;
  res.consent_id = grant->consent_id();
  res.recipient = recipient;
  res.subject = subject;
  res.purpose = purpose;
  res.disclosed_at = I.Now();
  json sealed = json::array();
  const auto* pk = reinterpret_cast<const unsigned char*>(recipient_public_key.data());
  for (Template& t : *templates) {
    res.model = t.model();
    std::array<unsigned char, kTemplateDim * sizeof(float)> plain;
    std::memcpy(plain.data(), t.values().data(), plain.size());  // little-endian float32
    std::vector<unsigned char> box(crypto_box_SEALBYTES + plain.size());
    int rc = crypto_box_seal(box.data(), plain.data(), plain.size(), pk);
    sodium_memzero(plain.data(), plain.size());
    t.Wipe();
    if (rc != 0) return I.Fail(actor, act, subject, purpose, Status::Internal("sealing for the recipient failed"), d);
    sealed.push_back(Base64(box.data(), box.size()));
  }
  res.templates = static_cast<int64_t>(sealed.size());
  json package = {{"format", "facegate-disclosure-1"},
                  {"recipient", recipient},
                  {"subject", subject},
                  {"purpose", purpose},
                  {"consent_id", res.consent_id},
                  {"model", res.model},
                  {"disclosed_at", FormatTime(res.disclosed_at)},
                  {"encoding", "crypto_box_seal (X25519, XSalsa20-Poly1305) of 128 little-endian float32"},
                  {"templates", sealed}};
  res.package = package.dump(2);
  d["templates"] = res.templates;
  d["model"] = res.model;
  // Audited before the package is handed out: no unrecorded disclosure (REQ S6).
  FG_RETURN_IF_ERROR(I.Audit(actor, act, subject, purpose, Status::Ok(), d));
  return res;
}

Result<EnrolResult> Service::EnrolImported(const std::string& subject, const std::string& purpose,
                                           const std::string& image_bytes, const std::string& source,
                                           const std::string& session, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "enrol.import";
  json d = {{"source", source}};
  if (source != "public-photo" && source != "profile-picture")
    return I.Fail(actor, act, subject, purpose,
                  Status::InvalidInput("source '" + source +
                                       "' is not one facegate imports from; use public-photo or "
                                       "profile-picture (photos taken at capture need no --source)"),
                  d);
  // REQ P1: a separate consent of kind import naming this source, active and
  // bound to the notice in force; never scraped, never implied by the capture consent.
  auto consents = I.store->ListConsents(subject, purpose);
  if (!consents.ok()) return I.Fail(actor, act, subject, purpose, consents.status(), d);
  auto notice = I.store->LatestNotice(purpose);
  const UnixTime now = I.Now();
  int64_t import_consent = 0;
  for (const ConsentRecord& c : *consents) {
    if (c.kind != ConsentKind::kImport || c.source != source || !c.active_at(now)) continue;
    if (!notice.ok() || c.notice_sha256 != notice->sha256) continue;
    import_consent = c.id;
    break;
  }
  if (import_consent == 0)
    return I.Fail(actor, act, subject, purpose,
                  Status::Refused("P1", "subject '" + subject + "' has no separate consent to make a "
                                        "template from their " + source + " for purpose '" + purpose +
                                        "'; ask for one (consent give ... --kind import --source " +
                                        source + ") or enrol from a photo taken with their consent"),
                  d);
  d["import_consent_id"] = import_consent;
  // The face itself goes through the usual enrolment: Gate, processing consent, one face.
  auto r = Enrol(subject, purpose, image_bytes, session, actor);
  if (!r.ok()) return I.Fail(actor, act, subject, purpose, r.status(), d);
  d["template_id"] = r->template_id;
  I.Audit(actor, act, subject, purpose, Status::Ok(), d);
  return r;
}

}  // namespace facegate::service
