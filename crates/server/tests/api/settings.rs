//! Settings (issue 23, DESIGN.md §18): seeded once from the file, then the
//! table wins; partial updates, every key checked and named, audited with
//! before and after; and the parts of the system that read them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

crate::per_backend_tests!(
    the_file_seeds_the_table_once_then_the_table_wins,
    bad_values_are_named_and_change_nothing,
    new_customers_and_the_quarantine_read_the_settings,
);

async fn settings(app: &TestApp, token: &str) -> Value {
    expect_json(app.get("/api/v1/settings", token).await, StatusCode::OK).await
}

pub(crate) async fn put_settings(app: &TestApp, token: &str, body: Value) -> Value {
    expect_json(app.put("/api/v1/settings", Some(token), &body).await, StatusCode::OK).await
}

async fn the_file_seeds_the_table_once_then_the_table_wins(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.billing.company_name = Some("上海示例物联科技有限公司".into());
        c.billing.bank_account = Some("1219 0000 0000 0001".into());
        c.usage_limits.x = Some(opcms_domain::Fixed4::from_units(50_000_000));
    })
    .await;
    let admin = app.admin_token().await;
    let seeded = settings(&app, &admin).await;
    assert_eq!(seeded["company"]["name"], "上海示例物联科技有限公司");
    assert_eq!(seeded["company"]["bank_account"], "1219 0000 0000 0001");
    assert_eq!(seeded["company"]["tax_id"], "");
    assert_eq!(seeded["usage_limits"], json!({"X": "5000.00", "N": null, "L": null}));
    assert_eq!(seeded["payment_terms_days"], 15);
    assert_eq!(seeded["suspend_after_days"], 30);
    assert_eq!(seeded["auto_issue_clean_bills"], false);
    assert_eq!(seeded["timezone"], "Asia/Shanghai");
    assert_eq!(seeded["job_schedules"]["bills.generate"], "0 3 1 * *");

    // A partial change touches its keys only, and is audited key by key.
    let mut company = seeded["company"].clone();
    company["name"] = json!("  上海新名称科技有限公司 ");
    company["tax_id"] = json!("91310115MA1K4XXXX0");
    let after = put_settings(
        &app,
        &admin,
        json!({"company": company, "suspend_after_days": 45, "job_schedules": {"usage.collect": "30 1 * * *"}}),
    )
    .await;
    assert_eq!(after["company"]["name"], "上海新名称科技有限公司");
    assert_eq!(after["company"]["bank_account"], "1219 0000 0000 0001");
    assert_eq!(after["suspend_after_days"], 45);
    assert_eq!(after["payment_terms_days"], 15);
    assert_eq!(after["job_schedules"]["usage.collect"], "30 1 * * *");
    assert_eq!(after["job_schedules"]["receivables.daily"], "0 8 * * *");
    let audit = expect_json(
        app.get("/api/v1/audit-logs?action=settings.update", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 1, "{audit}");
    let changes = &audit["items"][0]["changes"];
    assert_eq!(changes["suspend_after_days"], json!({"before": 30, "after": 45}));
    assert_eq!(changes["company"]["before"]["name"], "上海示例物联科技有限公司");
    assert!(changes.get("payment_terms_days").is_none(), "{changes}");
    // The jobs page shows the new schedule in words.
    let jobs = expect_json(app.get("/api/v1/jobs", &admin).await, StatusCode::OK).await;
    let collect = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "usage.collect")
        .unwrap();
    assert_eq!(collect["schedule_text"], "每天 01:30");

    // A restart with the file still saying the old name: the table wins.
    let app = app.restart_with(|_| {}).await;
    let signed_in = expect_json(app.login("admin", ADMIN_PASSWORD).await, StatusCode::OK).await;
    let admin = signed_in["access_token"].as_str().expect("token").to_string();
    assert_eq!(
        settings(&app, &admin).await["company"]["name"],
        "上海新名称科技有限公司"
    );
}

async fn bad_values_are_named_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let before = settings(&app, &admin).await;
    let response = app
        .put(
            "/api/v1/settings",
            Some(&admin),
            &json!({
                "payment_terms_days": -1,
                "suspend_after_days": 100000,
                "timezone": "Mars/Olympus",
                "usage_limits": {"X": "-5", "N": "abc", "L": null},
                "job_schedules": {"bills.generate": "every month", "coffee.make": "0 9 * * *"},
                "company": {"name": "公".repeat(201)},
                "auto_issue_clean_bills": true,
            }),
        )
        .await;
    let error = expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    let fields: Vec<(String, String)> = error["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["field"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        [
            "company.name",
            "payment_terms_days",
            "suspend_after_days",
            "usage_limits.X",
            "usage_limits.N",
            "timezone",
            "job_schedules.bills.generate",
            "job_schedules.coffee.make",
        ],
        "{error}"
    );
    assert_eq!(fields[1].1, "账期天数须为 0–365 的整数");
    assert_eq!(fields[5].1, "未知的时区（应为 IANA 时区名，如 Asia/Shanghai）");
    assert_eq!(fields[7].1, "没有名为 coffee.make 的定时任务");
    // All or nothing: the good key in the same request did not land.
    assert_eq!(settings(&app, &admin).await, before);

    // An unknown key and a wrong shape are refused too.
    for body in [
        json!({"theme": "dark"}),
        json!({"auto_issue_clean_bills": "yes"}),
        json!([1]),
    ] {
        let response = app.put("/api/v1/settings", Some(&admin), &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(settings(&app, &admin).await, before);

    // Management only.
    let (_, ops) = app.user_with_role(&admin, "settings.ops", "operations").await;
    expect_error(
        app.get("/api/v1/settings", &ops).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let refused = app
        .put("/api/v1/settings", Some(&ops), &json!({"payment_terms_days": 30}))
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_eq!(settings(&app, &admin).await, before);
}

async fn new_customers_and_the_quarantine_read_the_settings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    put_settings(
        &app,
        &admin,
        json!({"payment_terms_days": 30, "usage_limits": {"X": "100"}}),
    )
    .await;
    let id = crate::usage::customer(&app, &admin, "S0001", "acc_settings").await;
    let customer = expect_json(
        app.get(&format!("/api/v1/customers/{id}"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(customer["payment_terms_days"], 30);

    let day = crate::usage::a_day();
    let records = json!({"records": [
        {"customer_id": id, "series": "X", "day": day, "quantity": "100.01"},
        {"customer_id": id, "series": "N", "day": day, "quantity": "100.01"},
    ]});
    let result = crate::usage::enter(&app, &admin, records).await;
    assert_eq!(result["quarantined"], 1, "{result}");

    // Raising the threshold lets the next delivery through.
    put_settings(&app, &admin, json!({"usage_limits": {"X": "1000"}})).await;
    let later = crate::usage::a_day() - chrono::Duration::days(1);
    let records = json!({"records": [{"customer_id": id, "series": "X", "day": later, "quantity": "100.01"}]});
    let result = crate::usage::enter(&app, &admin, records).await;
    assert_eq!(result["quarantined"], 0, "{result}");
}
