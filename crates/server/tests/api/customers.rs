use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(
    a_minimal_customer_gets_a_code_defaults_and_normalized_values,
    every_bad_field_is_a_400_naming_it,
    duplicates_are_409_naming_the_field_even_when_written_differently,
    contacts_are_encrypted_at_rest_yet_found_by_exact_phone_and_email,
    a_patch_changes_only_what_it_names_and_stale_versions_are_409,
    concurrent_edits_of_one_version_have_exactly_one_winner,
    the_list_filters_sorts_and_pages,
    soft_deleted_customers_vanish_and_management_restores_them,
    status_changes_follow_the_lifecycle_and_are_recorded,
    the_automatic_lifecycle_moves_by_overdue_bills,
    sales_see_and_touch_only_their_own_customers,
    batches_apply_good_ids_and_report_bad_ones,
    customer_writes_are_audited_with_contacts_masked,
    price_plans_are_set_in_bulk_by_ids_or_by_the_list_filter,
    a_filter_batch_stays_in_the_data_scope_and_reports_nothing_honestly,
    the_list_total_from_the_maintained_counts_follows_every_change,
);

const PHONE: &str = "13812345678";

fn customer(name: &str) -> Value {
    json!({"company_name": name, "device_series": ["X"]})
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    expect_json(
        app.post("/api/v1/customers", Some(token), &body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn a_minimal_customer_gets_a_code_defaults_and_normalized_values(app: TestApp) {
    let token = app.admin_token().await;
    let body = json!({
        "company_name": "  上海ＡＢＣ   物业有限公司 ", "device_series": ["n", "x", "N"], "industry": "物业服务",
        "level": "战略客户", "contact_phone": "138 1234 5678", "contact_email": "Li@Example.CN",
        "signed_at": "2024/3/5", "contract_end_at": "2025年3月4日", "tags": [" VIP ", "VIP", "华东"]
    });
    let created = create(&app, &token, body).await;
    assert_eq!(created["customer_code"], "C000001");
    assert_eq!(created["company_name"], "上海ABC 物业有限公司");
    assert_eq!(created["industry"], "物业管理");
    assert_eq!(created["level"], "A");
    assert_eq!(created["account_status"], "trial");
    assert_eq!(created["device_series"], json!(["N", "X"]));
    assert_eq!(created["contact_phone"], PHONE);
    assert_eq!(created["contact_email"], "Li@example.cn");
    assert_eq!(created["signed_at"], "2024-03-05");
    assert_eq!(created["contract_end_at"], "2025-03-04");
    assert_eq!(created["tags"], json!(["VIP", "华东"]));
    assert_eq!(created["payment_terms_days"], 15);
    assert_eq!(created["version"], 1);
    assert_eq!(created["allowed_transitions"], json!(["active", "closed"]));
    let second = create(&app, &token, customer("第二家公司")).await;
    assert_eq!(second["customer_code"], "C000002");
    let fetched = expect_json(
        app.get(&format!("/api/v1/customers/{}", created["id"]), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(fetched, created);
}

async fn every_bad_field_is_a_400_naming_it(app: TestApp) {
    let token = app.admin_token().await;
    let body = json!({
        "company_name": "", "credit_code": "91350100M000100Y44", "industry": "农业", "level": "D",
        "contact_phone": "1381234", "contact_email": "abc@", "device_series": ["X", "Q"], "account_status": "正在试用",
        "signed_at": "2023-13-01", "sales_owner_id": 999, "tags": ["x".repeat(21)], "payment_terms_days": 400,
        "customer_code": "编号 1"
    });
    let error = expect_error(
        app.post("/api/v1/customers", Some(&token), &body).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let mut fields: Vec<&str> = error["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "account_status",
            "company_name",
            "contact_email",
            "contact_phone",
            "credit_code",
            "customer_code",
            "device_series",
            "industry",
            "level",
            "payment_terms_days",
            "sales_owner_id",
            "signed_at",
            "tags"
        ]
    );
    let messages = error.to_string();
    assert!(messages.contains("统一社会信用代码校验位不正确"), "{messages}");
    let ends = json!({"company_name": "某公司", "device_series": ["L"], "signed_at": "2024-01-01", "contract_end_at": "2023-12-31"});
    let error = expect_error(
        app.post("/api/v1/customers", Some(&token), &ends).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(error["error"]["details"][0]["field"], "contract_end_at");
    assert_eq!(error["error"]["details"][0]["message"], "合同到期日不能早于签约日期");
    let listed = expect_json(app.get("/api/v1/customers", &token).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0, "nothing written");
}

async fn duplicates_are_409_naming_the_field_even_when_written_differently(app: TestApp) {
    let token = app.admin_token().await;
    create(&app, &token, json!({"company_name": "上海ABC物业有限公司", "customer_code": "C100001", "account_id": "acct_1", "device_series": ["X"]})).await;
    let cases = [
        (
            json!({"company_name": "上海ａｂｃ物业有限公司 ", "device_series": ["X"]}),
            "DUPLICATE_COMPANY_NAME",
            "company_name",
        ),
        (
            json!({"company_name": "另一家", "customer_code": "c100001", "device_series": ["X"]}),
            "DUPLICATE_CUSTOMER_CODE",
            "customer_code",
        ),
        (
            json!({"company_name": "第三家", "account_id": "acct_1", "device_series": ["X"]}),
            "DUPLICATE_ACCOUNT_ID",
            "account_id",
        ),
    ];
    for (body, code, field) in cases {
        let error = expect_error(
            app.post("/api/v1/customers", Some(&token), &body).await,
            StatusCode::CONFLICT,
            code,
        )
        .await;
        assert_eq!(error["error"]["details"][0]["field"], field);
    }
    let listed = expect_json(app.get("/api/v1/customers", &token).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 1);
}

async fn contacts_are_encrypted_at_rest_yet_found_by_exact_phone_and_email(app: TestApp) {
    let token = app.admin_token().await;
    let created = create(
        &app,
        &token,
        json!({"company_name": "加密测试公司", "device_series": ["X"], "contact_phone": PHONE, "contact_email": "secret@example.cn"}),
    )
    .await;
    let backend = app.db.get_database_backend();
    let raw = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT * FROM customers WHERE id = {}", created["id"]),
        ))
        .await
        .unwrap()
        .unwrap();
    let phone: String = raw.try_get("", "contact_phone_enc").unwrap();
    let email: String = raw.try_get("", "contact_email_enc").unwrap();
    assert!(
        phone.starts_with("v2:") && !phone.contains(PHONE) && !phone.contains("12345678"),
        "{phone}"
    );
    assert!(email.starts_with("v2:") && !email.contains("secret"), "{email}");
    let search_text: String = raw.try_get("", "search_text").unwrap();
    assert!(!search_text.contains(PHONE) && !search_text.contains("secret"));

    for q in [PHONE, "138-1234-5678", "SECRET@example.cn"] {
        let found = expect_json(
            app.get(&format!("/api/v1/customers?q={q}"), &token).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(found["total"], if q.contains('-') { 0 } else { 1 }, "q={q}");
    }
    let partial = expect_json(app.get("/api/v1/customers?q=1381234", &token).await, StatusCode::OK).await;
    assert_eq!(partial["total"], 0, "only exact phone numbers match");
}

async fn a_patch_changes_only_what_it_names_and_stale_versions_are_409(app: TestApp) {
    let token = app.admin_token().await;
    let created = create(
        &app,
        &token,
        json!({"company_name": "补丁公司", "device_series": ["X"], "region": "上海", "contact_phone": PHONE}),
    )
    .await;
    let path = format!("/api/v1/customers/{}", created["id"]);
    let patched = expect_json(
        app.patch(&path, &token, &json!({"version": 1, "level": "B", "region": null}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["level"], "B");
    assert_eq!(patched["region"], Value::Null);
    assert_eq!(patched["contact_phone"], PHONE, "untouched fields stay");
    assert_eq!(patched["version"], 2);
    expect_error(
        app.patch(&path, &token, &json!({"version": 1, "level": "C"})).await,
        StatusCode::CONFLICT,
        "VERSION_CONFLICT",
    )
    .await;
    let error = expect_error(
        app.patch(&path, &token, &json!({"level": "C"})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(error["error"]["details"][0]["field"], "version");
    let error = expect_error(
        app.patch(&path, &token, &json!({"version": 2, "account_status": "active"}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(error["error"]["details"][0]["field"], "account_status");
    let error = expect_error(
        app.patch(&path, &token, &json!({"version": 2, "company_name": null}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(error["error"]["details"][0]["field"], "company_name");
    let fetched = expect_json(app.get(&path, &token).await, StatusCode::OK).await;
    assert_eq!(fetched["level"], "B", "refused patches changed nothing");
    expect_error(
        app.patch("/api/v1/customers/999999", &token, &json!({"version": 1}))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

async fn concurrent_edits_of_one_version_have_exactly_one_winner(app: TestApp) {
    let token = app.admin_token().await;
    let created = create(&app, &token, customer("并发公司")).await;
    let path = format!("/api/v1/customers/{}", created["id"]);
    let bodies: Vec<Value> = ["A", "B", "C", "A", "B", "C"]
        .iter()
        .map(|l| json!({"version": 1, "level": l}))
        .collect();
    let statuses = futures::future::join_all(
        bodies
            .iter()
            .map(|b| async { app.patch(&path, &token, b).await.status() }),
    )
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let fetched = expect_json(app.get(&path, &token).await, StatusCode::OK).await;
    assert_eq!(fetched["version"], 2);
}

async fn the_list_filters_sorts_and_pages(app: TestApp) {
    let token = app.admin_token().await;
    let (sales_id, _) = app.user_with_role(&token, "sales.a", "sales").await;
    let rows = [
        json!({"company_name": "甲物业", "customer_code": "C9", "level": "A", "industry": "物业管理", "device_series": ["X"], "region": "上海市", "signed_at": "2023-01-10", "tags": ["VIP"], "sales_owner_id": sales_id, "account_status": "active"}),
        json!({"company_name": "乙酒店", "customer_code": "C8", "level": "B", "industry": "酒店", "device_series": ["N", "L"], "region": "北京市", "signed_at": "2024-06-01", "contact_name": "王五"}),
        json!({"company_name": "丙公寓", "customer_code": "C7", "level": "C", "industry": "长租公寓", "device_series": ["L"], "region": "上海市浦东", "signed_at": "2025-02-01", "tags": ["重点"]}),
    ];
    let mut created = Vec::new();
    for row in rows {
        created.push(create(&app, &token, row).await);
    }
    let cases: [(&str, &[&str]); 16] = [
        ("", &["丙公寓", "乙酒店", "甲物业"]),
        ("q=酒店", &["乙酒店"]),
        // Three characters and more go through the trigram index on SQLite.
        ("q=乙酒店", &["乙酒店"]),
        ("q=ACCT", &[]),
        ("q=%22%25_%22", &[]),
        ("q=c9", &["甲物业"]),
        ("q=王五", &["乙酒店"]),
        ("status=active", &["甲物业"]),
        ("status=trial,active&level=A,B", &["乙酒店", "甲物业"]),
        ("industry=物业", &["甲物业"]),
        ("series=L", &["丙公寓", "乙酒店"]),
        ("region=上海", &["丙公寓", "甲物业"]),
        ("tags=VIP,重点", &["丙公寓", "甲物业"]),
        ("signed_from=2024-01-01&signed_to=2024-12-31", &["乙酒店"]),
        ("sort=customer_code", &["丙公寓", "乙酒店", "甲物业"]),
        ("sort=-signed_at", &["丙公寓", "乙酒店", "甲物业"]),
    ];
    for (query, names) in cases {
        let listed = expect_json(
            app.get(&format!("/api/v1/customers?{query}"), &token).await,
            StatusCode::OK,
        )
        .await;
        let got: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["company_name"].as_str().unwrap())
            .collect();
        assert_eq!(got, names, "{query}");
        assert_eq!(listed["total"], names.len(), "{query}");
    }
    let owned = expect_json(
        app.get(&format!("/api/v1/customers?owner_id={sales_id}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(owned["items"][0]["sales_owner"]["display_name"], "sales.a");
    let paged = expect_json(
        app.get("/api/v1/customers?page=2&page_size=2&sort=company_name", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    assert_eq!(paged["total"], 3);
    // A renamed customer is found by its new name only.
    let renamed = &created[2];
    let path = format!("/api/v1/customers/{}", renamed["id"]);
    let patch = json!({"version": renamed["version"], "company_name": "丁公寓有限公司"});
    expect_json(app.patch(&path, &token, &patch).await, StatusCode::OK).await;
    for (q, total) in [("丁公寓有限", 1), ("丙公寓", 0)] {
        let found = expect_json(
            app.get(&format!("/api/v1/customers?q={q}"), &token).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(found["total"], total, "q={q}");
    }
    for bad in [
        "sort=password",
        "status=happy",
        "signed_from=yesterday",
        "page_size=500",
    ] {
        expect_error(
            app.get(&format!("/api/v1/customers?{bad}"), &token).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
    }
}

async fn soft_deleted_customers_vanish_and_management_restores_them(app: TestApp) {
    let admin = app.admin_token().await;
    let (_, ops) = app.user_with_role(&admin, "ops.d", "operations").await;
    let created = create(
        &app,
        &ops,
        json!({"company_name": "将删除公司", "account_id": "acct_del", "device_series": ["X"]}),
    )
    .await;
    let path = format!("/api/v1/customers/{}", created["id"]);
    assert_eq!(app.delete(&path, &ops).await.status(), StatusCode::NO_CONTENT);
    expect_error(app.get(&path, &ops).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(
        expect_json(app.get("/api/v1/customers", &ops).await, StatusCode::OK).await["total"],
        0
    );
    expect_error(
        app.get("/api/v1/customers?deleted=true", &ops).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let deleted = expect_json(app.get("/api/v1/customers?deleted=true", &admin).await, StatusCode::OK).await;
    assert_eq!(deleted["total"], 1);

    // Its name and account are free again while it is deleted…
    let replacement = create(
        &app,
        &ops,
        json!({"company_name": "将删除公司", "device_series": ["N"]}),
    )
    .await;
    let restore = format!("{path}/restore");
    expect_error(
        app.post(&restore, Some(&ops), &json!({})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    // …so restoring it now clashes, and changes nothing.
    expect_error(
        app.post(&restore, Some(&admin), &json!({})).await,
        StatusCode::CONFLICT,
        "DUPLICATE_COMPANY_NAME",
    )
    .await;
    app.delete(&format!("/api/v1/customers/{}", replacement["id"]), &ops)
        .await;
    create(
        &app,
        &ops,
        json!({"company_name": "占用账号公司", "account_id": "acct_del", "device_series": ["N"]}),
    )
    .await;
    expect_error(
        app.post(&restore, Some(&admin), &json!({})).await,
        StatusCode::CONFLICT,
        "DUPLICATE_ACCOUNT_ID",
    )
    .await;
    let holder = expect_json(app.get("/api/v1/customers?q=acct_del", &admin).await, StatusCode::OK).await;
    let holder_path = format!("/api/v1/customers/{}", holder["items"][0]["id"]);
    app.patch(&holder_path, &admin, &json!({"version": 1, "account_id": null}))
        .await;
    let restored = expect_json(app.post(&restore, Some(&admin), &json!({})).await, StatusCode::OK).await;
    assert_eq!(restored["is_deleted"], false);
    expect_json(app.get(&path, &ops).await, StatusCode::OK).await;
}

async fn status_changes_follow_the_lifecycle_and_are_recorded(app: TestApp) {
    let admin = app.admin_token().await;
    let (_, ops) = app.user_with_role(&admin, "ops.s", "operations").await;
    let created = create(&app, &ops, customer("状态公司")).await;
    let status = format!("/api/v1/customers/{}/status", created["id"]);
    let error = expect_error(
        app.post(&status, Some(&ops), &json!({"to": "active", "reason": "  "}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(error["error"]["details"][0]["field"], "reason");
    let active = expect_json(
        app.post(&status, Some(&ops), &json!({"to": "active", "reason": "合同已签"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(active["account_status"], "active");
    assert_eq!(
        active["allowed_transitions"],
        json!([]),
        "operations cannot move an active customer by hand"
    );
    let error = expect_error(
        app.post(&status, Some(&ops), &json!({"to": "arrears", "reason": "手动欠费"}))
            .await,
        StatusCode::CONFLICT,
        "INVALID_STATUS_TRANSITION",
    )
    .await;
    assert_eq!(error["error"]["message"], "账号状态不能从「正式」变更为「欠费」");
    expect_error(
        app.post(&status, Some(&ops), &json!({"to": "closed", "reason": "注销"}))
            .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_json(
        app.post(&status, Some(&admin), &json!({"to": "closed", "reason": "客户解约"}))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        app.post(&status, Some(&admin), &json!({"to": "active", "reason": "恢复"}))
            .await,
        StatusCode::CONFLICT,
        "INVALID_STATUS_TRANSITION",
    )
    .await;

    let history = expect_json(
        app.get(&format!("/api/v1/customers/{}/status-history", created["id"]), &ops)
            .await,
        StatusCode::OK,
    )
    .await;
    let moves: Vec<(Value, Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["from_status"].clone(), h["to_status"].clone(), h["reason"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (json!("active"), json!("closed"), json!("客户解约")),
            (json!("trial"), json!("active"), json!("合同已签")),
            (Value::Null, json!("trial"), json!("创建客户")),
        ]
    );
    assert_eq!(history[0]["actor_name"], "admin");
}

async fn the_automatic_lifecycle_moves_by_overdue_bills(app: TestApp) {
    use opcms::customers::service::apply_automatic_status;
    use opcms_domain::customer::AccountStatus;
    let token = app.admin_token().await;
    let created = create(
        &app,
        &token,
        json!({"company_name": "欠费公司", "device_series": ["X"], "account_status": "active"}),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    // One issued bill; the rule reads its due date under the customer's lock.
    let period = (chrono::Utc::now().date_naive() - chrono::Duration::days(40))
        .format("%Y-%m")
        .to_string();
    let bill = json!({"customer_id": id, "period": period, "lines": [{"description": "服务费", "amount": "100"}]});
    let bill = expect_json(app.post("/api/v1/bills", Some(&token), &bill).await, StatusCode::OK).await;
    let bill_id = bill["id"].as_i64().unwrap();
    let issued = expect_json(
        app.post(&format!("/api/v1/bills/{bill_id}/issue"), Some(&token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    let due: chrono::NaiveDate = issued["due_date"].as_str().unwrap().parse().unwrap();
    let days = |n: i64| due + chrono::Duration::days(n);
    let steps = [
        (days(0), None),
        (days(5), Some(AccountStatus::Arrears)),
        (days(20), None),
        (days(31), Some(AccountStatus::Suspended)),
    ];
    for (today, expected) in steps {
        let moved = apply_automatic_status(&app.state, id, today, 30).await.unwrap();
        assert_eq!(moved, expected, "on {today}");
    }
    // Once nothing is overdue (the bill voided), the account is active again.
    let voided = app
        .post(
            &format!("/api/v1/bills/{bill_id}/void"),
            Some(&token),
            &json!({"reason": "开错了"}),
        )
        .await;
    assert!(voided.status().is_success(), "void: {}", voided.status());
    for expected in [Some(AccountStatus::Active), None] {
        let moved = apply_automatic_status(&app.state, id, days(32), 30).await.unwrap();
        assert_eq!(moved, expected);
    }
    let history = expect_json(
        app.get(&format!("/api/v1/customers/{id}/status-history"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history[0]["actor_name"], "system");
    assert_eq!(history[0]["reason"], "逾期账单已全部结清");
    assert_eq!(history[1]["reason"], "账单逾期 31 天");
}

async fn sales_see_and_touch_only_their_own_customers(app: TestApp) {
    let admin = app.admin_token().await;
    let (mine_id, sales) = app.user_with_role(&admin, "sales.mine", "sales").await;
    let (other_id, _) = app.user_with_role(&admin, "sales.other", "sales").await;
    let mine = create(
        &app,
        &admin,
        json!({"company_name": "我的客户", "device_series": ["X"], "sales_owner_id": mine_id}),
    )
    .await;
    let theirs = create(&app, &admin, json!({"company_name": "别人的客户", "device_series": ["X"], "sales_owner_id": other_id, "contact_phone": PHONE})).await;
    let unowned = create(&app, &admin, customer("无人负责客户")).await;

    let listed = expect_json(app.get("/api/v1/customers", &sales).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], mine["id"]);
    let searched = expect_json(
        app.get(&format!("/api/v1/customers?q={PHONE}"), &sales).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(searched["total"], 0, "search never reaches outside the scope");
    let by_owner = expect_json(
        app.get(&format!("/api/v1/customers?owner_id={other_id}"), &sales).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_owner["total"], 0);

    for other in [&theirs, &unowned] {
        let path = format!("/api/v1/customers/{}", other["id"]);
        expect_error(app.get(&path, &sales).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        expect_error(
            app.patch(&path, &sales, &json!({"version": 1, "contact_name": "x"}))
                .await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        expect_error(
            app.get(&format!("{path}/status-history"), &sales).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
        expect_error(
            app.get(&format!("{path}/audit-trail"), &sales).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
    }
    let own = format!("/api/v1/customers/{}", mine["id"]);
    let edited = expect_json(
        app.patch(
            &own,
            &sales,
            &json!({"version": 1, "contact_name": "赵六", "contact_phone": PHONE}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["contact_name"], "赵六");
    expect_error(
        app.patch(&own, &sales, &json!({"version": 2, "level": "A"})).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.post("/api/v1/customers", Some(&sales), &customer("销售新建")).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.post(
            &format!("{own}/status"),
            Some(&sales),
            &json!({"to": "active", "reason": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    expect_error(app.delete(&own, &sales).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let batch = json!({"ids": [mine["id"], theirs["id"]], "action": "add_tag", "tag": "跟进"});
    let result = expect_json(
        app.post("/api/v1/customers/batch", Some(&sales), &batch).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (result["succeeded"].as_u64(), result["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(result["results"][1]["error"]["code"], "NOT_FOUND");
    let level = json!({"ids": [mine["id"]], "action": "set_level", "level": "A"});
    expect_error(
        app.post("/api/v1/customers/batch", Some(&sales), &level).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let untouched = expect_json(
        app.get(&format!("/api/v1/customers/{}", theirs["id"]), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(untouched["tags"], json!([]));
}

async fn batches_apply_good_ids_and_report_bad_ones(app: TestApp) {
    let admin = app.admin_token().await;
    let (ops_id, _) = app.user_with_role(&admin, "ops.b", "operations").await;
    let a = create(&app, &admin, customer("批量甲")).await;
    let b = create(&app, &admin, customer("批量乙")).await;
    let gone = create(&app, &admin, customer("批量丙")).await;
    app.delete(&format!("/api/v1/customers/{}", gone["id"]), &admin).await;

    let assign =
        json!({"ids": [a["id"], b["id"], gone["id"], 999999], "action": "assign_ops_owner", "owner_id": ops_id});
    let result = expect_json(
        app.post("/api/v1/customers/batch", Some(&admin), &assign).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["succeeded"], 2);
    assert_eq!(result["failed"], 2);
    let oks: Vec<bool> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [true, true, false, false]);
    let listed = expect_json(
        app.get(&format!("/api/v1/customers?ops_owner_id={ops_id}"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["total"], 2);

    let status = json!({"ids": [a["id"], b["id"]], "action": "change_status", "to": "active", "reason": "批量签约"});
    assert_eq!(
        expect_json(
            app.post("/api/v1/customers/batch", Some(&admin), &status).await,
            StatusCode::OK
        )
        .await["succeeded"],
        2
    );
    let again = expect_json(
        app.post("/api/v1/customers/batch", Some(&admin), &status).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["results"][0]["error"]["code"], "INVALID_STATUS_TRANSITION");
    let bad_level = json!({"ids": [a["id"]], "action": "set_level", "level": "Z"});
    let result = expect_json(
        app.post("/api/v1/customers/batch", Some(&admin), &bad_level).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["results"][0]["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(result["results"][0]["error"]["message"], "客户等级须为 A、B 或 C");
    for bad in [
        json!({"ids": [], "action": "delete"}),
        json!({"ids": [1], "action": "explode"}),
        json!({"ids": [1], "action": "set_level"}),
    ] {
        expect_error(
            app.post("/api/v1/customers/batch", Some(&admin), &bad).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
    }
    let deleted = json!({"ids": [a["id"], b["id"]], "action": "delete"});
    assert_eq!(
        expect_json(
            app.post("/api/v1/customers/batch", Some(&admin), &deleted).await,
            StatusCode::OK
        )
        .await["succeeded"],
        2
    );
    assert_eq!(
        expect_json(app.get("/api/v1/customers", &admin).await, StatusCode::OK).await["total"],
        0
    );
}

async fn customer_writes_are_audited_with_contacts_masked(app: TestApp) {
    let admin = app.admin_token().await;
    let created = create(
        &app,
        &admin,
        json!({"company_name": "审计公司", "device_series": ["X"], "contact_phone": PHONE}),
    )
    .await;
    let path = format!("/api/v1/customers/{}", created["id"]);
    app.patch(
        &path,
        &admin,
        &json!({"version": 1, "contact_phone": "13900000000", "level": "B"}),
    )
    .await;
    let trail = expect_json(app.get(&format!("{path}/audit-trail"), &admin).await, StatusCode::OK).await;
    assert_eq!(trail["total"], 2);
    let update = &trail["items"][0];
    assert_eq!(update["action"], "customer.update");
    assert_eq!(update["changes"]["level"], json!({"before": null, "after": "B"}));
    assert_eq!(
        update["changes"]["contact_phone"],
        json!({"before": "***", "after": "***"})
    );
    assert!(
        update["changes"].get("company_name").is_none(),
        "only changed fields: {update}"
    );
    let text = trail.to_string();
    assert!(!text.contains(PHONE) && !text.contains("13900000000"), "{text}");
}

async fn batch(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/customers/batch", Some(token), &body).await
}

async fn plan_of(app: &TestApp, token: &str, id: &Value) -> Value {
    expect_json(
        app.get(&format!("/api/v1/customers/{id}/pricing"), token).await,
        StatusCode::OK,
    )
    .await["plan"]
        .clone()
}

async fn price_plans_are_set_in_bulk_by_ids_or_by_the_list_filter(app: TestApp) {
    let admin = app.admin_token().await;
    let (_, ops) = app.user_with_role(&admin, "ops.plans", "operations").await;
    let plan = crate::pricing::create_plan(&app, &admin, "批量方案", "2026-01").await;
    let other = crate::pricing::create_plan(&app, &admin, "另一方案", "2026-01").await;
    let a = create(
        &app,
        &admin,
        json!({"company_name": "方案甲", "device_series": ["X"], "tags": ["华东"]}),
    )
    .await;
    let b = create(
        &app,
        &admin,
        json!({"company_name": "方案乙", "device_series": ["X"], "tags": ["华东"]}),
    )
    .await;
    let c = create(&app, &admin, json!({"company_name": "方案丙", "device_series": ["N"]})).await;
    // c has its own rule for N: a batch plan change keeps it.
    let own = json!({"plan_id": other["id"], "overrides": {"N": {"mode": "flat", "unit_price": "0.7"}}});
    let response = crate::pricing::put(&app, &format!("/api/v1/customers/{}/pricing", c["id"]), &admin, &own).await;
    assert!(response.status().is_success());
    let audits = scalar(
        &app,
        "SELECT COUNT(*) FROM audit_logs WHERE action = 'customer.pricing'",
    )
    .await;

    // Bad input writes nothing: an unknown plan named, a missing plan, both
    // ids and a filter, operations (no pricing management).
    let unknown = expect_error(
        batch(
            &app,
            &admin,
            json!({"action": "set_price_plan", "plan_id": 987654, "ids": [a["id"]]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(unknown["error"]["details"][0]["field"], "plan_id");
    assert!(
        unknown["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("987654"),
        "{unknown}"
    );
    expect_error(
        batch(&app, &admin, json!({"action": "set_price_plan", "ids": [a["id"]]})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    expect_error(
        batch(
            &app,
            &admin,
            json!({"action": "set_price_plan", "plan_id": plan["id"], "ids": [a["id"]], "filter": {}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    expect_error(
        batch(
            &app,
            &ops,
            json!({"action": "set_price_plan", "plan_id": plan["id"], "ids": [a["id"]]}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_logs WHERE action = 'customer.pricing'"
        )
        .await,
        audits
    );
    assert_eq!(plan_of(&app, &admin, &a["id"]).await, Value::Null);

    // By ids: each reported, a missing id among them.
    let result = expect_json(
        batch(
            &app,
            &admin,
            json!({"action": "set_price_plan", "plan_id": plan["id"], "ids": [a["id"], 999999]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            result["matched"].as_u64(),
            result["succeeded"].as_u64(),
            result["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(result["results"][1]["error"]["code"], "NOT_FOUND");
    assert_eq!(plan_of(&app, &admin, &a["id"]).await["id"], plan["id"]);

    // By the list's filter: every customer tagged 华东 (a again: unchanged, still ok).
    let result = expect_json(
        batch(
            &app,
            &admin,
            json!({"action": "set_price_plan", "plan_id": plan["id"], "filter": {"tags": "华东"}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (result["matched"].as_u64(), result["succeeded"].as_u64()),
        (Some(2), Some(2)),
        "{result}"
    );
    assert_eq!(plan_of(&app, &admin, &b["id"]).await["id"], plan["id"]);
    // Audited per customer that changed: a once (by ids), b once.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_logs WHERE action = 'customer.pricing'"
        )
        .await,
        audits + 2
    );
    // The plan filter (id and none) and the 价格方案 column.
    let result = expect_json(
        batch(
            &app,
            &admin,
            json!({"action": "set_price_plan", "plan_id": plan["id"], "filter": {"plan_id": other["id"].to_string()}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(result["succeeded"], 1);
    let overrides = expect_json(
        app.get(&format!("/api/v1/customers/{}/pricing", c["id"]), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(overrides["plan"]["id"], plan["id"]);
    assert_eq!(overrides["overrides"]["N"]["unit_price"], "0.7", "{overrides}");
    let on_plan = expect_json(
        app.get(&format!("/api/v1/customers?plan_id={}", plan["id"]), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(on_plan["total"], 3);
    assert_eq!(on_plan["items"][0]["price_plan"]["name"], "批量方案");
    let d = create(&app, &admin, customer("方案丁")).await;
    let none = expect_json(app.get("/api/v1/customers?plan_id=none", &admin).await, StatusCode::OK).await;
    assert_eq!(none["total"], 1);
    assert_eq!(none["items"][0]["id"], d["id"]);
    assert_eq!(none["items"][0]["price_plan"], Value::Null);
    expect_error(
        app.get("/api/v1/customers?plan_id=abc", &admin).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
}

async fn a_filter_batch_stays_in_the_data_scope_and_reports_nothing_honestly(app: TestApp) {
    let admin = app.admin_token().await;
    let (mine_id, sales) = app.user_with_role(&admin, "sales.batch", "sales").await;
    let (other_id, _) = app.user_with_role(&admin, "sales.batch2", "sales").await;
    let mut mine = Vec::new();
    for i in 0..3 {
        let body = json!({"company_name": format!("范围内{i}"), "device_series": ["X"], "sales_owner_id": mine_id});
        mine.push(create(&app, &admin, body).await["id"].clone());
    }
    let theirs = create(
        &app,
        &admin,
        json!({"company_name": "范围外", "device_series": ["X"], "sales_owner_id": other_id}),
    )
    .await;
    // Sales tags "all matching" with an empty filter: only its own three.
    let result = expect_json(
        batch(&app, &sales, json!({"action": "add_tag", "tag": "重点", "filter": {}})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (result["matched"].as_u64(), result["succeeded"].as_u64()),
        (Some(3), Some(3)),
        "{result}"
    );
    let ids: Vec<Value> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, mine);
    let tagged = expect_json(app.get("/api/v1/customers?tags=重点", &admin).await, StatusCode::OK).await;
    assert_eq!(tagged["total"], 3);
    let theirs_now = expect_json(
        app.get(&format!("/api/v1/customers/{}", theirs["id"]), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(theirs_now["tags"], json!([]));
    // Sales may neither filter by plan nor see the 价格方案 column.
    expect_error(
        app.get("/api/v1/customers?plan_id=none", &sales).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let listed = expect_json(app.get("/api/v1/customers", &sales).await, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["price_plan"], Value::Null);
    // A filter matching nothing: an honest empty result.
    let result = expect_json(
        batch(
            &app,
            &admin,
            json!({"action": "set_level", "level": "A", "filter": {"q": "没有这样的客户"}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        result,
        json!({"matched": 0, "results": [], "succeeded": 0, "failed": 0})
    );
    // A bad filter value is a 400 naming it; deleted customers are not batched.
    let bad = expect_error(
        batch(
            &app,
            &admin,
            json!({"action": "set_level", "level": "A", "filter": {"status": "nonsense"}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(bad["error"]["details"][0]["field"], "status");
    expect_error(
        batch(&app, &admin, json!({"action": "delete", "filter": {"deleted": true}})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
}

/// The list's total for the whole book, a status and a sales person's scope
/// comes from the maintained counts (`totals_customers`); after creating,
/// a status change, an owner change, a deletion, a restore and a fold, each
/// equals the count of the rows themselves (the same filter plus `series=X`,
/// which every customer here has and which the counts do not know).
async fn the_list_total_from_the_maintained_counts_follows_every_change(app: TestApp) {
    let admin = app.admin_token().await;
    let (owner, sales) = app.user_with_role(&admin, "sales.cnt", "sales").await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let mut body = customer(&format!("计数测试公司{n}"));
        if n < 3 {
            body["sales_owner_id"] = json!(owner);
        }
        ids.push(create(&app, &admin, body).await["id"].as_i64().expect("id"));
    }
    let by_owner = format!("sales_owner_id={owner}");
    let figures = || async {
        (
            counted_total(&app, &admin, "page=1").await,
            counted_total(&app, &admin, "status=active").await,
            counted_total(&app, &admin, "status=trial,active").await,
            counted_total(&app, &sales, "page=1").await,
            counted_total(&app, &admin, &by_owner).await,
        )
    };
    assert_eq!(figures().await, (6, 0, 6, 3, 3));

    let status = format!("/api/v1/customers/{}/status", ids[0]);
    expect_json(
        app.post(&status, Some(&admin), &json!({"to": "active", "reason": "合同已签"}))
            .await,
        StatusCode::OK,
    )
    .await;
    let moved = format!("/api/v1/customers/{}", ids[1]);
    let version = expect_json(app.get(&moved, &admin).await, StatusCode::OK).await["version"].clone();
    expect_json(
        app.patch(&moved, &admin, &json!({"version": version, "sales_owner_id": null}))
            .await,
        StatusCode::OK,
    )
    .await;
    let deleted = format!("/api/v1/customers/{}", ids[2]);
    assert_eq!(app.delete(&deleted, &admin).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(figures().await, (5, 1, 5, 1, 1));

    expect_json(
        app.post(&format!("{deleted}/restore"), Some(&admin), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let folded = opcms::db::totals::fold(&app.state.db, &opcms::db::migrations::CUSTOMER_TOTALS)
        .await
        .expect("fold");
    assert!(folded > 0, "the appended rows fold");
    assert_eq!(figures().await, (6, 1, 6, 2, 2));
}

/// The list's total for `query`, checked against the rows' own count.
async fn counted_total(app: &TestApp, token: &str, query: &str) -> i64 {
    let listed = |query: String| async move {
        expect_json(
            app.get(&format!("/api/v1/customers?{query}"), token).await,
            StatusCode::OK,
        )
        .await["total"]
            .as_i64()
            .expect("total")
    };
    let counted = listed(query.to_string()).await;
    let scanned = listed(format!("{query}&series=X")).await;
    assert_eq!(counted, scanned, "{query}: maintained count vs rows");
    counted
}
