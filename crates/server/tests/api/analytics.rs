//! Analytics (issue 25, DESIGN.md §9) on a hand-built half year: four
//! customers, bills issued month by month on the test clock, on-time and
//! late receipts, a partial payment, a reversed allocation, a credit note, a
//! void bill, a draft, usage that drops and stops, a customer closed. Every
//! figure below was worked out by hand from the definitions; the same data
//! is read as management and as each sales user (their own customers only).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

crate::per_backend_tests!(
    every_figure_of_section_9_on_a_known_half_year,
    bad_analytics_requests_get_clear_answers,
    the_snapshots_follow_each_write_at_once,
    concurrent_writes_and_reads_leave_exact_sums,
    readers_queued_behind_one_refresh_are_all_served_by_it,
);

pub(crate) async fn at(app: &TestApp, admin: &str, day: &str) {
    let response = app
        .put(
            "/api/v1/system/clock",
            Some(admin),
            &json!({"now": format!("{day}T10:00:00+08:00")}),
        )
        .await;
    expect_json(response, StatusCode::OK).await;
}

pub(crate) async fn customer(
    app: &TestApp,
    token: &str,
    code: &str,
    owner: Option<i64>,
    signed: &str,
    end: Option<&str>,
) -> i64 {
    let body = json!({"company_name": format!("{code}分析测试公司"), "customer_code": code,
                      "account_id": format!("acc_{code}"), "device_series": ["X", "N", "L"],
                      "account_status": "active", "payment_terms_days": 15, "sales_owner_id": owner,
                      "signed_at": signed, "contract_end_at": end});
    id(&expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await)
}

/// A manual bill of one line; issued unless `draft`.
pub(crate) async fn bill(app: &TestApp, token: &str, customer_id: i64, period: &str, amount: &str, draft: bool) -> i64 {
    let body = json!({"customer_id": customer_id, "period": period,
                      "lines": [{"description": "服务费", "amount": amount}]});
    let bill_id = id(&expect_json(app.post("/api/v1/bills", Some(token), &body).await, StatusCode::OK).await);
    if !draft {
        let path = format!("/api/v1/bills/{bill_id}/issue");
        expect_json(app.post(&path, Some(token), &json!({})).await, StatusCode::OK).await;
    }
    bill_id
}

