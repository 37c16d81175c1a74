#!/bin/sh
# Checks the Prometheus rules and runs their unit tests (CTest: deploy_prometheus_rules).
# Fails, never skips, without promtool: `make deps` installs it (Debian package prometheus).
set -eu
cd "$(dirname "$0")"
if ! command -v promtool >/dev/null 2>&1; then
  echo "deploy_prometheus_rules: promtool not found; install the Debian package prometheus" \
    "(make deps)" >&2
  exit 1
fi
promtool check rules --lint=all --lint-fatal tcpdoctor-alerts.yml
promtool test rules tcpdoctor-alerts.test.yml
