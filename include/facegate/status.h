// Errors as values: every fallible call returns Status or Result<T>.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace facegate {

// What went wrong, coarse enough for exit codes and HTTP statuses.
enum class ErrorKind {
  kOk = 0,
  kInvalidInput,  // the caller's data is wrong (bad image, unknown option...)
  kNotFound,      // an id that does not exist
  kRefused,       // the compliance core said no (carries a requirement id)
  kConflict,      // state forbids it now (already exists, already spent...)
  kIntegrity,     // stored data or model files failed a check
  kInternal,      // a bug or an environment failure
};

const char* ToString(ErrorKind kind);

// A value-typed error: kind + a message that says what was wrong and what to do.
class Status {
 public:
  Status() = default;
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidInput(std::string m) { return {ErrorKind::kInvalidInput, std::move(m)}; }
  static Status NotFound(std::string m) { return {ErrorKind::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {ErrorKind::kConflict, std::move(m)}; }
  static Status Integrity(std::string m) { return {ErrorKind::kIntegrity, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorKind::kInternal, std::move(m)}; }
  // A refusal by the compliance core; `requirement` is an id such as "C1".
  static Status Refused(std::string requirement, std::string m) {
    Status s{ErrorKind::kRefused, std::move(m)};
    s.requirement_ = std::move(requirement);
    return s;
  }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // Requirement id behind a refusal (empty otherwise).
  const std::string& requirement() const { return requirement_; }
  std::string ToString() const;

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
  std::string requirement_;
};

// Either a value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace facegate

// Propagate a non-ok Status from an expression returning Status.
#define FG_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::facegate::Status _st = (expr);      \
    if (!_st.ok()) return _st;            \
  } while (0)

#define FG_CONCAT_INNER(a, b) a##b
#define FG_CONCAT(a, b) FG_CONCAT_INNER(a, b)
// Assign the value of a Result expression to `lhs`, or return its Status.
#define FG_ASSIGN_OR_RETURN(lhs, expr) FG_ASSIGN_OR_RETURN_IMPL(FG_CONCAT(_res_, __LINE__), lhs, expr)
#define FG_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
