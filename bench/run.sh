#!/usr/bin/env bash
# tcpdoctor benchmark driver (see bench/README.md).
#
# For each size it builds a socket population (60% ESTABLISHED, 34% TIME_WAIT, 3% CLOSE_WAIT,
# 3% FIN_WAIT2, plus a few listeners) inside a fresh `unshare -n` network namespace and times,
# in that same namespace, tcpdoctor and the usual alternatives. Results go to stdout and to
# bench/out/results-<size>.md.
#
# Environment:
#   BENCH_SIZES="10000 100000 1000000"  socket counts (each 100..3000000)
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
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
RUNS=${BENCH_RUNS:-5}
LISTENERS=${BENCH_LISTENERS:-8}
NICE=${BENCH_NICE:--10}
OUT=${BENCH_OUT:-$ROOT/bench/out}
[[ $OUT == /* ]] || OUT="$ROOT/$OUT"
export BUILD_DIR BENCH_BIN_DIR TCPDOCTOR BENCH_RUNS="$RUNS" BENCH_LISTENERS="$LISTENERS" BENCH_OUT="$OUT"

TW_MARGIN_US=3000000  # stop timing this long before the oldest TIME_WAIT may expire (60 s)

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

# ============================================================================================
# Inside the namespace
# ============================================================================================

inner() {
  local size=$1
  local est=$((size * 60 / 100 / 2 * 2)) tw=$((size * 34 / 100)) cw=$((size * 3 / 100))
  # Globals, not locals: the EXIT trap runs after this function has returned.
  work=$(mktemp -d /tmp/tcpdoctor-bench.XXXXXX)
  ready="$work/ready" pop_pid="" ne_pid="" ne_sock="$work/node_exporter.sock"

  cleanup() {
    local rc=$?
    trap - EXIT
    trap '' INT TERM # finish cleaning up; `timeout -k` still bounds this with SIGKILL
    if [[ -n $ne_pid ]]; then kill "$ne_pid" 2>/dev/null || true; fi
    if [[ -n $pop_pid ]]; then kill -TERM "$pop_pid" 2>/dev/null || true; fi
    local i
    for ((i = 0; i < 300; i++)); do
      { [[ -z $pop_pid ]] || ! kill -0 "$pop_pid" 2>/dev/null; } &&
        { [[ -z $ne_pid ]] || ! kill -0 "$ne_pid" 2>/dev/null; } && break
      sleep 0.1
    done
    if [[ -n $pop_pid ]]; then kill -KILL "$pop_pid" 2>/dev/null || true; fi
    if [[ -n $ne_pid ]]; then kill -KILL "$ne_pid" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    if [[ -s $work/pop.log ]]; then sed 's/^/    /' "$work/pop.log" >&2; fi
    rm -rf "$work"
    exit "$rc"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  # ---- population ------------------------------------------------------------------------
  log "size $size: building ESTABLISHED $est, TIME_WAIT $tw, CLOSE_WAIT $cw, FIN_WAIT2 $cw, LISTEN $LISTENERS"
  "$POP" --established "$est" --time-wait "$tw" --close-wait "$cw" --listen "$LISTENERS" \
    --hold 900 --ready-file "$ready" 2>"$work/pop.log" &
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
  if command -v prometheus-node-exporter >/dev/null && command -v systemd-socket-activate >/dev/null &&
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
  local have_td=0
  if [[ -x $TCPDOCTOR ]]; then have_td=1; else log "$TCPDOCTOR missing: skipping tcpdoctor rows"; fi

  # ---- tools -------------------------------------------------------------------------------
  local -a NAMES=("bare sock_diag dump (floor)" "tcpdoctor states" "tcpdoctor top --by peer"
    "ss -tan | awk (state count)" "netstat -n | awk (seeds)" "ss -s" "node_exporter tcpstat scrape")
  if [[ $fetch_client == python3 ]]; then NAMES[6]+=" (python3 client)"; fi
  local -a KIND=(states states none ss netstat none exporter)
  local -a ENABLED=(1 "$have_td" "$have_td" 1 1 1 "$have_ne")
  local n=${#NAMES[@]}
  tool_argv() {
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
    NEED[i]=$((ENABLED[i] ? RUNS : 0))
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
  local check_valid=0 check_us=0 rot=0 mismatch_td=0 json_pending=$have_td fresh=1 notes=""
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
      ((j == 1 && json_pending)) && p=$((p * 2))
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
    for j in "${batch[@]}"; do
      tool_argv "$j"
      local t0 t1 rc=0
      t0=$(now_us)
      "${TIMER[@]}" "${ARGV[@]}" >"$work/out.$j" 2>"$work/err.$j" || rc=$?
      t1=$(now_us)
      b_us[j]=$((t1 - t0))
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
    if ((json_pending)) && [[ " ${batch[*]} " == *" 1 "* ]]; then
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
      if ((tw > 0)); then regenerate || break; fi
      continue
    fi
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
      elif ((j == 1)); then
        mismatch_td=$((mismatch_td + 1))
        log "!!! MISMATCH: tcpdoctor states disagrees with the bare dump at size $size"
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

  # ---- report ------------------------------------------------------------------------------
  local ne_rss=0
  if ((have_ne)) && [[ -r /proc/$ne_pid/status ]]; then
    ne_rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ne_pid/status")
  fi
  local bare_med
  bare_med=$(tr ' ' '\n' <<<"${SAMPLES[0]}" | { grep . || true; } | sort -n |
    awk '{ a[NR] = $1 } END { print (NR == 0 ? 0 : NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }')
  mkdir -p "$OUT"
  local md="$OUT/results-$size.md"
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  {
    echo "## $size sockets"
    echo
    echo "Population in a private netns: ESTABLISHED ${R[established]}, TIME_WAIT ${R[time_wait]}," \
      "CLOSE_WAIT ${R[close_wait]}, FIN_WAIT2 ${R[fin_wait2]}, LISTEN ${R[listen]} (total ${R[total]})."
    echo "First build: ready after ${build_s} s (pairs ${pairs_s} s with ${R[holders]} holder" \
      "processes, TIME_WAIT ${tw_s} s). TIME_WAIT generations used: $gen; batches discarded: $discarded."
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, load average $load" \
      "at the end; everything in the namespace ran at nice $(nice) (autogroup: $(cut -d' ' -f3 /proc/self/autogroup 2>/dev/null || echo n/a)). Median of $RUNS runs; wall" \
      "time includes one fork/exec of /usr/bin/time."
    echo
    echo "| tool | median s | min s | max s | peak RSS MiB | × bare dump | counts match |"
    echo "|---|---:|---:|---:|---:|---:|:--|"
    for ((i = 0; i < n; i++)); do
      local name_md=${NAMES[i]//|/\\|}
      if ((ENABLED[i] == 0)); then
        echo "| $name_md | skipped | | | | | $( ((i == 1 || i == 2)) && echo "$TCPDOCTOR missing" || echo unavailable) |"
        continue
      fi
      local cnt
      cnt=$(wc -w <<<"${SAMPLES[i]}" || true)
      if ((cnt == 0)); then
        echo "| $name_md | no valid run | | | | | |"
        continue
      fi
      local rss_kib=${RSS[i]} rss_note=""
      if ((i == 6)); then rss_kib=$ne_rss rss_note=" (exporter)"; fi
      local match
      if [[ ${KIND[i]} == none ]]; then
        match="n/a"
      elif ((MATCH_OK[i] == MATCH_N[i])); then
        match="yes (${MATCH_OK[i]}/${MATCH_N[i]})"
      else
        match="**NO** (${MATCH_OK[i]}/${MATCH_N[i]})"
      fi
      ((RC_BAD[i] > 0)) && match+=", ${RC_BAD[i]} non-zero exits"
      tr ' ' '\n' <<<"${SAMPLES[i]}" | { grep . || true; } | sort -n | NAME_MD="$name_md" awk \
        -v bare="$bare_med" -v rss="$rss_kib" -v note="$rss_note" -v matchcol="$match" -v runs="$cnt" -v want="$RUNS" '
        { a[NR] = $1 }
        END {
          med = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
          f = (med < 100000) ? "%.4f" : "%.3f"
          r = (rss + 0 > 0) ? sprintf("%.1f%s", rss / 1024, note) : "n/a"
          printf "| %s%s | " f " | " f " | " f " | %s | %.2f | %s |\n", ENVIRON["NAME_MD"],
            (runs < want ? " (" runs " runs)" : ""), med / 1e6, a[1] / 1e6, a[NR] / 1e6,
            r, (bare > 0 ? med / bare : 0), matchcol
        }'
    done
    echo
    if ((have_td)); then
      if ((mismatch_td == 0)); then
        echo "tcpdoctor's counts (plain and --json) equal the bare dump's at this size."
      else
        echo "**MISMATCH: tcpdoctor's counts differed from the bare dump's $mismatch_td time(s).**"
      fi
    fi
    echo "'counts match' compares each tool's per-state counts with the population's exact" \
      "counts (ss -s reports aggregates and top lists groups: n/a; \`netstat -n\` lists no LISTEN" \
      "sockets, so LISTEN is left out of its comparison). Every timed batch was bracketed by an" \
      "untimed bare-dump check of the whole population; a batch with a failed check was" \
      "discarded, and batches were only started if they were predicted to end at least" \
      "$((TW_MARGIN_US / 1000000)) s before the oldest TIME_WAIT could expire (otherwise the" \
      "TIME_WAIT share was purged and rebuilt first)."
    [[ -n $notes ]] && printf '\n%s' "$notes"
    if (($(remaining) > 0)); then
      echo
      echo "**Incomplete: some tools got fewer than $RUNS valid runs (attempt or rebuild limit).**"
    fi
  } >"$md"
  cat "$md"
  ((mismatch_td == 0)) || return 3
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
  if [[ ! -x $POP || ! -x $BARE ]]; then
    [[ -f $BUILD_DIR/CMakeCache.txt ]] || die "$POP missing and $BUILD_DIR is not configured (run make build)"
    log "building the bench helpers in $BUILD_DIR"
    cmake --build "$BUILD_DIR" --target tcpdoctor_population tcpdoctor_bare_dump >&2
  fi
  mkdir -p "$OUT"
  log "sizes: $SIZES; runs: $RUNS; tcpdoctor: $TCPDOCTOR$([[ -x $TCPDOCTOR ]] || echo ' (missing)')"
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
    local limit=${BENCH_SIZE_TIMEOUT:-$((size >= 500000 ? 900 : 300))}
    local rc=0
    rm -f "$OUT/results-$size.md"
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
        3) log "size $size: tcpdoctor count MISMATCH (see above)" ;;
        4) log "size $size: incomplete (see the notes under its table)" ;;
        124 | 137) log "size $size: timed out after $limit s" ;;
        *) log "size $size: failed with status $rc" ;;
      esac
    fi
    echo
  done
  # Nothing of ours may survive: the namespaces die with their last process.
  local left
  left=$(pgrep -f '^[^ ]*(tcpdoctor_population|tcpdoctor_bare_dump|prometheus-node-exporter --web.systemd-socket|systemd-socket-activate -l /tmp/tcpdoctor-bench)( |$)' || true)
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
