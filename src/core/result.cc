#include "core/result.h"

#include <cstring>

namespace tcpdoctor {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kPermission:
      return "permission denied";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kParse:
      return "parse error";
    case ErrorCode::kProtocol:
      return "protocol error";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kInterrupted:
      return "interrupted";
  }
  return "error";
}

Error Error::FromErrno(int err, std::string message, std::string context) {
  ErrorCode code = ErrorCode::kIo;
  if (err == EPERM || err == EACCES) code = ErrorCode::kPermission;
  if (err == ENOENT || err == ESRCH) code = ErrorCode::kNotFound;
  if (err == EPROTONOSUPPORT || err == EAFNOSUPPORT || err == EOPNOTSUPP) {
    code = ErrorCode::kUnsupported;
  }
  if (err == EINVAL) code = ErrorCode::kInvalidArgument;
  return Error{code, std::move(message), err, std::move(context), {}};
}

std::string Error::ToString() const {
  std::string out;
  if (!context.empty()) out += context + ": ";
  out += message;
  if (sys_errno != 0) {
    out += ": ";
    out += std::strerror(sys_errno);
  }
  if (!hint.empty()) out += " (" + hint + ")";
  return out;
}

}  // namespace tcpdoctor
