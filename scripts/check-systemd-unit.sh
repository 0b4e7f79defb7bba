#!/usr/bin/env bash
# Checks deploy/opcms.service with `systemd-analyze verify` (docs/deploy.md).
# verify exits 0 on unknown keys and bad values and only prints them, so any
# output fails the check. The unit's ExecStart names the installed binary; the
# copy checked here names one that exists on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIPPED: systemd-analyze not found; deploy/opcms.service not verified" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#/usr/local/bin/opcms#$(command -v true)#" deploy/opcms.service > "$work/opcms.service"
output=$(systemd-analyze verify "$work/opcms.service" 2>&1) || { echo "$output" >&2; exit 1; }
if [ -n "$output" ]; then
  echo "systemd-analyze verify deploy/opcms.service:" >&2
  echo "$output" >&2
  exit 1
fi
echo "deploy/opcms.service: systemd-analyze verify found nothing to say"
