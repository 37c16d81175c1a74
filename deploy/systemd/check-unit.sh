#!/bin/sh
# Checks deploy/systemd where no systemd runs (a container, CI): `systemd-analyze verify` and
# `systemd-analyze security --offline` on tcpdoctor.service with and without all-netns.conf,
# in a scratch root; then, under strace, that every system call a tcpdoctor command makes is
# one the unit's SystemCallFilter= allows.
#   deploy/systemd/check-unit.sh BINARY [ARGS...]    (default ARGS: checkup -i 1 --all-netns)
# Needs the Debian packages systemd and strace; root for --all-netns.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:?usage: check-unit.sh TCPDOCTOR_BINARY [ARGS...]}
shift
[ $# -gt 0 ] || set -- checkup -i 1 --all-netns
for tool in systemd-analyze strace; do
  command -v "$tool" >/dev/null || { echo "check-unit: $tool not found (apt-get install ${tool%-analyze})" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# A root with the distribution's units (targets the unit depends on), the unit and the binary
# where ExecStart= expects it.
root=$work/root
mkdir -p "$root/usr/lib/systemd" "$root/usr/local/bin" "$root/etc/systemd/system/tcpdoctor.service.d"
cp -r /lib/systemd/system "$root/usr/lib/systemd/"
cp "$binary" "$root/usr/local/bin/tcpdoctor"
cp "$here/tcpdoctor.service" "$root/etc/systemd/system/"
review() {  # $1: what is checked; verify must print nothing (it exits 0 on warnings)
  out=$(systemd-analyze verify --root="$root" tcpdoctor.service 2>&1) || true
  if [ -n "$out" ]; then echo "FAIL verify ($1):"; echo "$out"; status=1; else echo "ok   verify ($1)"; fi
  systemd-analyze security --offline=true --root="$root" tcpdoctor.service 2>&1 |
    sed -n "s/^→ Overall exposure level for tcpdoctor.service: /     exposure ($1): /p"
}
review "tcpdoctor.service"
cp "$here/all-netns.conf" "$root/etc/systemd/system/tcpdoctor.service.d/"
review "with all-netns.conf"

# The filter: SystemCallFilter= lines, groups expanded; a line starting with ~ denies.
expand() {  # the system calls of a group, recursively, or the name itself
  case $1 in
    @*) systemd-analyze syscall-filter "$1" | sed -n '2,$p' | sed 's/^ *//' | grep -vE '^(#|$)' |
          while read -r name; do expand "$name"; done ;;
    *) echo "$1" ;;
  esac
}
: >"$work/allow"; : >"$work/deny"
sed -n 's/^SystemCallFilter=//p' "$here/tcpdoctor.service" | while read -r line; do
  case $line in
    "~"*) for g in ${line#"~"}; do expand "$g"; done >>"$work/deny" ;;
    *) for g in $line; do expand "$g"; done >>"$work/allow" ;;
  esac
done
strace -f -qq -o "$work/trace" "$binary" "$@" >/dev/null 2>&1 || true
sed -E 's/^[0-9]+ +//' "$work/trace" | grep -oE '^[a-z_0-9]+\(' | tr -d '(' | sort -u >"$work/used"
refused=0
while read -r call; do
  if ! grep -qx "$call" "$work/allow" || grep -qx "$call" "$work/deny"; then
    echo "FAIL system call $call is refused by SystemCallFilter="; refused=1; status=1
  fi
done <"$work/used"
[ $refused -eq 0 ] && echo "ok   $(wc -l <"$work/used") system calls of \`tcpdoctor $*\` pass SystemCallFilter="
exit $status
