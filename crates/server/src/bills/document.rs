//! `GET /bills/{id}/pdf`: a bill as the document a customer receives, laid
//! out by `opcms_documents` with its embedded font. This module only turns a
//! [`BillView`] and the `[billing]` settings into the document's texts.

use opcms_documents::{BillPdf, CompanyHeader, PdfLine, PdfTier, render_bill};
use opcms_domain::amount_in_chinese_capitals;
use opcms_domain::billing::{StoredLine, StoredLineKind, StoredTier};
use rust_decimal::Decimal;

use super::model::BillView;
use crate::error::{AppError, AppResult};
use opcms_domain::settings::CompanyInfo;

fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

fn range(tier: &StoredTier) -> String {
    match tier.to {
        Some(to) => format!("{} – {}", plain(tier.from), plain(to)),
        None if tier.from.is_zero() => "全部".into(),
        None => format!("{} 以上", plain(tier.from)),
    }
}

fn line(line: &StoredLine) -> PdfLine {
    let tiers: Vec<PdfTier> = line
        .tiers
        .iter()
        .map(|t| PdfTier {
            range: range(t),
            quantity: plain(t.quantity),
            unit_price: t.unit_price.to_string(),
            amount: t.amount.to_string(),
        })
        .collect();
    match line.kind {
        StoredLineKind::Usage => {
            let series = line.series.map(|s| s.code()).unwrap_or("-");
            // One tier (flat, or volume) reads as quantity × price; several
            // (graduated) are listed under the line.
            let single = (tiers.len() == 1).then(|| tiers[0].unit_price.clone());
            PdfLine {
                description: format!("{series} 系列用量"),
                quantity: line.usage.map(plain),
                unit_price: single,
                amount: line.amount.to_string(),
                tiers: if tiers.len() > 1 { tiers } else { Vec::new() },
            }
        }
        StoredLineKind::MinimumTopup => PdfLine {
            description: "保底补差".into(),
            quantity: None,
            unit_price: None,
            amount: line.amount.to_string(),
            tiers: Vec::new(),
        },
        StoredLineKind::Manual => PdfLine {
            description: line.description.clone().unwrap_or_default(),
            quantity: line.quantity.map(plain),
            unit_price: line.unit_price.map(|p| p.to_string()),
            amount: line.amount.to_string(),
            tiers: Vec::new(),
        },
    }
}

/// Who the documents (bills, statements) are from, as printed at their top
/// and above the payment details.
pub fn letterhead(company: &CompanyInfo) -> CompanyHeader {
    let given = |text: &str| (!text.is_empty()).then(|| text.to_string());
    CompanyHeader {
        name: given(&company.name).unwrap_or_else(|| "客户信息管理与运营系统".into()),
        address: given(&company.address),
        phone: given(&company.phone),
        tax_id: given(&company.tax_id),
        bank_name: given(&company.bank_name),
        bank_account: given(&company.bank_account),
        payment_note: given(&company.payment_note),
    }
}

/// The document of a bill.
pub fn document(bill: &BillView, company: &CompanyInfo) -> BillPdf {
    let credited = (!bill.credited.to_decimal().is_zero()).then(|| bill.credited.to_string());
    let allocated = (!bill.allocated.to_decimal().is_zero()).then(|| bill.allocated.to_string());
    BillPdf {
        company: letterhead(company),
        bill_no: bill.bill_no.clone(),
        status_label: bill.status.label().into(),
        customer_name: bill.customer.company_name.clone(),
        customer_code: bill.customer.customer_code.clone(),
        customer_address: None,
        period: format!("{}年{}月", bill.period.year(), bill.period.month()),
        issued_on: bill
            .issued_at
            .map(|t| (t + chrono::Duration::hours(8)).date_naive().to_string()),
        due_on: bill.due_date.map(|d| d.to_string()),
        lines: bill.lines.iter().map(line).collect(),
        subtotal: bill.subtotal.to_string(),
        credited,
        total: bill.total.to_string(),
        total_in_words: amount_in_chinese_capitals(bill.total.to_decimal()),
        outstanding: allocated.as_ref().map(|_| bill.outstanding.to_string()),
        allocated,
        plan_label: bill.plan.as_ref().map(|p| format!("{}（第 {} 版）", p.name, p.version)),
        remarks: bill.remarks.clone(),
    }
}

/// Renders off the async workers: laying out and subsetting the font is
/// CPU work.
pub async fn render(bill: &BillView, company: &CompanyInfo) -> AppResult<Vec<u8>> {
    let document = document(bill, company);
    tokio::task::spawn_blocking(move || render_bill(&document))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("pdf task: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering bill pdf: {e}")))
}
