//! OP_CMS printable documents. A bill ([`BillPdf`]) becomes an A4 PDF with
//! [`render_bill`], a statement of account ([`StatementPdf`]) with
//! [`render_statement`], a report ([`ReportPdf`]) with [`render_report`]; every string arrives formatted by the caller (amounts,
//! dates, labels), this crate only lays them out.
//!
//! Chinese renders on any machine: the one font, Noto Sans CJK SC subset to
//! GB 2312 + common simplified characters (fonts/README.md), is compiled into
//! the binary, and each PDF embeds just the glyphs it uses with a ToUnicode
//! map, so its text can be searched, copied and extracted. No system font is
//! ever read. Pure: no IO, no async, no clock (the output is deterministic).
//!
//! Rendering is CPU work, synchronous: ~8 ms for a bill of 60 lines in a
//! release build (~30 ms for 300 lines; 10–20× that unoptimised), mostly
//! font subsetting and compression. Call it from `tokio::task::spawn_blocking`
//! in a server. The font (3 MB, in the binary's read-only data) is parsed on
//! the first render and shared read-only by every thread afterwards; nothing
//! else is cached, so memory does not grow with the number of bills rendered.

mod canvas;
mod layout;
mod pdf;
mod report;
mod statement;
mod text;

/// The issuing company, printed at the top of the first page and in the
/// payment instructions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyHeader {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// 税号 (the unified social credit code), printed beside the contacts.
    pub tax_id: Option<String>,
    pub bank_name: Option<String>,
    pub bank_account: Option<String>,
    /// Free text under the bank details, e.g. 「请在汇款附言中注明账单编号」.
    pub payment_note: Option<String>,
}

impl CompanyHeader {
    /// The line under the company's name: address, phone and tax id, as given.
    pub fn contact_line(&self) -> Option<String> {
        let parts: Vec<String> = [
            self.address.as_deref().map(|a| format!("地址：{a}")),
            self.phone.as_deref().map(|p| format!("电话：{p}")),
            self.tax_id.as_deref().map(|t| format!("税号：{t}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join("　　"))
    }
}

/// A bill ready to print. All strings are preformatted by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillPdf {
    pub company: CompanyHeader,
    /// "B202611-000012".
    pub bill_no: String,
    /// "草稿" | "未结算" | "部分结算" | "已结算" | "作废". 草稿 and 作废 are also
    /// printed as a large watermark across every page.
    pub status_label: String,
    pub customer_name: String,
    pub customer_code: String,
    pub customer_address: Option<String>,
    /// "2026年11月".
    pub period: String,
    /// "2026-12-01".
    pub issued_on: Option<String>,
    /// "2026-12-15".
    pub due_on: Option<String>,
    pub lines: Vec<PdfLine>,
    pub subtotal: String,
    /// Credit notes and adjustments (红冲/调整), signed as the caller wants it shown.
    pub credited: Option<String>,
    pub total: String,
    /// 大写金额, e.g. from `opcms_domain::amount_in_chinese_capitals`.
    pub total_in_words: String,
    pub allocated: Option<String>,
    pub outstanding: Option<String>,
    pub plan_label: Option<String>,
    pub remarks: Option<String>,
}

/// One bill line; its tiers are printed indented below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfLine {
    /// "X 系列用量" / "保底补差" / free text (wrapped when long).
    pub description: String,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
    pub amount: String,
    pub tiers: Vec<PdfTier>,
}

/// One tier of a tiered price within a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfTier {
    /// "0 – 1000" / "5000 以上".
    pub range: String,
    pub quantity: String,
    pub unit_price: String,
    pub amount: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The font compiled into the binary could not be read: a build defect.
    #[error("embedded font could not be loaded")]
    Font,
    /// The PDF writer refused the document.
    #[error("PDF could not be written: {0}")]
    Pdf(String),
}

/// Renders a bill as an A4 PDF (several pages when the lines need them, each
/// numbered 第 n 页 / 共 N 页).
pub fn render_bill(bill: &BillPdf) -> Result<Vec<u8>, RenderError> {
    let fonts = text::fonts().ok_or(RenderError::Font)?;
    let layout = layout::compose(fonts, bill);
    pdf::write(fonts, format!("账单 {}", bill.bill_no), &layout)
}

/// A customer's statement of account (对账单) for a period, ready to print.
/// All strings are preformatted by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementPdf {
    pub company: CompanyHeader,
    pub customer_name: String,
    pub customer_code: String,
    /// "2026-11-01 至 2026-11-30".
    pub period: String,
    /// The day it was printed, "2026-12-05".
    pub printed_on: String,
    pub opening_balance: String,
    /// Σ of the period's debits (bills), credits (receipts, credit notes).
    pub debits: String,
    pub credits: String,
    pub closing_balance: String,
    /// What the closing balance means: "应收余额" or "预收余额".
    pub closing_label: String,
    pub closing_in_words: String,
    pub lines: Vec<StatementPdfLine>,
}

/// One movement of the period, in date order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementPdfLine {
    pub date: String,
    /// "B202611-000012" / "P202611-000003".
    pub document_no: String,
    /// "2026年11月账单" / "收款（银行转账）" / "红冲：…".
    pub description: String,
    pub debit: String,
    pub credit: String,
    pub balance: String,
}

/// Renders a statement of account as an A4 PDF (pages numbered), with the
/// company header as on a bill.
pub fn render_statement(statement: &StatementPdf) -> Result<Vec<u8>, RenderError> {
    let fonts = text::fonts().ok_or(RenderError::Font)?;
    let layout = statement::compose(fonts, statement);
    pdf::write(
        fonts,
        format!("对账单 {} {}", statement.customer_code, statement.period),
        &layout,
    )
}

/// A report of one view (an analytics list, a custom report): every string
/// preformatted by the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportPdf {
    /// Printed small above the title; may be empty.
    pub company_name: String,
    /// "经营看板 2026-11".
    pub title: String,
    /// What the report covers: ("数据范围", "全部客户"), ("打印时间", …).
    pub meta: Vec<(String, String)>,
    /// Headline figures in bands of four: ("应收", "1,200.00").
    pub figures: Vec<(String, String)>,
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<Vec<String>>,
    /// Shown in the table when there is no row: "无数据".
    pub empty_text: String,
}

/// A column of a report's table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportColumn {
    pub title: String,
    /// Its share of the width, relative to the others.
    pub weight: f32,
    /// Right-aligned (numbers).
    pub right: bool,
    /// Wraps long text instead of shrinking it.
    pub wrap: bool,
}

/// Renders a report as an A4 PDF, pages numbered, the table's header
/// repeated on each page.
pub fn render_report(report: &ReportPdf) -> Result<Vec<u8>, RenderError> {
    let fonts = text::fonts().ok_or(RenderError::Font)?;
    let layout = report::compose(fonts, report);
    pdf::write(fonts, report.title.clone(), &layout)
}
