#!/usr/bin/env bash
# Runs the whole test suite. A backend or browser that is not available is
# skipped LOUDLY here (and is a failure when CI=true), never silently passed.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$PWD/target}"
export CARGO_TARGET_DIR

skipped=()
skip_args=()
banner() { printf '\n\033[1;33m%s\033[0m\n' "================ $* ================"; }

count_tests() { # count_tests FILTER
  cargo test -q -p opcms --test api -- --list "$1" 2>/dev/null | grep -c ': test$' || true
}

# .ci/run makes this same build before `make lint`: keep the two alike.
cargo build -q -p opcms --tests --bin opcms

# The Python test tools (schemathesis for the API contract, aiosmtpd for the
# SMTP server the notification tests send to), in a venv kept between runs.
test_venv=${OPCMS_TEST_VENV:-$HOME/.cache/opcms-schemathesis}
if ! "$test_venv/bin/python" -c 'import schemathesis, aiosmtpd' 2>/dev/null; then
  banner "Installing the Python test tools into $test_venv"
  "$test_venv/bin/python" -m pip --version >/dev/null 2>&1 || python3 -m venv "$test_venv"
  "$test_venv/bin/pip" install -q --disable-pip-version-check \
    -r scripts/api-contract-requirements.txt -r scripts/test-requirements.txt
fi
export OPCMS_TEST_PYTHON=${OPCMS_TEST_PYTHON:-$test_venv/bin/python}

for backend in "mysql:OPCMS_TEST_MYSQL_URL:MariaDB/MySQL" "postgres:OPCMS_TEST_PG_URL:PostgreSQL"; do
  IFS=: read -r filter var label <<<"$backend"
  if [ -z "${!var:-}" ]; then
    n=$(count_tests "$filter::")
    skipped+=("$n $label API tests ($var is not set)")
    skip_args+=(--skip "$filter::")
  fi
done

if [ "${CI:-}" = "true" ] && [ ${#skipped[@]} -gt 0 ]; then
  banner "CI must run every backend"; printf '  %s\n' "${skipped[@]}"; exit 1
fi

banner "Rust: unit tests and API tests"
# No backtraces: a failing test's message and line stay short enough to be
# read in CI's excerpt of the log (set OPCMS_TEST_BACKTRACE=1 for them).
RUST_BACKTRACE=${OPCMS_TEST_BACKTRACE:-0} cargo test --workspace -- "${skip_args[@]}"

# The API contract test: schemathesis (a venv that .ci/run makes) against the
# debug binary built above, from the OpenAPI document it serves.
contract_python=${OPCMS_CONTRACT_PYTHON:-$HOME/.cache/opcms-schemathesis/bin/python}
if [ -x "$contract_python" ] && "$contract_python" -c 'import schemathesis' 2>/dev/null; then
  banner "API contract: schemathesis against the served OpenAPI document"
  "$contract_python" scripts/api-contract.py --binary "$CARGO_TARGET_DIR/debug/opcms"
else
  if [ "${CI:-}" = "true" ]; then banner "CI must run the API contract test: schemathesis is missing at $contract_python"; exit 1; fi
  skipped+=("API contract test (no schemathesis at $contract_python; python3 -m venv ~/.cache/opcms-schemathesis && ~/.cache/opcms-schemathesis/bin/pip install -r scripts/api-contract-requirements.txt)")
fi

banner "Web: unit tests"
(cd web && npm test)

chromium=${OPCMS_CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
  banner "Web: end-to-end tests in headless Chromium"
  (cd web && OPCMS_E2E_UI=backend OPCMS_BIN="$CARGO_TARGET_DIR/debug/opcms" npm run test:e2e)
else
  if [ "${CI:-}" = "true" ]; then banner "CI must run the browser tests: $chromium is missing"; exit 1; fi
  skipped+=("browser end-to-end tests ($chromium not found; apt-get install chromium)")
fi

if [ ${#skipped[@]} -gt 0 ]; then
  banner "SKIPPED — these did not run"
  printf '  SKIPPED: %s\n' "${skipped[@]}"
  echo
else
  banner "All test suites ran"
fi
