// Owns a file descriptor and closes it when destroyed: the project's own (a closer computes
// no expectation, so the tests need no copy of their own).
#pragma once

#include "core/unique_fd.h"

namespace tcpdoctor::itest {

using ::tcpdoctor::UniqueFd;

}  // namespace tcpdoctor::itest
