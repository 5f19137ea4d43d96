// The audit chain's anchor outside the database (REQ S6; docs/security.md, "Audit anchor").
// The chain proves that no event was edited, removed or reordered, unless whoever edits also
// recomputes every hash after the edit, or cuts the tail: a database administrator can do
// both (drop the append-only triggers, rehash). Checkpoints of the head, signed with a key
// derived from the master key and appended to a file beside it, catch both.
#include <facegate/service.h>

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "service/json_views.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace {

constexpr char kCheckpointFile[] = "audit-checkpoints.jsonl";
constexpr char kSigningContext[] = "auditsig";  // crypto_kdf context: exactly 8 characters

std::string SignedBytes(int64_t seq, const std::string& hash, UnixTime at) {
  return "facegate.audit.checkpoint.v1\n" + std::to_string(seq) + "\n" + hash + "\n" + std::to_string(at);
}

struct SigningKey {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  explicit SigningKey(const std::string& seed) {
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
  }
  ~SigningKey() { sodium_memzero(sk, sizeof sk); }
};

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool Unbase64(const std::string& in, std::string* out) {
  out->assign(in.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), in.data(), in.size(),
                        nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  out->resize(len);
  return true;
}

Status AppendLine(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return Status::Internal("cannot write the audit checkpoint file " + path + ": " + std::strerror(errno));
  const std::string text = line + "\n";
  const ssize_t n = ::write(fd, text.data(), text.size());  // one write: O_APPEND keeps lines whole
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()) || !synced)
    return Status::Internal("cannot write the audit checkpoint file " + path + ": " + std::strerror(errno) +
                            " (check free space)");
  return Status::Ok();
}

}  // namespace

Result<std::optional<AuditEvent>> Service::AuditHead() {
  auto& I = *impl_;
  auto at = [&](int64_t seq) -> Result<std::optional<AuditEvent>> {
    FG_ASSIGN_OR_RETURN(std::vector<AuditEvent> v, I.store->ListAudit(seq - 1, 1));
    if (v.empty() || v.front().seq != seq) return std::optional<AuditEvent>();
    return std::optional<AuditEvent>(std::move(v.front()));
  };
  // Sequence numbers count up without gaps from the first kept event (1, or the one after a
  // retention prune point, REQ S5): step out doubling, then bisect.
  FG_ASSIGN_OR_RETURN(std::vector<AuditEvent> first, I.store->ListAudit(0, 1));
  if (first.empty()) return std::optional<AuditEvent>();
  std::optional<AuditEvent> lo_event = std::move(first.front());
  int64_t lo = lo_event->seq, step = 1, hi = lo + step;
  for (;;) {
    FG_ASSIGN_OR_RETURN(std::optional<AuditEvent> e, at(hi));
    if (!e) break;
    lo = hi;
    lo_event = std::move(e);
    step *= 2;
    hi = lo + step;
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    FG_ASSIGN_OR_RETURN(std::optional<AuditEvent> e, at(mid));
    if (e) {
      lo = mid;
      lo_event = std::move(e);
    } else {
      hi = mid;
    }
  }
  return lo_event;
}

std::string Service::AuditSigningPublicKey() {
  SigningKey key(impl_->vault->DeriveKey(kSigningContext, 1));
  char hex[sizeof key.pk * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, key.pk, sizeof key.pk);
  return hex;
}

Result<Service::AuditCheckpoint> Service::CheckpointAudit() {
  auto& I = *impl_;
  const std::string path = I.config.data_dir + "/" + kCheckpointFile;
  AuditCheckpoint cp;
  FG_ASSIGN_OR_RETURN(std::optional<AuditEvent> head, AuditHead());
  if (!head) return cp;  // nothing to anchor yet
  cp.seq = head->seq;
  cp.hash = head->hash;
  // The newest checkpoint already holds this head: nothing new to write.
  {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    json j = json::parse(last, nullptr, false);
    if (j.is_object() && j.value("seq", int64_t{0}) == cp.seq && j.value("hash", "") == cp.hash) {
      cp.at = j.value("at", int64_t{0});
      cp.signature = j.value("sig", "");
      cp.line = last;
      return cp;
    }
  }
  cp.at = I.Now();
  SigningKey key(I.vault->DeriveKey(kSigningContext, 1));
  const std::string msg = SignedBytes(cp.seq, cp.hash, cp.at);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), key.sk);
  cp.signature = Base64(sig, sizeof sig);
  cp.line = json{{"seq", cp.seq}, {"hash", cp.hash}, {"at", cp.at}, {"sig", cp.signature}}.dump();
  FG_RETURN_IF_ERROR(AppendLine(path, cp.line));
  cp.written = true;
  return cp;
}

Result<AuditCheck> Service::VerifyAudit() {
  auto& I = *impl_;
  FG_ASSIGN_OR_RETURN(AuditCheck check, I.store->VerifyAudit());
  std::ifstream in(I.config.data_dir + "/" + kCheckpointFile);
  if (!in) return check;  // no checkpoint made yet
  SigningKey key(I.vault->DeriveKey(kSigningContext, 1));
  auto broken = [&](int64_t seq, const std::string& why) {
    if (!check.intact && check.first_broken_seq > 0 && check.first_broken_seq <= seq) return;
    check.intact = false;
    check.first_broken_seq = seq;
    check.reason = why;
  };
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const std::string where = "audit checkpoint line " + std::to_string(n);
    json j = json::parse(line, nullptr, false);
    std::string sig;
    if (!j.is_object() || !j["seq"].is_number_integer() || !j["hash"].is_string() ||
        !j["at"].is_number_integer() || !j["sig"].is_string() || !Unbase64(j["sig"], &sig) ||
        sig.size() != crypto_sign_BYTES) {
      broken(0, where + " is malformed: the checkpoint file was edited");
      continue;
    }
    const int64_t seq = j["seq"];
    const std::string hash = j["hash"];
    const UnixTime at = j["at"];
    const std::string msg = SignedBytes(seq, hash, at);
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                    reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), key.pk) != 0) {
      broken(0, where + " has a signature that does not verify: the checkpoint file was edited, or it "
                        "belongs to another master key");
      continue;
    }
    ++check.checkpoints;
    check.anchored_seq = std::max(check.anchored_seq, seq);
    if (seq <= check.pruned_through) {
      // Retention pruned that event (REQ S5): the prune point recorded its hash when it was
      // there; one that names this very event must agree with the checkpoint.
      FG_ASSIGN_OR_RETURN(std::vector<AuditPrunePoint> points, I.store->ListAuditPrunePoints());
      for (const AuditPrunePoint& p : points)
        if (p.seq == seq && p.hash != hash)
          broken(seq, "the audit prune point at event " + std::to_string(seq) + " differs from the checkpoint of " +
                          FormatTime(at) + ": the chain was rewritten before it was pruned");
      continue;
    }
    FG_ASSIGN_OR_RETURN(std::vector<AuditEvent> ev, I.store->ListAudit(seq - 1, 1));
    if (ev.empty() || ev.front().seq != seq) {
      broken(seq, "the chain ends before event " + std::to_string(seq) + ", which the checkpoint of " +
                      FormatTime(at) + " recorded: its tail was cut");
    } else if (ev.front().hash != hash) {
      broken(seq, "event " + std::to_string(seq) + "'s hash differs from the one the checkpoint of " +
                      FormatTime(at) + " recorded: the chain was rewritten and recomputed up to here");
    }
  }
  return check;
}

}  // namespace facegate::service