/// A receipt allocated in full to one bill; returns the allocation's id.
pub(crate) async fn pay(app: &TestApp, token: &str, customer_id: i64, bill_id: i64, amount: &str, day: &str) -> i64 {
    let body = json!({"customer_id": customer_id, "amount": amount, "received_at": day,
                      "method": "bank_transfer", "payer_name": "付款单位"});
    let payment = expect_json(
        app.post("/api/v1/payments", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/api/v1/payments/{}/allocations", id(&payment));
    let body = json!({"allocations": [{"bill_id": bill_id, "amount": amount}]});
    let allocated = expect_json(app.post(&path, Some(token), &body).await, StatusCode::OK).await;
    allocated["allocations"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no allocation id: {allocated}"))
}

pub(crate) async fn usage(app: &TestApp, token: &str, customer_id: i64, series: &str, day: &str, quantity: &str) {
    let body = json!({"records": [{"customer_id": customer_id, "series": series, "day": day, "quantity": quantity}]});
    let result = expect_json(app.post("/api/v1/usage", Some(token), &body).await, StatusCode::OK).await;
    assert_eq!(result["quarantined"], 0, "usage quarantined: {result}");
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    expect_json(app.get(path, token).await, StatusCode::OK).await
}

/// A file download: 200, the content type, the bytes.
async fn download(app: &TestApp, token: &str, path: &str, content_type: &str) -> Vec<u8> {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(kind.contains(content_type), "{path}: {kind}");
    response.bytes().await.expect("body").to_vec()
}

pub(crate) fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id: {value}"))
}

fn codes(items: &Value, field: &str) -> Vec<(String, String)> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|row| {
            (
                row["customer_code"].as_str().unwrap_or_default().to_string(),
                row[field]
                    .as_str()
                    .map_or_else(|| row[field].to_string(), str::to_string),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

struct HalfYear {
    admin: String,
    s1: String,
    s2: String,
    a: i64,
    b: i64,
}

/// The data set: clock stops from January to 20 June 2026.
async fn half_year(app: &TestApp) -> HalfYear {
    let admin = app.admin_token().await;
    at(app, &admin, "2026-01-05").await;
    let (s1_id, s1) = app.user_with_role(&admin, "an.s1", "sales").await;
    let (s2_id, s2) = app.user_with_role(&admin, "an.s2", "sales").await;
    // A: a steady payer of S1, contract ending in August.
    let a = customer(app, &admin, "A001", Some(s1_id), "2025-01-10", Some("2026-08-01")).await;
    // C: S2's, paid on time, contract ending mid-July.
    let c = customer(app, &admin, "C003", Some(s2_id), "2025-06-01", Some("2026-07-15")).await;
    // D: nobody's, closed in May without a bill.
    let d = customer(app, &admin, "D004", None, "2024-01-01", None).await;

    at(app, &admin, "2026-02-01").await;
    let a_jan = bill(app, &admin, a, "2026-01", "1000", false).await;
    let c_jan = bill(app, &admin, c, "2026-01", "3000", false).await;
    let credit = json!({"amount": "1000", "reason": "合同折让"});
    expect_json(
        app.post(&format!("/api/v1/bills/{c_jan}/credit-notes"), Some(&admin), &credit)
            .await,
        StatusCode::OK,
    )
    .await;

    at(app, &admin, "2026-02-16").await;
    // B: S1's, signed in February; pays late, partly, and one payment is taken back.
    let b = customer(app, &admin, "B002", Some(s1_id), "2026-02-15", None).await;
    pay(app, &admin, c, c_jan, "2000", "2026-02-10").await;
    pay(app, &admin, a, a_jan, "1000", "2026-02-15").await;

    at(app, &admin, "2026-03-01").await;
    let a_feb = bill(app, &admin, a, "2026-02", "1000", false).await;
    let b_feb = bill(app, &admin, b, "2026-02", "500", false).await;
    let c_feb = bill(app, &admin, c, "2026-02", "800", false).await;
    expect_json(
        app.post(
            &format!("/api/v1/bills/{c_feb}/void"),
            Some(&admin),
            &json!({"reason": "开错"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    at(app, &admin, "2026-03-20").await;
    pay(app, &admin, a, a_feb, "1000", "2026-03-10").await;
    pay(app, &admin, b, b_feb, "500", "2026-03-20").await;

    at(app, &admin, "2026-04-01").await;
    let a_mar = bill(app, &admin, a, "2026-03", "1000", false).await;
    let b_mar = bill(app, &admin, b, "2026-03", "500", false).await;
    bill(app, &admin, c, "2026-03", "3000", true).await;

    at(app, &admin, "2026-04-15").await;
    pay(app, &admin, b, b_mar, "300", "2026-04-10").await;
    pay(app, &admin, a, a_mar, "1000", "2026-04-15").await;

    at(app, &admin, "2026-05-01").await;
    let a_apr = bill(app, &admin, a, "2026-04", "1000", false).await;
    let b_apr = bill(app, &admin, b, "2026-04", "500", false).await;

    at(app, &admin, "2026-05-20").await;
    let taken_back = pay(app, &admin, b, b_apr, "500", "2026-05-10").await;
    expect_json(
        app.post(
            &format!("/api/v1/allocations/{taken_back}/reverse"),
            Some(&admin),
            &json!({"reason": "款项退回"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    pay(app, &admin, a, a_apr, "1000", "2026-05-20").await;
    expect_json(
        app.post(
            &format!("/api/v1/customers/{d}/status"),
            Some(&admin),
            &json!({"to": "closed", "reason": "客户解约"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    at(app, &admin, "2026-06-01").await;
    let a_may = bill(app, &admin, a, "2026-05", "1000", false).await;
    bill(app, &admin, b, "2026-05", "200", false).await;

    at(app, &admin, "2026-06-20").await;
    pay(app, &admin, a, a_may, "1000", "2026-06-18").await;
    for (day, quantity) in [
        ("2026-02-10", "100"),
        ("2026-03-10", "100"),
        ("2026-04-10", "100"),
        ("2026-05-10", "40"),
    ] {
        usage(app, &admin, a, "X", day, quantity).await;
    }
    usage(app, &admin, b, "N", "2026-03-10", "50").await;
    usage(app, &admin, b, "N", "2026-06-15", "10").await;
    HalfYear { admin, s1, s2, a, b }
}

async fn every_figure_of_section_9_on_a_known_half_year(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let data = half_year(&app).await;
    let HalfYear { admin, s1, s2, a, b } = &data;

    // ---- dashboard for May, as management (as_of 2026-06-20) ----
    let may = get(&app, admin, "/api/v1/analytics/dashboard?period=2026-05").await;
    assert_eq!(may["period"], "2026-05");
    assert_eq!(may["as_of"], "2026-06-20");
    // A 1000 + B 200; A's May bill paid, B's open.
    assert_eq!(may["receivable"], "1200.00", "{may}");
    assert_eq!(may["collected"], "1000.00");
    assert_eq!(may["collection_rate"], "0.8333");
    assert_eq!(may["outstanding"], "200.00");
    // Receipts dated in May: A's 1000 (05-20) and B's 500 (05-10), whose allocation was reversed.
    assert_eq!(may["received"], "1500.00");
    // Open on 06-20: B's March 200 (66 days), April 500 (36), May 200 (5).
    assert_eq!(
        may["overdue"],
        json!({"total": "900.00", "buckets": {"1-30": "200.00", "31-60": "500.00", "61-90": "200.00", "90+": "0.00"}})
    );
    assert_eq!(may["new_customers"], 0);
    assert_eq!(may["lost_customers"], 1);
    assert_eq!(may["usage_by_series"], json!({"X": "40.00", "N": "0.00", "L": "0.00"}));
    assert_eq!(
        codes(&may["top_customers"], "revenue"),
        pairs(&[("A001", "1000.00"), ("B002", "200.00")])
    );
    let trend: Vec<(String, String, String)> = may["trend"]
        .as_array()
        .expect("trend")
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap_or_default().to_string(),
                p["receivable"].as_str().unwrap_or_default().to_string(),
                p["collected"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[0], ("2025-06".into(), "0.00".into(), "0.00".into()));
    // January: A 1000 + C 3000 − 1000 credited; February: C's void bill left out;
    // March: C's draft left out, B paid 300 of 500; April: B's allocation reversed.
    let tail: Vec<(&str, &str, &str)> = trend[7..]
        .iter()
        .map(|(p, r, c)| (p.as_str(), r.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        tail,
        vec![
            ("2026-01", "3000.00", "3000.00"),
            ("2026-02", "1500.00", "1500.00"),
            ("2026-03", "1500.00", "1300.00"),
            ("2026-04", "1500.00", "1000.00"),
            ("2026-05", "1200.00", "1000.00"),
        ]
    );
    let feb = get(&app, admin, "/api/v1/analytics/dashboard?period=2026-02").await;
    assert_eq!(feb["new_customers"], 1);
    assert_eq!(feb["received"], "3000.00", "C 2000 on 02-10, A 1000 on 02-15");
    let new = get(&app, admin, "/api/v1/analytics/customers?period=2026-02&kind=new").await;
    assert_eq!(codes(&new, "at"), pairs(&[("B002", "2026-02-15")]));
    let lost = get(&app, admin, "/api/v1/analytics/customers?period=2026-05&kind=lost").await;
    assert_eq!(codes(&lost, "at"), pairs(&[("D004", "2026-05-20")]));

    // ---- the same month as S1 (A and B) and S2 (C) ----
    let mine = get(&app, s1, "/api/v1/analytics/dashboard?period=2026-05").await;
    assert_eq!(mine["receivable"], "1200.00");
    assert_eq!(mine["lost_customers"], 0, "D004 is nobody's");
    assert_eq!(mine["trend"][7]["receivable"], "1000.00", "C's January is not S1's");
    let theirs = get(&app, s2, "/api/v1/analytics/dashboard?period=2026-01").await;
    assert_eq!(
        (theirs["receivable"].as_str(), theirs["collection_rate"].as_str()),
        (Some("2000.00"), Some("1.0000"))
    );
    assert_eq!(theirs["overdue"]["total"], "0.00");
    assert_eq!(theirs["received"], "0.00", "C paid in February");
    let theirs = get(&app, s2, "/api/v1/analytics/dashboard?period=2026-02").await;
    assert_eq!(theirs["received"], "2000.00");

    // ---- segments of May: revenue over 2025-06..2026-05 ----
    // A 5000, C 2000, B 1700, D 0 of 8700: A reaches 57 %, C brings it to 80 % (≥ 70 %: A ends),
    // B to 100 % → A = {A, C}, B = {B}, C = {D}.
    let segments = get(&app, admin, "/api/v1/analytics/segments?period=2026-05").await;
    assert_eq!(segments["total_revenue"], "8700.00");
    assert_eq!(segments["counts"], json!({"A": 2, "B": 1, "C": 1}));
    assert_eq!(
        codes(&segments["items"], "value_tier"),
        pairs(&[("A001", "A"), ("C003", "A"), ("B002", "B"), ("D004", "C")])
    );
    // last 3 (Mar–May) ÷ the 3 before (Dec–Feb) − 1
    assert_eq!(
        codes(&segments["items"], "growth"),
        pairs(&[
            ("A001", "0.5000"),
            ("C003", "-1.0000"),
            ("B002", "1.4000"),
            ("D004", "null")
        ])
    );
    assert_eq!(
        codes(&segments["items"], "trend"),
        pairs(&[("A001", "增长"), ("C003", "下滑"), ("B002", "增长"), ("D004", "新增")])
    );
    assert_eq!(segments["items"][0]["revenue_12m"], "5000.00");
    let tier_b = get(&app, admin, "/api/v1/analytics/segments?period=2026-05&tier=B").await;
    assert_eq!(
        (tier_b["total"].as_u64(), tier_b["items"][0]["customer_code"].as_str()),
        (Some(1), Some("B002"))
    );
    // Within S1's scope the total is 6700: A alone reaches 70 %, B is B.
    let own = get(&app, s1, "/api/v1/analytics/segments?period=2026-05").await;
    assert_eq!(own["counts"], json!({"A": 1, "B": 1, "C": 0}));
    assert_eq!(
        codes(&own["items"], "value_tier"),
        pairs(&[("A001", "A"), ("B002", "B")])
    );

    // ---- churn risk on 06-20 ----
    let churn = get(&app, admin, "/api/v1/analytics/churn-risk").await;
    assert_eq!(churn["as_of"], "2026-06-20");
    assert_eq!(churn["counts"], json!({"high": 2, "medium": 1}));
    assert_eq!(
        codes(&churn["items"], "risk"),
        pairs(&[("A001", "high"), ("B002", "high"), ("C003", "medium")])
    );
    let flags = |row: &Value| -> Vec<(String, String)> {
        row["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap_or_default().into(),
                    f["evidence"].as_str().unwrap_or_default().into(),
                )
            })
            .collect()
    };
    assert_eq!(
        flags(&churn["items"][0]),
        pairs(&[
            ("usage_drop", "上月（2026-05）用量 40，前三个月平均 100，下降 60%"),
            ("idle", "最近一次用量在 2026-05-10，已 41 天没有用量"),
            ("contract_ending", "合同 2026-08-01 到期，还剩 42 天"),
        ])
    );
    assert_eq!(
        flags(&churn["items"][1]),
        pairs(&[
            ("usage_drop", "上月（2026-05）用量 0，前三个月平均 16.6667，下降 100%"),
            (
                "overdue",
                "逾期超过 30 天未付 700.00 元，最早 2026-04-15 到期，已逾期 66 天"
            ),
        ])
    );
    assert_eq!(
        flags(&churn["items"][2]),
        pairs(&[("contract_ending", "合同 2026-07-15 到期，还剩 25 天")])
    );
    assert_eq!(
        churn["items"][0]["sales_owner"]["display_name"]
            .as_str()
            .map(|n| !n.is_empty()),
        Some(true)
    );
    let medium = get(&app, admin, "/api/v1/analytics/churn-risk?risk=medium").await;
    assert_eq!(codes(&medium["items"], "risk"), pairs(&[("C003", "medium")]));
    let own = get(&app, s1, "/api/v1/analytics/churn-risk").await;
    assert_eq!(
        codes(&own["items"], "risk"),
        pairs(&[("A001", "high"), ("B002", "high")])
    );
    // A lower threshold and a shorter window change the flags (settings, §9).
    let settings = json!({"churn_idle_days": 45, "contract_ending_days": 30});
    expect_json(
        app.put("/api/v1/settings", Some(admin), &settings).await,
        StatusCode::OK,
    )
    .await;
    let churn = get(&app, admin, "/api/v1/analytics/churn-risk").await;
    assert_eq!(
        codes(&churn["items"], "risk"),
        pairs(&[("B002", "high"), ("A001", "medium"), ("C003", "medium")])
    );

    // ---- credit scores on 06-20 (window: due 2025-06-20 ..< 2026-06-20) ----
    let scores = get(&app, admin, "/api/v1/analytics/credit-scores").await;
    // A: on time 3/5, late (0+0+0+5+3)/5 = 1.6, nothing overdue, 17 months:
    //    24 + 25·(1 − 1.6/60) + 20 + 15·17/24 = 78.958… → 79 良
    // B: on time 0/4, late (5+66+36+5)/4 = 28, overdue 900 ÷ mean 425 = 2.1176…, 4 months:
    //    0 + 13.333… + 5.882… + 2.5 = 21.715… → 22 差
    // C: its one bill paid early, 12 months: 40 + 25 + 20 + 7.5 = 92.5 → 93 优
    // D: no bill → no score
    assert_eq!(
        codes(&scores["items"], "score"),
        pairs(&[("A001", "79"), ("B002", "22"), ("C003", "93"), ("D004", "null")])
    );
    assert_eq!(
        codes(&scores["items"], "grade"),
        pairs(&[("A001", "良"), ("B002", "差"), ("C003", "优"), ("D004", "资料不足")])
    );
    assert_eq!(
        scores["items"][1]["factors"],
        json!({"on_time": "0.0000", "late_days": "28.0000", "overdue_ratio": "2.1176", "tenure_months": 4})
    );
    assert_eq!(
        scores["items"][0]["factors"],
        json!({"on_time": "0.6000", "late_days": "1.6000", "overdue_ratio": "0.0000", "tenure_months": 17})
    );
    assert_eq!(
        scores["items"][3]["factors"],
        json!({"on_time": null, "late_days": null, "overdue_ratio": null, "tenure_months": 24})
    );
    let one = get(&app, s1, &format!("/api/v1/customers/{a}/credit-score")).await;
    assert_eq!(
        (one["score"].as_u64(), one["window_bills"].as_u64()),
        (Some(79), Some(5))
    );
    // Earlier: on 03-01 only A's and C's January bills were due (both on time).
    let march = get(
        &app,
        admin,
        &format!("/api/v1/customers/{a}/credit-score?as_of=2026-03-01"),
    )
    .await;
    assert_eq!(march["window_bills"], 1);
    assert_eq!(march["factors"]["on_time"], "1.0000");
    let excellent = get(&app, admin, "/api/v1/analytics/credit-scores?grade=优").await;
    assert_eq!(codes(&excellent["items"], "score"), pairs(&[("C003", "93")]));
    // Before any data: no bill anywhere, no score.
    let early = get(&app, admin, "/api/v1/analytics/credit-scores?as_of=2025-01-01").await;
    assert!(
        early["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|row| row["score"].is_null()),
        "{early}"
    );

    // ---- usage trend ----
    let trend = get(&app, admin, "/api/v1/analytics/usage-trend?months=6&period=2026-06").await;
    let points: Vec<(String, String, String)> = trend["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap_or_default().into(),
                p["quantity"].as_str().unwrap_or_default().into(),
                p["mom"].as_str().unwrap_or("null").into(),
            )
        })
        .collect();
    let points: Vec<(&str, &str, &str)> = points
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        points,
        vec![
            ("2026-01", "0.00", "null"),
            ("2026-02", "100.00", "null"),
            ("2026-03", "150.00", "0.5000"),
            ("2026-04", "100.00", "-0.3333"),
            ("2026-05", "40.00", "-0.6000"),
            ("2026-06", "10.00", "-0.7500"),
        ]
    );
    assert!(
        trend["points"]
            .as_array()
            .expect("points")
            .iter()
            .all(|p| p["yoy"].is_null())
    );
    let one = get(
        &app,
        admin,
        &format!("/api/v1/analytics/usage-trend?customer_id={a}&series=X&months=2&period=2026-06"),
    )
    .await;
    assert_eq!(
        (one["points"][0]["quantity"].as_str(), one["points"][1]["mom"].as_str()),
        (Some("40.00"), Some("-1.0000"))
    );
    // ---- every view as a file, within the caller's scope ----
    let csv = download(
        &app,
        admin,
        "/api/v1/analytics/dashboard/export?period=2026-05&format=csv",
        "text/csv",
    )
    .await;
    let csv = String::from_utf8(csv).expect("utf-8");
    for line in [
        "概览,应收,1200.00",
        "概览,回款率,0.8333",
        "账龄,逾期 31–60 天,500.00",
        "趋势,2026-03 已回款,1300.00",
    ] {
        assert!(csv.contains(line), "{line} missing from:\n{csv}");
    }
    let pdf = download(
        &app,
        admin,
        "/api/v1/analytics/dashboard/export?period=2026-05&format=pdf",
        "application/pdf",
    )
    .await;
    let text: String = pdf_extract::extract_text_from_mem(&pdf)
        .expect("pdf text")
        .split_whitespace()
        .collect();
    for needle in ["经营看板2026-05", "数据范围：全部客户", "1200.00", "0.8333"] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    let xlsx = download(
        &app,
        admin,
        "/api/v1/analytics/segments/export?period=2026-05&tier=A",
        "spreadsheetml",
    )
    .await;
    assert!(xlsx.starts_with(b"PK"), "an xlsx is a zip");
    let own = download(&app, s1, "/api/v1/analytics/churn-risk/export?format=csv", "text/csv").await;
    let own = String::from_utf8(own).expect("utf-8");
    assert!(
        own.contains("A001") && own.contains("B002") && !own.contains("C003"),
        "{own}"
    );
    assert!(own.contains("用量下降：上月（2026-05）用量 40"), "{own}");
    let scores = download(
        &app,
        s2,
        "/api/v1/analytics/credit-scores/export?format=pdf",
        "application/pdf",
    )
    .await;
    let text: String = pdf_extract::extract_text_from_mem(&scores)
        .expect("pdf text")
        .split_whitespace()
        .collect();
    assert!(
        text.contains("C003") && text.contains("93") && !text.contains("A001"),
        "{text}"
    );
    assert!(text.contains("数据范围：本人客户"), "{text}");
    let trend = download(
        &app,
        admin,
        "/api/v1/analytics/usage-trend/export?format=csv&months=3&period=2026-06",
        "text/csv",
    )
    .await;
    assert!(
        String::from_utf8(trend)
            .expect("utf-8")
            .contains("2026-05,40.00,-0.6000,")
    );
    let bad = app.get("/api/v1/analytics/segments/export?format=doc", admin).await;
    let error = expect_error(bad, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(error["error"]["details"][0]["field"], "format");
    let audit = get(&app, admin, "/api/v1/audit-logs?action=analytics.export&page_size=50").await;
    assert_eq!(audit["total"], 6, "every export is audited: {audit}");

    // B is not S2's: 404, as for any record outside the scope.
    expect_error(
        app.get(&format!("/api/v1/analytics/usage-trend?customer_id={b}"), s2)
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get(&format!("/api/v1/customers/{b}/credit-score"), s2).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

async fn bad_analytics_requests_get_clear_answers(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let admin = app.admin_token().await;
    at(&app, &admin, "2026-06-20").await;

    // An empty database: zeros and nulls, never a division by zero.
    let empty = get(&app, &admin, "/api/v1/analytics/dashboard").await;
    assert_eq!(empty["period"], "2026-06");
    assert_eq!(
        (
            empty["receivable"].as_str(),
            empty["collection_rate"].is_null(),
            empty["overdue"]["total"].as_str()
        ),
        (Some("0.00"), true, Some("0.00"))
    );
    assert_eq!(empty["trend"].as_array().map(Vec::len), Some(12));
    assert!(empty["top_customers"].as_array().is_some_and(Vec::is_empty));
    for path in ["segments", "churn-risk", "credit-scores"] {
        let list = get(&app, &admin, &format!("/api/v1/analytics/{path}")).await;
        assert_eq!(list["total"], 0, "{path}: {list}");
    }
    let trend = get(&app, &admin, "/api/v1/analytics/usage-trend").await;
    assert_eq!(trend["points"].as_array().map(Vec::len), Some(12));

    for (path, field, code) in [
        ("/api/v1/analytics/dashboard?period=2026-13", "period", "INVALID_PERIOD"),
        ("/api/v1/analytics/dashboard?period=2026-07", "period", "FUTURE_PERIOD"),
        ("/api/v1/analytics/segments?period=六月", "period", "INVALID_PERIOD"),
        ("/api/v1/analytics/segments?tier=D", "tier", "INVALID_CHOICE"),
        ("/api/v1/analytics/segments?trend=up", "trend", "INVALID_CHOICE"),
        ("/api/v1/analytics/churn-risk?as_of=2026-06-21", "as_of", "FUTURE_DATE"),
        ("/api/v1/analytics/churn-risk?risk=low", "risk", "INVALID_CHOICE"),
        ("/api/v1/analytics/credit-scores?grade=A", "grade", "INVALID_CHOICE"),
        ("/api/v1/analytics/usage-trend?months=0", "months", "OUT_OF_RANGE"),
        ("/api/v1/analytics/usage-trend?months=37", "months", "OUT_OF_RANGE"),
        ("/api/v1/analytics/usage-trend?series=Z", "series", "INVALID_CHOICE"),
        ("/api/v1/analytics/customers?kind=gone", "kind", "INVALID_CHOICE"),
    ] {
        let error = expect_error(
            app.get(path, &admin).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(error["error"]["details"][0]["field"], field, "{path}: {error}");
        assert_eq!(error["error"]["details"][0]["code"], code, "{path}: {error}");
        assert!(
            error["error"]["details"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let malformed = app.get("/api/v1/analytics/churn-risk?as_of=20260620", &admin).await;
    expect_error(malformed, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    expect_error(
        app.get("/api/v1/customers/999999/credit-score", &admin).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get("/api/v1/analytics/usage-trend?customer_id=999999", &admin)
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    // Every role may read analytics within its scope; nobody signed out may.
    let anonymous = app
        .request(reqwest::Method::GET, "/api/v1/analytics/dashboard", None)
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Settings refuse churn numbers out of range, with the page's words.
    let bad = json!({"churn_drop_pct": 0, "churn_idle_days": 366, "contract_ending_days": "x"});
    let error = expect_error(
        app.put("/api/v1/settings", Some(&admin), &bad).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let messages: Vec<&str> = error["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(
        messages,
        vec![
            "用量下降阈值须为 1–100 的整数",
            "无用量天数须为 1–365 的整数",
            "合同到期提醒天数须为 1–365 的整数"
        ]
    );
}

/// The open bills of a customer, oldest first: (id, outstanding).
async fn open_bills(app: &TestApp, token: &str, customer_id: i64) -> Vec<(i64, String)> {
    let list = get(
        app,
        token,
        &format!("/api/v1/bills?customer_id={customer_id}&page_size=200"),
    )
    .await;
    let mut open: Vec<(String, i64, String)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|b| b["status"] == "issued" || b["status"] == "partially_paid")
        .map(|b| {
            (
                b["period"].as_str().unwrap_or_default().to_string(),
                id(b),
                b["outstanding"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    open.sort();
    open.into_iter().map(|(_, id, amount)| (id, amount)).collect()
}

/// Runs `analytics.refresh` by hand and waits for its result.
async fn run_refresh(app: &TestApp, admin: &str) -> Value {
    run_job_and_wait(app, admin, "analytics.refresh").await
}

/// Every view is read first (so its snapshot exists), then each kind of
/// write is followed at once by a read that must show it: a bill issued, a
/// receipt allocated, overdue bills settled, a customer moved to another
/// sales owner and renamed, a bill voided. The nightly job then finds
/// nothing to change.
async fn the_snapshots_follow_each_write_at_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let HalfYear { admin, s1, s2, b, .. } = half_year(&app).await;
    let (admin, s1, s2, b) = (&admin, &s1, &s2, b);
    let june = "/api/v1/analytics/dashboard?period=2026-06";
    let first = get(&app, s1, june).await;
    assert_eq!(
        (first["receivable"].as_str(), first["received"].as_str()),
        (Some("0.00"), Some("1000.00"))
    );
    let churn = get(&app, s1, "/api/v1/analytics/churn-risk").await;
    assert_eq!(
        codes(&churn["items"], "risk"),
        pairs(&[("A001", "high"), ("B002", "high")])
    );
    let credit = get(&app, admin, "/api/v1/analytics/credit-scores?q=B002").await;
    assert_eq!(credit["items"][0]["factors"]["overdue_ratio"], "2.1176", "{credit}");
    let segments = get(&app, s1, "/api/v1/analytics/segments?period=2026-06").await;
    assert_eq!(segments["counts"], json!({"A": 1, "B": 1, "C": 0}));

    // A bill issued for June.
    let june_bill = bill(&app, admin, b, "2026-06", "700", false).await;
    let now = get(&app, s1, june).await;
    assert_eq!(
        (now["receivable"].as_str(), now["outstanding"].as_str()),
        (Some("700.00"), Some("700.00"))
    );
    assert_eq!(codes(&now["top_customers"], "revenue"), pairs(&[("B002", "700.00")]));
    // The dashboard's refresh recomputed no list: it left B's rows marked in
    // each list snapshot, for that list's own next reader.
    let marked = |view: &'static str| {
        let app = &app;
        async move {
            scalar(
                app,
                &format!("SELECT COUNT(*) FROM analytics_list_changes WHERE view = '{view}'"),
            )
            .await
        }
    };
    for view in ["segments", "churn", "credit"] {
        assert_eq!(marked(view).await, 1, "{view}: B's row left marked");
    }
    let segments = get(&app, s1, "/api/v1/analytics/segments?period=2026-06").await;
    // Revenue 2025-07..2026-06: A 5000, B 2400 of 7400 → A alone reaches 67.6 %, B joins A.
    assert_eq!(segments["counts"], json!({"A": 2, "B": 0, "C": 0}), "{segments}");
    assert_eq!(marked("segments").await, 0, "the segments' read recomputed its rows");
    assert_eq!(marked("churn").await, 1, "and left the churn list's for its reader");

    // Paid the same day.
    pay(&app, admin, b, june_bill, "700", "2026-06-20").await;
    let now = get(&app, admin, june).await;
    assert_eq!(
        (
            now["collected"].as_str(),
            now["received"].as_str(),
            now["collection_rate"].as_str()
        ),
        (Some("700.00"), Some("1700.00"), Some("1.0000"))
    );

    // B's overdue bills settled: the overdue flag, the aging and the ratio go.
    for (bill_id, outstanding) in open_bills(&app, admin, b).await {
        pay(&app, admin, b, bill_id, &outstanding, "2026-06-20").await;
    }
    let now = get(&app, admin, june).await;
    assert_eq!(now["overdue"]["total"], "0.00", "{now}");
    let churn = get(&app, s1, "/api/v1/analytics/churn-risk").await;
    let b_row = churn["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["customer_code"] == "B002")
        .cloned();
    let b_flags: Vec<&str> = b_row
        .as_ref()
        .map(|r| {
            r["flags"]
                .as_array()
                .expect("flags")
                .iter()
                .filter_map(|f| f["code"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(!b_flags.contains(&"overdue"), "{churn}");
    let credit = get(&app, admin, "/api/v1/analytics/credit-scores?q=B002").await;
    assert_eq!(credit["items"][0]["factors"]["overdue_ratio"], "0.0000", "{credit}");

    // B moves from S1 to S2 and is renamed: both scopes and the search follow.
    let path = format!("/api/v1/customers/{b}");
    let current = get(&app, admin, &path).await;
    let s2_id = get(&app, s2, "/api/v1/auth/me").await["id"].as_i64().expect("me");
    let patch = json!({"version": current["version"], "sales_owner_id": s2_id, "company_name": "乙方新名称有限公司"});
    expect_json(app.patch(&path, admin, &patch).await, StatusCode::OK).await;
    let mine = get(&app, s1, june).await;
    assert_eq!(
        (mine["receivable"].as_str(), mine["received"].as_str()),
        (Some("0.00"), Some("1000.00"))
    );
    let theirs = get(&app, s2, june).await;
    assert_eq!(theirs["receivable"], "700.00", "{theirs}");
    let found = get(
        &app,
        s2,
        "/api/v1/analytics/segments?period=2026-06&q=%E4%B9%99%E6%96%B9",
    )
    .await;
    assert_eq!(
        codes(&found["items"], "company_name"),
        pairs(&[("B002", "乙方新名称有限公司")])
    );
    let gone = get(&app, s1, "/api/v1/analytics/segments?period=2026-06&q=B002").await;
    assert_eq!(gone["total"], 0);
    let churn = get(&app, s1, "/api/v1/analytics/churn-risk").await;
    assert_eq!(codes(&churn["items"], "risk"), pairs(&[("A001", "high")]));

    // A bill voided: off the receivable at once.
    let extra = bill(&app, admin, b, "2026-06", "50", false).await;
    assert_eq!(get(&app, admin, june).await["receivable"], "750.00");
    let void = json!({"reason": "开错"});
    expect_json(
        app.post(&format!("/api/v1/bills/{extra}/void"), Some(admin), &void)
            .await,
        StatusCode::OK,
    )
    .await;
    let before_job = get(&app, admin, june).await;
    assert_eq!(before_job["receivable"], "700.00");

    // The job: done, and the figures it leaves are the ones already read.
    let run = run_refresh(&app, admin).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert!(run["counts"]["snapshots_built"].as_u64().is_some(), "{run}");
    assert_eq!(get(&app, admin, june).await, before_job);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM analytics_list_changes").await,
        0,
        "the job recomputed every row left marked"
    );

    // A bill's total changed by hand in SQL, its change mark thrown away:
    // the snapshots cannot know; `opcms analytics-rebuild` puts them right.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!(
            "UPDATE bills SET subtotal = subtotal + 1000000, total = total + 1000000 WHERE id = {june_bill}"
        ))
        .await
        .expect("update");
    app.db
        .execute_unprepared("DELETE FROM analytics_changes")
        .await
        .expect("delete marks");
    assert_eq!(
        get(&app, admin, june).await["receivable"],
        "700.00",
        "no mark, no change"
    );
    opcms::analytics::snapshot::rebuild(&app.db).await.expect("rebuild");
    let rebuilt = get(&app, admin, june).await;
    assert_eq!(rebuilt["receivable"], "800.00", "{rebuilt}");
    let segments = get(&app, s2, "/api/v1/analytics/segments?period=2026-06").await;
    assert_eq!(
        codes(&segments["items"], "revenue_12m")
            .first()
            .map(|r| r.1.clone())
            .as_deref(),
        Some("2500.00")
    );
}

/// Receipts allocated in parallel while other requests read (and so
/// refresh) the dashboard: every difference is added once, none is lost.
async fn concurrent_writes_and_reads_leave_exact_sums(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let admin = app.admin_token().await;
    at(&app, &admin, "2026-03-01").await;
    let (owner, _) = app.user_with_role(&admin, "an.par", "sales").await;
    let mut bills = Vec::new();
    for n in 0..8 {
        let customer = customer(&app, &admin, &format!("P{n:03}"), Some(owner), "2025-01-01", None).await;
        bills.push((customer, bill(&app, &admin, customer, "2026-02", "100.10", false).await));
    }
    let dashboard = "/api/v1/analytics/dashboard?period=2026-02";
    assert_eq!(get(&app, &admin, dashboard).await["outstanding"], "800.80");
    let writers = bills
        .iter()
        .map(|(customer, bill_id)| pay(&app, &admin, *customer, *bill_id, "100.10", "2026-03-01"));
    let readers = (0..6).map(|_| async {
        let response = app.get(dashboard, &admin).await;
        assert_eq!(response.status(), StatusCode::OK);
    });
    tokio::join!(futures::future::join_all(writers), futures::future::join_all(readers));
    let done = get(&app, &admin, dashboard).await;
    assert_eq!(
        (
            done["collected"].as_str(),
            done["outstanding"].as_str(),
            done["collection_rate"].as_str()
        ),
        (Some("800.80"), Some("0.00"), Some("1.0000")),
        "{done}"
    );
    let march = get(&app, &admin, "/api/v1/analytics/dashboard?period=2026-03").await;
    assert_eq!(march["received"], "800.80");
}

/// Many dashboard reads after one write: the first to hold the refresh
/// mutex takes the write's mark, and the others, queued behind it, find
/// nothing left that they must see. One refresh in all (the snapshots'
/// generation moves once), and every read shows the write.
async fn readers_queued_behind_one_refresh_are_all_served_by_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.test_clock = true).await;
    let admin = app.admin_token().await;
    at(&app, &admin, "2026-03-01").await;
    let customer_id = customer(&app, &admin, "Q001", None, "2025-01-01", None).await;
    let bill_id = bill(&app, &admin, customer_id, "2026-02", "250.00", false).await;
    let dashboard = "/api/v1/analytics/dashboard?period=2026-02";
    assert_eq!(get(&app, &admin, dashboard).await["outstanding"], "250.00");
    let generation = || opcms::analytics::snapshot::generation(&app.state.db);
    let before = generation().await.expect("generation");
    pay(&app, &admin, customer_id, bill_id, "250.00", "2026-03-01").await;
    let reads = futures::future::join_all((0..12).map(|_| get(&app, &admin, dashboard))).await;
    for read in &reads {
        assert_eq!(
            (read["collected"].as_str(), read["outstanding"].as_str()),
            (Some("250.00"), Some("0.00")),
            "{read}"
        );
    }
    assert_eq!(
        generation().await.expect("generation"),
        before + 1,
        "one refresh served all twelve reads"
    );
}
