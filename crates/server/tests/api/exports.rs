//! Formula injection in exports (issue 20): text that a spreadsheet would
//! take for a formula (`=…`, `+…`, `-…`, `@…`) leaves every export as text —
//! a leading `'` in CSV, Excel's quote prefix in `.xlsx` — while numbers,
//! negative ones included, stay numbers.

use std::io::Read;

use opcms::spreadsheet::{self, Cell, Limits};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, expect_json};

backend_tests!(
    every_export_neutralises_cells_that_would_start_a_formula,
    amounts_are_numbers_shown_with_thousands_and_times_are_business_time,
);

const LIMITS: Limits = Limits {
    max_rows: 1000,
    max_columns: 100,
    max_unpacked_bytes: 10 * 1024 * 1024,
};

const COMPANY: &str = "=1+2甲公司";
const CONTACT: &str = "@SUM(A1:A9)";
const ADDRESS: &str = "+86 浦东新区";
const REMARKS: &str = "=HYPERLINK(\"http://example.invalid\",\"点我\")";
const PAYER: &str = "=cmd|'/C calc'!A0";
const REFERENCE: &str = "-2+3";
const NOTE: &str = "@备注";

fn today() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8))
        .date_naive()
        .to_string()
}

async fn download(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.unwrap().to_vec()
}

/// The records of a CSV export (BOM and header row dropped).
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM");
    csv::Reader::from_reader(text)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn row_with<'a>(rows: &'a [Vec<String>], cell: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.iter().any(|c| c == cell))
        .unwrap_or_else(|| panic!("no row with {cell}: {rows:?}"))
}

fn entry(bytes: &[u8], name: &str) -> Option<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive.by_name(name).ok()?.read_to_string(&mut text).unwrap();
    Some(text)
}

fn attribute(element: &str, name: &str) -> Option<String> {
    let start = element.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = element[start..].find('"')? + start;
    Some(element[start..end].to_string())
}

/// The texts of the first sheet's cells whose style carries Excel's quote
/// prefix (what typing a leading `'` sets).
fn quoted_texts(bytes: &[u8]) -> Vec<String> {
    let styles = entry(bytes, "xl/styles.xml").unwrap();
    let cell_xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let quoted_styles: Vec<String> = cell_xfs
        .split("<xf ")
        .skip(1)
        .enumerate()
        .filter(|(_, xf)| xf.split('>').next().unwrap_or_default().contains("quotePrefix=\"1\""))
        .map(|(index, _)| index.to_string())
        .collect();
    let shared: Vec<String> = entry(bytes, "xl/sharedStrings.xml")
        .map(|xml| xml.split("<si>").skip(1).map(text_of).collect())
        .unwrap_or_default();
    let sheet = entry(bytes, "xl/worksheets/sheet1.xml").unwrap();
    sheet
        .split("<c ")
        .skip(1)
        .filter(|c| attribute(c, "s").is_some_and(|s| quoted_styles.contains(&s)))
        .map(|c| match attribute(c, "t").as_deref() {
            Some("s") => {
                let v = &c[c.find("<v>").unwrap() + 3..c.find("</v>").unwrap()];
                shared[v.parse::<usize>().unwrap()].clone()
            }
            _ => text_of(c),
        })
        .collect()
}

