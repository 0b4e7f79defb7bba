//! Usage at month close (issue 21): no usage billed twice (USAGE_EXISTS,
//! add, correction by version, the import's conflict choice, racing
//! writers), a date range collected in one action, quarantine resolved by
//! filter, and closed customers' usage discarded by rule.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::usage::{
    ACCOUNTS, a_day, assert_monthly_totals_match_records, collect, count, customer, day_ago, enter, expected, month_of,
    monthly_row, vendor_app, vendor_app_with,
};

backend_tests!(
    hand_entry_over_collected_usage_needs_a_choice,
    a_file_with_collected_days_lists_conflicts_and_applies_the_choice,
    racing_writers_of_one_key_store_one_record,
    a_collection_racing_a_hand_entry_never_doubles_a_day,
    a_date_range_is_collected_day_by_day,
    closed_customers_usage_is_discarded_by_rule_when_configured,
    quarantine_is_resolved_by_filter_within_a_bound,
);

async fn records_of(app: &TestApp, token: &str, customer_id: i64, series: &str, day: &str) -> Vec<Value> {
    let page = expect_json(
        app.get(
            &format!("/api/v1/usage?customer_id={customer_id}&series={series}&from={day}&to={day}"),
            token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn hand_entry_over_collected_usage_needs_a_choice(app: TestApp) {
    let (app, _vendor, token, ids) = vendor_app(app.backend).await;
    let day = a_day();
    let run = collect(&app, &token, day, "vendor").await;
    assert_eq!(run["created"], 9, "{run}");
    let vendor_x = expected(ACCOUNTS[0], "X", day, 1);

    // The bill that carried both: refused now, naming the collected record.
    let entry = json!({"records": [{"customer_id": ids[0], "series": "X", "day": day, "quantity": "1234.5"}],
                       "strict": true});
    let refused = expect_error(
        app.post("/api/v1/usage", Some(&token), &entry).await,
        StatusCode::CONFLICT,
        "USAGE_EXISTS",
    )
    .await;
    let detail = &refused["error"]["details"][0];
    assert_eq!(detail["index"], 0, "{refused}");
    let existing = &detail["existing"][0];
    assert_eq!(
        (
            existing["source"].as_str(),
            existing["quantity"].as_str(),
            existing["version"].as_i64()
        ),
        (Some("api:vendor"), Some(vendor_x.as_str()), Some(0)),
        "{refused}"
    );
    let record_id = existing["id"].as_i64().expect("id");
    assert_eq!(count(&app, "usage_records").await, 9, "a refused entry wrote");

    // 修正已有记录: the collected record corrected, its old value kept.
    let corrected = expect_json(
        app.patch(
            &format!("/api/v1/usage/{record_id}"),
            &token,
            &json!({"quantity": "1234.5", "reason": "手工核对抄表", "version": 0}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (corrected["quantity"].as_str(), corrected["version"].as_i64()),
        (Some("1234.5"), Some(1))
    );
    let revisions = expect_json(
        app.get(&format!("/api/v1/usage/{record_id}/revisions"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(revisions[0]["quantity_before"], vendor_x.as_str());
    // The same correction from a stale screen: refused, nothing changed.
    let stale = expect_error(
        app.patch(
            &format!("/api/v1/usage/{record_id}"),
            &token,
            &json!({"quantity": "1000", "reason": "另一人的修正", "version": 0}),
        )
        .await,
        StatusCode::CONFLICT,
        "VERSION_CONFLICT",
    )
    .await;
    assert!(
        stale["error"]["message"].as_str().unwrap_or("").contains("1234.5"),
        "{stale}"
    );
    let month = month_of(day);
    assert_eq!(monthly_row(&app, &token, &month, ids[0]).await["X"], "1234.5");

    // 另行追加: said explicitly, a second record is kept and billed.
    let mut added = entry.clone();
    added["add"] = json!(true);
    let result = enter(&app, &token, added).await;
    assert_eq!(result["created"], 1, "{result}");
    assert_eq!(monthly_row(&app, &token, &month, ids[0]).await["X"], "2469");
    // Entering that hand record again corrects it (its own key), no 409.
    let again = enter(
        &app,
        &token,
        json!({"records": [{"customer_id": ids[0], "series": "X", "day": day, "quantity": "1000"}]}),
    )
    .await;
    assert_eq!(again["updated"], 1, "{again}");
    let stored = records_of(&app, &token, ids[0], "X", &day.to_string()).await;
    let mut sources: Vec<&str> = stored.iter().filter_map(|r| r["source"].as_str()).collect();
    sources.sort_unstable();
    assert_eq!(sources, ["api:vendor", "manual"]);

    // A day with nothing yet is entered as before.
    let other_day = day_ago(3);
    let fresh = enter(
        &app,
        &token,
        json!({"records": [{"customer_id": ids[1], "series": "L", "day": other_day, "quantity": "7"}]}),
    )
    .await;
    assert_eq!(fresh["created"], 1, "{fresh}");
    // The vendor delivers that day afterwards: it cannot be asked, so its
    // record for the hand-entered key waits in quarantine, naming the record.
    let run = collect(&app, &token, other_day, "vendor").await;
    assert_eq!(
        (run["created"].as_i64(), run["quarantined"].as_i64()),
        (Some(8), Some(1)),
        "{run}"
    );
    let waiting = expect_json(
        app.get("/api/v1/usage/quarantine?reason=USAGE_EXISTS", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(waiting["total"], 1, "{waiting}");
    let entry = &waiting["items"][0];
    assert_eq!(
        (entry["customer_id"].as_i64(), entry["series"].as_str()),
        (Some(ids[1]), Some("L"))
    );
    assert!(entry["message"].as_str().unwrap_or("").contains("手工录入"), "{entry}");
    let other_month = month_of(other_day);
    let before = monthly_row(&app, &token, &other_month, ids[1]).await;
    // Delivered again: still waiting, once.
    let again = collect(&app, &token, other_day, "vendor").await;
    assert_eq!(
        (again["unchanged"].as_i64(), again["quarantined"].as_i64()),
        (Some(8), Some(1))
    );
    assert_eq!(count(&app, "usage_quarantine").await, 1);
    // Accepted by a person: a second record, on purpose.
    let accepted = expect_json(
        app.post(
            &format!("/api/v1/usage/quarantine/{}/resolve", entry["id"]),
            Some(&token),
            &json!({"action": "accept", "note": "两条都是真实用量"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(accepted["resolved"], 1, "{accepted}");
    let after = monthly_row(&app, &token, &other_month, ids[1]).await;
    assert_ne!(before["L"], after["L"]);
    assert_eq!(
        records_of(&app, &token, ids[1], "L", &other_day.to_string())
            .await
            .len(),
        2
    );
    // And re-delivered after that: the vendor's record updates itself, no new entry.
    let settled = collect(&app, &token, other_day, "vendor").await;
    assert_eq!(
        (settled["unchanged"].as_i64(), settled["quarantined"].as_i64()),
        (Some(9), Some(0))
    );
    assert_monthly_totals_match_records(&app).await;
}

async fn a_file_with_collected_days_lists_conflicts_and_applies_the_choice(app: TestApp) {
    let (app, _vendor, token, ids) = vendor_app(app.backend).await;
    let day = a_day();
    collect(&app, &token, day, "vendor").await;
    let free_day = day_ago(4);
    let csv = format!(
        "客户编号,设备系列,日期,用量\n\
         V0000,X,{day},11\n\
         V0001,N,{day},22\n\
         V0001,N,{free_day},33\n\
         V9999,N,{free_day},1\n"
    );
    let upload = |query: &'static str| {
        let (app, token, csv) = (&app, &token, csv.clone());
        async move {
            app.upload(
                &format!("/api/v1/usage/import{query}"),
                token,
                "用量.csv",
                csv.into_bytes(),
            )
            .await
        }
    };
    let preview = expect_json(upload("?dry_run=true").await, StatusCode::OK).await;
    assert_eq!(
        (
            preview["created"].as_u64(),
            preview["conflicts"].as_u64(),
            preview["quarantined"].as_u64(),
            preview["rows_complete"].as_bool()
        ),
        (Some(1), Some(2), Some(1), Some(true)),
        "{preview}"
    );
    let rows: Vec<(u64, &str, Option<&str>)> = preview["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap_or(0),
                r["status"].as_str().unwrap_or(""),
                r["customer"]["customer_code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (2, "conflict", Some("V0000")),
            (3, "conflict", Some("V0001")),
            (4, "created", Some("V0001")),
            (5, "quarantined", None)
        ]
    );
    assert_eq!(preview["rows"][0]["customer"]["company_name"], "V0000用量测试公司");
    assert_eq!(preview["rows"][0]["existing"][0]["source"], "api:vendor");
    assert_eq!(count(&app, "usage_records").await, 9, "a dry run wrote");

    // Confirming without a choice is refused whole.
    let refused = expect_error(upload("").await, StatusCode::CONFLICT, "USAGE_EXISTS").await;
    assert_eq!(refused["error"]["details"][0]["row"], 2, "{refused}");
    assert_eq!(count(&app, "usage_records").await, 9, "a refused import wrote");
    assert_eq!(count(&app, "usage_quarantine").await, 0, "a refused import quarantined");

    // skip: the free row only.
    let skipped = expect_json(upload("?on_conflict=skip").await, StatusCode::OK).await;
    assert_eq!(
        (skipped["created"].as_u64(), skipped["conflicts"].as_u64()),
        (Some(1), Some(2)),
        "{skipped}"
    );
    let month = month_of(day);
    assert_eq!(
        monthly_row(&app, &token, &month, ids[0]).await["X"],
        expected(ACCOUNTS[0], "X", day, 1)
    );
    // correct: the collected records take the file's values, history kept.
    let corrected = expect_json(upload("?on_conflict=correct").await, StatusCode::OK).await;
    assert_eq!(
        (corrected["updated"].as_u64(), corrected["unchanged"].as_u64()),
        (Some(2), Some(1)),
        "{corrected}"
    );
    assert_eq!(monthly_row(&app, &token, &month, ids[0]).await["X"], "11");
    let stored = records_of(&app, &token, ids[1], "N", &day.to_string()).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0]["source"].as_str(), stored[0]["quantity"].as_str()),
        (Some("api:vendor"), Some("22"))
    );
    let revisions = expect_json(
        app.get(&format!("/api/v1/usage/{}/revisions", stored[0]["id"]), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        revisions[0]["quantity_before"],
        expected(ACCOUNTS[1], "N", day, 1).as_str()
    );
    // add: explicit second records.
    let added = expect_json(upload("?on_conflict=add").await, StatusCode::OK).await;
    assert_eq!(added["created"], 2, "{added}");
    assert_eq!(monthly_row(&app, &token, &month, ids[0]).await["X"], "22");
    let bad = upload("?on_conflict=merge").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_monthly_totals_match_records(&app).await;
}

async fn racing_writers_of_one_key_store_one_record(app: TestApp) {
    let token = app.admin_token().await;
    let id = customer(&app, &token, "R0001", "acc_r1").await;
    let day = a_day();
    let csv = format!("客户编号,设备系列,日期,用量\nR0001,X,{day},5\n");
    for round in 0..3 {
        let series = ["X", "N", "L"][round];
        let csv = csv.replace(",X,", &format!(",{series},"));
        let entries = (0..3).map(|i| {
            let body = json!({"records": [{"customer_id": id, "series": series, "day": day,
                                           "quantity": format!("{}", i + 1), "source_id": format!("r{round}-{i}")}]});
            let app = &app;
            let token = &token;
            async move { app.post("/api/v1/usage", Some(token), &body).await.status() }
        });
        let imports = (0..3).map(|_| {
            let (app, token, csv) = (&app, &token, csv.clone());
            async move {
                app.upload(
                    "/api/v1/usage/import?on_conflict=skip",
                    token,
                    "r.csv",
                    csv.into_bytes(),
                )
                .await
                .status()
            }
        });
        let (entered, imported) =
            futures::future::join(futures::future::join_all(entries), futures::future::join_all(imports)).await;
        assert!(
            entered
                .iter()
                .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
            "{entered:?}"
        );
        assert!(imported.iter().all(|s| *s == StatusCode::OK), "{imported:?}");
        let stored = records_of(&app, &token, id, series, &day.to_string()).await;
        assert_eq!(stored.len(), 1, "round {round}: {stored:?}");
    }
    assert_monthly_totals_match_records(&app).await;
}

async fn a_collection_racing_a_hand_entry_never_doubles_a_day(app: TestApp) {
    let (app, vendor, token, ids) = vendor_app(app.backend).await;
    vendor.set(opcms::usage::mock_vendor::Behaviour {
        delay_ms: 15,
        ..Default::default()
    });
    for back in 2..5 {
        let day = day_ago(back);
        let entry = json!({"records": [{"customer_id": ids[0], "series": "X", "day": day, "quantity": "1"}]});
        // The entry first, last, or in the middle of the vendor's pages.
        let wait = std::time::Duration::from_millis([0, 400, 60][back as usize - 2]);
        let (run, entered) = futures::future::join(collect(&app, &token, day, "vendor"), async {
            tokio::time::sleep(wait).await;
            app.post("/api/v1/usage", Some(&token), &entry).await
        })
        .await;
        let status = entered.status();
        assert!(status == StatusCode::OK || status == StatusCode::CONFLICT, "{status}");
        // Whoever came first holds the day; the other waits for a person.
        let stored = records_of(&app, &token, ids[0], "X", &day.to_string()).await;
        assert_eq!(stored.len(), 1, "day {day}: {stored:?} {run}");
        let held_by_hand = stored[0]["source"] == "manual";
        assert_eq!(held_by_hand, status == StatusCode::OK, "{stored:?}");
        assert_eq!(run["quarantined"].as_i64(), Some(i64::from(held_by_hand)), "{run}");
    }
    assert_monthly_totals_match_records(&app).await;
}

async fn a_date_range_is_collected_day_by_day(app: TestApp) {
    let (app, _vendor, token, ids) = vendor_app(app.backend).await;
    let (from, to) = (day_ago(6), day_ago(2));
    let started = Instant::now();
    let body = expect_json(
        app.post(
            "/api/v1/usage/collect",
            Some(&token),
            &json!({"from": from, "to": to, "source": "vendor"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let runs = body["runs"].as_array().expect("runs");
    let days: Vec<&str> = runs.iter().filter_map(|r| r["day"].as_str()).collect();
    let wanted: Vec<String> = (2..=6).rev().map(|n| day_ago(n).to_string()).collect();
    assert_eq!(days, wanted, "one run per day, in order");
    assert!(
        runs.iter().all(|r| r["status"] == "succeeded" && r["created"] == 9),
        "{body}"
    );
    println!("5 days collected in {} ms", started.elapsed().as_millis());
    assert_eq!(count(&app, "usage_records").await, 45);
    for (day, id) in [(from, ids[0]), (to, ids[2])] {
        let row = monthly_row(&app, &token, &month_of(day), id).await;
        assert!(row["days"].as_i64().unwrap_or(0) >= 1, "{row}");
    }
    // The log, by range.
    let log = expect_json(
        app.get(
            &format!("/api/v1/usage/collections?from={from}&to={}", day_ago(4)),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(log["total"], 3, "{log}");

    // Again: idempotent.
    let again = expect_json(
        app.post(
            "/api/v1/usage/collect",
            Some(&token),
            &json!({"from": from, "to": to, "source": "vendor"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        again["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .all(|r| r["unchanged"] == 9),
        "{again}"
    );
    assert_eq!(count(&app, "usage_records").await, 45);

    for (body, field) in [
        (json!({"from": day_ago(100), "to": day_ago(2)}), "to"),
        (json!({"from": day_ago(2), "to": day_ago(3)}), "to"),
        (json!({"from": day_ago(2), "to": day_ago(-2)}), "to"),
        (json!({"from": day_ago(3)}), "to"),
        (json!({"to": day_ago(3)}), "from"),
        (
            json!({"date": day_ago(3), "from": day_ago(3), "to": day_ago(2)}),
            "from",
        ),
        (json!({"from": "2026-13-01", "to": day_ago(2)}), "from"),
    ] {
        let refused = expect_error(
            app.post("/api/v1/usage/collect", Some(&token), &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(refused["error"]["details"][0]["field"], field, "{body}: {refused}");
    }
    expect_error(
        app.post(
            "/api/v1/usage/collect",
            Some(&token),
            &json!({"from": from, "to": to, "source": "nobody"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(count(&app, "usage_collection_runs").await, 10, "a refused range ran");
}

async fn closed_customers_usage_is_discarded_by_rule_when_configured(app: TestApp) {
    let backend = app.backend;
    drop(app);
    for discard in [false, true] {
        let (app, _vendor, token, ids) = vendor_app_with(backend, |c| c.usage_discard_closed = discard).await;
        expect_json(
            app.post(
                &format!("/api/v1/customers/{}/status", ids[2]),
                Some(&token),
                &json!({"to": "closed", "reason": "合同终止"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let day = a_day();
        let run = collect(&app, &token, day, "vendor").await;
        let (quarantined, discarded) = if discard { (0, 3) } else { (3, 0) };
        assert_eq!(
            (
                run["created"].as_i64(),
                run["quarantined"].as_i64(),
                run["discarded"].as_i64()
            ),
            (Some(6), Some(quarantined), Some(discarded)),
            "discard {discard}: {run}"
        );
        let log = expect_json(app.get("/api/v1/usage/collections", &token).await, StatusCode::OK).await;
        assert_eq!(log["items"][0]["discarded"], discarded);
        let listed = expect_json(
            app.get("/api/v1/usage/quarantine?reason=CUSTOMER_CLOSED", &token).await,
            StatusCode::OK,
        )
        .await;
        let statuses: Vec<&str> = listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["status"].as_str())
            .collect();
        let want = if discard { "discarded" } else { "pending" };
        assert_eq!(statuses, [want; 3], "{listed}");
        // Delivered again: still once, still as decided.
        let again = collect(&app, &token, day, "vendor").await;
        assert_eq!(again["discarded"].as_i64(), Some(discarded), "{again}");
        assert_eq!(count(&app, "usage_quarantine").await, 3);
        // A file of the closed customer follows the same rule.
        let csv = format!("客户编号,设备系列,日期,用量\nV0002,X,{},5\n", day_ago(3));
        let imported = expect_json(
            app.upload("/api/v1/usage/import", &token, "c.csv", csv.into_bytes())
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            (imported["quarantined"].as_i64(), imported["discarded"].as_i64()),
            (Some(1 - discarded / 3), Some(discarded / 3)),
            "{imported}"
        );
    }
}

async fn quarantine_is_resolved_by_filter_within_a_bound(app: TestApp) {
    let token = app.admin_token().await;
    let id = customer(&app, &token, "Q0001", "acc_q1").await;
    let day = a_day();
    let ghosts = |from: usize, n: usize| -> Value {
        let records: Vec<Value> = (from..from + n)
            .map(|i| json!({"account_id": format!("ghost_{i:05}"), "series": "X", "day": day, "quantity": "1"}))
            .collect();
        json!({"records": records})
    };
    let bad_quantity = json!({"records": [{"customer_id": id, "series": "N", "day": day, "quantity": "-1"}]});
    enter(&app, &token, bad_quantity).await;
    for start in [0, 3400, 6800] {
        let result = enter(&app, &token, ghosts(start, 3400)).await;
        assert_eq!(result["quarantined"], 3400);
    }
    let filter = json!({"reason": "UNKNOWN_ACCOUNT"});
    let too_many = expect_error(
        app.post(
            "/api/v1/usage/quarantine/resolve",
            Some(&token),
            &json!({"filter": filter, "action": "discard", "note": "无此账号"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(too_many["error"]["details"][0]["code"], "TOO_MANY", "{too_many}");
    assert!(
        too_many["error"]["message"].as_str().is_some()
            && too_many["error"]["details"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("10200"),
        "{too_many}"
    );
    let pending = expect_json(
        app.get("/api/v1/usage/quarantine?status=pending&page_size=1", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(pending["total"], 10201, "a refused batch changed something");

    // The list's text filter narrows it: ghost_0…, ghost_01…ghost_09… (5,000).
    let started = Instant::now();
    let done = expect_json(
        app.post(
            "/api/v1/usage/quarantine/resolve",
            Some(&token),
            &json!({"filter": {"status": "pending", "reason": "UNKNOWN_ACCOUNT", "q": "ghost_0"},
                    "action": "discard", "note": "无此账号"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    println!(
        "{} entries discarded by filter in {} ms",
        done["resolved"],
        started.elapsed().as_millis()
    );
    assert_eq!(
        (
            done["matched"].as_u64(),
            done["resolved"].as_u64(),
            done["still_pending"].as_u64()
        ),
        (Some(10000), Some(10000), Some(0)),
        "{}",
        done["matched"]
    );
    let results = done["results"].as_array().expect("results");
    assert_eq!(results.len(), 10000);
    assert!(results.iter().all(|r| r["status"] == "discarded"));
    let remaining = expect_json(
        app.get("/api/v1/usage/quarantine?status=pending", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(remaining["total"], 201, "{}", remaining["total"]);

    // Correct every remaining ghost to the real customer, by filter.
    let mapped = expect_json(
        app.post(
            "/api/v1/usage/quarantine/resolve",
            Some(&token),
            &json!({"filter": {"reason": "UNKNOWN_ACCOUNT"}, "action": "correct", "customer_id": id}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // 200 ghosts of one customer, series and day: the first becomes the
    // record, the others update it (one source, one natural key).
    assert_eq!(
        (mapped["matched"].as_u64(), mapped["resolved"].as_u64()),
        (Some(200), Some(200))
    );
    assert_eq!(count(&app, "usage_records").await, 1);

    // Nothing matches now: an honest empty answer.
    let none = expect_json(
        app.post(
            "/api/v1/usage/quarantine/resolve",
            Some(&token),
            &json!({"filter": {"reason": "UNKNOWN_ACCOUNT"}, "action": "discard", "note": "x"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (none["matched"].as_u64(), none["resolved"].as_u64()),
        (Some(0), Some(0))
    );
    for (body, field) in [
        (
            json!({"filter": {"status": "resolved"}, "action": "discard", "note": "x"}),
            "filter.status",
        ),
        (
            json!({"filter": {"reason": "NOPE"}, "action": "discard", "note": "x"}),
            "reason",
        ),
        (
            json!({"filter": {}, "ids": [1], "action": "discard", "note": "x"}),
            "filter",
        ),
        (json!({"filter": {}, "action": "discard"}), "note"),
    ] {
        let refused = expect_error(
            app.post("/api/v1/usage/quarantine/resolve", Some(&token), &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(refused["error"]["details"][0]["field"], field, "{body}: {refused}");
    }
    let invalid = expect_json(
        app.get("/api/v1/usage/quarantine?status=pending", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(invalid["total"], 1);
    assert_eq!(invalid["items"][0]["reason"], "INVALID_QUANTITY");
}
