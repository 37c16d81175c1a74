#!/usr/bin/env bash
# tcpdoctor benchmark driver (see bench/README.md).
#
# For each size it builds a socket population (60% ESTABLISHED, 34% TIME_WAIT, 3% CLOSE_WAIT,
# 3% FIN_WAIT2, plus a few listeners) inside a fresh `unshare -n` network namespace and times,
# in that same namespace, tcpdoctor and the usual alternatives. Results go to stdout and to
# bench/out/results-<size>.md.
#
# BENCH_MODE=owners times socket-owner attribution instead (issue 3): the same population, its
# held fds spread over ~1,000 holder processes, timed against `ss -tanp` and `lsof -nP -iTCP`,
# with the per-process attribution checked; results in bench/out/owners-<size>.md.
#
# BENCH_MODE=checkup times `tcpdoctor checkup -i 0` (issue 5: the whole diagnosis without the
# counter interval) against the bare dump on the same population; results in
# bench/out/checkup-<size>.md.
#
# BENCH_MODE=serve times a `tcpdoctor serve` scrape against node_exporter's tcpstat scrape
# (issue 7) on the same population, with each exporter's peak and final RSS; tcpdoctor serve
# runs in a second namespace of its own (so its listener and scrapes add no socket to the
# population) and collects the population's with --netns; results in bench/out/serve-<size>.md.
#
# Environment:
#   BENCH_MODE=states                   states (state counting), owners (owner attribution),
#                                       checkup (the doctor) or serve (the exporter)
#   BENCH_SIZES="10000 100000 1000000"  socket counts (each 100..3000000; owners mode: 100000;
#                                       checkup and serve: "100000 1000000")
#   BENCH_FDS_PER_HOLDER=70             owners mode: socket fds per holder process (16..18000;
#                                       70 puts 100k sockets in 943 holders)
#   BENCH_RUNS=5                        timed runs per tool (1..50); the median is reported
#   BENCH_LISTENERS=8                   extra LISTEN sockets in the population
#   BENCH_SIZE_TIMEOUT=<seconds>        hard limit per size (default 300, 900 for >= 500000)
#   BENCH_NICE=-10                      nice value of each size's own session/autogroup
#                                       (population, tools, node_exporter): keeps a busy
#                                       machine's other jobs from stretching the 60 s TIME_WAIT
#                                       window and from adding noise; 0 disables
#   BENCH_OUT=bench/out                 where the markdown files go
#   BUILD_DIR=build                     where tcpdoctor and bench/tcpdoctor_* are
#   BENCH_BIN_DIR=$BUILD_DIR/bench      where tcpdoctor_population and tcpdoctor_bare_dump are
#   TCPDOCTOR=$BUILD_DIR/tcpdoctor      the binary under test
#
# Internal: `run.sh --inner SIZE` is what runs inside the namespace.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/bench/run.sh"
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
TCPDOCTOR=${TCPDOCTOR:-$BUILD_DIR/tcpdoctor}
BENCH_BIN_DIR=${BENCH_BIN_DIR:-$BUILD_DIR/bench}
POP="$BENCH_BIN_DIR/tcpdoctor_population"
BARE="$BENCH_BIN_DIR/tcpdoctor_bare_dump"
MODE=${BENCH_MODE:-states}
case $MODE in
  states) SIZES=${BENCH_SIZES:-"10000 100000 1000000"} ;;
  owners) SIZES=${BENCH_SIZES:-100000} ;;
  checkup | serve) SIZES=${BENCH_SIZES:-"100000 1000000"} ;;
  *)
    echo "bench/run.sh: BENCH_MODE must be states, owners, checkup or serve (got '$MODE')" >&2
    exit 1
    ;;
