//! The statement of account (对账单) for a period: every movement of the
//! customer's account dated in it — bills issued (debit), credit notes,
//! bills voided after issue and receipts (credits) — with the balance
//! brought forward and carried, as JSON (`GET /customers/{id}/statement`),
//! PDF (`…/statement/pdf`, laid out by `opcms_documents`) and Excel/CSV
//! (`…/statement/export`). A period without movements is an honest empty
//! statement: its opening balance equals its closing one.
//!
//! Dates are business days (China, `crate::calendar`): a bill's is the day
//! it was issued, a credit note's the day it was made, a receipt's the day
//! the money arrived. Allocations move no balance (they pair a receipt with
//! a bill) and are not movements. The balance is what the customer owes:
//! positive a receivable, negative money received in advance.

use chrono::{Datelike, NaiveDate};
use opcms_documents::{StatementPdf, StatementPdfLine, render_statement};
use opcms_domain::billing::BillStatus;
use opcms_domain::money::Total;
use opcms_domain::payments::PaymentMethod;
use opcms_domain::settings::CompanyInfo;
use opcms_domain::{Fixed4, amount_in_chinese_capitals};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::entity::payment;
use crate::bills::document::letterhead;
use crate::bills::entity::{bill, credit_note};
use crate::calendar::{business_today, china};
use crate::customers::entity::customer;
use crate::error::{AppError, AppResult};
use crate::spreadsheet::write::{ExportFormat, Value};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// First day: `YYYY-MM-DD`, or `YYYY-MM` for the month's first day.
    /// Default: the first day of `to`'s month.
    pub from: Option<String>,
    /// Last day: `YYYY-MM-DD`, or `YYYY-MM` for the month's last day.
    /// Default: the end of `from`'s month when `from` is a month, else today
    /// (both missing: the current month so far).
    pub to: Option<String>,
    /// `xlsx` | `csv` (export only).
    pub format: Option<String>,
    /// PDF only: `1`/`true` as an attachment (download), else inline.
    pub download: Option<String>,
}

/// The longest period one statement covers.
pub const MAX_PERIOD_DAYS: i64 = 3660;

/// A day or a month as given; a month is its first or last day.
fn parse_day(text: &str, field: &str, end: bool) -> AppResult<(NaiveDate, bool)> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok((day, false));
    }
    let month = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 7);
    match month {
        Some(first) if end => Ok((last_day(first), true)),
        Some(first) => Ok((first, true)),
        None => Err(AppError::field(
            field,
            "INVALID_DATE",
            "日期格式应为 YYYY-MM-DD（某一天）或 YYYY-MM（整月）",
        )),
    }
}

fn first_day(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn last_day(day: NaiveDate) -> NaiveDate {
    let first = first_day(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).unwrap_or(day)
}

/// The period asked for: `from ≤ to`, at most [`MAX_PERIOD_DAYS`] long.
pub fn period(query: &StatementQuery) -> AppResult<(NaiveDate, NaiveDate)> {
    let from = query.from.as_deref().filter(|t| !t.trim().is_empty());
    let to = query.to.as_deref().filter(|t| !t.trim().is_empty());
    let from = from.map(|t| parse_day(t, "from", false)).transpose()?;
    let to = to.map(|t| parse_day(t, "to", true)).transpose()?;
    let (from, to) = match (from, to) {
        (Some((from, _)), Some((to, _))) => (from, to),
        (Some((from, true)), None) => (from, last_day(from)),
        (Some((from, false)), None) => (from, business_today().max(from)),
        (None, Some((to, _))) => (first_day(to), to),
        (None, None) => (first_day(business_today()), business_today()),
    };
    if from > to {
        return Err(AppError::field("to", "INVALID_PERIOD", "结束日期不能早于起始日期"));
    }
    if (to - from).num_days() >= MAX_PERIOD_DAYS {
        return Err(AppError::field("to", "PERIOD_TOO_LONG", "一份对账单最长覆盖 10 年"));
    }
    Ok((from, to))
}

/// One movement of the account.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LedgerLine {
    pub date: NaiveDate,
    /// `bill` | `credit_note` | `void` | `payment`
    #[schema(value_type = LedgerKind)]
    pub kind: &'static str,
    /// The bill's or the payment's number.
    pub document_no: String,
    #[schema(required = true)]
    pub bill_id: Option<i64>,
    #[schema(required = true)]
    pub payment_id: Option<i64>,
    pub description: String,
    #[schema(required = true, value_type = Option<String>)]
    pub debit: Option<Fixed4>,
    #[schema(required = true, value_type = Option<String>)]
    pub credit: Option<Fixed4>,
    /// The balance after this line.
    #[schema(value_type = String)]
    pub balance: Total,
}

