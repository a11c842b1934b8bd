#!/usr/bin/env bash
# End-to-end load: Shopify webhooks in -> committed -> sales order created in the ERP simulator.
# Starts `govflow-sim erp` (no faults unless --faults), applies the quickstart, starts
# `govflow serve`, sends N signed orders at RATE per second with `govflow-sim shopify`, and waits
# until the ERP holds every order. Prints throughput, the sender's acknowledgement latency
# (p50/p99) and govflow's resident memory (sampled every second) as one summary line.
# Loopback only. Usage:
#   bench/e2e/run-load.sh [--build DIR] [--orders N] [--rate R] [--faults SPEC] [--store URL]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/release"
orders=20000
rate=0          # 0 = as fast as the sender can
concurrency=64  # sender connections in flight
faults=""
store_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --orders) orders=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --store) store_url=$2; shift 2 ;;
    *) echo "run-load: unknown argument $1" >&2; exit 2 ;;
  esac
done

govflow="$build/src/cli/govflow"
sim="$build/sim/govflow-sim"
for b in "$govflow" "$sim"; do
  [ -x "$b" ] || { echo "run-load: $b is missing: make build PRESET=release" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

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
pids+=($!)
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

# Resident memory of the server, once a second.
( while kill -0 "$serve_pid" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status" 2>/dev/null || true
    sleep 1
  done ) >"$work/rss.kb" &
pids+=($!)

start=$(date +%s.%N)
"$sim" shopify --target "http://$server/hooks/acme/shop" --secret "$SHOPIFY_SECRET" \
  --orders "$orders" --rate "$rate" --seed 7 --concurrency "$concurrency" >"$work/sender.out" 2>"$work/sender.err"
sent_done=$(date +%s.%N)

created=0
for _ in $(seq 1 1200); do
  created=$(curl -s "http://$erp/_sim/stats" | sed -n 's/.*"salesOrders":\([0-9]*\).*/\1/p')
  [ "${created:-0}" -ge "$orders" ] && break
  sleep 0.1
done
end=$(date +%s.%N)
stats=$(curl -s "http://$erp/_sim/stats")
dups=$(echo "$stats" | sed -n 's/.*"duplicateExternalDocumentNumbers":\([0-9]*\).*/\1/p')
details=$(grep -o 'ack_p50=[^ ]* ack_p99=[^ ]*' "$work/sender.err" | tail -1 || true)
rss_max=$(sort -n "$work/rss.kb" | tail -1)
rss_last=$(tail -1 "$work/rss.kb")

awk -v s="$start" -v d="$sent_done" -v e="$end" -v n="$created" -v o="$orders" -v dup="$dups" \
    -v det="$details" -v rmax="$rss_max" -v rlast="$rss_last" -v sent="$(cat "$work/sender.out")" 'BEGIN {
  printf "orders=%d created=%d duplicates=%s send_s=%.2f end_to_end_s=%.2f orders_per_s=%.0f %s rss_max_mb=%.1f rss_end_mb=%.1f (%s)\n",
    o, n, dup, d - s, e - s, n / (e - s), det, rmax / 1024, rlast / 1024, sent
}'
[ "${created:-0}" -ge "$orders" ] && [ "${dups:-1}" = "0" ]
