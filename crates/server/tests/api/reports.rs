//! Custom reports (自定义报表, issue 25): a definition of dataset, columns,
//! filters, grouping and sums runs as SQL within the caller's scope on every
//! backend, exports as a file, and is saved per user; a bad definition is a
//! 400 naming the part.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    reports_run_group_sum_and_export_within_the_scope,
    saved_reports_belong_to_their_author
);

async fn customer(app: &TestApp, token: &str, code: &str, name: &str, owner: Option<i64>) -> i64 {
    let body = json!({"company_name": name, "customer_code": code, "account_id": format!("acc_{code}"),
                      "device_series": ["X", "N"], "account_status": "active", "payment_terms_days": 15,
                      "sales_owner_id": owner, "signed_at": "2025-03-10"});
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .expect("id")
}

async fn bill(app: &TestApp, token: &str, customer_id: i64, period: &str, amount: &str, issue: bool) {
    let body = json!({"customer_id": customer_id, "period": period,
                      "lines": [{"description": "服务费", "amount": amount}]});
    let id = expect_json(app.post("/api/v1/bills", Some(token), &body).await, StatusCode::OK).await["id"]
        .as_i64()
        .expect("id");
    if issue {
        let path = format!("/api/v1/bills/{id}/issue");
        expect_json(app.post(&path, Some(token), &json!({})).await, StatusCode::OK).await;
    }
}

async fn run(app: &TestApp, token: &str, definition: Value, query: &str) -> Value {
    expect_json(
        app.post(&format!("/api/v1/reports/run{query}"), Some(token), &definition)
            .await,
        StatusCode::OK,
    )
    .await
}

fn rows(result: &Value) -> Vec<Vec<String>> {
    result["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|cell| cell.as_str().unwrap_or("null").to_string())
                .collect()
        })
        .collect()
}

