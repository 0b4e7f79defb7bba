#!/usr/bin/env python3
"""The API contract test: an independent property-based client (schemathesis)
calls every operation of the OpenAPI document that the real `opcms` binary
serves, and fails on any answer the document does not promise.

It starts `opcms serve` on a free port over a fresh SQLite data directory
with a known admin password and the rate limits off, signs in (past the
forced password change), seeds a little real data through the API (a
customer with a price plan, usage, bills, a payment and its allocation, an
import, a quarantined record) so that the generated calls get past 404s,
then runs schemathesis with the admin's token. Checks: server errors,
undocumented status codes and content types, response schemas, response
headers, ignored authentication, and invalid data accepted. Zero failures
pass.

Run with the Python that has schemathesis (.ci/run makes a venv; scripts/test.sh
uses it):
    scripts/api-contract.py [--binary PATH] [--max-examples N] [--seed N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ADMIN_PASSWORD = "Contract-admin-2026"
ADMIN_NEW_PASSWORD = "Contract-changed-2026"
SPARE_PASSWORD = "Spare-user-2026"
# One good row and one without a company name: the import's report has a row.
CUSTOMERS_CSV = "公司名称,客户编号,平台账号,设备系列\n契约导入有限公司,CT-IMP1,acc_imp1,X\n,CT-IMP2,acc_imp2,X\n".encode()
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "negative_data_rejection",
        "ignored_auth",
    ]
)
HERE = Path(__file__).resolve().parent


class Api:
    """A tiny JSON client for seeding."""

    def __init__(self, base: str):
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body=None, expect=(200, 201, 204), raw: bytes | None = None,
             content_type: str = "application/json"):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        if status not in expect:
            raise SystemExit(f"seeding: {method} {path} answered {status}: {text}")
        return json.loads(text) if text else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"opcms exited with {server.returncode} before it was ready:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"opcms did not become ready in 90 s:\n{log.read_text()[-4000:]}")


def month_start(day: datetime.date, months_back: int) -> datetime.date:
    day = day.replace(day=1)
    for _ in range(months_back):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return day


def seed(api: Api) -> dict:
    """Signs in and creates one or two of each record the operations name by
    id; answers the ids (and a spare account's refresh token) for the
    examples in api_contract_hooks.py."""
    signed_in = api.call("POST", "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
    api.token = signed_in["access_token"]
    changed = api.call("POST", "/auth/password",
                       {"current_password": ADMIN_PASSWORD, "new_password": ADMIN_NEW_PASSWORD})
    api.token = changed["access_token"]
    spare = api.call("POST", "/users", {"username": "contract-spare", "password": SPARE_PASSWORD,
                                        "role": "sales", "display_name": "契约测试备用账号"})
    spare_session = Api(api.base).call("POST", "/auth/login",
                                       {"username": "contract-spare", "password": SPARE_PASSWORD})

    today = datetime.date.today()
    last_month = month_start(today, 1)
    customers = [api.call("POST", "/customers", {
        "company_name": f"契约测试{n}有限公司", "customer_code": f"CT00{n}", "account_id": f"acc_ct00{n}",
        "device_series": ["X", "N"], "account_status": "active", "payment_terms_days": 15,
        "contact_email": f"ct{n}@example.com"})["id"] for n in (1, 2)]
    trial = api.call("POST", "/customers", {"company_name": "契约试用有限公司", "customer_code": "CT-TRIAL",
                                            "device_series": ["X"], "account_status": "trial"})["id"]
    flat = {"mode": "flat", "unit_price": "1.5"}
    plan = api.call("POST", "/price-plans", {
        "name": "契约测试价格", "effective_from": month_start(today, 3).strftime("%Y-%m"),
        "rules": {"X": flat, "N": flat, "L": flat}, "reason": "契约测试"})["id"]
    for customer in customers:
        api.call("PUT", f"/customers/{customer}/pricing", {"plan_id": plan})
    entered = api.call("POST", "/usage", {"records": [
        {"customer_id": customers[0], "series": "X", "day": last_month.isoformat(), "quantity": "100"},
        {"customer_id": customers[1], "series": "X", "day": last_month.isoformat(), "quantity": "80"},
        {"customer_id": 999_998, "series": "X", "day": last_month.isoformat(), "quantity": "7"},
        {"customer_id": 999_999, "series": "N", "day": last_month.isoformat(), "quantity": "9"}]})
    records = [r["record_id"] for r in entered["results"] if r["record_id"]]
    quarantined = [r["quarantine_id"] for r in entered["results"] if r["quarantine_id"]]
    api.call("POST", "/bills/generate", {"period": last_month.strftime("%Y-%m")})
    bills = [api.call("GET", f"/bills?customer_id={customer}")["items"][0]["id"] for customer in customers]
    for bill in bills:
        api.call("POST", f"/bills/{bill}/issue", {"acknowledge_warnings": True})
    api.call("POST", "/bills", {"customer_id": customers[0], "period": today.strftime("%Y-%m"),
                                "lines": [{"description": "服务费", "amount": "20"}]})
    payments = [api.call("POST", "/payments", {
        "customer_id": customer, "amount": "200", "received_at": today.isoformat(),
        "method": "bank_transfer", "payer_name": "契约测试有限公司", "reference": f"CT-REF-{customer}"})["id"]
        for customer in customers]
    api.call("POST", f"/payments/{payments[0]}/allocations",
             {"allocations": [{"bill_id": bills[0], "amount": "50"}]})
    boundary = uuid.uuid4().hex
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contract.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + CUSTOMERS_CSV + f"\r\n--{boundary}--\r\n".encode()
    api.call("POST", "/customers/import", raw=form, content_type=f"multipart/form-data; boundary={boundary}")
    grouped = {"dataset": "bills", "columns": ["customer_code", "total"], "group_by": ["customer_code"],
               "sums": ["total"]}
    reports = [api.call("POST", "/reports", {"name": f"契约报表{n}", "definition": grouped})["id"] for n in (1, 2)]
    return {"reports": reports, "admin": changed["user"]["id"], "spare": spare["id"], "spare_refresh": spare_session["refresh_token"],
            "customers": customers, "trial_customer": trial, "plan": plan, "records": records, "quarantined": quarantined,
            "bills": bills, "payments": payments, "today": today.isoformat(),
            "last_month": last_month.strftime("%Y-%m")}


def coverage(report: Path) -> tuple[set[str], set[str]]:
    """The operations schemathesis called, and those that answered 2xx at
    least once, from its NDJSON event report."""
    called, succeeded = set(), set()
    for line in report.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario["recorder"]
        for interaction in (recorder.get("interactions") or {}).values():
            response = interaction.get("response")
            if response is None:
                continue
            called.add(recorder["label"])
            if 200 <= response["status_code"] < 300:
                succeeded.add(recorder["label"])
    return called, succeeded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = os.environ.get("CARGO_TARGET_DIR") or str(HERE.parent / "target")
    parser.add_argument("--binary", default=os.environ.get("OPCMS_BIN") or f"{target}/debug/opcms")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("OPCMS_CONTRACT_EXAMPLES", "50")))
    parser.add_argument("--seed", default=os.environ.get("OPCMS_CONTRACT_SEED", "20261205"))
    parser.add_argument("--keep", action="store_true", help="keep the data directory, log and reports")
    args = parser.parse_args()

    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    if not schemathesis:
        raise SystemExit("schemathesis is not installed for this Python (pip install schemathesis)")
    if not os.access(args.binary, os.X_OK):
        raise SystemExit(f"the opcms binary was not found at {args.binary} (cargo build -p opcms)")

    work = Path(tempfile.mkdtemp(prefix="opcms-contract-"))
    log = work / "opcms.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OPCMS_BIND": f"127.0.0.1:{port}", "OPCMS_DATA_DIR": str(work / "data"),
           "OPCMS_ADMIN_PASSWORD": ADMIN_PASSWORD, "OPCMS_LOG": "warn",
           # Thousands of calls in a few minutes from one client and one user.
           "OPCMS_RATE_LIMIT_PER_IP": "0", "OPCMS_RATE_LIMIT_PER_USER": "0"}
    started = time.monotonic()
    with open(log, "wb") as log_file:
        server = subprocess.Popen([args.binary, "serve"], cwd=work, env=env, stdout=log_file, stderr=log_file)
    failed = True
    try:
        wait_ready(base, server, log)
        api = Api(base + "/api/v1")
        seeded = seed(api)
        report = work / "events.ndjson"
        command = [
            schemathesis, "run", f"{base}/api/openapi.json", "--url", f"{base}/api/v1",
            "--header", f"Authorization: Bearer {api.token}",
            "--checks", CHECKS, "--mode", "all",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", str(args.max_examples), "--seed", str(args.seed),
            "--workers", "2", "--generation-database", "none", "--no-shrink",
            "--request-timeout", "30", "--suppress-health-check", "all",
            "--report", "ndjson", "--report-ndjson-path", str(report),
            "--no-color", "--output-truncate", "true", "--warnings", "off",
        ]
        hooks_env = {**os.environ, "PYTHONPATH": str(HERE), "SCHEMATHESIS_HOOKS": "api_contract_hooks",
                     "PYTHONDONTWRITEBYTECODE": "1",
                     "OPCMS_CONTRACT_DATA": json.dumps(seeded)}
        result = subprocess.run(command, cwd=work, env=hooks_env)
        called, succeeded = coverage(report) if report.exists() else (set(), set())
        documented = documented_operations(base)
        never_succeeded = sorted(documented - succeeded)
        if never_succeeded:
            print(f"\nAPI contract: {len(never_succeeded)} operations never answered 2xx "
                  f"(only their refusals were checked): {', '.join(never_succeeded)}")
        print(f"\nAPI contract: {len(called & documented)} of {len(documented)} operations exercised "
              f"({len(succeeded & documented)} with a 2xx answer); schemathesis exit {result.returncode}; "
              f"{time.monotonic() - started:.0f} s")
        not_called = sorted(documented - called)
        if not_called:
            print(f"API contract: never called: {', '.join(not_called)}", file=sys.stderr)
        failed = result.returncode != 0 or bool(not_called)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if failed or args.keep:
            print(f"API contract: server log, data and reports kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def documented_operations(base: str) -> set[str]:
    with urllib.request.urlopen(base + "/api/openapi.json", timeout=10) as response:
        document = json.load(response)
    methods = {"get", "put", "post", "delete", "patch"}
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
            if method in methods}


if __name__ == "__main__":
    sys.exit(main())
