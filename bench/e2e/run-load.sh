#!/usr/bin/env bash
# End-to-end load: Shopify webhooks in -> committed -> sales order created in the ERP simulator.
# Starts `govflow-sim erp` (no faults unless --faults), applies the quickstart, starts
# `govflow serve`, sends N signed orders at RATE per second with `govflow-sim shopify`, and waits
# until the ERP holds every order. Prints throughput, the sender's acknowledgement latency
# (p50/p99) and govflow's resident memory (sampled every second) as one summary line.
# Also prints govflow's CPU time per order (user+system, from /proc), which depends far less on
# what else the machine is doing than wall-clock throughput does, the two simulators' CPU time per
# order (the ERP simulator's from /proc, the sender's from the shell's `times`), and the
# machine's load average.
# Loopback only. Usage:
#   bench/e2e/run-load.sh [--build DIR] [--orders N] [--rate R] [--concurrency C]
#                         [--faults SPEC] [--store URL | --postgres] [--rss-every S]
#                         [--rss-log FILE] [--perf-out FILE [--perf-seconds S]]
#                         [--keep-data DIR]
# --postgres starts a throwaway PostgreSQL 15 server (initdb in a temporary directory, a free
# loopback port, default durability: fsync and synchronous_commit on) and removes it afterwards.
# --rss-every S samples govflow's resident memory every S seconds (default 1); --rss-log FILE
# writes the samples there as they are taken ("seconds_since_start rss_kb" per line); the summary
# gives the growth after the first minute (for the 10-minute soak).
# --perf-out FILE records a CPU profile of govflow (perf record -g, 499 Hz, software clock) for
# S seconds (default 10) starting two seconds after the first webhook; `perf report -i FILE`.
# --keep-data DIR copies the embedded SQLite data directory there after a clean stop (to look at
# what an order wrote: row sizes, pages per table).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/release"
orders=20000
rate=0          # 0 = as fast as the sender can
concurrency=64  # sender connections in flight
faults=""
store_url=""
postgres=0
rss_every=1
rss_log=""
perf_out=""
perf_seconds=10
keep_data=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --orders) orders=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --store) store_url=$2; shift 2 ;;
    --postgres) postgres=1; shift ;;
    --rss-every) rss_every=$2; shift 2 ;;
    --rss-log) rss_log=$2; shift 2 ;;
    --perf-out) perf_out=$2; shift 2 ;;
    --perf-seconds) perf_seconds=$2; shift 2 ;;
    --keep-data) keep_data=$2; shift 2 ;;
    *) echo "run-load: unknown argument $1" >&2; exit 2 ;;
  esac
done

govflow="$build/src/cli/govflow"
sim="$build/sim/govflow-sim"
for b in "$govflow" "$sim"; do
  [ -x "$b" ] || { echo "run-load: $b is missing: make build PRESET=release" >&2; exit 2; }
done

