// Seals templates with per-subject keys (libsodium XChaCha20-Poly1305 AEAD);
// subject keys are wrapped by a master key kept in a 0600 file (REQ S4, S7).
#pragma once

#include <facegate/grant.h>
#include <facegate/records.h>
#include <facegate/status.h>
#include <facegate/store.h>
#include <facegate/template.h>

#include <string>
#include <vector>

namespace facegate::store {

class Vault {
 public:
  // Loads the 32-byte master key from `master_key_path`, creating it (mode 0600,
  // parent directory 0700) on first run. kIntegrity if the file is unreadable,
  // the wrong size, or readable by group/others.
  static Result<Vault> Open(const std::string& master_key_path);

  // Seals `t` under the subject's key (made and wrapped on first use). Needs an
  // enrolment grant for that subject and purpose (REQ C1).
  Result<SealedTemplate> Seal(const Grant& grant, Store& store, const Template& t,
                              UnixTime now, UnixTime expires_at) const;

  // Opens the subject's templates for the grant's purpose. kNotFound when there
  // are none or the key was destroyed; kIntegrity when a ciphertext fails.
  Result<std::vector<Template>> OpenAll(const Grant& grant, Store& store,
                                        const std::string& subject) const;
  // The same, leaving out templates past their expiry at `now`: an expired template is never
  // matched, even before the retention sweep deletes it (REQ S5). kNotFound when none is left.
  Result<std::vector<Template>> OpenAll(const Grant& grant, Store& store, const std::string& subject,
                                        UnixTime now) const;

  // A 32-byte key for one use, derived from the master key (libsodium crypto_kdf; `context`
  // is exactly 8 characters, e.g. "altokens"), so no second key file exists to lose or leak.
  std::string DeriveKey(const char* context, uint64_t id) const;

  Vault(Vault&&) noexcept;
  Vault& operator=(Vault&&) noexcept;
  ~Vault();  // wipes the master key from memory

 private:
  explicit Vault(std::string master_key);
  std::string master_key_;
};

}  // namespace facegate::store
