//! Scheduled jobs (issue 23, DESIGN.md §16): the jobs API and its bad input,
//! manual runs (once per period unless forced), retries with backoff on the
//! business clock, and a whole simulated month run by the scheduler alone
//! with the test clock: daily collection, drafts on the 1st issued when
//! clean, overdue customers moved to arrears and suspended and back.

use std::time::Duration;

use opcms::usage::mock_vendor::{Behaviour, MockVendor};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::settings::put_settings;
use crate::usage::{customer, pages, source};

crate::per_backend_tests!(
    jobs_are_listed_and_bad_requests_change_nothing,
    a_period_runs_once_unless_forced,
    a_failed_run_is_retried_three_times_then_stays_visible,
    a_month_runs_by_itself_on_the_test_clock,
);

const ACCOUNTS: [&str; 3] = ["sim_a", "sim_b", "sim_c"];

/// An app with the test clock, the scheduler looking every 50 ms, and one
/// usage source on a mock vendor serving [`ACCOUNTS`].
async fn scheduled_app(backend: Backend) -> (TestApp, MockVendor, String) {
    let vendor = MockVendor::start(
        "127.0.0.1:0".parse().expect("addr"),
        ACCOUNTS.map(String::from).to_vec(),
    )
    .await
    .expect("mock vendor");
    let app = TestApp::spawn_with(backend, |c| {
        c.test_clock = true;
        c.jobs.enabled = true;
        c.jobs.tick = Duration::from_millis(50);
        c.usage_sources = vec![source("vendor", &vendor, pages(500), "/v1/usage")];
    })
    .await;
    let token = app.admin_token().await;
    (app, vendor, token)
}

async fn set_clock(app: &TestApp, token: &str, now: &str) {
    let response = app.put("/api/v1/system/clock", Some(token), &json!({"now": now})).await;
    expect_json(response, StatusCode::OK).await;
}

async fn jobs(app: &TestApp, token: &str) -> Vec<Value> {
    let list = expect_json(app.get("/api/v1/jobs", token).await, StatusCode::OK).await;
    list.as_array().expect("jobs").clone()
}

async fn job(app: &TestApp, token: &str, name: &str) -> Value {
    jobs(app, token)
        .await
        .into_iter()
        .find(|j| j["name"] == name)
        .expect("job listed")
}

