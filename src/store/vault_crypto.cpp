#include "store/vault_crypto.h"

#include <sodium.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "store/encoding.h"

namespace facegate::store {

static_assert(kKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

Status EnsureSodium() {
  static const int rc = sodium_init();  // thread-safe, idempotent; <0 only on failure
  if (rc < 0) {
    return Status::Internal(
        "libsodium failed to initialize (no usable random source?): check /dev/urandom");
  }
  return Status::Ok();
}

SecretKey::~SecretKey() {
  sodium_memzero(b_.data(), b_.size());
}

Result<SecretKey> SecretKey::Random() {
  FG_RETURN_IF_ERROR(EnsureSodium());
  SecretKey k;
  randombytes_buf(k.b_.data(), k.b_.size());
  return k;
}

Result<SecretKey> SecretKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kKeyBytes) {
    return Status::Integrity("key has " + std::to_string(bytes.size()) + " bytes, expected " +
                             std::to_string(kKeyBytes));
  }
  SecretKey k;
  std::memcpy(k.b_.data(), bytes.data(), kKeyBytes);
  return k;
}

void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

Result<SealedBytes> SealBytes(const SecretKey& key, std::string_view plaintext,
                              std::string_view ad) {
  FG_RETURN_IF_ERROR(EnsureSodium());
  SealedBytes out;
  out.nonce.resize(kNonceBytes);
  // Random 192-bit nonces: collisions are negligible, so no nonce state to keep.
  randombytes_buf(out.nonce.data(), out.nonce.size());
  out.ciphertext.resize(plaintext.size() + kTagBytes);
  unsigned long long clen = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.ciphertext.data()), &clen,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(out.nonce.data()), key.data());
  if (rc != 0) return Status::Internal("crypto_aead_xchacha20poly1305_ietf_encrypt failed");
  out.ciphertext.resize(clen);
  return out;
}

Result<std::string> OpenBytes(const SecretKey& key, std::string_view nonce,
                              std::string_view ciphertext, std::string_view ad) {
  FG_RETURN_IF_ERROR(EnsureSodium());
  if (nonce.size() != kNonceBytes) {
    return Status::Integrity("sealed data has a " + std::to_string(nonce.size()) +
                             "-byte nonce, expected " + std::to_string(kNonceBytes) +
                             ": the record is damaged");
  }
  if (ciphertext.size() < kTagBytes) {
    return Status::Integrity(
        "sealed data is shorter than its authentication tag: the record is "
        "damaged");
  }
  std::string plain(ciphertext.size() - kTagBytes, '\0');
  unsigned long long plen = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr,
      reinterpret_cast<const unsigned char*>(ciphertext.data()), ciphertext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
      reinterpret_cast<const unsigned char*>(nonce.data()), key.data());
  if (rc != 0) {
    Wipe(plain);
    return Status::Integrity(
        "sealed data failed authentication: it was altered, sealed under another key, or bound "
        "to another subject/purpose/model");
  }
  plain.resize(plen);
  return plain;
}

Result<std::string> WrapKey(const SecretKey& master, const SecretKey& subject_key,
                            std::string_view subject, std::string_view purpose) {
  const std::string ad = purpose.empty() ? SubjectKeyAd(subject) : PurposeKeyAd(subject, purpose);
  FG_ASSIGN_OR_RETURN(SealedBytes s, SealBytes(master, subject_key.view(), ad));
  return s.nonce + s.ciphertext;
}

Result<SecretKey> UnwrapKey(const SecretKey& master, std::string_view wrapped,
                            std::string_view subject, std::string_view purpose) {
  if (wrapped.size() != kNonceBytes + kKeyBytes + kTagBytes) {
    return Status::Integrity("wrapped key of subject '" + std::string(subject) + "' has " +
                             std::to_string(wrapped.size()) + " bytes, expected " +
                             std::to_string(kNonceBytes + kKeyBytes + kTagBytes) +
                             ": the record is damaged; restore the database from backup");
  }
  Result<std::string> plain = OpenBytes(master, wrapped.substr(0, kNonceBytes),
                                        wrapped.substr(kNonceBytes),
                                        purpose.empty() ? SubjectKeyAd(subject) : PurposeKeyAd(subject, purpose));
  if (!plain.ok()) {
    return Status::Integrity("the key of subject '" + std::string(subject) +
                             (purpose.empty() ? "" : "' for purpose '" + std::string(purpose)) +
                             "' does not unwrap: the master key file is not the one that wrapped "
                             "it (restore the right master key) or the record was altered");
  }
  Result<SecretKey> key = SecretKey::FromBytes(*plain);
  Wipe(*plain);
  return key;
}

std::string TemplateAd(std::string_view subject, std::string_view purpose, std::string_view model) {
  std::string ad;
  AppendField(ad, "facegate.template.v1");
  AppendField(ad, subject);
  AppendField(ad, purpose);
  AppendField(ad, model);
  return ad;
}

std::string SubjectKeyAd(std::string_view subject) {
  std::string ad;
  AppendField(ad, "facegate.subject-key.v1");
  AppendField(ad, subject);
  return ad;
}

std::string PurposeKeyAd(std::string_view subject, std::string_view purpose) {
  std::string ad;
  AppendField(ad, "facegate.purpose-key.v1");
  AppendField(ad, subject);
  AppendField(ad, purpose);
  return ad;
}

std::string EncodeTemplateValues(const std::array<float, kTemplateDim>& values) {
  std::string out(kTemplatePlaintextBytes, '\0');
  for (int i = 0; i < kTemplateDim; ++i) {
    uint32_t bits = std::bit_cast<uint32_t>(values[i]);
    for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return out;
}

Result<std::array<float, kTemplateDim>> DecodeTemplateValues(std::string_view bytes) {
  if (bytes.size() != kTemplatePlaintextBytes) {
    return Status::Integrity("opened template has " + std::to_string(bytes.size()) +
                             " bytes, expected " + std::to_string(kTemplatePlaintextBytes));
  }
  std::array<float, kTemplateDim> v{};
  for (int i = 0; i < kTemplateDim; ++i) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) {
      bits |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[4 * i + b])) << (8 * b);
    }
    v[i] = std::bit_cast<float>(bits);
  }
  return v;
}

}  // namespace facegate::store