work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_bin=${GOVFLOW_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_started=0
# Runs a PostgreSQL tool as the postgres user when we are root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then /usr/sbin/runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$keep_data" ] && [ -d "$work/data" ]; then
    rm -rf "$keep_data" && cp -r "$work/data" "$keep_data"
  fi
  if [ "$pg_started" = 1 ]; then
    as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$postgres" = 1 ]; then
  mkdir -p "$work/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
  as_pg "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres -E UTF8 --no-instructions \
    >"$work/pg/initdb.log" 2>&1 || { cat "$work/pg/initdb.log" >&2; exit 2; }
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c max_connections=100" start \
    >/dev/null || { cat "$work/pg/server.log" >&2; exit 2; }
  pg_started=1
  store_url="postgresql://postgres@127.0.0.1:$pg_port/postgres"
fi

# Waits for "PREFIX HOST:PORT" in FILE and prints HOST:PORT.
wait_for_address() {
  local file=$1 prefix=$2
  for _ in $(seq 1 200); do
    if grep -q "^$prefix" "$file" 2>/dev/null; then
      grep -m1 "^$prefix" "$file" | awk '{print $NF}'
      return 0
    fi
    sleep 0.05
  done
  echo "run-load: no '$prefix' line in $file" >&2
  cat "$file" >&2
  return 1
}

sim_args=(erp --listen 127.0.0.1:0 --seed 1)
[ -n "$faults" ] && sim_args+=(--faults "$faults")
"$sim" "${sim_args[@]}" >"$work/erp.out" 2>"$work/erp.err" &
erp_pid=$!
pids+=($erp_pid)
erp=$(wait_for_address "$work/erp.out" "listening on")

export SHOPIFY_SECRET=load-test-secret
export ERP_URL="http://$erp"
export GOVFLOW_MASTER_KEY
GOVFLOW_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
store_args=(--data "$work/data")
[ -n "$store_url" ] && store_args=(--store "$store_url")
"$govflow" apply -f "$root/examples/quickstart/govflow.yaml" "${store_args[@]}" >/dev/null

"$govflow" serve "${store_args[@]}" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
pids+=($serve_pid)
server=$(wait_for_address "$work/serve.out" "govflow listening on")

# Resident memory of the server, every $rss_every seconds: "seconds_since_start rss_kb".
rss_t0=$(date +%s)
( while kill -0 "$serve_pid" 2>/dev/null; do
    kb=$(awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status" 2>/dev/null || true)
    [ -n "$kb" ] && echo "$(( $(date +%s) - rss_t0 )) $kb"
    sleep "$rss_every"
  done ) >"${rss_log:-$work/rss.kb}" &
pids+=($!)

# govflow's CPU time (user + system clock ticks) so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/${1:-$serve_pid}/stat"; }
cpu_before=$(cpu_ticks)
erp_cpu_before=$(cpu_ticks "$erp_pid")
# The sender's CPU: this shell's terminated children's user + system seconds around it (`times`
# runs in this shell, not in a $(...) subshell, whose children would be its own).
children_cpu() { tail -1 "$1" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/);
  printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'; }
times >"$work/times.before"
start=$(date +%s.%N)
if [ -n "$perf_out" ]; then
  ( sleep 2; perf record -F 499 -e cpu-clock -g -p "$serve_pid" -o "$perf_out" -- sleep "$perf_seconds" \
      >"$work/perf.log" 2>&1 ) &
  perf_pid=$!
fi
"$sim" shopify --target "http://$server/hooks/acme/shop" --secret "$SHOPIFY_SECRET" \
  --orders "$orders" --rate "$rate" --seed 7 --concurrency "$concurrency" >"$work/sender.out" 2>"$work/sender.err"
sent_done=$(date +%s.%N)
times >"$work/times.after"
sender_cpu=$(awk -v a="$(children_cpu "$work/times.before")" -v b="$(children_cpu "$work/times.after")" \
  'BEGIN {printf "%.3f", b - a}')

created=0
for _ in $(seq 1 1200); do
  created=$(curl -s "http://$erp/_sim/stats" | sed -n 's/.*"salesOrders":\([0-9]*\).*/\1/p')
  [ "${created:-0}" -ge "$orders" ] && break
  sleep 0.1
done
end=$(date +%s.%N)
cpu_after=$(cpu_ticks)
erp_cpu_after=$(cpu_ticks "$erp_pid")
[ -n "$perf_out" ] && wait "$perf_pid" 2>/dev/null || true
stats=$(curl -s "http://$erp/_sim/stats")
dups=$(echo "$stats" | sed -n 's/.*"duplicateExternalDocumentNumbers":\([0-9]*\).*/\1/p')
details=$(grep -o 'ack_p50=[^ ]* ack_p99=[^ ]*' "$work/sender.err" | tail -1 || true)
rss_file=${rss_log:-$work/rss.kb}
rss_max=$(awk '{print $2}' "$rss_file" | sort -n | tail -1)
rss_last=$(tail -1 "$rss_file" | awk '{print $2}')
# Growth after the first minute: the last sample minus the first sample at or after 60 s.
rss_growth=$(awk '$1 >= 60 && first == "" {first = $2} {last = $2}
  END {if (first == "") print "n/a"; else printf "%.1f", (last - first) / 1024}' "$rss_file")
ticks=$(getconf CLK_TCK)
load=$(cut -d' ' -f1-3 /proc/loadavg)

awk -v s="$start" -v d="$sent_done" -v e="$end" -v n="$created" -v o="$orders" -v dup="$dups" \
    -v det="$details" -v rmax="$rss_max" -v rlast="$rss_last" -v sent="$(cat "$work/sender.out")" \
    -v cpu=$((cpu_after - cpu_before)) -v hz="$ticks" -v growth="$rss_growth" -v load="$load" \
    -v erp_cpu=$((erp_cpu_after - erp_cpu_before)) -v sender_cpu="$sender_cpu" 'BEGIN {
  printf "orders=%d created=%d duplicates=%s send_s=%.2f end_to_end_s=%.2f orders_per_s=%.0f %s govflow_cpu_ms_per_order=%.3f sims_cpu_ms_per_order=%.3f rss_max_mb=%.1f rss_end_mb=%.1f rss_growth_after_1min_mb=%s load=%s (%s)\n",
    o, n, dup, d - s, e - s, n / (e - s), det, (n > 0 ? cpu * 1000 / hz / n : 0),
    (n > 0 ? (erp_cpu / hz + sender_cpu) * 1000 / n : 0), rmax / 1024, rlast / 1024, growth, load, sent
}'
[ "${created:-0}" -ge "$orders" ] && [ "${dups:-1}" = "0" ]