async fn runs(app: &TestApp, token: &str, name: &str) -> Vec<Value> {
    let page = expect_json(
        app.get(&format!("/api/v1/jobs/{name}/runs?page_size=200"), token).await,
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().expect("runs").clone()
}

/// Waits (up to 20 s) until `name`'s run of `period` is finished; returns it.
async fn finished_run(app: &TestApp, token: &str, name: &str, period: &str) -> Value {
    for _ in 0..400 {
        let found = runs(app, token, name)
            .await
            .into_iter()
            .find(|r| r["period_key"] == period && r["status"] != "running");
        if let Some(run) = found {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} {period} did not finish: {:?}", runs(app, token, name).await);
}

/// `POST /jobs/{name}/run`: the run as it starts (202).
async fn start_run(app: &TestApp, token: &str, name: &str, body: Value) -> Value {
    let response = app.post(&format!("/api/v1/jobs/{name}/run"), Some(token), &body).await;
    expect_json(response, StatusCode::ACCEPTED).await
}

async fn pause_all(app: &TestApp, token: &str, paused: bool) {
    for job in opcms_domain::jobs::Job::ALL {
        let name = job.name();
        let response = app
            .patch(&format!("/api/v1/jobs/{name}"), token, &json!({"paused": paused}))
            .await;
        assert_eq!(expect_json(response, StatusCode::OK).await["paused"], paused);
    }
}

/// Moves the clock to `now` with every job paused, so that the jump itself
/// catches nothing up; the scheduler counts from `now` on.
async fn jump_quietly(app: &TestApp, token: &str, now: &str) {
    pause_all(app, token, true).await;
    set_clock(app, token, now).await;
    let target = chrono::DateTime::parse_from_rfc3339(now).unwrap().to_utc();
    for _ in 0..200 {
        let marks = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT checked_until FROM job_state".to_string(),
            ))
            .await
            .expect("marks");
        let moved = marks.len() == opcms_domain::jobs::Job::ALL.len()
            && marks.iter().all(|row| {
                row.try_get_by_index::<Option<chrono::DateTime<chrono::Utc>>>(0)
                    .ok()
                    .flatten()
                    .is_some_and(|at| at >= target)
            });
        if moved {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    pause_all(app, token, false).await;
}

fn starts(value: &Value, prefix: &str) -> bool {
    value.as_str().is_some_and(|text| text.starts_with(prefix))
}

async fn status_of(app: &TestApp, token: &str, id: i64) -> String {
    let customer = expect_json(app.get(&format!("/api/v1/customers/{id}"), token).await, StatusCode::OK).await;
    customer["account_status"].as_str().expect("status").to_string()
}

async fn jobs_are_listed_and_bad_requests_change_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.test_clock = true).await;
    let admin = app.admin_token().await;
    set_clock(&app, &admin, "2027-03-15T10:00:00+08:00").await;
    let list = jobs(&app, &admin).await;
    let names: Vec<&str> = list.iter().map(|j| j["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "usage.collect",
            "bills.generate",
            "receivables.daily",
            "analytics.refresh",
            "maintenance.prune",
            "backup.daily",
            "erp.customers"
        ]
    );
    let generate = &list[1];
    assert_eq!(generate["schedule"], "0 3 1 * *");
    assert_eq!(generate["schedule_text"], "每月 1 日 03:00");
    assert_eq!(generate["cadence"], "monthly");
    assert_eq!(generate["latest_period"], "2027-02");
    assert_eq!(generate["next_run_at"], "2027-03-31T19:00:00Z");
    assert_eq!(generate["failing"], false);
    assert_eq!(generate["last_run"], Value::Null);
    assert_eq!(list[0]["latest_period"], "2027-03-14");
    assert_eq!(list[2]["latest_period"], "2027-03-15");

    let (_, ops) = app.user_with_role(&admin, "jobs.ops", "operations").await;
    let (_, sales) = app.user_with_role(&admin, "jobs.sales", "sales").await;
    assert_eq!(jobs(&app, &ops).await.len(), 7);
    expect_error(
        app.get("/api/v1/jobs", &sales).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let refused = app
        .post("/api/v1/jobs/maintenance.prune/run", Some(&ops), &json!({}))
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let refused = app
        .patch("/api/v1/jobs/usage.collect", &ops, &json!({"paused": true}))
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    // Unknown job, bad and future periods, bad cron: named, nothing written.
    expect_error(
        app.post("/api/v1/jobs/coffee.make/run", Some(&admin), &json!({})).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get("/api/v1/jobs/coffee.make/runs", &admin).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    for (name, period, code) in [
        ("bills.generate", "2027-03", "FUTURE_PERIOD"),
        ("bills.generate", "2027-13", "INVALID_PERIOD"),
        ("bills.generate", "2027-02-01", "INVALID_PERIOD"),
        ("usage.collect", "2027-03-15", "FUTURE_PERIOD"),
        ("usage.collect", "2027-02-30", "INVALID_PERIOD"),
        ("receivables.daily", "2027-03-16", "FUTURE_PERIOD"),
    ] {
        let response = app
            .post(
                &format!("/api/v1/jobs/{name}/run"),
                Some(&admin),
                &json!({"period_key": period}),
            )
            .await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(error["error"]["details"][0]["field"], "period_key", "{error}");
        assert_eq!(error["error"]["details"][0]["code"], code, "{name} {period}: {error}");
    }
    let unknown_field = app
        .post(
            "/api/v1/jobs/bills.generate/run",
            Some(&admin),
            &json!({"period": "2027-02"}),
        )
        .await;
    assert_eq!(unknown_field.status(), StatusCode::BAD_REQUEST);
    for cron in ["every day", "0 25 * * *", "0 2 * *", "0 0 2 * * *"] {
        let response = app
            .patch("/api/v1/jobs/usage.collect", &admin, &json!({"schedule": cron}))
            .await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(error["error"]["details"][0]["field"], "schedule", "{error}");
        assert_eq!(error["error"]["details"][0]["code"], "INVALID_CRON", "{error}");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM job_runs").await, 0);
    assert_eq!(job(&app, &admin, "usage.collect").await["schedule"], "0 2 * * *");

    // A good schedule and pause/resume, audited.
    let patched = expect_json(
        app.patch(
            "/api/v1/jobs/usage.collect",
            &admin,
            &json!({"schedule": "15 3 * * *", "paused": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["schedule_text"], "每天 03:15");
    assert_eq!(patched["paused"], true);
    assert_eq!(patched["next_run_at"], Value::Null);
    let resumed = expect_json(
        app.patch("/api/v1/jobs/usage.collect", &admin, &json!({"paused": false}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resumed["next_run_at"], "2027-03-15T19:15:00Z");
    for action in ["job.pause", "job.resume", "settings.update"] {
        let audit = expect_json(
            app.get(&format!("/api/v1/audit-logs?action={action}"), &admin).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(audit["total"], 1, "{action}: {audit}");
    }
}

async fn a_period_runs_once_unless_forced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let started = start_run(&app, &admin, "maintenance.prune", json!({})).await;
    assert_eq!(started["status"], "running");
    assert_eq!(started["trigger"], "manual");
    let period = started["period_key"].as_str().unwrap().to_string();
    let run = finished_run(&app, &admin, "maintenance.prune", &period).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["attempt"], 1);
    for key in ["refresh_tokens", "login_failures", "job_runs"] {
        assert!(run["counts"][key].is_u64(), "{key}: {run}");
    }

    let again = app
        .post(
            "/api/v1/jobs/maintenance.prune/run",
            Some(&admin),
            &json!({"period_key": period}),
        )
        .await;
    let error = expect_error(again, StatusCode::CONFLICT, "ALREADY_SUCCEEDED").await;
    assert!(error["error"]["message"].as_str().unwrap().contains("强制"), "{error}");
    let forced = start_run(
        &app,
        &admin,
        "maintenance.prune",
        json!({"period_key": period, "force": true}),
    )
    .await;
    assert_eq!(forced["id"], started["id"], "one row per period");
    finished_run(&app, &admin, "maintenance.prune", &period).await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM job_runs").await, 1);
    let audit = expect_json(
        app.get("/api/v1/audit-logs?action=job.run", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["total"], 2);

    // Concurrent manual runs of one period: one starts, the others are told.
    let day = "2020-01-01";
    let body = json!({"period_key": day});
    let tries = (0..6).map(|_| app.post("/api/v1/jobs/receivables.daily/run", Some(&admin), &body));
    let statuses: Vec<StatusCode> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    let accepted = statuses.iter().filter(|s| **s == StatusCode::ACCEPTED).count();
    assert_eq!(accepted, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::ACCEPTED || *s == StatusCode::CONFLICT)
    );
    finished_run(&app, &admin, "receivables.daily", day).await;
}

async fn a_failed_run_is_retried_three_times_then_stays_visible(backend: Backend) {
    let (app, vendor, admin) = scheduled_app(backend).await;
    jump_quietly(&app, &admin, "2027-05-10T12:00:00+08:00").await;
    vendor.set(Behaviour {
        fail_times: 1000,
        ..Behaviour::default()
    });
    let started = start_run(&app, &admin, "usage.collect", json!({"period_key": "2027-05-08"})).await;
    assert_eq!(started["period_key"], "2027-05-08");
    let first = finished_run(&app, &admin, "usage.collect", "2027-05-08").await;
    assert_eq!(first["status"], "failed");
    assert_eq!(first["attempt"], 1);
    assert!(first["error"].as_str().unwrap().contains("vendor"), "{first}");
    assert!(starts(&first["next_attempt_at"], "2027-05-10T04:01"), "{first}");
    let listed = job(&app, &admin, "usage.collect").await;
    assert_eq!(listed["failing"], true);
    assert_eq!(listed["last_run"]["id"], first["id"]);

    // Each retry comes as the business clock passes its time: 1, 5, 25 min.
    let mut expected_next = ["2027-05-10T04:06", "2027-05-10T04:31"].into_iter();
    for (attempt, now) in [
        (2, "2027-05-10T12:01:30+08:00"),
        (3, "2027-05-10T12:06:30+08:00"),
        (4, "2027-05-10T12:31:30+08:00"),
    ] {
        set_clock(&app, &admin, now).await;
        let mut run = Value::Null;
        for _ in 0..400 {
            run = runs(&app, &admin, "usage.collect").await.remove(0);
            if run["attempt"] == attempt && run["status"] != "running" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(run["attempt"], attempt, "{run}");
        assert_eq!(run["status"], "failed", "{run}");
        assert_eq!(run["trigger"], "retry", "{run}");
        match expected_next.next() {
            Some(next) => assert!(starts(&run["next_attempt_at"], next), "{run}"),
            None => assert_eq!(run["next_attempt_at"], Value::Null, "retries spent: {run}"),
        }
    }
    // Spent: a day later it is still failed, and still visible.
    set_clock(&app, &admin, "2027-05-10T14:00:00+08:00").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let run = runs(&app, &admin, "usage.collect").await.remove(0);
    assert_eq!(
        (run["attempt"].clone(), run["status"].clone()),
        (json!(4), json!("failed"))
    );
    assert_eq!(job(&app, &admin, "usage.collect").await["failing"], true);

    // A person fixes the vendor and runs it again: no force needed for a failure.
    vendor.set(Behaviour::default());
    let rerun = start_run(&app, &admin, "usage.collect", json!({"period_key": "2027-05-08"})).await;
    assert_eq!(rerun["attempt"], 1);
    let done = finished_run(&app, &admin, "usage.collect", "2027-05-08").await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["counts"]["sources"], 1);
    assert_eq!(job(&app, &admin, "usage.collect").await["failing"], false);
}

/// The days of a month as RFC 3339 times at 08:05 China time, when every
/// daily job of that day is due (collection 02:00, pruning 05:00,
/// receivables 08:00; generation 03:00 on the 1st).
fn mornings(from: &str, days: i64) -> Vec<(String, String)> {
    let first = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
    (0..days)
        .map(|i| {
            let day = first + chrono::Duration::days(i);
            (day.to_string(), format!("{day}T08:05:00+08:00"))
        })
        .collect()
}

/// Runs the mornings of `days` one after another, waiting for each day's
/// last job (receivables, then pruning) to finish.
async fn live_through(app: &TestApp, token: &str, days: &[(String, String)]) {
    for (day, morning) in days {
        set_clock(app, token, morning).await;
        let receivables = finished_run(app, token, "receivables.daily", day).await;
        assert_eq!(receivables["status"], "succeeded", "{day}: {receivables}");
        let prune = finished_run(app, token, "maintenance.prune", day).await;
        assert_eq!(prune["status"], "succeeded", "{day}: {prune}");
    }
}

async fn pay_in_full(app: &TestApp, token: &str, bill: &Value, on: &str) {
    let customer_id = bill["customer"]["id"].as_i64().unwrap();
    let receipt = json!({"customer_id": customer_id, "amount": bill["total"], "received_at": on,
                         "method": "bank_transfer", "payer_name": "付款单位"});
    let payment = expect_json(
        app.post("/api/v1/payments", Some(token), &receipt).await,
        StatusCode::CREATED,
    )
    .await;
    let allocation = json!({"allocations": [{"bill_id": bill["id"], "amount": bill["total"]}]});
    let response = app
        .post(
            &format!("/api/v1/payments/{}/allocations", payment["id"]),
            Some(token),
            &allocation,
        )
        .await;
    assert!(response.status().is_success(), "allocate: {}", response.status());
}

async fn a_month_runs_by_itself_on_the_test_clock(backend: Backend) {
    let (app, vendor, admin) = scheduled_app(backend).await;
    jump_quietly(&app, &admin, "2027-02-01T12:00:00+08:00").await;
    put_settings(
        &app,
        &admin,
        json!({"auto_issue_clean_bills": true, "suspend_after_days": 10, "payment_terms_days": 15}),
    )
    .await;
    let plan = json!({"name": "模拟月标准价", "effective_from": "2027-02", "reason": "模拟一个月",
        "rules": {"X": {"mode": "flat", "unit_price": "0.5"}, "N": {"mode": "flat", "unit_price": "0.5"},
                  "L": {"mode": "flat", "unit_price": "0.5"}}});
    let plan_id = expect_json(
        app.post("/api/v1/price-plans", Some(&admin), &plan).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let mut ids = Vec::new();
    for (i, account) in ACCOUNTS.iter().enumerate() {
        let id = customer(&app, &admin, &format!("SIM00{i}"), account).await;
        let response = app
            .put(
                &format!("/api/v1/customers/{id}/pricing"),
                Some(&admin),
                &json!({"plan_id": plan_id}),
            )
            .await;
        assert!(response.status().is_success(), "assign plan: {}", response.status());
        ids.push(id);
    }
    let (a, b, c) = (ids[0], ids[1], ids[2]);

    // February, day by day, with nobody pressing a button; then 1 March.
    live_through(&app, &admin, &mornings("2027-02-02", 28)).await;
    let collections = runs(&app, &admin, "usage.collect").await;
    assert_eq!(collections.len(), 28, "1 to 28 February, each once");
    assert!(
        collections
            .iter()
            .all(|r| r["status"] == "succeeded" && r["attempt"] == 1)
    );
    let periods: Vec<&str> = collections.iter().map(|r| r["period_key"].as_str().unwrap()).collect();
    assert_eq!(periods.first(), Some(&"2027-02-28"));
    assert_eq!(periods.last(), Some(&"2027-02-01"));
    assert_eq!(collections[0]["counts"]["records"], 9, "3 accounts × 3 series");
    let february_days = scalar(&app, "SELECT COUNT(*) FROM usage_records WHERE month = 202702").await;
    assert_eq!(february_days, 28 * 9);
    assert_eq!(vendor.requests(), 28, "one page per day, no day fetched twice");

    let generation = finished_run(&app, &admin, "bills.generate", "2027-02").await;
    assert_eq!(generation["status"], "succeeded", "{generation}");
    // The clock jumped from 08:05 to 08:05: the 03:00 time was passed, so
    // the scheduler ran it late, as catch-up; nobody pressed a button.
    assert_eq!(generation["trigger"], "catch_up");
    assert_eq!(generation["counts"]["drafts"], 3, "{generation}");
    let drafts = expect_json(app.get("/api/v1/bills?period=2027-02", &admin).await, StatusCode::OK).await;
    assert_eq!(generation["counts"]["issued"], 3, "{generation} {drafts}");
    let bills = expect_json(app.get("/api/v1/bills?period=2027-02", &admin).await, StatusCode::OK).await;
    assert_eq!(bills["total"], 3);
    let bills = bills["items"].as_array().unwrap().clone();
    for bill in &bills {
        assert_eq!(bill["status"], "issued", "{bill}");
        assert_eq!(bill["due_date"], "2027-03-15", "{bill}");
    }
    let bill_of = |id: i64| bills.iter().find(|b| b["customer"]["id"] == id).unwrap().clone();

    // Due on the 15th: on the 16th all three are overdue and move to 欠费.
    live_through(&app, &admin, &mornings("2027-03-02", 15)).await;
    let overdue = finished_run(&app, &admin, "receivables.daily", "2027-03-16").await;
    assert_eq!(overdue["counts"]["to_arrears"], 3, "{overdue}");
    assert_eq!(overdue["counts"]["overdue_bills"], 3, "{overdue}");
    for id in [a, b, c] {
        assert_eq!(status_of(&app, &admin, id).await, "arrears");
    }

    // A pays the same day and is active again the next morning.
    pay_in_full(&app, &admin, &bill_of(a), "2027-03-16").await;
    live_through(&app, &admin, &mornings("2027-03-17", 1)).await;
    assert_eq!(status_of(&app, &admin, a).await, "active");
    assert_eq!(status_of(&app, &admin, b).await, "arrears");

    // Overdue more than 10 days (the setting): B and C are suspended.
    live_through(&app, &admin, &mornings("2027-03-18", 9)).await;
    let suspension = finished_run(&app, &admin, "receivables.daily", "2027-03-26").await;
    assert_eq!(suspension["counts"]["to_suspended"], 2, "{suspension}");
    assert_eq!(status_of(&app, &admin, b).await, "suspended");
    assert_eq!(status_of(&app, &admin, c).await, "suspended");

    // C pays; the next morning C is active again, B stays suspended.
    pay_in_full(&app, &admin, &bill_of(c), "2027-03-26").await;
    live_through(&app, &admin, &mornings("2027-03-27", 1)).await;
    assert_eq!(status_of(&app, &admin, c).await, "active");
    assert_eq!(status_of(&app, &admin, b).await, "suspended");

    // C's timeline: every move by the system, with its reason.
    let history = expect_json(
        app.get(&format!("/api/v1/customers/{c}/status-history"), &admin).await,
        StatusCode::OK,
    )
    .await;
    let moves: Vec<(String, String, bool)> = history
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|h| {
            (
                h["to_status"].as_str().unwrap().to_string(),
                h["reason"].as_str().unwrap_or_default().to_string(),
                h["actor_id"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("active".to_string(), "逾期账单已全部结清".to_string(), true),
            ("suspended".to_string(), "账单逾期 11 天".to_string(), true),
            ("arrears".to_string(), "账单逾期 1 天".to_string(), true),
        ]
    );
    // The last day's backup may still be writing (slow on a loaded machine).
    for _ in 0..1200 {
        if scalar(&app, "SELECT COUNT(*) FROM job_runs WHERE status = 'running'").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every job period ran exactly once.
    let mut again_or_unfinished = Vec::new();
    for job in opcms_domain::jobs::Job::ALL {
        again_or_unfinished.extend(
            runs(&app, &admin, job.name())
                .await
                .into_iter()
                .filter(|r| r["attempt"] != 1 || r["status"] != "succeeded"),
        );
    }
    assert!(again_or_unfinished.is_empty(), "{again_or_unfinished:#?}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM job_runs WHERE job = 'receivables.daily'").await,
        54
    );
    assert_eq!(job(&app, &admin, "receivables.daily").await["failing"], false);
}
