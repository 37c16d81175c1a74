# Two commands do everything on a fresh Debian 12 machine (as root): `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# Build and test: compiler, libraries, ss/nstat (iproute2) that the tests compare with, and
# prometheus (promtool and the server) for the exporter's tests.
DEB_PACKAGES := build-essential cmake pkg-config libmnl-dev libcli11-dev \
  nlohmann-json3-dev libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev \
  iproute2 net-tools procps prometheus
# Only `make bench` needs these: the tools it compares with and times.
BENCH_PACKAGES := time curl systemd prometheus-node-exporter hyperfine lsof
# Only `make format` and `make tidy`.
LINT_PACKAGES := clang-format clang-tidy

# Installs the packages in $(1) that are missing; quiet when all are there.
define apt_install
	@missing=$$(for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

.PHONY: deps bench-deps lint-deps build run test bench format tidy clean

deps:
	$(call apt_install,$(DEB_PACKAGES))

bench-deps:
	$(call apt_install,$(BENCH_PACKAGES))

lint-deps:
	$(call apt_install,$(LINT_PACKAGES))

$(BUILD_DIR)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD_DIR)/Makefile
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The checkup of this host. Its exit code is a verdict (1 warning, 2 critical), which is not a
# failure of `make run`; 3 (could not check) is.
run: build
	@echo '$$ tcpdoctor checkup'
	@./$(BUILD_DIR)/tcpdoctor checkup; status=$$?; \
	  if [ $$status -ge 3 ]; then exit $$status; fi; \
	  echo "(exit code $$status: 0 ok, 1 warning, 2 critical)"

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure

bench: build bench-deps
	@bench/run.sh

format: lint-deps
	@clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: lint-deps $(BUILD_DIR)/Makefile
	@clang-tidy -p $(BUILD_DIR) --quiet --extra-arg=-Wno-unknown-warning-option \
		$$(git ls-files 'src/*.cc')

clean:
	@rm -rf $(BUILD_DIR)
