#!/usr/bin/env bash
# `make bench`: every benchmark (release build) on each backend, then one
# table of the figures side by side.
#
#   BENCHES           which benches (default: all, in the order below)
#   BENCH_BACKENDS    which backends (default: sqlite mariadb postgres)
#   OPCMS_BENCH_MYSQL_URL / OPCMS_BENCH_PG_URL
#                     the servers (default: the local MariaDB and PostgreSQL);
#                     each bench makes its own database there (opcms_bench_*)
#   OPCMS_BENCH_SUMMARY   where the figures go (default: target/bench-summary.tsv)
#
# A backend whose server does not answer is skipped, and the summary says so.
set -uo pipefail
cd "$(dirname "$0")/.."

BENCHES=${BENCHES:-"customer_queries customer_import pricing usage billing payments month_close jobs notifications erp analytics backup load"}
BENCH_BACKENDS=${BENCH_BACKENDS:-"sqlite mariadb postgres"}
mysql_url=${OPCMS_BENCH_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}
pg_url=${OPCMS_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
summary=${OPCMS_BENCH_SUMMARY:-${CARGO_TARGET_DIR:-target}/bench-summary.tsv}
mkdir -p "$(dirname "$summary")"
: > "$summary"
export OPCMS_BENCH_SUMMARY=$summary

url_of() {
  case $1 in
    sqlite) echo "" ;;
    mariadb) echo "$mysql_url" ;;
    postgres) echo "$pg_url" ;;
    *) echo "unknown backend $1" >&2; return 1 ;;
  esac
}

reachable() { # reachable URL: can a TCP connection be made to its host:port?
  local hostport=${1#*://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
  timeout 2 bash -c "exec 3<>/dev/tcp/${hostport%:*}/${hostport##*:}" 2>/dev/null
}

bench_args=()
for bench in $BENCHES; do bench_args+=(--bench "$bench"); done
cargo bench -p opcms --no-run -q "${bench_args[@]}" || exit 1
failed=()
skipped=()
for backend in $BENCH_BACKENDS; do
  url=$(url_of "$backend") || exit 1
  if [ -n "$url" ] && ! reachable "$url"; then
    skipped+=("$backend (no server at $url)")
    continue
  fi
  for bench in $BENCHES; do
    echo
    echo "=== $bench on $backend ==="
    if ! OPCMS_BENCH_DATABASE_URL=$url cargo bench -q -p opcms --bench "$bench"; then
      failed+=("$bench on $backend")
    fi
  done
done

echo
echo "=== summary ($(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(date -u +%Y-%m-%d)) ==="
awk -F'\t' -v backends="$BENCH_BACKENDS" '
  BEGIN { n = split(backends, order, " ") }
  {
    key = $1 "\t" $3
    if (!(key in seen)) { seen[key] = 1; keys[++rows] = key }
    value[key, $2] = $4
  }
  END {
    printf "%-16s %-56s", "bench", "figure"
    for (i = 1; i <= n; i++) printf " | %-28s", order[i]
    printf "\n"
    for (r = 1; r <= rows; r++) {
      split(keys[r], part, "\t")
      printf "%-16s %-56s", part[1], substr(part[2], 1, 56)
      for (i = 1; i <= n; i++) {
        v = ((keys[r], order[i]) in value) ? value[keys[r], order[i]] : "-"
        printf " | %-28s", v
      }
      printf "\n"
    }
  }' "$summary"
for s in "${skipped[@]}"; do echo "SKIPPED: $s"; done
for f in "${failed[@]}"; do echo "FAILED: $f"; done
[ ${#failed[@]} -eq 0 ]
