# Two commands do everything on a fresh Debian 12 machine (as root): `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DEB_PACKAGES := build-essential cmake pkg-config libmnl-dev libcli11-dev \
  nlohmann-json3-dev libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev \
  iproute2 net-tools lsof procps hyperfine curl time systemd prometheus-node-exporter clang-format clang-tidy

.PHONY: deps build run test bench format tidy clean

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD_DIR)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD_DIR)/Makefile
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@echo '$$ tcpdoctor states'
	@./$(BUILD_DIR)/tcpdoctor states
	@echo
	@echo '$$ tcpdoctor top --by lport'
	@./$(BUILD_DIR)/tcpdoctor top --by lport

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure

bench: build
	@bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: $(BUILD_DIR)/Makefile
	@clang-tidy -p $(BUILD_DIR) --quiet $$(git ls-files 'src/*.cc')

clean:
	@rm -rf $(BUILD_DIR)
