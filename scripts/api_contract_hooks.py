"""Schemathesis hooks for scripts/api-contract.py (loaded through
SCHEMATHESIS_HOOKS), given the seeded ids in OPCMS_CONTRACT_DATA.

- Examples: random data rarely passes the business rules of a write (a
  known plan id, a valid price rule, a CSV with the right headers), so each
  write gets one valid call beside the generated ones; its success answer
  is then checked against the document too.
- The run signs in once as the admin: a generated `PATCH /users/{id}` that
  resets the admin's own password would end the run's session and leave
  every later call a 401, so calls aimed at the admin's account go to a
  spare account instead. Everything else is sent as generated.
"""

import json
import os

import schemathesis
from schemathesis.core import NOT_SET

SEEDED = json.loads(os.environ.get("OPCMS_CONTRACT_DATA", "{}"))


def _form(file_name: str, content: bytes) -> dict:
    """An import's multipart body with a file name (the import reads the
    format from its extension), sent as built."""
    boundary = "contract-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return {"query": {"dry_run": "true"}, "body": body,
            "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"}}


def _examples() -> dict[str, list[dict]]:
    if not SEEDED:
        return {}
    first, second = SEEDED["customers"]
    plan, bill, payment = SEEDED["plan"], SEEDED["bills"][0], SEEDED["payments"][1]
    today, period = SEEDED["today"], SEEDED["last_month"]
    flat = {"mode": "flat", "unit_price": "2"}
    rules = {"X": flat, "N": flat, "L": flat}
    usage_csv = f"客户编号,设备系列,日期,用量\nCT001,N,{today},12\n".encode()
    statement_csv = f"到账日期,金额,付款人,流水号,客户编号\n{today},88.00,契约测试1有限公司,CT-IMP-REF,CT001\n".encode()
    customers_csv = "公司名称,客户编号,平台账号,设备系列\n契约示例有限公司,CT-EX9,acc_ex9,X\n".encode()
    report = {"dataset": "bills", "columns": ["period", "total"], "group_by": ["period"], "sums": ["total"]}
    return {
        "POST /auth/login": [{"body": {"username": "contract-spare", "password": "Spare-user-2026"}}],
        "POST /auth/refresh": [{"body": {"refresh_token": SEEDED["spare_refresh"]}}],
        "POST /users": [{"body": {"username": "contract-example", "password": "Example-user-2026",
                                  "role": "operations", "display_name": "契约示例账号"}}],
        "POST /customers": [{"body": {"company_name": "契约示例有限公司", "customer_code": "CT-EX1",
                                      "account_id": "acc_ex1", "device_series": ["L"]}}],
        "POST /customers/batch": [{"body": {"action": "add_tag", "ids": [second], "tag": "契约"}}],
        "POST /customers/{id}/status": [{"path": {"id": SEEDED["trial_customer"]},
                                          "body": {"to": "active", "reason": "契约测试"}}],
        "PUT /customers/{id}/pricing": [{"path": {"id": second}, "body": {"plan_id": plan}}],
        "DELETE /customers/{id}/pricing": [{"path": {"id": first}}],
        "POST /customers/import": [_form("customers.csv", customers_csv)],
        "POST /price-plans": [{"body": {"name": "契约示例价格", "effective_from": period, "rules": rules,
                                        "reason": "契约测试"}}],
        "POST /price-plans/{id}/versions": [{"path": {"id": plan}, "body": {"rules": rules, "effective_from": period,
                                                                           "reason": "契约测试"}}],
        "POST /price-plans/{id}/rollback": [{"path": {"id": plan}, "body": {"version": 1}}],
        "POST /pricing/quote": [{"body": {"plan_id": plan, "usage": {"X": "100"}}}],
        "POST /usage": [{"body": {"records": [{"customer_id": second, "series": "N", "day": today,
                                               "quantity": "3"}]}}],
        "PATCH /usage/{id}": [{"path": {"id": SEEDED["records"][0]}, "body": {"quantity": "110",
                                                                              "reason": "契约测试"}}],
        "POST /usage/import": [_form("usage.csv", usage_csv)],
        "POST /usage/quarantine/{id}/resolve": [{"path": {"id": SEEDED["quarantined"][0]},
                                                 "body": {"action": "discard", "note": "契约测试"}}],
        "POST /usage/quarantine/resolve": [{"body": {"action": "discard", "ids": [SEEDED["quarantined"][1]],
                                                  "note": "契约测试"}}],
        "POST /bills/generate": [{"body": {"period": period}}],
        "POST /bills": [{"body": {"customer_id": second, "period": period,
                                  "lines": [{"description": "服务费", "amount": "30"}]}}],
        "POST /bills/{id}/credit-notes": [{"path": {"id": bill}, "body": {"amount": "5", "reason": "契约测试"}}],
        "POST /payments": [{"body": {"customer_id": second, "amount": "66", "received_at": today,
                                     "method": "bank_transfer", "reference": "CT-EX-REF"}}],
        "POST /payments/{id}/allocations": [{"path": {"id": payment},
                                             "body": {"allocations": [{"bill_id": SEEDED["bills"][1],
                                                                       "amount": "10"}]}}],
        "POST /payments/import": [_form("statement.csv", statement_csv)],
        "POST /reports/run": [{"body": report}],
        "POST /reports/export": [{"query": {"format": "csv"}, "body": {"name": "契约导出", "definition": report}}],
        "POST /reports": [{"body": {"name": "契约示例报表", "definition": report}}],
        "GET /reports/{id}": [{"path": {"id": SEEDED["reports"][0]}}],
        "GET /reports/{id}/export": [{"path": {"id": SEEDED["reports"][0]}, "query": {"format": "csv"}}],
        "PUT /reports/{id}": [{"path": {"id": SEEDED["reports"][0]}, "body": {"name": "契约报表改名", "definition": report}}],
        "DELETE /reports/{id}": [{"path": {"id": SEEDED["reports"][1]}}],
    }


EXAMPLES = _examples()


@schemathesis.hook
def before_add_examples(context, examples):
    operation = context.operation
    for example in EXAMPLES.get(f"{operation.method.upper()} {operation.path}", []):
        examples.append(operation.Case(path_parameters=example.get("path"), query=example.get("query"),
                                       headers=example.get("headers"), body=example.get("body", NOT_SET)))


@schemathesis.hook
def before_call(context, case, kwargs):
    protected, spare = SEEDED.get("admin"), SEEDED.get("spare")
    if case.operation.path == "/users/{id}" and case.method.upper() == "PATCH" and protected and spare:
        parameters = case.path_parameters or {}
        if parameters.get("id") == protected:
            parameters["id"] = spare
