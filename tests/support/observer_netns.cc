#include "support/observer_netns.h"

#include <gtest/gtest.h>

namespace tcpdoctor::itest {

void RunWithObserverNetns(const std::function<void()>& populate,
                          const std::function<void(pid_t, const std::string&)>& observe,
                          const SandboxOptions& options) {
  RunInNetns(
      [&] {
        int observed = 0;
        RunInNetns(
            populate,
            [&](pid_t pid, const std::string& payload) {
              ++observed;
              observe(pid, payload);
            },
            options);
        EXPECT_GT(observed, 0) << "the population namespace never handed off to the observer";
      },
      options);
}

}  // namespace tcpdoctor::itest