fn table(expected: &[&[&str]]) -> Vec<Vec<String>> {
    expected
        .iter()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn reports_run_group_sum_and_export_within_the_scope(app: TestApp) {
    let admin = app.admin_token().await;
    let (owner, sales) = app.user_with_role(&admin, "report.sales", "sales").await;
    let own = customer(&app, &admin, "R001", "甲报表公司", Some(owner)).await;
    let other = customer(&app, &admin, "R002", "乙报表公司", None).await;
    bill(&app, &admin, own, "2026-01", "100", true).await;
    bill(&app, &admin, own, "2026-02", "200.5", true).await;
    bill(&app, &admin, other, "2026-01", "400", true).await;
    bill(&app, &admin, other, "2026-02", "50", false).await;
    let body = json!({"records": [
        {"customer_id": own, "series": "X", "day": "2026-01-05", "quantity": "10.5"},
        {"customer_id": own, "series": "N", "day": "2026-01-06", "quantity": "4"},
        {"customer_id": other, "series": "X", "day": "2026-02-07", "quantity": "1.25"}]});
    expect_json(app.post("/api/v1/usage", Some(&admin), &body).await, StatusCode::OK).await;

    // Bills by customer, drafts left out by a filter, the total summed.
    let by_customer = json!({"dataset": "bills", "columns": ["customer_code", "total"],
        "filters": [{"column": "status", "op": "ne", "value": "draft"}],
        "group_by": ["customer_code"], "sums": ["total"]});
    let result = run(&app, &admin, by_customer.clone(), "").await;
    let keys: Vec<&str> = result["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["key"].as_str())
        .collect();
    assert_eq!(keys, vec!["customer_code", "total", "count"]);
    assert_eq!(
        rows(&result),
        table(&[&["R001", "300.50", "2"], &["R002", "400.00", "1"]])
    );
    assert_eq!(result["totals"], json!({"total": "700.50"}));
    assert_eq!(result["total"], 2);
    // The sales user's report covers their own customer only.
    let mine = run(&app, &sales, by_customer, "").await;
    assert_eq!(rows(&mine), table(&[&["R001", "300.50", "2"]]));
    assert_eq!(mine["totals"], json!({"total": "300.50"}));

    // Plain rows, paged, with every kind of cell and filter.
    let plain = json!({"dataset": "bills", "columns": ["customer_code", "company_name", "period", "status", "outstanding"],
        "filters": [{"column": "company_name", "op": "contains", "value": "报表"},
                    {"column": "period", "op": "gte", "value": "2026-01"},
                    {"column": "status", "op": "in", "value": "issued，paid"}],
        "sums": ["outstanding"]});
    let page = run(&app, &admin, plain.clone(), "?page=2&page_size=2").await;
    assert_eq!((page["total"].as_u64(), page["page"].as_u64()), (Some(3), Some(2)));
    assert_eq!(
        rows(&page),
        table(&[&["R002", "乙报表公司", "2026-01", "issued", "400.00"]])
    );
    assert_eq!(page["totals"]["outstanding"], "700.50");
    let february = json!({"dataset": "bills", "columns": ["customer_code", "total"],
        "filters": [{"column": "period", "op": "eq", "value": "2026-02"}, {"column": "total", "op": "gte", "value": "100"}]});
    assert_eq!(
        rows(&run(&app, &admin, february, "").await),
        table(&[&["R001", "200.50"]])
    );

    // Usage by series and month; customers by owner; receipts by month.
    let usage =
        json!({"dataset": "usage", "columns": ["series", "quantity"], "group_by": ["series"], "sums": ["quantity"]});
    assert_eq!(
        rows(&run(&app, &admin, usage, "").await),
        table(&[&["N", "4.00", "1"], &["X", "11.75", "2"]])
    );
    let months = json!({"dataset": "usage", "columns": ["month"], "group_by": ["month"],
                        "filters": [{"column": "day", "op": "lte", "value": "2026-01-31"}]});
    assert_eq!(rows(&run(&app, &admin, months, "").await), table(&[&["2026-01", "2"]]));
    let customers = json!({"dataset": "customers", "columns": ["signed_month", "payment_terms_days"],
                           "group_by": ["signed_month", "payment_terms_days"]});
    assert_eq!(
        rows(&run(&app, &admin, customers, "").await),
        table(&[&["2025-03", "15", "2"]])
    );
    let receipt = json!({"customer_id": own, "amount": "88.8", "received_at": "2026-02-03",
                         "method": "bank_transfer", "payer_name": "甲报表公司"});
    expect_json(
        app.post("/api/v1/payments", Some(&admin), &receipt).await,
        StatusCode::CREATED,
    )
    .await;
    let receipts = json!({"dataset": "payments", "columns": ["received_month", "amount", "unapplied"],
                          "group_by": ["received_month"], "sums": ["amount", "unapplied"]});
    assert_eq!(
        rows(&run(&app, &sales, receipts, "").await),
        table(&[&["2026-02", "88.80", "88.80", "1"]])
    );

    // Exports: every row, the same scope.
    let response = app
        .post(
            "/api/v1/reports/export?format=csv",
            Some(&sales),
            &json!({"name": "我的账单", "definition": plain}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.expect("csv");
    assert!(csv.contains("客户编号,客户名称,账期,状态,未收金额"), "{csv}");
    assert!(
        csv.contains("R001,甲报表公司,2026-02,issued,200.50") && !csv.contains("R002"),
        "{csv}"
    );
    let response = app
        .post(
            "/api/v1/reports/export?format=pdf",
            Some(&admin),
            &json!({"definition": {"dataset": "bills", "columns": ["customer_code", "total"],
                    "group_by": ["customer_code"], "sums": ["total"]}}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text: String = pdf_extract::extract_text_from_mem(&response.bytes().await.expect("pdf"))
        .expect("pdf text")
        .split_whitespace()
        .collect();
    for needle in ["自定义报表账单", "合计应收金额", "750.50", "R002", "450.00"] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }

    // Bad definitions: each part named.
    for (definition, field, code) in [
        (
            json!({"dataset": "bills", "columns": ["customer_code", "password_hash"]}),
            "columns[1]",
            "UNKNOWN_COLUMN",
        ),
        (
            json!({"dataset": "bills", "columns": ["total"], "group_by": ["total"]}),
            "group_by[0]",
            "NOT_GROUPABLE",
        ),
        (
            json!({"dataset": "bills", "columns": ["status"], "sums": ["status"]}),
            "sums[0]",
            "NOT_SUMMABLE",
        ),
        (
            json!({"dataset": "bills", "columns": ["status", "bill_no"], "group_by": ["status"]}),
            "columns[1]",
            "NOT_IN_GROUP",
        ),
        (
            json!({"dataset": "bills", "columns": ["total"],
                "filters": [{"column": "total", "op": "contains", "value": "1"}]}),
            "filters[0].op",
            "INVALID_OP",
        ),
        (
            json!({"dataset": "usage", "columns": ["day"],
                "filters": [{"column": "day", "op": "gte", "value": "2026/01/01"}]}),
            "filters[0].value",
            "INVALID_VALUE",
        ),
        (json!({"dataset": "bills", "columns": []}), "columns", "INVALID_COLUMNS"),
    ] {
        let error = expect_error(
            app.post("/api/v1/reports/run", Some(&admin), &definition).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(error["error"]["details"][0]["field"], field, "{error}");
        assert_eq!(error["error"]["details"][0]["code"], code, "{error}");
    }
    let unknown = app
        .post(
            "/api/v1/reports/run",
            Some(&admin),
            &json!({"dataset": "secrets", "columns": ["x"]}),
        )
        .await;
    expect_error(unknown, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let format = app
        .post(
            "/api/v1/reports/export?format=doc",
            Some(&admin),
            &json!({"definition": {"dataset": "bills", "columns": ["total"]}}),
        )
        .await;
    expect_error(format, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let catalogue = expect_json(app.get("/api/v1/reports/datasets", &sales).await, StatusCode::OK).await;
    assert_eq!(catalogue.as_array().map(Vec::len), Some(4));
}

async fn saved_reports_belong_to_their_author(app: TestApp) {
    let admin = app.admin_token().await;
    let (_, sales) = app.user_with_role(&admin, "report.saver", "sales").await;
    let definition =
        json!({"dataset": "bills", "columns": ["period", "total"], "group_by": ["period"], "sums": ["total"]});
    let created = expect_json(
        app.post(
            "/api/v1/reports",
            Some(&admin),
            &json!({"name": " 月度应收 ", "definition": definition}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["name"], "月度应收");
    let id = created["id"].as_i64().expect("id");
    expect_error(
        app.post(
            "/api/v1/reports",
            Some(&admin),
            &json!({"name": "月度应收", "definition": definition}),
        )
        .await,
        StatusCode::CONFLICT,
        "REPORT_NAME_TAKEN",
    )
    .await;
    // The same name is free for another user; nobody sees another's report.
    expect_json(
        app.post(
            "/api/v1/reports",
            Some(&sales),
            &json!({"name": "月度应收", "definition": definition}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let list = expect_json(app.get("/api/v1/reports", &sales).await, StatusCode::OK).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    expect_error(
        app.get(&format!("/api/v1/reports/{id}"), &sales).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete(&format!("/api/v1/reports/{id}"), &sales).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    // A bad definition is refused on save, naming the part inside it.
    let error = expect_error(
        app.put(
            &format!("/api/v1/reports/{id}"),
            Some(&admin),
            &json!({"name": "", "definition": {"dataset": "bills", "columns": ["total"], "group_by": ["total"]}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let fields: Vec<&str> = error["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["name", "definition.group_by[0]"]);
    let renamed = expect_json(
        app.put(
            &format!("/api/v1/reports/{id}"),
            Some(&admin),
            &json!({"name": "应收按月", "definition": definition}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["definition"]["group_by"][0], "period");
    let file = app
        .get(&format!("/api/v1/reports/{id}/export?format=csv"), &admin)
        .await;
    assert_eq!(file.status(), StatusCode::OK);
    assert!(
        file.text()
            .await
            .expect("csv")
            .starts_with("\u{feff}账期,应收金额,行数")
    );
    let deleted = app.delete(&format!("/api/v1/reports/{id}"), &admin).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let audit = expect_json(
        app.get("/api/v1/audit-logs?entity_type=saved_report", &admin).await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["report.create", "report.update", "report.delete"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}