/// The unescaped text of the first `<t>` in an XML fragment.
fn text_of(fragment: &str) -> String {
    let start = fragment.find("<t").unwrap();
    let start = fragment[start..].find('>').unwrap() + start + 1;
    let end = fragment.find("</t>").unwrap();
    fragment[start..end]
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Reads an `.xlsx` export back: the values are exactly what was stored, and
/// each hostile one (and nothing else) carries the quote prefix.
fn check_xlsx(bytes: &[u8], hostile: &[&str], path: &str) {
    let sheet = spreadsheet::read(bytes, &LIMITS).unwrap();
    for value in hostile {
        assert!(
            sheet
                .rows
                .iter()
                .any(|r| r.cells.contains(&Cell::Text((*value).into()))),
            "{path}: {value} should read back unchanged"
        );
    }
    let mut quoted = quoted_texts(bytes);
    quoted.sort();
    quoted.dedup();
    let mut expected: Vec<String> = hostile.iter().map(|v| v.to_string()).collect();
    expected.sort();
    assert_eq!(quoted, expected, "{path}: the quote-prefixed cells");
}

async fn every_export_neutralises_cells_that_would_start_a_formula(app: TestApp) {
    let token = app.admin_token().await;
    let body = json!({"company_name": COMPANY, "contact_name": CONTACT, "address": ADDRESS,
                      "remarks": REMARKS, "device_series": ["X"], "account_status": "active"});
    let customer = expect_json(
        app.post("/api/v1/customers", Some(&token), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let customer_id = customer["id"].as_i64().unwrap();
    assert_eq!(customer["company_name"], COMPANY, "names are stored as given");
    let body = json!({"customer_id": customer_id, "period": today()[..7],
                      "lines": [{"description": "服务费", "amount": "100.00"}]});
    let bill = expect_json(app.post("/api/v1/bills", Some(&token), &body).await, StatusCode::OK).await;
    let path = format!("/api/v1/bills/{}/issue", bill["id"]);
    expect_json(app.post(&path, Some(&token), &json!({})).await, StatusCode::OK).await;
    // More than the bill: the customer's net receivable is negative.
    let body = json!({"customer_id": customer_id, "amount": "150.00", "received_at": today(),
                      "method": "bank_transfer", "payer_name": PAYER, "reference": REFERENCE, "remarks": NOTE});
    let payment: Value = expect_json(
        app.post("/api/v1/payments", Some(&token), &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(payment["payer_name"], PAYER);

    let quoted = |text: &str| format!("'{text}");

    // Customers: every text column.
    let rows = csv_rows(&download(&app, &token, "/api/v1/customers/export?format=csv").await);
    let row = row_with(&rows, &quoted(COMPANY));
    for value in [CONTACT, ADDRESS, REMARKS] {
        assert!(row.contains(&quoted(value)), "{value}: {row:?}");
    }
    let xlsx = download(&app, &token, "/api/v1/customers/export?format=xlsx").await;
    check_xlsx(&xlsx, &[COMPANY, CONTACT, ADDRESS, REMARKS], "customers");

    // Bills: the company name; amounts stay numbers.
    let rows = csv_rows(&download(&app, &token, "/api/v1/bills/export?format=csv").await);
    let row = row_with(&rows, &quoted(COMPANY));
    assert_eq!(row[8], "100.00", "应收合计: {row:?}");
    let xlsx = download(&app, &token, "/api/v1/bills/export?format=xlsx").await;
    check_xlsx(&xlsx, &[COMPANY], "bills");

    // Payments: payer, reference and remarks; the amount stays a number.
    let rows = csv_rows(&download(&app, &token, "/api/v1/payments/export?format=csv").await);
    let row = row_with(&rows, &quoted(PAYER));
    assert_eq!(row[3], quoted(COMPANY), "{row:?}");
    assert_eq!(row[6], quoted(REFERENCE), "{row:?}");
    assert_eq!(row[7], "150.00", "{row:?}");
    assert_eq!(row[12], quoted(NOTE), "{row:?}");
    let xlsx = download(&app, &token, "/api/v1/payments/export?format=xlsx").await;
    check_xlsx(&xlsx, &[COMPANY, PAYER, REFERENCE, NOTE], "payments");

    // Aging: the company name; a negative amount is a number, not a formula.
    let rows = csv_rows(&download(&app, &token, "/api/v1/receivables/aging/export?format=csv").await);
    let row = row_with(&rows, &quoted(COMPANY));
    assert_eq!(row[12], "150.00", "预收余额: {row:?}");
    assert_eq!(row[13], "-50.00", "净应收: {row:?}");
    let xlsx = download(&app, &token, "/api/v1/receivables/aging/export?format=xlsx").await;
    check_xlsx(&xlsx, &[COMPANY], "aging");
}

/// The style index (`s`) of each cell of the first sheet, by reference.
fn cell_styles(bytes: &[u8]) -> std::collections::HashMap<String, String> {
    let sheet = entry(bytes, "xl/worksheets/sheet1.xml").unwrap();
    sheet
        .split("<c ")
        .skip(1)
        .filter_map(|c| {
            let head = format!(" {}", c.split('>').next().unwrap_or_default());
            Some((attribute(&head, "r")?, attribute(&head, "s").unwrap_or_default()))
        })
        .collect()
}

/// The cellXfs indexes whose number format is `code`.
fn styles_with_format(bytes: &[u8], code: &str) -> Vec<String> {
    let styles = entry(bytes, "xl/styles.xml").unwrap();
    let id = styles
        .split("<numFmt ")
        .skip(1)
        .find(|f| attribute(&format!(" {f}"), "formatCode").as_deref() == Some(code))
        .and_then(|f| attribute(&format!(" {f}"), "numFmtId"))
        .unwrap_or_else(|| panic!("no {code} format: {styles}"));
    let cell_xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    cell_xfs
        .split("<xf ")
        .skip(1)
        .enumerate()
        .filter(|(_, xf)| attribute(&format!(" {xf}"), "numFmtId").as_deref() == Some(id.as_str()))
        .map(|(i, _)| i.to_string())
        .collect()
}

fn column_name(index: usize) -> String {
    ((b'A' + index as u8) as char).to_string()
}

/// The file name a response carries, decoded.
fn file_name(response: &reqwest::Response) -> String {
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    let encoded = disposition.split("filename*=UTF-8''").nth(1).expect("filename*");
    url::form_urlencoded::parse(format!("x={encoded}").as_bytes())
        .next()
        .map(|(_, v)| v.to_string())
        .unwrap()
}

fn business_stamps() -> Vec<String> {
    let now = chrono::Utc::now() + chrono::Duration::hours(8);
    [now, now - chrono::Duration::minutes(1)]
        .iter()
        .map(|t| t.format("%Y%m%d-%H%M").to_string())
        .collect()
}

/// Issue 21 item 6: every `.xlsx` export writes amounts as numbers shown
/// `#,##0.00` that read back as exactly the amount; file names and times in
/// the files are on the business clock (UTC+8), not the server's.
async fn amounts_are_numbers_shown_with_thousands_and_times_are_business_time(app: TestApp) {
    let token = app.admin_token().await;
    let body = json!({"company_name": "金额格式有限公司", "device_series": ["X"], "account_status": "active"});
    let customer = expect_json(
        app.post("/api/v1/customers", Some(&token), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let customer_id = customer["id"].as_i64().unwrap();
    let body = json!({"customer_id": customer_id, "period": today()[..7],
                      "lines": [{"description": "服务费", "amount": "999999999999.99"}]});
    let big = expect_json(app.post("/api/v1/bills", Some(&token), &body).await, StatusCode::OK).await;
    let path = format!("/api/v1/bills/{}/issue", big["id"]);
    let issued = expect_json(app.post(&path, Some(&token), &json!({})).await, StatusCode::OK).await;
    let body = json!({"customer_id": customer_id, "amount": "1234567.07", "received_at": today(),
                      "method": "bank_transfer", "reference": "FMT-1"});
    expect_json(
        app.post("/api/v1/payments", Some(&token), &body).await,
        StatusCode::CREATED,
    )
    .await;

    let checks: [(&str, &str, usize, &str); 5] = [
        ("/api/v1/bills/export?format=xlsx", "账单列表", 8, "999999999999.99"),
        ("/api/v1/payments/export?format=xlsx", "收款列表", 7, "1234567.07"),
        ("/api/v1/payments/export?format=xlsx", "收款列表", 8, "0.00"),
        (
            "/api/v1/receivables/aging/export?format=xlsx",
            "账龄分析",
            4,
            "999999999999.99",
        ),
        (
            "/api/v1/receivables/aging/export?format=xlsx",
            "账龄分析",
            12,
            "1234567.07",
        ),
    ];
    for (path, title, column, amount) in checks {
        let before = business_stamps();
        let response = app.get(path, &token).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let name = file_name(&response);
        let mut stamps = before;
        stamps.extend(business_stamps());
        assert!(
            stamps.iter().any(|s| name == format!("{title}-{s}.xlsx")),
            "{path}: {name} is not stamped in business time ({stamps:?})"
        );
        let bytes = response.bytes().await.unwrap().to_vec();
        let sheet = spreadsheet::read(&bytes, &LIMITS).unwrap();
        let (index, row) = sheet
            .rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.cells.iter().any(|c| c.text().contains("金额格式有限公司")))
            .unwrap_or_else(|| panic!("{path}: no row"));
        let Cell::Number(text) = &row.cells[column] else {
            panic!("{path}: column {column} is not a number: {:?}", row.cells[column]);
        };
        assert_eq!(
            text.parse::<rust_decimal::Decimal>().unwrap(),
            amount.parse::<rust_decimal::Decimal>().unwrap(),
            "{path}: {text} reads back as {amount}"
        );
        let reference = format!("{}{}", column_name(column), index + 1);
        let style = cell_styles(&bytes).get(&reference).cloned().unwrap_or_default();
        assert!(
            styles_with_format(&bytes, "#,##0.00").contains(&style),
            "{path}: {reference} has style {style}, not #,##0.00"
        );
    }

    // The bill list's 出账时间 is the business clock's.
    let response = app.get("/api/v1/bills/export?format=xlsx", &token).await;
    let sheet = spreadsheet::read(&response.bytes().await.unwrap(), &LIMITS).unwrap();
    let issued_at = chrono::DateTime::parse_from_rfc3339(issued["issued_at"].as_str().unwrap()).unwrap();
    let local = (issued_at.with_timezone(&chrono::Utc) + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let row = sheet
        .rows
        .iter()
        .find(|r| r.cells.iter().any(|c| c.text().contains("金额格式有限公司")))
        .unwrap();
    assert!(
        row.cells.iter().any(|c| c.text() == local),
        "issued_at {local} (UTC+8) in {:?}",
        row.cells
    );

    // Customers: the file name too.
    let before = business_stamps();
    let response = app.get("/api/v1/customers/export?format=xlsx", &token).await;
    let name = file_name(&response);
    let mut stamps = before;
    stamps.extend(business_stamps());
    assert!(stamps.iter().any(|s| name == format!("客户列表-{s}.xlsx")), "{name}");
}
