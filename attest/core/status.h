// Status and Result<T>: the error type of every fallible function in the project.
//
// A Status carries a stable Reason (a dotted string such as "snp.signature_invalid" plus its coarse
// ErrorCode) and a human message with the detail (spec field, got vs want, offset). Callers branch
// on the reason or the code, never on the message. Shaped like absl::Status / absl::StatusOr.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "attest/core/reasons.h"

namespace attest {

class [[nodiscard]] Status {
 public:
  // Status() is OK.
  Status() = default;
  Status(Reason reason, std::string message) : reason_(reason), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return reason_.code == ErrorCode::kOk; }
  ErrorCode code() const { return reason_.code; }
  const Reason& reason() const { return reason_; }
  // reason_id is the stable dotted reason, e.g. "snp.signature_invalid"; "ok" when ok().
  std::string_view reason_id() const { return reason_.id; }
  const std::string& message() const { return message_; }
  // ToString is "<reason>: <message>" for logs and CLI output.
  std::string ToString() const;

  // WithContext returns the same reason with "context: " prefixed to the message.
  Status WithContext(std::string_view context) const;

 private:
  Reason reason_ = reasons::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result constructed from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace attest

// ATTEST_RETURN_IF_ERROR(expr) returns the Status of expr from the enclosing function when it is
// not OK.
#define ATTEST_RETURN_IF_ERROR(expr)   \
  do {                                 \
    ::attest::Status status_ = (expr); \
    if (!status_.ok()) return status_; \
  } while (false)

#define ATTEST_CONCAT_INNER(a, b) a##b
#define ATTEST_CONCAT(a, b) ATTEST_CONCAT_INNER(a, b)

// ATTEST_ASSIGN_OR_RETURN(lhs, expr) evaluates a Result<T> expression, returns its Status on error,
// otherwise moves the value into lhs (a declaration or declarator: no parentheses, hence NOLINT).
#define ATTEST_ASSIGN_OR_RETURN(lhs, expr) \
  ATTEST_ASSIGN_OR_RETURN_IMPL(ATTEST_CONCAT(result_, __LINE__), lhs, expr)
#define ATTEST_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                           \
  auto tmp = (expr);                  /* NOLINT(bugprone-macro-parentheses) */ \
  if (!tmp.ok()) return tmp.status(); /* NOLINT(bugprone-macro-parentheses) */ \
  lhs = std::move(tmp).value()        /* NOLINT(bugprone-macro-parentheses) */