/// What moved a customer's account.
/// The field holds the code as a string; this names the codes in the
/// OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LedgerKind {
    Bill,
    CreditNote,
    Void,
    Payment,
}

/// The period's movements and balances.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ledger {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Owed at the start of `from` (negative: paid in advance).
    #[schema(value_type = String)]
    pub opening_balance: Total,
    #[schema(value_type = String)]
    pub debits: Total,
    #[schema(value_type = String)]
    pub credits: Total,
    /// Owed at the end of `to`: opening + debits − credits.
    #[schema(value_type = String)]
    pub closing_balance: Total,
    pub lines: Vec<LedgerLine>,
}

fn business_day(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    at.with_timezone(&china()).date_naive()
}

/// Every movement of the customer's account, in date order (then bills
/// before credits, then by number), each `(line, ordering key)`.
async fn movements(db: &impl ConnectionTrait, customer_id: i64) -> AppResult<Vec<LedgerLine>> {
    let bills = bill::Entity::find()
        .filter(bill::Column::CustomerId.eq(customer_id))
        .filter(bill::Column::IssuedAt.is_not_null())
        .all(db)
        .await?;
    let ids: Vec<i64> = bills.iter().map(|b| b.id).collect();
    let mut notes = Vec::new();
    for chunk in ids.chunks(500) {
        notes.extend(
            credit_note::Entity::find()
                .filter(credit_note::Column::BillId.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    let payments = payment::Entity::find()
        .filter(payment::Column::CustomerId.eq(customer_id))
        .filter(payment::Column::IsDeleted.eq(false))
        .all(db)
        .await?;
    let mut lines = Vec::with_capacity(bills.len() + notes.len() + payments.len());
    let mut line = |date, kind, document_no: &str, bill_id, payment_id, description: String, debit, credit| {
        lines.push(LedgerLine {
            date,
            kind,
            document_no: document_no.to_string(),
            bill_id,
            payment_id,
            description,
            debit,
            credit,
            balance: Total::ZERO,
        });
    };
    for row in &bills {
        let Some(issued_at) = row.issued_at else { continue };
        let label = match opcms_domain::Period::from_key(row.period) {
            Some(p) => format!("{}年{}月账单", p.year(), p.month()),
            None => "账单".to_string(),
        };
        let description = match row.remarks.as_deref().filter(|r| row.kind == "manual" && !r.is_empty()) {
            Some(remarks) => format!("{label}（{remarks}）"),
            None => label,
        };
        line(
            business_day(issued_at),
            "bill",
            &row.bill_no,
            Some(row.id),
            None,
            description,
            Some(Fixed4::from_units(row.subtotal)),
            None,
        );
        if row.status == BillStatus::Void.code()
            && let Some(voided_at) = row.voided_at
        {
            let reason = row.void_reason.clone().unwrap_or_default();
            line(
                business_day(voided_at),
                "void",
                &row.bill_no,
                Some(row.id),
                None,
                format!("账单作废：{reason}"),
                None,
                Some(Fixed4::from_units(row.subtotal - row.credited)),
            );
        }
    }
    for note in &notes {
        let Some(row) = bills.iter().find(|b| b.id == note.bill_id) else {
            continue;
        };
        line(
            business_day(note.created_at),
            "credit_note",
            &row.bill_no,
            Some(row.id),
            None,
            format!("红冲：{}", note.reason),
            None,
            Some(Fixed4::from_units(note.amount)),
        );
    }
    for row in &payments {
        let method = PaymentMethod::ALL
            .iter()
            .find(|m| m.code() == row.method)
            .map_or("收款", |m| m.label());
        let payer = row
            .payer_name
            .as_deref()
            .map(|p| format!("，付款人 {p}"))
            .unwrap_or_default();
        line(
            row.received_at,
            "payment",
            &row.payment_no,
            None,
            Some(row.id),
            format!("收款（{method}{payer}）"),
            None,
            Some(Fixed4::from_units(row.amount)),
        );
    }
    let rank = |kind: &str| match kind {
        "bill" => 0,
        "credit_note" => 1,
        "void" => 2,
        _ => 3,
    };
    lines.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then(rank(a.kind).cmp(&rank(b.kind)))
            .then(a.document_no.cmp(&b.document_no))
    });
    Ok(lines)
}

fn signed(line: &LedgerLine) -> Total {
    let debit = line.debit.map(Total::from).unwrap_or_default();
    let credit = line.credit.map(Total::from).unwrap_or_default();
    debit - credit
}

/// The customer's ledger over `[from, to]`.
pub async fn ledger(db: &impl ConnectionTrait, customer_id: i64, from: NaiveDate, to: NaiveDate) -> AppResult<Ledger> {
    let all = movements(db, customer_id).await?;
    let opening: Total = all
        .iter()
        .filter(|l| l.date < from)
        .fold(Total::ZERO, |sum, l| sum + signed(l));
    let mut balance = opening;
    let (mut debits, mut credits) = (Total::ZERO, Total::ZERO);
    let mut lines = Vec::new();
    for mut line in all.into_iter().filter(|l| l.date >= from && l.date <= to) {
        balance += signed(&line);
        debits += line.debit.map(Total::from).unwrap_or_default();
        credits += line.credit.map(Total::from).unwrap_or_default();
        line.balance = balance;
        lines.push(line);
    }
    Ok(Ledger {
        from,
        to,
        opening_balance: opening,
        debits,
        credits,
        closing_balance: balance,
        lines,
    })
}

/// An amount with thousands separators: `1234567.5` → `1,234,567.50`.
pub fn grouped(amount: &str) -> String {
    let (sign, digits) = amount.strip_prefix('-').map_or(("", amount), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::with_capacity(amount.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let fraction = format!("{fraction:0<2}");
    format!("{sign}{out}.{fraction}")
}

fn shown(value: Option<Fixed4>) -> String {
    value.map(|v| grouped(&v.to_string())).unwrap_or_default()
}

/// The printable statement.
pub fn document(customer: &customer::Model, ledger: &Ledger, company: &CompanyInfo) -> StatementPdf {
    let closing = ledger.closing_balance;
    let magnitude = if closing < Total::ZERO {
        Total::ZERO - closing
    } else {
        closing
    };
    StatementPdf {
        company: letterhead(company),
        customer_name: customer.company_name.clone(),
        customer_code: customer.customer_code.clone(),
        period: format!("{} 至 {}", ledger.from, ledger.to),
        printed_on: business_today().to_string(),
        opening_balance: grouped(&ledger.opening_balance.to_string()),
        debits: grouped(&ledger.debits.to_string()),
        credits: grouped(&ledger.credits.to_string()),
        closing_balance: grouped(&closing.to_string()),
        closing_label: if closing < Total::ZERO {
            "预收余额".into()
        } else {
            "应收余额".into()
        },
        closing_in_words: magnitude
            .to_decimal()
            .map(amount_in_chinese_capitals)
            .unwrap_or_default(),
        lines: ledger
            .lines
            .iter()
            .map(|l| StatementPdfLine {
                date: l.date.to_string(),
                document_no: l.document_no.clone(),
                description: l.description.clone(),
                debit: shown(l.debit),
                credit: shown(l.credit),
                balance: grouped(&l.balance.to_string()),
            })
            .collect(),
    }
}

/// Renders off the async workers (CPU work).
pub async fn pdf(customer: &customer::Model, ledger: &Ledger, company: &CompanyInfo) -> AppResult<Vec<u8>> {
    let document = document(customer, ledger, company);
    tokio::task::spawn_blocking(move || render_statement(&document))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("pdf task: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering statement pdf: {e}")))
}

const HEADERS: [&str; 6] = ["日期", "单据编号", "摘要", "应收（借方）", "已收（贷方）", "余额"];

/// The statement as a sheet: the balance brought forward, the lines, the
/// totals and the balance carried (amounts numeric, as every export).
pub async fn export(customer: &customer::Model, ledger: &Ledger, format: ExportFormat) -> AppResult<(Vec<u8>, String)> {
    let text = |t: String| Value::Text(t);
    let mut rows = vec![vec![
        Value::Date(ledger.from),
        Value::Blank,
        text(format!(
            "期初余额（{}（{}）{} 至 {} 对账单）",
            customer.company_name, customer.customer_code, ledger.from, ledger.to
        )),
        Value::Blank,
        Value::Blank,
        Value::number(ledger.opening_balance),
    ]];
    if ledger.lines.is_empty() {
        rows.push(vec![Value::Blank, Value::Blank, text("本期无往来".into())]);
    }
    for line in &ledger.lines {
        rows.push(vec![
            Value::Date(line.date),
            text(line.document_no.clone()),
            text(line.description.clone()),
            line.debit.map_or(Value::Blank, Value::number),
            line.credit.map_or(Value::Blank, Value::number),
            Value::number(line.balance),
        ]);
    }
    rows.push(vec![
        Value::Date(ledger.to),
        Value::Blank,
        text("本期合计 / 期末余额".into()),
        Value::number(ledger.debits),
        Value::number(ledger.credits),
        Value::number(ledger.closing_balance),
    ]);
    let title = format!("对账单-{}", customer.customer_code);
    let (bytes, _) = crate::spreadsheet::write::table_file(format, &title, &HEADERS, rows).await?;
    let name = format!(
        "对账单-{}-{}-{}.{}",
        customer.customer_code,
        ledger.from.format("%Y%m%d"),
        ledger.to.format("%Y%m%d"),
        format.extension()
    );
    Ok((bytes, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: Option<&str>, to: Option<&str>) -> StatementQuery {
        StatementQuery {
            from: from.map(Into::into),
            to: to.map(Into::into),
            ..StatementQuery::default()
        }
    }

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn months_and_days_make_a_period() {
        assert_eq!(
            period(&q(Some("2026-02"), None)).unwrap(),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            period(&q(Some("2026-10"), Some("2026-12"))).unwrap(),
            (d("2026-10-01"), d("2026-12-31"))
        );
        assert_eq!(
            period(&q(Some("2026-11-15"), Some("2026-11-20"))).unwrap(),
            (d("2026-11-15"), d("2026-11-20"))
        );
        assert_eq!(
            period(&q(None, Some("2024-02"))).unwrap(),
            (d("2024-02-01"), d("2024-02-29"))
        );
        for bad in [
            q(Some("2026-13"), None),
            q(Some("11/2026"), None),
            q(None, Some("2026-11-31")),
        ] {
            assert!(period(&bad).is_err(), "{bad:?}");
        }
        assert!(period(&q(Some("2026-12"), Some("2026-11"))).is_err());
        assert!(period(&q(Some("2000-01"), Some("2026-11"))).is_err());
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped("0.00"), "0.00");
        assert_eq!(grouped("1234567.5"), "1,234,567.50");
        assert_eq!(grouped("-999999999999.99"), "-999,999,999,999.99");
        assert_eq!(grouped("100.00"), "100.00");
        assert_eq!(grouped("1000"), "1,000.00");
    }
}
