// Low-level sealing used by store::Vault: libsodium XChaCha20-Poly1305 (IETF)
// with random 24-byte nonces. Keys live in SecretKey, which wipes itself.
// Private to the store layer; Vault is the API the rest of facegate uses (REQ S4, S7).
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>
#include <facegate/template.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace facegate::store {

inline constexpr size_t kKeyBytes = 32;    // crypto_aead_xchacha20poly1305_ietf_KEYBYTES
inline constexpr size_t kNonceBytes = 24;  // crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
inline constexpr size_t kTagBytes = 16;    // crypto_aead_xchacha20poly1305_ietf_ABYTES
// Sealed plaintext of a template: kTemplateDim little-endian float32.
inline constexpr size_t kTemplatePlaintextBytes = kTemplateDim * 4;

// Initializes libsodium once; kInternal if it cannot (no entropy source).
Status EnsureSodium();

// 32 secret bytes that are wiped (sodium_memzero) when destroyed.
class SecretKey {
 public:
  SecretKey() = default;
  ~SecretKey();
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;

  // Fresh key from the OS CSPRNG (randombytes_buf).
  static Result<SecretKey> Random();
  // Copies exactly kKeyBytes bytes; kIntegrity for another size.
  static Result<SecretKey> FromBytes(std::string_view bytes);

  const unsigned char* data() const { return b_.data(); }
  std::string_view view() const { return {reinterpret_cast<const char*>(b_.data()), b_.size()}; }

 private:
  std::array<unsigned char, kKeyBytes> b_{};
};

// A nonce and the AEAD output (ciphertext || 16-byte tag).
struct SealedBytes {
  std::string nonce;
  std::string ciphertext;
};

// Encrypts and authenticates `plaintext`, binding `ad` (not stored, must be given again to open).
Result<SealedBytes> SealBytes(const SecretKey& key, std::string_view plaintext,
                              std::string_view ad);
// Reverses SealBytes. kIntegrity when the key, nonce, ciphertext or `ad` differ.
// The caller should wipe the returned plaintext (sodium_memzero) after use.
Result<std::string> OpenBytes(const SecretKey& key, std::string_view nonce,
                              std::string_view ciphertext, std::string_view ad);

// Wraps a data key with the master key, bound to the subject id and, for a per-purpose key
// (REQ S7), the purpose; an empty purpose is the subject's key (REQ S4, S7).
// Format: nonce (24) || ciphertext (32) || tag (16).
Result<std::string> WrapKey(const SecretKey& master, const SecretKey& subject_key,
                            std::string_view subject, std::string_view purpose = {});
// kIntegrity when the master key, subject or purpose differs or the bytes were altered.
Result<SecretKey> UnwrapKey(const SecretKey& master, std::string_view wrapped,
                            std::string_view subject, std::string_view purpose = {});

// Associated data for a template: binds subject, purpose and model, so a blob
// moved to another subject, purpose or model fails to open (REQ S3, S4).
std::string TemplateAd(std::string_view subject, std::string_view purpose, std::string_view model);
// Associated data for a wrapped subject key.
std::string SubjectKeyAd(std::string_view subject);
// Associated data for a wrapped key of one subject and purpose (REQ S7).
std::string PurposeKeyAd(std::string_view subject, std::string_view purpose);

// Template values <-> kTemplatePlaintextBytes little-endian float32 bytes.
std::string EncodeTemplateValues(const std::array<float, kTemplateDim>& values);
Result<std::array<float, kTemplateDim>> DecodeTemplateValues(std::string_view bytes);

// Overwrites a buffer holding secrets before it is freed.
void Wipe(std::string& s);

}  // namespace facegate::store
