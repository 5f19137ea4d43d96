#include <facegate/vault.h>

#include <algorithm>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "store/fs_util.h"
#include "store/vault_crypto.h"

namespace facegate::store {
namespace {

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

std::string ModeString(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Writes all of `data` to `fd`; false on error (errno set).
bool WriteAll(int fd, const unsigned char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// First run: makes the master key file with O_EXCL, so two processes starting
// together cannot both write one, and it is 0600 from its first byte (REQ S4).
// Returns Ok also when the file already exists.
Status CreateMasterKeyIfMissing(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();
    return Status::Internal("cannot create master key file " + Quote(path) + ": " +
                            std::strerror(errno) + " (check the directory's permissions)");
  }
  Result<SecretKey> key = SecretKey::Random();
  bool written = key.ok() && WriteAll(fd, key->data(), kKeyBytes) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());  // ours and incomplete: never leave a short key behind
    if (!key.ok()) return key.status();
    return Status::Internal("cannot write master key file " + Quote(path) + ": " +
                            std::strerror(err) + " (check free space)");
  }
  // Make the new directory entry durable too.
  std::string dir = ParentDir(path);
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

// Loads the key of the subject and purpose, or makes, wraps and stores one on first use (REQ S7).
Result<SecretKey> LoadOrMakePurposeKey(const SecretKey& master, Store& store, const std::string& subject,
                                       const std::string& purpose, UnixTime now) {
  Result<std::string> wrapped = store.GetWrappedPurposeKey(subject, purpose);
  if (wrapped.ok()) return UnwrapKey(master, *wrapped, subject, purpose);
  if (wrapped.status().kind() != ErrorKind::kNotFound) return wrapped.status();
  FG_RETURN_IF_ERROR(store.EnsureSubject(subject, now));
  FG_ASSIGN_OR_RETURN(SecretKey key, SecretKey::Random());
  FG_ASSIGN_OR_RETURN(std::string mine, WrapKey(master, key, subject, purpose));
  Status put = store.PutWrappedPurposeKey(subject, purpose, mine);
  if (put.ok()) return key;
  if (put.kind() != ErrorKind::kConflict) return put;
  // Another thread or process made the key first: use that one.
  FG_ASSIGN_OR_RETURN(std::string theirs, store.GetWrappedPurposeKey(subject, purpose));
  return UnwrapKey(master, theirs, subject, purpose);
}

}  // namespace

Result<Vault> Vault::Open(const std::string& master_key_path) {
  FG_RETURN_IF_ERROR(EnsureSodium());
  const std::string& path = master_key_path;
  if (path.empty()) return Status::InvalidInput("master key path is empty: give a file path");
  FG_RETURN_IF_ERROR(MakeDirs(ParentDir(path), 0700));
  FG_RETURN_IF_ERROR(CreateMasterKeyIfMissing(path));

  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) {
      return Status::Integrity("master key file " + Quote(path) +
                               " is a symbolic link: replace it with the key file itself");
    }
    return Status::Integrity("cannot read master key file " + Quote(path) + ": " +
                             std::strerror(errno) + " (run facegate as the file's owner)");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Integrity("master key file " + Quote(path) + " is not a regular file");
  }
  if (st.st_mode & 077) {  // REQ S4: the key that unlocks every template is the owner's alone
    ::close(fd);
    return Status::Integrity("master key file " + Quote(path) + " has mode " +
                             ModeString(st.st_mode) +
                             ", readable by group or others: run `chmod 600 " + path +
                             "` (and consider the key exposed: rotate it)");
  }
  if (st.st_size != static_cast<off_t>(kKeyBytes)) {
    ::close(fd);
    return Status::Integrity("master key file " + Quote(path) + " has " +
                             std::to_string(st.st_size) + " bytes, expected " +
                             std::to_string(kKeyBytes) +
                             ": restore it from backup (without it sealed templates cannot be "
                             "opened)");
  }
  std::string key(kKeyBytes, '\0');
  size_t got = 0;
  while (got < kKeyBytes) {
    ssize_t r = ::read(fd, key.data() + got, kKeyBytes - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  if (got != kKeyBytes) {
    Wipe(key);
    return Status::Integrity("master key file " + Quote(path) +
                             " could not be read in full: restore it from backup");
  }
  return Vault(std::move(key));
}

Vault::Vault(std::string master_key) : master_key_(std::move(master_key)) {}

Vault::Vault(Vault&& other) noexcept : master_key_(std::move(other.master_key_)) {
  Wipe(other.master_key_);
}

Vault& Vault::operator=(Vault&& other) noexcept {
  if (this != &other) {
    Wipe(master_key_);
    master_key_ = std::move(other.master_key_);
    Wipe(other.master_key_);
  }
  return *this;
}

Vault::~Vault() {
  Wipe(master_key_);
}

// Seals only: the caller stores the result with Store::PutTemplate (the
// returned id is 0), so the enrolment flow decides the transaction around it.
Result<SealedTemplate> Vault::Seal(const Grant& grant, Store& store, const Template& t,
                                   UnixTime now, UnixTime expires_at) const {
  // REQ C1: only an enrolment grant lets a template leave memory.
  if (grant.operation() != Operation::kEnrol || !grant.may_store()) {
    return Status::Refused("C1", std::string("storing a template needs an enrolment grant; this "
                                             "grant is for ") +
                                     ToString(grant.operation()));
  }
  if (grant.subject().empty() || grant.purpose().empty()) {
    return Status::Refused("C1", "the enrolment grant names no subject or purpose");
  }
  const std::string& subject = grant.subject();
  const std::string& purpose = grant.purpose();
  FG_ASSIGN_OR_RETURN(SecretKey master, SecretKey::FromBytes(master_key_));
  // REQ S7: a key per subject and purpose, so withdrawing this purpose shreds these copies only.
  FG_ASSIGN_OR_RETURN(SecretKey key, LoadOrMakePurposeKey(master, store, subject, purpose, now));

  std::string plain = EncodeTemplateValues(t.values());
  // REQ S3, S4: the AD binds the blob to subject, purpose and model.
  Result<SealedBytes> sealed = SealBytes(key, plain, TemplateAd(subject, purpose, t.model()));
  Wipe(plain);
  if (!sealed.ok()) return sealed.status();

  SealedTemplate out;
  out.subject = subject;
  out.purpose = purpose;
  out.model = t.model();
  out.nonce = std::move(sealed->nonce);
  out.ciphertext = std::move(sealed->ciphertext);
  out.created_at = now;
  out.expires_at = expires_at;
  out.purpose_key = true;
  return out;
}

Result<std::vector<Template>> Vault::OpenAll(const Grant& grant, Store& store,
                                             const std::string& subject) const {
  return OpenAll(grant, store, subject, 0);
}

Result<std::vector<Template>> Vault::OpenAll(const Grant& grant, Store& store, const std::string& subject,
                                             UnixTime now) const {
  // REQ C1: templates are opened only to verify or enrol (the granted subject)
  // or to identify (any subject, within the grant's purpose); never for research.
  switch (grant.operation()) {
    case Operation::kEnrol:
    case Operation::kVerify:
    case Operation::kDisclose:  // only the named subject's, for its recipient (REQ C8)
      if (grant.subject() != subject) {
        return Status::Refused(
            "C1", "the grant is for subject " + Quote(grant.subject()) + ", not " + Quote(subject));
      }
      break;
    case Operation::kIdentify:
      // 1:N search opens each candidate in the scope; the grant's purpose (all
      // that is opened below) limits it to templates enrolled for that purpose.
      break;
    case Operation::kResearch:
      return Status::Refused("C1", "a research grant cannot open stored templates (REQ P3)");
  }
  if (subject.empty()) return Status::InvalidInput("subject id is empty");
  const std::string& purpose = grant.purpose();

  FG_ASSIGN_OR_RETURN(std::vector<SealedTemplate> sealed, store.GetTemplates(subject, purpose));
  const size_t held = sealed.size();
  if (now > 0)
    sealed.erase(std::remove_if(sealed.begin(), sealed.end(),
                                [&](const SealedTemplate& t) { return t.expires_at <= now; }),
                 sealed.end());
  if (sealed.empty() && held > 0)
    return Status::NotFound("subject " + Quote(subject) + "'s templates for purpose " + Quote(purpose) +
                            " have expired (REQ S5): enrol again");
  if (sealed.empty()) {
    return Status::NotFound("subject " + Quote(subject) + " has no templates for purpose " +
                            Quote(purpose) + ": enrol first");
  }
  // The keys that sealed them: the subject and purpose's (REQ S7), and for templates sealed
  // before keys were kept per purpose, the subject's. A destroyed key means shredded copies.
  FG_ASSIGN_OR_RETURN(SecretKey master, SecretKey::FromBytes(master_key_));
  std::optional<SecretKey> purpose_key, subject_key;
  for (const SealedTemplate& s : sealed) {
    std::optional<SecretKey>& slot = s.purpose_key ? purpose_key : subject_key;
    if (slot) continue;
    Result<std::string> wrapped =
        s.purpose_key ? store.GetWrappedPurposeKey(subject, purpose) : store.GetWrappedSubjectKey(subject);
    if (!wrapped.ok() && wrapped.status().kind() == ErrorKind::kNotFound)
      return Status::NotFound("no key for subject " + Quote(subject) + " and purpose " + Quote(purpose) +
                              ": its templates were shredded (REQ S7); enrol again with a new consent");
    if (!wrapped.ok()) return wrapped.status();
    FG_ASSIGN_OR_RETURN(SecretKey k, s.purpose_key ? UnwrapKey(master, *wrapped, subject, purpose)
                                                   : UnwrapKey(master, *wrapped, subject));
    slot.emplace(std::move(k));
  }

  std::vector<Template> out;
  out.reserve(sealed.size());
  for (const SealedTemplate& s : sealed) {
    const SecretKey& key = s.purpose_key ? *purpose_key : *subject_key;
    Result<std::string> plain =
        OpenBytes(key, s.nonce, s.ciphertext, TemplateAd(subject, purpose, s.model));
    if (!plain.ok()) {
      return Status::Integrity("template " + std::to_string(s.id) + " of subject " +
                               Quote(subject) +
                               " fails authentication: it was altered, or moved from another "
                               "subject, purpose or model; delete it and enrol again");
    }
    Result<std::array<float, kTemplateDim>> values = DecodeTemplateValues(*plain);
    Wipe(*plain);
    if (!values.ok()) return values.status();
    out.push_back(Template(*values, s.model));
    sodium_memzero(values->data(), sizeof(float) * kTemplateDim);
  }
  return out;
}

std::string Vault::DeriveKey(const char* context, uint64_t id) const {
  std::string key(32, '\0');
  crypto_kdf_derive_from_key(reinterpret_cast<unsigned char*>(key.data()), key.size(), id, context,
                             reinterpret_cast<const unsigned char*>(master_key_.data()));
  return key;
}

}  // namespace facegate::store
