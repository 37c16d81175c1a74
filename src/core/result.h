// Errors as values: every fallible call below cli/ returns Result<T>; only cli/ prints them.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace tcpdoctor {

enum class ErrorCode {
  kInvalidArgument,  // the user asked for something malformed
  kNotFound,         // a file, namespace or process that is not there
  kPermission,       // the kernel said EPERM/EACCES
  kIo,               // a read or syscall failed for another reason
  kParse,            // input text or bytes did not have the expected shape
  kProtocol,         // the kernel's netlink answer broke the protocol
  kUnsupported,      // this kernel lacks the feature
  kInterrupted,      // a dump was interrupted (NLM_F_DUMP_INTR) or a signal arrived
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kIo;
  std::string message;  // what went wrong, in words
  int sys_errno = 0;    // errno when a syscall failed, else 0
  std::string context;  // where: a path, namespace, flag ...
  std::string hint;     // what the user can do about it, may be empty

  static Error FromErrno(int err, std::string message, std::string context = {});

  // "context: message: strerror (hint)" on one line.
  std::string ToString() const;

  Error&& WithHint(std::string h) && {
    hint = std::move(h);
    return std::move(*this);
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT: implicit on purpose
  Result(Error error) : data_(std::move(error)) {}  // NOLINT: implicit on purpose

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<Error>(data_); }
  Error&& TakeError() { return std::get<Error>(std::move(data_)); }

 private:
  std::variant<T, Error> data_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace tcpdoctor