esac
FDS_PER_HOLDER=${BENCH_FDS_PER_HOLDER:-70}
RUNS=${BENCH_RUNS:-5}
LISTENERS=${BENCH_LISTENERS:-8}
NICE=${BENCH_NICE:--10}
OUT=${BENCH_OUT:-$ROOT/bench/out}
[[ $OUT == /* ]] || OUT="$ROOT/$OUT"
export BUILD_DIR BENCH_BIN_DIR TCPDOCTOR BENCH_RUNS="$RUNS" BENCH_LISTENERS="$LISTENERS" BENCH_OUT="$OUT"
export BENCH_MODE="$MODE" BENCH_FDS_PER_HOLDER="$FDS_PER_HOLDER"
# Output file per size: results-<size>.md (states) or owners-<size>.md.
md_name() { if [[ $MODE == states ]]; then echo "results-$1.md"; else echo "$MODE-$1.md"; fi; }

TW_MARGIN_US=3000000  # stop timing this long before the oldest TIME_WAIT may expire (60 s)
SERVE_PORT=9947       # serve mode: tcpdoctor serve's port, in its own namespace

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# µs since the epoch from EPOCHREALTIME or from a "sec.frac" string.
now_us() { local t=${EPOCHREALTIME/./}; echo "$((10#$t))"; }
epoch_to_us() {
  local s=${1%.*} f=${1#*.}
  [[ $1 == *.* ]] || f=0
  f="${f}000000"
  echo "$((10#$s * 1000000 + 10#${f:0:6}))"
}
oneline() { tr '\n' ' ' <<<"$1"; }
fmt_s() { awk -v us="$1" 'BEGIN { s = us / 1e6; printf (s < 0.1 ? "%.4f" : "%.3f"), s }'; }
# Median of the space-separated numbers in $1 (0 if none).
median_of() {
  tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -n |
    awk '{ a[NR] = $1 } END { print (NR == 0 ? 0 : NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'
}

# ============================================================================================
# Inside the namespace
# ============================================================================================

inner() {
  local size=$1
  local est=$((size * 60 / 100 / 2 * 2)) tw=$((size * 34 / 100)) cw=$((size * 3 / 100))
  # Globals, not locals: the EXIT trap runs after this function has returned.
  work=$(mktemp -d /tmp/tcpdoctor-bench.XXXXXX)
  ready="$work/ready" pop_pid="" ne_pid="" ne_sock="$work/node_exporter.sock" td_pid=""

  cleanup() {
    local rc=$?
    trap - EXIT
    trap '' INT TERM # finish cleaning up; `timeout -k` still bounds this with SIGKILL
    local p
    for p in "$ne_pid" "$td_pid"; do
      if [[ -n $p ]]; then kill "$p" 2>/dev/null || true; fi
    done
    if [[ -n $pop_pid ]]; then kill -TERM "$pop_pid" 2>/dev/null || true; fi
    local i
    for ((i = 0; i < 300; i++)); do
      { [[ -z $pop_pid ]] || ! kill -0 "$pop_pid" 2>/dev/null; } &&
        { [[ -z $ne_pid ]] || ! kill -0 "$ne_pid" 2>/dev/null; } &&
        { [[ -z $td_pid ]] || ! kill -0 "$td_pid" 2>/dev/null; } && break
      sleep 0.1
    done
    for p in "$pop_pid" "$ne_pid" "$td_pid"; do
      if [[ -n $p ]]; then kill -KILL "$p" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
    if [[ -s $work/pop.log ]]; then sed 's/^/    /' "$work/pop.log" >&2; fi
    rm -rf "$work"
    exit "$rc"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  # ---- which tcpdoctor commands exist (asked while the namespace is still empty: cheap) ----
  local have_td=0 td_procs="" td_top_proc=""
  if [[ -x $TCPDOCTOR ]]; then have_td=1; else log "$TCPDOCTOR missing: skipping tcpdoctor rows"; fi
  if [[ $MODE == owners ]]; then
    td_procs="$TCPDOCTOR missing" td_top_proc="$TCPDOCTOR missing"
    if ((have_td)); then
      td_procs="" td_top_proc=""
      "$TCPDOCTOR" procs --help >/dev/null 2>&1 && "$TCPDOCTOR" procs >/dev/null 2>&1 ||
        td_procs="command not available"
      "$TCPDOCTOR" top --by process >/dev/null 2>&1 || td_top_proc="command not available"
      [[ -z $td_procs ]] || log "'tcpdoctor procs' does not work in $TCPDOCTOR: skipping its row"
      [[ -z $td_top_proc ]] || log "'tcpdoctor top --by process' does not work in $TCPDOCTOR: skipping its row"
    fi
  fi

  # ---- population ------------------------------------------------------------------------
  local -a pop_extra=()
  [[ $MODE == owners ]] && pop_extra=(--fds-per-worker "$FDS_PER_HOLDER")
  log "size $size: building ESTABLISHED $est, TIME_WAIT $tw, CLOSE_WAIT $cw, FIN_WAIT2 $cw, LISTEN $LISTENERS${pop_extra[*]:+ (${pop_extra[*]})}"
  "$POP" --established "$est" --time-wait "$tw" --close-wait "$cw" --listen "$LISTENERS" \
    "${pop_extra[@]}" --hold 900 --ready-file "$ready" 2>"$work/pop.log" &
  pop_pid=$!
  declare -gA R=()
  local gen=0
  read_ready() {
    local k v
    R=()
    while IFS='=' read -r k v; do R[$k]=$v; done <"$ready"
  }
  # Waits (bounded) for the ready file to show a generation above $1.
  wait_generation() {
    local want=$1 limit=$(($(now_us) + $2 * 1000000))
    while :; do
      if [[ -f $ready ]]; then
        read_ready
        ((${R[generation]:-0} >= want)) && return 0
      fi
      kill -0 "$pop_pid" 2>/dev/null || {
        cat "$work/pop.log" >&2
        die "population exited early"
      }
      (($(now_us) < limit)) || die "population not ready within $2 s"
      sleep 0.1
    done
  }
  if ((tw > 0)); then wait_generation 1 300; else wait_generation 0 300; fi
  gen=${R[generation]}
  local build_s=${R[ready_after_seconds]} pairs_s=${R[build_pairs_seconds]}
  local tw_s=${R[build_time_wait_seconds]}
  log "size $size: population ready after ${build_s} s (pairs ${pairs_s} s, TIME_WAIT ${tw_s} s)"

  # Expected per-state counts ("NAME=count" lines, sorted, zeros dropped).
  local expected
  expected=$(printf '%s\n' "ESTABLISHED=${R[established]}" "TIME_WAIT=${R[time_wait]}" \
    "CLOSE_WAIT=${R[close_wait]}" "FIN_WAIT2=${R[fin_wait2]}" "LISTEN=${R[listen]}" |
    grep -v '=0$' | sort)
  local expected_total=${R[total]}

  # ---- node_exporter over a unix socket (no TCP sockets of its own in the population) -----
  local have_ne=0 fetch_client=""
  local -a FETCH=()
  if command -v curl >/dev/null; then
    fetch_client=curl
    FETCH=(curl -s --max-time 300 --unix-socket "$ne_sock" http://localhost/metrics)
  elif command -v python3 >/dev/null; then
    fetch_client=python3
    FETCH=(python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(300); s.connect(sys.argv[1])
s.sendall(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
d = b"".join(iter(lambda: s.recv(65536), b""))
sys.stdout.buffer.write(d.split(b"\r\n\r\n", 1)[1])' "$ne_sock")
  fi
  if [[ $MODE != states && $MODE != serve ]]; then
    : # no exporter row: it attributes no owners and makes no diagnosis
  elif command -v prometheus-node-exporter >/dev/null && command -v systemd-socket-activate >/dev/null &&
    [[ -n $fetch_client ]]; then
    systemd-socket-activate -l "$ne_sock" prometheus-node-exporter --web.systemd-socket \
      --collector.disable-defaults --collector.tcpstat --log.level=error 2>"$work/ne.log" &
    ne_pid=$!
    local i
    for ((i = 0; i < 50; i++)); do
      if [[ -S $ne_sock ]]; then break; fi
      sleep 0.1
    done
    # The first request starts the exporter (socket activation); it is not timed.
    "${FETCH[@]}" >"$work/ne.first" 2>/dev/null || true
    if grep -q '^node_tcp_connection_states' "$work/ne.first"; then
      have_ne=1
    else
      log "node_exporter did not answer; skipping its row"
    fi
  else
    log "prometheus-node-exporter, systemd-socket-activate (systemd) or curl/python3 missing;" \
      "skipping node_exporter"
  fi

  # ---- serve mode: tcpdoctor serve in a second namespace of its own ------------------------
  # Its listener and every scrape's connection (and TIME_WAIT) live in that namespace, so the
  # population stays exact; it collects the population's namespace (this script's) through
  # --netns. --min-interval 0: every scrape makes a collection. Each scrape is an nsenter exec
  # of curl into the exporter's namespace, as node_exporter's is a curl exec.
  local td_serve_skip="" td_first_us=0 td_first_facts="" clk_tck serve_failed=0
  clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
  local -a SCRAPE=()
  # Sets CPU_TICKS to the utime + stime of process $1 (clock ticks; 0 if it is gone) and
  # CPU_U/CPU_S to each: bash builtins only, so sampling around a timed run costs no fork.
  CPU_TICKS=0 CPU_U=0 CPU_S=0
  cpu_ticks() {
    local stat=""
    CPU_TICKS=0 CPU_U=0 CPU_S=0
    [[ -n $1 ]] && read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
    local -a f
    read -ra f <<<"${stat##*) }" # fields 3.. of proc(5): utime is field 14, stime 15
    CPU_U=${f[11]} CPU_S=${f[12]} CPU_TICKS=$((f[11] + f[12]))
  }
  # From one tcpdoctor scrape: the collector durations "sockets processes counters sysctls
  # doctor", the owner map's age (tcpdoctor_process_scan_age_seconds) and the collections made.
  serve_facts() {
    awk '/^tcpdoctor_scrape_collector_duration_seconds\{/ {
           if (match($0, /collector="[a-z]+"/)) d[substr($0, RSTART + 11, RLENGTH - 12)] = $NF }
         /^tcpdoctor_process_scan_age_seconds\{/ { age = $NF }
         /^tcpdoctor_exporter_collections_total / { n = $NF }
         END { printf "%.4f %.4f %.4f %.4f %.4f %.4f %d\n", d["sockets"], d["processes"],
                 d["counters"], d["sysctls"], d["doctor"], age, n }' "$1"
  }
  if [[ $MODE == serve ]]; then
    if ((!have_td)); then
      td_serve_skip="$TCPDOCTOR missing"
    elif ! command -v curl >/dev/null || ! command -v nsenter >/dev/null || ! command -v ip >/dev/null; then
      td_serve_skip="curl, nsenter (util-linux) or ip (iproute2) missing"
      log "serve mode needs curl, nsenter and ip: skipping the tcpdoctor serve row"
    else
      unshare -n -- bash -c 'ip link set lo up && exec "$@"' _ "$TCPDOCTOR" --netns "/proc/$$/ns/net" \
        serve --min-interval 0 --listen "127.0.0.1:$SERVE_PORT" >"$work/serve.log" 2>&1 &
      td_pid=$!
      # Bounded wait: first for the unshare (until then /proc/PID/ns/net is this namespace,
      # not the exporter's own), then for its listener (/healthz makes no collection).
      local i td_up=0 here_ns
      here_ns=$(readlink /proc/self/ns/net)
      for ((i = 0; i < 100; i++)); do
        local td_ns
        td_ns=$(readlink "/proc/$td_pid/ns/net" 2>/dev/null || true)
        if [[ -n $td_ns && $td_ns != "$here_ns" ]] &&
          nsenter "--net=/proc/$td_pid/ns/net" curl -s -o /dev/null --max-time 2 \
            "http://127.0.0.1:$SERVE_PORT/healthz"; then
          td_up=1
          break
        fi
        kill -0 "$td_pid" 2>/dev/null || break
        sleep 0.1
      done
      SCRAPE=(nsenter "--net=/proc/$td_pid/ns/net" curl -s --max-time 300
        "http://127.0.0.1:$SERVE_PORT/metrics")
      if ((td_up)); then
        # Untimed warm-up: the first collection scans every /proc/PID/fd in the foreground;
        # later ones reuse that owner map (see src/cli/owner_cache.h). Its time is reported.
        local t0
        t0=$(now_us)
        "${SCRAPE[@]}" >"$work/serve.first" 2>"$work/serve.first.err" || true
        td_first_us=$(($(now_us) - t0))
        if grep -q '^tcpdoctor_tcp_sockets{' "$work/serve.first"; then
          td_first_facts=$(serve_facts "$work/serve.first")
        else
          td_serve_skip="no metrics from the first scrape"
        fi
      else
        td_serve_skip="did not start"
      fi
      if [[ -n $td_serve_skip ]]; then
        # A tcpdoctor failure, not a missing tool: the size fails (status 3).
        log "!!! tcpdoctor serve $td_serve_skip: $(oneline "$(head -c 300 "$work/serve.log")")"
        td_serve_skip="**failed**: tcpdoctor serve $td_serve_skip"
        serve_failed=1
      fi
    fi
  fi
  # The clients' floor: requests that make no collection (tcpdoctor's /healthz, node_exporter's
  # landing page) through the same execs and timer, 5 each: what nsenter, curl and HTTP cost.
  local floor_td="" floor_ne=""
  if [[ $MODE == serve ]]; then
    local -a ftimer=()
    [[ -x /usr/bin/time ]] && ftimer=(/usr/bin/time -f '%M' -o "$work/rss.floor")
    local t0
    for ((i = 0; i < 5; i++)); do
      if [[ -z $td_serve_skip ]]; then
        t0=$(now_us)
        "${ftimer[@]}" nsenter "--net=/proc/$td_pid/ns/net" curl -s -o /dev/null --max-time 10 \
          "http://127.0.0.1:$SERVE_PORT/healthz" || true
        floor_td+="$(($(now_us) - t0)) "
      fi
      if ((have_ne)) && [[ $fetch_client == curl ]]; then
        t0=$(now_us)
        "${ftimer[@]}" curl -s -o /dev/null --max-time 10 --unix-socket "$ne_sock" http://localhost/ || true
        floor_ne+="$(($(now_us) - t0)) "
      fi
    done
  fi

  # ---- tools -------------------------------------------------------------------------------
  # NAMES: table rows; KIND: how the output is checked (none: not checked, sent to /dev/null);
  # SKIP: why a row is not timed (empty: timed). TD_STATES is the `tcpdoctor states` row (checked
  # against the bare dump, exit status 3 on a difference), NE_IDX the exporter's, REF_IDX the row
  # the ratio column divides by.
  local -a NAMES KIND SKIP
  local TD_STATES=-1 NE_IDX=-1 TDS_IDX=-1 REF_IDX=0 REF_LABEL="bare dump"
  local td_skip=""
  ((have_td)) || td_skip="$TCPDOCTOR missing"
  if [[ $MODE == owners ]]; then
    NAMES=("bare sock_diag dump (floor)" "tcpdoctor procs" "tcpdoctor top --by process"
      "ss -tan (no owners)" "ss -tanp" "lsof -nP -iTCP")
    KIND=(states none none none none none)
    SKIP=("" "$td_procs" "$td_top_proc" "" "" "$(command -v lsof >/dev/null || echo "lsof missing")")
    REF_IDX=4 REF_LABEL="ss -tanp"
  elif [[ $MODE == checkup ]]; then
    NAMES=("bare sock_diag dump (floor)" "tcpdoctor states" "tcpdoctor checkup -i 0"
      "tcpdoctor checkup -i 0 --json" "ss -tan | awk (state count)")
    KIND=(states states none none ss)
    SKIP=("" "$td_skip" "$td_skip" "$td_skip" "")
    TD_STATES=1
  elif [[ $MODE == serve ]]; then
    NAMES=("bare sock_diag dump (floor)" "tcpdoctor states" "tcpdoctor serve scrape"
      "node_exporter tcpstat scrape")
    if [[ $fetch_client == python3 ]]; then NAMES[3]+=" (python3 client)"; fi
    KIND=(states states tdserve exporter)
    SKIP=("" "$td_skip" "$td_serve_skip" "$( ((have_ne)) || echo unavailable)")
    TD_STATES=1 TDS_IDX=2 NE_IDX=3
  else
    NAMES=("bare sock_diag dump (floor)" "tcpdoctor states" "tcpdoctor top --by peer"
      "ss -tan | awk (state count)" "netstat -n | awk (seeds)" "ss -s" "node_exporter tcpstat scrape")
    if [[ $fetch_client == python3 ]]; then NAMES[6]+=" (python3 client)"; fi
    KIND=(states states none ss netstat none exporter)
    SKIP=("" "$td_skip" "$td_skip" "" "" "" "$( ((have_ne)) || echo unavailable)")
    TD_STATES=1 NE_IDX=6
  fi
  local n=${#NAMES[@]}
  tool_argv() {
    if [[ $MODE == owners ]]; then
      case $1 in
        0) ARGV=("$BARE") ;;
        1) ARGV=("$TCPDOCTOR" procs) ;;
        2) ARGV=("$TCPDOCTOR" top --by process) ;;
        3) ARGV=(ss -tan) ;;
        4) ARGV=(ss -tanp) ;;
        5) ARGV=(lsof -nP -iTCP) ;;
      esac
      return
    fi
    if [[ $MODE == checkup ]]; then
      # The checkup's exit code is its verdict: 1 and 2 are findings, not failures.
      local verdict='"$@" >/dev/null; rc=$?; ((rc <= 2)) || exit $rc'
      case $1 in
        0) ARGV=("$BARE") ;;
        1) ARGV=("$TCPDOCTOR" states) ;;
        2) ARGV=(bash -c "$verdict" checkup "$TCPDOCTOR" checkup -i 0) ;;
        3) ARGV=(bash -c "$verdict" checkup "$TCPDOCTOR" checkup -i 0 --json) ;;
        4) ARGV=(bash -c "ss -tan | awk 'NR > 1 {++S[\$1]} END {for(a in S) print S[a], a}'") ;;
      esac
      return
    fi
    if [[ $MODE == serve ]]; then
      case $1 in
        0) ARGV=("$BARE") ;;
        1) ARGV=("$TCPDOCTOR" states) ;;
        2) ARGV=("${SCRAPE[@]}") ;;
        3) ARGV=("${FETCH[@]}") ;;
      esac
      return
    fi
    case $1 in
      0) ARGV=("$BARE") ;;
      1) ARGV=("$TCPDOCTOR" states) ;;
      2) ARGV=("$TCPDOCTOR" top --by peer) ;;
      3) ARGV=(bash -c "ss -tan | awk 'NR > 1 {++S[\$1]} END {for(a in S) print S[a], a}'") ;;
      4) ARGV=(bash -c "netstat -n | awk '/^tcp/ {++S[\$NF]} END {for(a in S) print a, S[a]}'") ;;
      5) ARGV=(ss -s) ;;
      6) ARGV=("${FETCH[@]}") ;;
    esac
  }
  # Normalises a tool's output to sorted "NAME=count" lines (non-zero states only).
  normalise() {
    case $1 in
      states) awk 'NF == 2 && $1 != "TOTAL" && $2 + 0 > 0 { print $1 "=" $2 + 0 }' "$2" ;;
      ss) awk 'NF == 2 && $2 != "State" {
                 n = $2; gsub("-", "_", n); if (n == "ESTAB") n = "ESTABLISHED"
                 if (n == "FIN_WAIT_1") n = "FIN_WAIT1"; if (n == "FIN_WAIT_2") n = "FIN_WAIT2"
                 if ($1 + 0 > 0) print n "=" $1 + 0 }' "$2" ;;
      netstat) awk 'NF == 2 && $2 + 0 > 0 { print $1 "=" $2 + 0 }' "$2" ;;
      exporter) awk -F'[{}"= ]+' '/^node_tcp_connection_states\{/ && $3 !~ /queued_bytes/ {
                 v = $NF + 0; if (v > 0) printf "%s=%d\n", toupper($3), v }' "$2" ;;
      tdserve) awk '/^tcpdoctor_tcp_sockets\{/ && match($0, /state="[a-z0-9_]+"/) {
                 v = $NF + 0; if (v > 0) print toupper(substr($0, RSTART + 7, RLENGTH - 8)) "=" v }' "$2" ;;
    esac | sort
  }

  # Untimed population check with the bare dump. Sets LAST_CHECK.
  LAST_CHECK=""
  check_population() {
    "$BARE" >"$work/check.out" 2>"$work/check.err" || return 1
    LAST_CHECK=$(normalise states "$work/check.out")
    [[ $LAST_CHECK == "$expected" ]]
  }

  # ---- scheduling around the TIME_WAIT lifetime -------------------------------------------
  # TIME_WAIT sockets live 60 s. Work is done in batches of timed runs; each batch is packed
  # (one run per tool, rotating the order) with what is predicted to end at least TW_MARGIN_US
  # before the oldest TIME_WAIT socket may expire, and is followed by an untimed bare-dump check
  # of the whole population. TIME_WAIT only decreases while we measure, so exact counts after a
  # batch prove nothing expired or was lost during it; otherwise the batch is discarded. When
  # nothing fits any more, the population purges and rebuilds its TIME_WAIT share (SIGUSR1).
  local -a TIMER=()
  if [[ -x /usr/bin/time ]]; then TIMER=(/usr/bin/time -f '%M' -o "$work/rss"); fi
  local -a NEED EST_US SAMPLES RSS MATCH_OK MATCH_N RC_BAD
  local i
  for ((i = 0; i < n; i++)); do
    NEED[i]=$([[ -z ${SKIP[i]} ]] && echo "$RUNS" || echo 0)
    EST_US[i]=0 SAMPLES[i]="" RSS[i]=0 MATCH_OK[i]=0 MATCH_N[i]=0 RC_BAD[i]=0
  done
  local deadline_us=0 window_us=0
  set_deadline() {
    if ((tw > 0)); then
      deadline_us=$(($(epoch_to_us "${R[tw_start_epoch]}") + 60000000 - TW_MARGIN_US))
      window_us=$((deadline_us - $(epoch_to_us "${R[tw_done_epoch]}")))
    else
      deadline_us=$(($(now_us) + 86400000000)) window_us=86400000000
    fi
  }
  set_deadline
  local regens=0 max_regens=$((RUNS * 4 + 4)) discarded=0 attempts=0 max_attempts=$((RUNS * 8 + 8))
  # Serve mode: one line per timed scrape of tcpdoctor serve (SERVE_LOG) and node_exporter's
  # user and sys ticks per timed scrape (NE_CPU_LOG); the exporter's CPU during other tools'
  # runs (its background owner-map rescans) and in how many runs.
  local SERVE_LOG="" NE_CPU_LOG="" serve_bg_ticks=0 serve_bg_runs=0
  local check_valid=0 check_us=0 rot=0 mismatch_td=0 json_pending=$((have_td && TD_STATES >= 0)) fresh=1 notes=""
  regenerate() {
    if ((regens >= max_regens)); then
      notes+="- Stopped after $regens TIME_WAIT rebuilds (limit)."$'\n'
      return 1
    fi
    regens=$((regens + 1))
    log "size $size: purging and rebuilding the TIME_WAIT share (generation $((gen + 1)))"
    kill -USR1 "$pop_pid"
    wait_generation $((gen + 1)) 300
    gen=${R[generation]}
    set_deadline
    check_valid=0 fresh=1
    log "size $size: generation $gen ready (TIME_WAIT built in ${R[build_time_wait_seconds]} s)"
  }
  remaining() {
    local s=0
    for ((i = 0; i < n; i++)); do s=$((s + NEED[i])); done
    echo "$s"
  }
  # Predicted µs for one run of tool $1: the slowest seen so far, or a guess (8 bare dumps).
  predict() {
    local p=${EST_US[$1]}
    ((p > 0)) || p=$((check_us * 8 + 200000))
    echo $((p * 115 / 100))
  }
  while (($(remaining) > 0)) && ((attempts < max_attempts)); do
    attempts=$((attempts + 1))
    if ((check_valid == 0)); then
      local c0
      c0=$(now_us)
      if ! check_population; then
        ((tw > 0)) || die "population drifted: expected [$(oneline "$expected")] got [$(oneline "$LAST_CHECK")]"
        log "size $size: population check failed before a batch; rebuilding TIME_WAIT"
        regenerate || break
        continue
      fi
      check_us=$(($(now_us) - c0))
      check_valid=1
    fi
    # Pack the batch.
    local -a batch=()
    local k j budget=$((deadline_us - $(now_us) - check_us * 115 / 100)) p
    for ((k = 0; k < n; k++)); do
      j=$(((k + rot) % n))
      ((NEED[j] > 0)) || continue
      p=$(predict "$j")
      ((j == TD_STATES && json_pending)) && p=$((p * 2))
      if ((p <= budget)); then
        batch+=("$j")
        budget=$((budget - p))
      fi
    done
    rot=$((rot + 1))
    if ((${#batch[@]} == 0)); then
      if ((fresh)); then
        # Not even a fresh TIME_WAIT window is long enough for these tools.
        for ((j = 0; j < n; j++)); do
          if ((NEED[j] > 0)); then
            notes+="- ${NAMES[j]}: a run (~$(fmt_s "$(predict "$j")") s with margin) does not fit in the TIME_WAIT window ($(fmt_s $window_us) s); not timed further."$'\n'
            NEED[j]=0
          fi
        done
        continue
      fi
      regenerate || break
      continue
    fi
    fresh=0
    # Timed runs.
    local -a b_us=() b_rss=()
    local b_scrape="" b_ne_cpu=""
    for j in "${batch[@]}"; do
      tool_argv "$j"
      local t0 t1 rc=0 dest="$work/out.$j" td_u0=0 td_s0=0 ne_u0=0 ne_s0=0
      [[ ${KIND[j]} != none ]] || dest=/dev/null # unchecked output: not kept
      if [[ $MODE == serve ]]; then # both exporters' CPU time before and after each run
        cpu_ticks "$td_pid"
        td_u0=$CPU_U td_s0=$CPU_S
        cpu_ticks "$ne_pid"
        ne_u0=$CPU_U ne_s0=$CPU_S
      fi
      t0=$(now_us)
      "${TIMER[@]}" "${ARGV[@]}" >"$dest" 2>"$work/err.$j" || rc=$?
      t1=$(now_us)
      b_us[j]=$((t1 - t0))
      if [[ $MODE == serve ]]; then
        local td_du td_ds
        cpu_ticks "$td_pid"
        td_du=$((CPU_U - td_u0)) td_ds=$((CPU_S - td_s0))
        if ((j == TDS_IDX)); then
          # "wall_us user_ticks sys_ticks sockets processes counters sysctls doctor age n start_us"
          b_scrape="${b_us[j]} $td_du $td_ds $(serve_facts "$dest") $t0"
        elif ((td_du + td_ds > 0)); then
          # The exporter worked while another tool ran: a background owner-map rescan.
          serve_bg_ticks=$((serve_bg_ticks + td_du + td_ds)) serve_bg_runs=$((serve_bg_runs + 1))
        fi
        cpu_ticks "$ne_pid"
        ((j != NE_IDX)) || b_ne_cpu="$((CPU_U - ne_u0)) $((CPU_S - ne_s0))"
      fi
      b_rss[j]=0
      if ((${#TIMER[@]})); then b_rss[j]=$(tail -n 1 "$work/rss"); fi
      [[ ${b_rss[j]} =~ ^[0-9]+$ ]] || b_rss[j]=0
      if ((b_us[j] > EST_US[j])); then EST_US[j]=${b_us[j]}; fi
      if ((rc != 0)); then
        RC_BAD[j]=$((RC_BAD[j] + 1))
        log "size $size: '${NAMES[j]}' exited with status $rc: $(head -c 300 "$work/err.$j")"
      fi
    done
    # Untimed: tcpdoctor's JSON output, checked once per size, inside the checked batch.
    local js="" json_ran=0
    if ((json_pending)) && [[ " ${batch[*]} " == *" $TD_STATES "* ]]; then
      json_ran=1
      js=$("$TCPDOCTOR" states --json 2>"$work/json.err") || js=""
    fi
    local c0 after_ok=0
    c0=$(now_us)
    if check_population; then after_ok=1; fi
    check_us=$(($(now_us) - c0))
    if ((after_ok == 0)); then
      check_valid=0
      discarded=$((discarded + 1))
      log "size $size: discarded a batch: counts after it were [$(oneline "$LAST_CHECK")]," \
        "expected [$(oneline "$expected")]"
      [[ -z $b_scrape ]] || SERVE_LOG+="$b_scrape discarded"$'\n'
      if ((tw > 0)); then regenerate || break; fi
      continue
    fi
    [[ -z $b_scrape ]] || SERVE_LOG+="$b_scrape timed"$'\n'
    [[ -z $b_ne_cpu ]] || NE_CPU_LOG+="$b_ne_cpu"$'\n'
    for j in "${batch[@]}"; do
      NEED[j]=$((NEED[j] - 1))
      SAMPLES[j]+="${b_us[j]} "
      if ((b_rss[j] > RSS[j])); then RSS[j]=${b_rss[j]}; fi
      [[ ${KIND[j]} != none ]] || continue
      MATCH_N[j]=$((MATCH_N[j] + 1))
      local got want=$expected
      got=$(normalise "${KIND[j]}" "$work/out.$j")
      # `netstat -n` (no -a) does not list listening sockets.
      if [[ ${KIND[j]} == netstat ]]; then want=$(grep -v '^LISTEN=' <<<"$expected" || true); fi
      if [[ $got == "$want" ]]; then
        MATCH_OK[j]=$((MATCH_OK[j] + 1))
        # The last scrape whose counts were right is the one promtool checks.
        ((j != TDS_IDX)) || cp "$work/out.$j" "$work/serve.checked"
      elif ((j == TD_STATES || j == TDS_IDX)); then
        mismatch_td=$((mismatch_td + 1))
        log "!!! MISMATCH: ${NAMES[j]} disagrees with the bare dump at size $size"
        log "!!!   bare dump: $(oneline "$LAST_CHECK")"
        log "!!!   tcpdoctor: $(oneline "$got")"
      fi
    done
    if ((json_ran)); then
      json_pending=0
      local jgot="" jtotal=""
      if [[ -n $js ]]; then
        # {"total": N, "states": {"NAME": N, ...}}: upper-case keys are states (no jq needed).
        jgot=$(tr -d ' \n\t' <<<"$js" | grep -oE '"[A-Z][A-Z0-9_]*":[0-9]+' |
          awk -F: '$2 + 0 > 0 { gsub("\"", "", $1); print $1 "=" $2 + 0 }' | sort || true)
        jtotal=$(tr -d ' \n\t' <<<"$js" | grep -oE '"total":[0-9]+' | cut -d: -f2 || true)
      fi
      if [[ $jgot != "$expected" || $jtotal != "$expected_total" ]]; then
        mismatch_td=$((mismatch_td + 1))
        log "!!! MISMATCH: tcpdoctor states --json disagrees with the bare dump at size $size"
        log "!!!   expected: $(oneline "$expected") total $expected_total"
        log "!!!   json:     $(tr -d ' \n' <<<"${js:-<no output>}" | head -c 400)"
      fi
    fi
  done

  # ---- owners mode: who holds what, checked once per size (untimed) ------------------------
  # The holders hold exactly R[holder_fds] sockets in R[holders] processes named holder-*, the
  # population's parent the R[listen] listeners; TIME_WAIT sockets have no owner, so these counts
  # do not change while the TIME_WAIT share expires or is rebuilt.
  local -a CHECK=()
  local td_checked=0
  if [[ $MODE == owners ]]; then
    local want_p=${R[holders]} want_s=${R[holder_fds]} want_a=$((R[holder_fds] + R[listen]))
    # Prints "HOLDER_PROCESSES HOLDER_SOCKETS ALL_OWNED_SOCKETS" for one tool's output file.
    owner_summary() {
      case $1 in
        ss) awk '/users:\(\(/ { ++all } /users:\(\("holder-/ { ++s; match($0, /pid=[0-9]+/)
                   p[substr($0, RSTART, RLENGTH)] = 1 }
                 END { print length(p), s + 0, all + 0 }' "$2" ;;
        lsof) awk 'NR > 1 { ++all } NR > 1 && $1 ~ /^holder-/ { ++s; p[$2] = 1 }
                   END { print length(p), s + 0, all + 0 }' "$2" ;;
        procs | top)
          # procs: .processes[] {comm, sockets}; top --by process: .groups[] {comm, count}.
          local list=processes count=sockets
          [[ $1 == top ]] && list=groups count=count
          if command -v jq >/dev/null; then
            jq -r --arg l "$list" --arg c "$count" '[.[$l][] | select(.comm != null)] |
              [map(select(.comm | startswith("holder-"))) | (length, (map(.[$c]) | add // 0))] +
              [map(.[$c]) | add // 0] | map(tostring) | join(" ")' "$2"
          elif command -v python3 >/dev/null; then
            python3 -c 'import json, sys
rows = [r for r in json.load(open(sys.argv[1]))[sys.argv[2]] if r.get("comm") is not None]
h = [r[sys.argv[3]] for r in rows if r["comm"].startswith("holder-")]
print(len(h), sum(h), sum(r[sys.argv[3]] for r in rows))' "$2" "$list" "$count"
          else
            echo "needs jq or python3"
          fi ;;
      esac
    }
    local -a ck_kind=("" procs top "" ss lsof)
    local -a ck_argv
    for ((i = 1; i < n; i++)); do
      [[ -n ${ck_kind[i]} && -z ${SKIP[i]} ]] || continue
      case $i in
        1) ck_argv=("$TCPDOCTOR" procs --json) ;;
        2) ck_argv=("$TCPDOCTOR" top --by process --limit 1000000 --json) ;;
        4) ck_argv=(ss -tanp) ;;
        5) ck_argv=(lsof -nP -iTCP) ;;
      esac
      local got rc=0
      "${ck_argv[@]}" >"$work/owners.$i" 2>"$work/owners.$i.err" || rc=$?
      got=$(owner_summary "${ck_kind[i]}" "$work/owners.$i" 2>&1 | head -c 200 || true)
      ((i == 1 || i == 2)) && td_checked=$((td_checked + 1))
      if [[ $got == "$want_p $want_s $want_a" ]]; then
        CHECK[i]="yes: $want_s in $want_p holder-* + ${R[listen]} listeners"
      else
        CHECK[i]="**NO**: got [${got:-no output}] (holder processes, their sockets, all owned), want [$want_p $want_s $want_a]"
        log "!!! owner check of '${ck_argv[*]}' (exit status $rc): got [$got], want [$want_p $want_s $want_a]"
        if ((i == 1 || i == 2)); then
          mismatch_td=$((mismatch_td + 1))
          log "!!! MISMATCH: ${NAMES[i]} attributes sockets differently from the population"
          log "!!!   $(head -c 300 "$work/owners.$i.err")"
        fi
      fi
    done
  fi

  # ---- serve mode: the exporter's text checked by promtool, once per size (untimed) --------
  local promtool_result=""
  if [[ $MODE == serve && -z ${SKIP[TDS_IDX]} ]]; then
    if ! command -v promtool >/dev/null; then
      promtool_result="not checked (promtool missing: Debian package prometheus)"
    elif [[ ! -s $work/serve.checked ]]; then
      promtool_result="not checked (no timed scrape had the right counts)"
    elif promtool check metrics <"$work/serve.checked" >"$work/promtool.out" 2>&1; then
      promtool_result="passed"
    else
      promtool_result="**failed**: $(oneline "$(head -c 300 "$work/promtool.out")")"
      mismatch_td=$((mismatch_td + 1))
      log "!!! MISMATCH: promtool check metrics rejects the tcpdoctor serve scrape at size $size"
    fi
  fi

  # ---- report ------------------------------------------------------------------------------
  # Exporters: peak (VmHWM) and current (VmRSS) resident size in KiB, and all the CPU they used.
  # RssAnon: what an exporter allocated, apart from the code and libraries it maps.
  local ne_rss=0 ne_now=0 ne_anon=0 td_hwm=0 td_now=0 td_anon=0 ne_cpu_all=0 td_cpu_all=0
  if ((have_ne)) && [[ -r /proc/$ne_pid/status ]]; then
    ne_rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ne_pid/status")
    ne_now=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ne_pid/status")
    ne_anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$ne_pid/status")
    cpu_ticks "$ne_pid"
    ne_cpu_all=$CPU_TICKS
  fi
  if [[ -n $td_pid && -r /proc/$td_pid/status ]]; then
    td_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$td_pid/status")
    td_now=$(awk '/^VmRSS:/ { print $2 }' "/proc/$td_pid/status")
    td_anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$td_pid/status")
    cpu_ticks "$td_pid"
    td_cpu_all=$CPU_TICKS
  fi
  # Serve mode, under the table: the verdict against issue 7's target, where the exporter's
  # time goes, and every scrape of tcpdoctor serve.
  serve_report() {
    local td_med ne_med
    td_med=$(median_of "${SAMPLES[TDS_IDX]}")
    ne_med=$(median_of "${SAMPLES[NE_IDX]}")
    awk -v t="$td_med" -v n="$ne_med" -v tr="$td_hwm" -v nr="$ne_rss" -v tn="$td_now" -v nn="$ne_now" -v ta="$td_anon" -v na="$ne_anon" 'BEGIN {
      if (t > 0 && n > 0) {
        x = n / t
        printf "tcpdoctor serve scrape against node_exporter'"'"'s tcpstat scrape: %.2f× as fast (median %.3f s vs %.3f s; target at least 2×: %s)", x, t / 1e6, n / 1e6, (x >= 2 ? "met" : "**missed**")
      } else {
        printf "tcpdoctor serve scrape against node_exporter: not measured"
      }
      if (tr > 0 && nr > 0) {
        printf "; peak RSS %.1f MiB against %.1f MiB, 1/%.1f of it (target under 1/20: %s)", tr / 1024, nr / 1024, nr / tr, (nr / tr > 20 ? "met" : "**missed**")
        printf "; RSS after the runs (VmRSS) %.1f MiB against %.1f MiB", tn / 1024, nn / 1024
        if (ta > 0 && na > 0) printf ", of which anonymous (RssAnon: allocated, not mapped code) %.1f MiB against %.1f MiB", ta / 1024, na / 1024
      }
      print "."
    }'
    awk -v t="$(median_of "$floor_td")" -v n="$(median_of "$floor_ne")" 'BEGIN {
      if (t > 0 || n > 0) printf "Clients'"'"' floor (median of 5 untimed requests that make no collection, same execs and timer): tcpdoctor serve /healthz through nsenter and curl %s s, node_exporter / through curl %s s.\n", (t > 0 ? sprintf("%.4f", t / 1e6) : "n/a"), (n > 0 ? sprintf("%.4f", n / 1e6) : "n/a")
    }'
    echo
    [[ -n $SERVE_LOG ]] || return 0
    # Medians over the timed scrapes, the owner map's replacements, the CPU the exporters used.
    local hz=$clk_tck
    {
      echo "first 0 0 0 ${td_first_facts:-0 0 0 0 0 0 0} $td_first_us"
      printf '%s' "$SERVE_LOG"
      echo "ne $(tr '\n' ' ' <<<"$NE_CPU_LOG")"
    } | awk -v hz="$hz" -v bg="$serve_bg_ticks" -v bgruns="$serve_bg_runs" -v tdall="$td_cpu_all" \
      -v neall="$ne_cpu_all" -v promtool="$promtool_result" '
      function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n == 0 ? 0 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
      }
      $1 == "first" {
        # "first 0 0 0 sockets processes counters sysctls doctor age n wall_us"
        printf "First collection (the untimed warm-up scrape; the owner map is scanned in the foreground): %.3f s wall, collectors sockets %.3f s, processes %.3f s, counters %.3f s, sysctls %.3f s, doctor %.3f s.\n", $12 / 1e6, $5, $6, $7, $8, $9
        prev_age = $10; next
      }
      $1 == "ne" {
        for (i = 2; i + 1 <= NF; i += 2) { m++; nu[m] = $i / hz; ns[m] = $(i + 1) / hz }
        next
      }
      {
        # "wall_us user sys sockets processes counters sysctls doctor age n start_us status"
        r++; t[r] = $11 / 1e6; age[r] = $9
        line[r] = sprintf("| %d | %s | %.3f | %.2f | %.2f | %.3f | %.3f | %.3f | %.2f |", $10, $12, $1 / 1e6, $2 / hz, $3 / hz, $4, $5, $4 + $5 + $6 + $7 + $8, $9)
        # The owner map is new when its age (taken at the end of the collection) went down:
        # scanned during this collection when it is younger than the scrape (a foreground
        # scan), else adopted from a background scan. That one was started by the latest
        # earlier collection that began before this scrape ended minus the age.
        if ($9 + 0 < prev_age + 0) {
          if ($9 + 0 < $1 / 1e6) { note[r] = "owner map scanned in this collection"; fg++ }
          else {
            note[r] = "owner map from a background scan"; bgn++; at = at (at == "" ? "" : ", ") "#" $10
            for (j = r - 1; j >= 1; j--) if (t[j] <= t[r] + $1 / 1e6 - $9 + 0.1) { note[j] = note[j] (note[j] == "" ? "" : "; ") "background scan started"; break }
          }
        }
        # Both threads busy (CPU above wall time): a background scan ran during this scrape.
        busy[r] = ($2 + $3) / hz > 1.1 * $1 / 1e6
        prev_age = $9
        if ($12 != "timed") next
        k++; wall[k] = $1 / 1e6; u[k] = $2 / hz; s[k] = $3 / hz; so[k] = $4; pr[k] = $5; co[k] = $6; sy[k] = $7; dr[k] = $8
        rest[k] = $1 / 1e6 - ($4 + $5 + $6 + $7 + $8); sum += $1 / 1e6
        if (k == 1 || $9 < amin) amin = $9
        if (k == 1 || $9 > amax) amax = $9
      }
      END {
        printf "Per timed scrape (median of %d; mean wall time %.3f s): tcpdoctor serve used %.2f s user + %.2f s sys CPU (from /proc/PID/stat, %d ticks/s)", k, (k > 0 ? sum / k : 0), median(u, k), median(s, k), hz
        if (m > 0) printf ", node_exporter %.2f s user + %.2f s sys", median(nu, m), median(ns, m)
        printf ". Its collectors: sockets %.3f s, processes %.3f s, counters %.4f s, sysctls %.4f s, doctor %.4f s; the rest of the wall time (HTTP, rendering, the nsenter and curl execs) %.3f s.\n", median(so, k), median(pr, k), median(co, k), median(sy, k), median(dr, k), median(rest, k)
        printf "Owner map: %.2f to %.2f s old at the timed scrapes; ", amin, amax
        printf "rescanned in the foreground in %d scrape(s), replaced by a background scan %d time(s)%s", fg, bgn, (bgn > 0 ? " (first used by scrape " at ")" : "")
        printf "; the exporter used %.2f s of CPU while other tools were timed (in %d runs: its background scans). ", bg / hz, bgruns
        printf "All told over this size it used %.1f s of CPU (node_exporter: %.1f s).\n", tdall / hz, neall / hz
        if (promtool != "") printf "promtool check metrics on the last timed scrape with the right counts: %s.\n", promtool
        print ""
        print "Every tcpdoctor serve scrape (#: its tcpdoctor_exporter_collections_total; \"discarded\": its batch failed the population check; user and sys: the exporter'"'"'s CPU during the scrape, both threads; collectors: their durations summed):"
        print ""
        print "| # | batch | wall s | user s | sys s | sockets s | processes s | collectors s | scan age s | owner map |"
        print "|---:|:--|---:|---:|---:|---:|---:|---:|---:|:--|"
        for (j = 1; j <= r; j++) {
          # (A scan in the collection itself uses a second thread too: not flagged.)
          if (busy[j] && note[j] == "") note[j] = "CPU above wall time: a background scan ran alongside"
          printf "%s %s |\n", line[j], note[j]
        }
      }'
  }
  local ref_med
  ref_med=$(median_of "${SAMPLES[REF_IDX]}")
  mkdir -p "$OUT"
  local md
  md="$OUT/$(md_name "$size")"
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  {
    echo "## $size sockets"
    echo
    echo "Population in a private netns: ESTABLISHED ${R[established]}, TIME_WAIT ${R[time_wait]}," \
      "CLOSE_WAIT ${R[close_wait]}, FIN_WAIT2 ${R[fin_wait2]}, LISTEN ${R[listen]} (total ${R[total]})."
    echo "First build: ready after ${build_s} s (pairs ${pairs_s} s with ${R[holders]} holder" \
      "processes, TIME_WAIT ${tw_s} s). TIME_WAIT generations used: $gen; batches discarded: $discarded."
    if [[ $MODE == owners ]]; then
      echo "Owners: ${R[holder_fds]} socket fds (all ESTABLISHED, CLOSE_WAIT and FIN_WAIT2 sockets)" \
        "held by ${R[holders]} holder processes (--fds-per-worker $FDS_PER_HOLDER) named" \
        "holder-0 .. holder-$((R[holder_names] - 1)); the ${R[listen]} listeners held by the" \
        "population's parent; TIME_WAIT has no owner. Every process's output went to /dev/null."
    fi
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, load average $load" \
      "at the end; everything in the namespace ran at nice $(nice) (autogroup: $(cut -d' ' -f3 /proc/self/autogroup 2>/dev/null || echo n/a)). Median of $RUNS runs; wall" \
      "time includes one fork/exec of /usr/bin/time."
    echo
    # Serve mode adds two columns: the median and the peak RSS as fractions of node_exporter's.
    local xhead="" xsep="" xempty="" ne_med=0
    if [[ $MODE == serve ]]; then
      xhead=" × node_exporter | peak RSS × node_exporter |" xsep="---:|---:|" xempty=" | |"
      ne_med=$(median_of "${SAMPLES[NE_IDX]}")
    fi
    echo "| tool | median s | min s | max s | peak RSS MiB | × $REF_LABEL |$xhead $([[ $MODE == owners ]] && echo "owners check" || echo "counts match") |"
    echo "|---|---:|---:|---:|---:|---:|$xsep:--|"
    for ((i = 0; i < n; i++)); do
      local name_md=${NAMES[i]//|/\\|}
      if [[ -n ${SKIP[i]} ]]; then
        echo "| $name_md | skipped | | | | |$xempty ${SKIP[i]} |"
        continue
      fi
      local cnt
      cnt=$(wc -w <<<"${SAMPLES[i]}" || true)
      if ((cnt == 0)); then
        echo "| $name_md | no valid run | | | | |$xempty |"
        continue
      fi
      local rss_kib=${RSS[i]} rss_note=""
      if ((i == NE_IDX)); then rss_kib=$ne_rss rss_note=" (exporter)"; fi
      if ((i == TDS_IDX)); then rss_kib=$td_hwm rss_note=" (exporter)"; fi
      local match
      if [[ ${KIND[i]} == none ]]; then
        match=${CHECK[i]:-n/a}
      elif ((MATCH_OK[i] == MATCH_N[i])); then
        match="yes (${MATCH_OK[i]}/${MATCH_N[i]})"
      else
        match="**NO** (${MATCH_OK[i]}/${MATCH_N[i]})"
      fi
      ((RC_BAD[i] > 0)) && match+=", ${RC_BAD[i]} non-zero exits"
      tr ' ' '\n' <<<"${SAMPLES[i]}" | { grep . || true; } | sort -n | NAME_MD="$name_md" awk \
        -v bare="$ref_med" -v rss="$rss_kib" -v note="$rss_note" -v matchcol="$match" -v runs="$cnt" -v want="$RUNS" \
        -v extra="$([[ $MODE == serve ]] && echo 1 || echo 0)" -v nemed="$ne_med" -v nerss="$ne_rss" '
        { a[NR] = $1 }
        END {
          med = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
          f = (med < 100000) ? "%.4f" : "%.3f"
          r = (rss + 0 > 0) ? sprintf("%.1f%s", rss / 1024, note) : "n/a"
          x = ""
          if (extra) {
            x = sprintf(" %s | %s |", (nemed > 0 ? sprintf("%.2f", med / nemed) : "n/a"),
                        (nerss > 0 && rss > 0 ? sprintf("%.3f", rss / nerss) : "n/a"))
          }
          printf "| %s%s | " f " | " f " | " f " | %s | %s |%s %s |\n", ENVIRON["NAME_MD"],
            (runs < want ? " (" runs " runs)" : ""), med / 1e6, a[1] / 1e6, a[NR] / 1e6,
            r, (bare > 0 ? sprintf("%.2f", med / bare) : "n/a"), x, matchcol
        }'
    done
    echo
    if [[ $MODE == owners ]]; then
      # Speed-ups against ss -tanp (the issue's target: at least 3x) and lsof.
      local lsof_med k
      lsof_med=$(median_of "${SAMPLES[5]}")
      for k in 1 2; do
        local med
        med=$(median_of "${SAMPLES[k]}")
        if [[ -n ${SKIP[k]} ]] || [[ $med == 0 ]]; then
          echo "${NAMES[k]}: not measured (${SKIP[k]:-no valid run})."
          continue
        fi
        awk -v name="${NAMES[k]}" -v m="$med" -v ss="$ref_med" -v ls="$lsof_med" 'BEGIN {
          x = (ss > 0) ? ss / m : 0
          printf "%s: %.1f× faster than ss -tanp (target ≥ 3×: %s)", name, x,
            (ss > 0 ? (x >= 3 ? "met" : "**missed**") : "n/a, ss -tanp not measured")
          if (ls > 0) printf ", %.1f× faster than lsof -nP -iTCP", ls / m
          print "."
        }'
      done
      if ((mismatch_td == 0)); then
        ((td_checked == 0)) || echo "tcpdoctor's attribution equals the population's (see 'owners check')."
      else
        echo "**MISMATCH: tcpdoctor's attribution differed from the population's $mismatch_td time(s).**"
      fi
      echo "'owners check' (untimed, once per size, after the timed runs): the processes named" \
        "holder-* and the sockets attributed to them in each tool's output (procs --json, top --by" \
        "process --json --limit 1000000, ss -tanp lines with users:, lsof lines), and all sockets" \
        "attributed to any process, against what the population built. The bare dump's row" \
        "compares its per-state counts."
    else
      if ((have_td)); then
        if ((mismatch_td == 0)); then
          echo "tcpdoctor's counts (plain and --json$([[ $MODE == serve && -z ${SKIP[TDS_IDX]} ]] &&
            echo ", and the exporter's tcpdoctor_tcp_sockets")) equal the bare dump's at this size."
        else
          echo "**MISMATCH: tcpdoctor's counts differed from the bare dump's $mismatch_td time(s).**"
        fi
      fi
      if [[ $MODE == checkup ]]; then
        local floor_med checkup_med
        floor_med=$(median_of "${SAMPLES[0]}")
        checkup_med=$(median_of "${SAMPLES[2]}")
        awk -v f="$floor_med" -v c="$checkup_med" 'BEGIN {
          if (f > 0 && c > 0) printf "tcpdoctor checkup -i 0: %.2f× the bare dump (target ≤ 2×: %s).\n", c / f, (c / f <= 2 ? "met" : "**missed**")
        }'
        echo
        echo "What the checkup said about this population (untimed, one run):"
        echo
        echo '```'
        "$TCPDOCTOR" checkup -i 0 2>&1 | grep -E '^(CRITICAL|WARNING|INFO|OK|sockets)' || true
        echo '```'
        echo
      fi
      if [[ $MODE == serve ]]; then
        if [[ -n ${SKIP[TDS_IDX]} ]]; then
          echo "tcpdoctor serve: ${SKIP[TDS_IDX]}."
          echo
        else
          serve_report
          echo
        fi
        echo "tcpdoctor serve ran in a second network namespace of its own (listening on" \
          "127.0.0.1:$SERVE_PORT there) with \`--netns /proc/$$/ns/net serve --min-interval 0\`" \
          "and the default top-N; each scrape is \`nsenter --net=… curl\` into that namespace," \
          "node_exporter's is \`curl --unix-socket\`: neither adds a socket to the population." \
          "The peak RSS of both exporters is their own VmHWM at the end (the clients' is irrelevant)."
      fi
      if [[ $MODE == serve ]]; then
        echo "'counts match' compares each tool's per-state counts (tcpdoctor_tcp_sockets in every" \
          "scrape of tcpdoctor serve, node_tcp_connection_states without its queued_bytes series in" \
          "node_exporter's) with the population's exact counts."
      else
        echo "'counts match' compares each tool's per-state counts with the population's exact" \
          "counts (ss -s reports aggregates and top lists groups: n/a; \`netstat -n\` lists no LISTEN" \
          "sockets, so LISTEN is left out of its comparison)."
      fi
    fi
    echo "Every timed batch was bracketed by an untimed bare-dump check of the whole population; a" \
      "batch with a failed check was discarded, and batches were only started if they were" \
      "predicted to end at least $((TW_MARGIN_US / 1000000)) s before the oldest TIME_WAIT could" \
      "expire (otherwise the TIME_WAIT share was purged and rebuilt first)."
    [[ -n $notes ]] && printf '\n%s' "$notes"
    if (($(remaining) > 0)); then
      echo
      echo "**Incomplete: some tools got fewer than $RUNS valid runs (attempt or rebuild limit).**"
    fi
  } >"$md"
  cat "$md"
  ((mismatch_td == 0 && serve_failed == 0)) || return 3
  (($(remaining) == 0)) && [[ -z $notes ]] || return 4
}

# ============================================================================================
# Outside: one namespace per size
# ============================================================================================

outer() {
  (($(id -u) == 0)) || die "must run as root (unshare -n, sysctls inside the namespace)"
  command -v unshare >/dev/null || die "unshare (util-linux) is required"
  [[ -x /usr/bin/time ]] || log "/usr/bin/time (Debian package 'time') missing: no peak RSS column"
  [[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= 1 && RUNS <= 50)) || die "BENCH_RUNS must be 1..50"
  [[ $LISTENERS =~ ^[0-9]+$ ]] && ((LISTENERS >= 1 && LISTENERS <= 1000)) ||
    die "BENCH_LISTENERS must be 1..1000"
  [[ $NICE =~ ^-?[0-9]+$ ]] && ((NICE >= -20 && NICE <= 19)) || die "BENCH_NICE must be -20..19"
  local size
  for size in $SIZES; do
    [[ $size =~ ^[0-9]+$ ]] && ((size >= 100 && size <= 3000000)) ||
      die "BENCH_SIZES entries must be 100..3000000 (got '$size')"
  done
  [[ $FDS_PER_HOLDER =~ ^[0-9]+$ ]] && ((FDS_PER_HOLDER >= 16 && FDS_PER_HOLDER <= 18000)) ||
    die "BENCH_FDS_PER_HOLDER must be 16..18000"
  if [[ $MODE == owners ]] && ! command -v lsof >/dev/null; then
    log "lsof missing (apt-get install lsof, or make bench-deps): its row will say skipped"
  fi
  if [[ $MODE == serve ]]; then
    local tool
    for tool in curl nsenter ip; do
      command -v "$tool" >/dev/null || log "$tool missing: the tcpdoctor serve row will say skipped"
    done
    command -v promtool >/dev/null ||
      log "promtool missing (package prometheus, make deps): the exporter's text will not be checked"
  fi
  if [[ ! -x $POP || ! -x $BARE ]]; then
    [[ -f $BUILD_DIR/CMakeCache.txt ]] || die "$POP missing and $BUILD_DIR is not configured (run make build)"
    log "building the bench helpers in $BUILD_DIR"
    cmake --build "$BUILD_DIR" --target tcpdoctor_population tcpdoctor_bare_dump >&2
  fi
  mkdir -p "$OUT"
  log "mode: $MODE; sizes: $SIZES; runs: $RUNS; tcpdoctor: $TCPDOCTOR$([[ -x $TCPDOCTOR ]] || echo ' (missing)')"
  log "load average: $(cut -d' ' -f1-3 /proc/loadavg) (the timings are only as quiet as the machine); nice $NICE"
  local failed=0 t_start
  t_start=$(now_us)
  CHILD=""
  trap 'if [[ -n $CHILD ]]; then kill -TERM -- "-$CHILD" "$CHILD" 2>/dev/null || true; wait "$CHILD" || true; fi; exit 130' INT TERM
  for size in $SIZES; do
    # Let the previous namespace's sockets be freed (sockstat's alloc is machine-wide).
    local i
    for ((i = 0; i < 600; i++)); do
      local alloc
      alloc=$(awk '/^TCP:/ { for (j = 2; j < NF; j++) if ($j == "alloc") print $(j + 1) }' /proc/net/sockstat)
      ((alloc < 20000)) && break
      sleep 0.2
    done
    # Owners mode: ss -tanp slows down with the number of owned sockets (its inode table has a
    # fixed 256 buckets), ~7 s a run at 100k here, so it gets more time per size.
    local limit=${BENCH_SIZE_TIMEOUT:-$((size >= 500000 ? 900 : 300))}
    [[ $MODE == owners && -z ${BENCH_SIZE_TIMEOUT:-} ]] && limit=$((limit * 2))
    local rc=0
    rm -f "$OUT/$(md_name "$size")"
    # A new session gets its own scheduler autogroup (kernel.sched_autogroup_enabled): only that
    # group's nice value decides its CPU share against other sessions' jobs, so set it too.
    setsid bash -c 'echo "$1" >/proc/self/autogroup 2>/dev/null || true; shift; exec "$@"' _ \
      "$NICE" timeout -k 20 "$limit" nice -n "$NICE" unshare -n -- "$SELF" --inner "$size" &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    if ((rc != 0)); then
      failed=1
      case $rc in
        3) log "size $size: tcpdoctor count or attribution MISMATCH (see above)" ;;
        4) log "size $size: incomplete (see the notes under its table)" ;;
        124 | 137) log "size $size: timed out after $limit s" ;;
        *) log "size $size: failed with status $rc" ;;
      esac
    fi
    echo
  done
  # Nothing of ours may survive: the namespaces die with their last process. Holders killed at
  # the end of a 1M size may still be closing their sockets for a few seconds on a loaded
  # machine: allow them 30 s to go before calling them left behind.
  local left
  for ((i = 0; i < 300; i++)); do
    left=$(pgrep -f '^[^ ]*(tcpdoctor_population|tcpdoctor_bare_dump|prometheus-node-exporter --web.systemd-socket|systemd-socket-activate -l /tmp/tcpdoctor-bench|tcpdoctor --netns /proc/[0-9]+/ns/net serve --min-interval 0)( |$)' || true)
    [[ -n $left ]] || break
    ((i > 0)) || log "waiting (at most 30 s) for $(wc -w <<<"$left") exiting processes of ours"
    sleep 0.1
  done
  if [[ -n $left ]]; then
    log "WARNING: processes left behind: $(oneline "$left")"
    failed=1
  fi
  log "done in $((($(now_us) - t_start) / 1000000)) s; results in $OUT"
  return "$failed"
}

if [[ ${1:-} == --inner ]]; then
  inner "$2"
else
  outer
fi
