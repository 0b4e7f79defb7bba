//! Every analytics view as a file (DESIGN.md §9): `.xlsx`, `.csv` or a
//! Chinese `.pdf`, with the same figures, filters and data scope as the view
//! on screen (no paging: every row). Each export is audited.

use axum::response::Response;
use opcms_documents::{ReportColumn, ReportPdf, render_report};
use opcms_domain::DataScope;
use opcms_domain::analytics::{FlagCode, Risk};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::churn::ChurnRow;
use super::credit::CreditScoreRow;
use super::dashboard::Dashboard;
use super::segments::SegmentRow;
use super::usage_trend::UsageTrend;
use crate::audit::{self, Actor, Entry};
use crate::calendar::{business_now, file_stamp};
use crate::error::{AppError, AppResult};
use crate::http::download::{CSV, XLSX, attachment, pdf};
use crate::spreadsheet::write::{ExportFormat, Value, table_file};

/// What an analytics export is asked for (`?format=`, default xlsx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Sheet(ExportFormat),
    Pdf,
}

impl ReportFormat {
    pub fn parse(value: Option<&str>) -> AppResult<ReportFormat> {
        match value.map(str::trim).filter(|v| !v.is_empty()).unwrap_or("xlsx") {
            "xlsx" => Ok(ReportFormat::Sheet(ExportFormat::Xlsx)),
            "csv" => Ok(ReportFormat::Sheet(ExportFormat::Csv)),
            "pdf" => Ok(ReportFormat::Pdf),
            _ => Err(AppError::field(
                "format",
                "INVALID_FORMAT",
                "导出格式须为 xlsx、csv 或 pdf",
            )),
        }
    }

    fn code(self) -> &'static str {
        match self {
            ReportFormat::Sheet(ExportFormat::Xlsx) => "xlsx",
            ReportFormat::Sheet(ExportFormat::Csv) => "csv",
            ReportFormat::Pdf => "pdf",
        }
    }
}

/// A column: its title, its share of a PDF page's width, whether it holds
/// numbers (right-aligned) and whether long text wraps.
type Column = (&'static str, f32, bool, bool);

/// A column of a report being written (titles of custom reports are data).
pub struct ReportCol {
    pub title: String,
    pub weight: f32,
    pub right: bool,
    pub wrap: bool,
}

fn cols(columns: &[Column]) -> Vec<ReportCol> {
    columns
        .iter()
        .map(|&(title, weight, right, wrap)| ReportCol {
            title: title.into(),
            weight,
            right,
            wrap,
        })
        .collect()
}

/// One view ready to write.
pub struct Report {
    /// "经营看板 2026-11": the sheet, the PDF's title, the file name.
    pub title: String,
    /// Headline figures (the PDF prints them above the table).
    pub figures: Vec<(String, String)>,
    pub columns: Vec<ReportCol>,
    pub rows: Vec<Vec<Value>>,
}

/// Writes the report in the format asked and records the export.
pub async fn respond(
    db: &DatabaseConnection,
    actor: &Actor,
    scope: &DataScope,
    (action, view): (&'static str, &str),
    format: ReportFormat,
    report: Report,
) -> AppResult<Response> {
    audit::record(
        db,
        actor,
        Entry {
            action,
            entity_type: "analytics",
            entity_id: Some(view.to_string()),
            changes: Some(json!({"format": format.code(), "rows": report.rows.len(), "title": report.title})),
        },
    )
    .await?;
    let headers: Vec<&str> = report.columns.iter().map(|c| c.title.as_str()).collect();
    match format {
        ReportFormat::Sheet(sheet) => {
            let (bytes, name) = table_file(sheet, &report.title, &headers, report.rows).await?;
            Ok(attachment(
                bytes,
                if sheet == ExportFormat::Csv { CSV } else { XLSX },
                &name,
            ))
        }
        ReportFormat::Pdf => {
            let company = crate::settings::load(db).await?.company.name;
            let document = ReportPdf {
                company_name: company,
                meta: vec![
                    ("数据范围".into(), scope_label(scope).into()),
                    ("打印时间".into(), business_now().format("%Y-%m-%d %H:%M").to_string()),
                ],
                figures: report.figures,
                columns: report
                    .columns
                    .iter()
                    .map(|c| ReportColumn {
                        title: c.title.clone(),
                        weight: c.weight,
                        right: c.right,
                        wrap: c.wrap,
                    })
                    .collect(),
                rows: report
                    .rows
                    .iter()
                    .map(|row| row.iter().map(cell_text).collect())
                    .collect(),
                empty_text: "无数据".into(),
                title: report.title,
            };
            let name = format!("{}-{}.pdf", document.title, file_stamp());
            let bytes = tokio::task::spawn_blocking(move || render_report(&document))
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("report task: {e}")))?
                .map_err(|e| AppError::Internal(anyhow::anyhow!("report PDF: {e}")))?;
            Ok(pdf(bytes, &name, Some("1")))
        }
    }
}

fn scope_label(scope: &DataScope) -> &'static str {
    match scope.label_code() {
        "all" => "全部客户",
        "team" => "本团队客户",
        _ => "本人客户",
    }
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::Text(text) | Value::Number(text) => text.clone(),
        Value::Date(day) => day.to_string(),
        Value::Blank => String::new(),
    }
}

fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

/// A rate or growth as sent (four places), blank when undefined.
fn rate(value: &Option<String>) -> Value {
    value.as_ref().map_or(Value::Blank, |v| Value::Number(v.clone()))
}

pub fn dashboard(d: &Dashboard) -> Report {
    const COLUMNS: &[Column] = &[
        ("类别", 1.0, false, false),
        ("项目", 2.0, false, false),
        ("数值", 1.4, true, false),
    ];
    let rate_text = d.collection_rate.clone().unwrap_or_else(|| "—".into());
    let figures: Vec<(String, String)> = [
        ("应收", d.receivable.to_string()),
        ("实收", d.received.to_string()),
        ("已回款", d.collected.to_string()),
        ("回款率", rate_text),
        ("未回款", d.outstanding.to_string()),
        ("逾期（截至今日）", d.overdue.total.to_string()),
        ("新增客户", d.new_customers.to_string()),
        ("流失客户", d.lost_customers.to_string()),
    ]
    .into_iter()
    .map(|(label, value)| (label.to_string(), value))
    .collect();
    let mut rows: Vec<Vec<Value>> = figures
        .iter()
        .map(|(label, value)| {
            let cell = if label == "回款率" {
                rate(&d.collection_rate)
            } else {
                Value::Number(value.clone())
            };
            vec![text("概览"), text(label.clone()), cell]
        })
        .collect();
    let buckets = &d.overdue.buckets;
    for (label, amount) in [
        ("逾期 1–30 天", buckets.d1_30),
        ("逾期 31–60 天", buckets.d31_60),
        ("逾期 61–90 天", buckets.d61_90),
        ("逾期 90 天以上", buckets.d90_plus),
    ] {
        rows.push(vec![text("账龄"), text(label), Value::number(amount)]);
    }
    let usage = &d.usage_by_series;
    for (series, quantity) in [("X", usage.x), ("N", usage.n), ("L", usage.l)] {
        rows.push(vec![
            text("用量"),
            text(format!("{series} 系列")),
            Value::number(quantity),
        ]);
    }
    for (rank, top) in d.top_customers.iter().enumerate() {
        rows.push(vec![
            text("客户排名"),
            text(format!("{}. {} {}", rank + 1, top.customer_code, top.company_name)),
            Value::number(top.revenue),
        ]);
    }
    for point in &d.trend {
        rows.push(vec![
            text("趋势"),
            text(format!("{} 应收", point.period)),
            Value::number(point.receivable),
        ]);
        rows.push(vec![
            text("趋势"),
            text(format!("{} 已回款", point.period)),
            Value::number(point.collected),
        ]);
    }
    Report {
        title: format!("经营看板 {}", d.period),
        figures,
        columns: cols(COLUMNS),
        rows,
    }
}

pub fn segments(period: &str, counts: [u64; 3], total: String, rows: &[SegmentRow]) -> Report {
    const COLUMNS: &[Column] = &[
        ("客户编号", 1.0, false, false),
        ("客户名称", 2.4, false, false),
        ("近12个月收入", 1.3, true, false),
        ("价值分层", 0.7, false, false),
        ("趋势", 0.7, false, false),
        ("增长率", 0.9, true, false),
    ];
    Report {
        title: format!("客户分层 {period}"),
        figures: vec![
            ("A 类".into(), counts[0].to_string()),
            ("B 类".into(), counts[1].to_string()),
            ("C 类".into(), counts[2].to_string()),
            ("近12个月总收入".into(), total),
        ],
        columns: cols(COLUMNS),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    text(r.customer_code.clone()),
                    text(r.company_name.clone()),
                    Value::number(r.revenue_12m),
                    text(r.value_tier.code()),
                    text(r.trend.label()),
                    rate(&r.growth),
                ]
            })
            .collect(),
    }
}

fn flag_label(code: FlagCode) -> &'static str {
    match code {
        FlagCode::UsageDrop => "用量下降",
        FlagCode::Idle => "长期无用量",
        FlagCode::ContractEnding => "合同将到期",
        FlagCode::Overdue => "逾期未付",
    }
}

pub fn churn(as_of: &str, rows: &[ChurnRow]) -> Report {
    const COLUMNS: &[Column] = &[
        ("客户编号", 1.0, false, false),
        ("客户名称", 2.0, false, false),
        ("销售负责人", 1.0, false, false),
        ("风险", 0.6, false, false),
        ("预警依据", 4.4, false, true),
    ];
    let high = rows.iter().filter(|r| r.risk == Risk::High).count();
    Report {
        title: format!("流失预警 {as_of}"),
        figures: vec![
            ("高风险".into(), high.to_string()),
            ("中风险".into(), (rows.len() - high).to_string()),
        ],
        columns: cols(COLUMNS),
        rows: rows
            .iter()
            .map(|r| {
                let evidence: Vec<String> = r
                    .flags
                    .iter()
                    .map(|f| format!("{}：{}", flag_label(f.code), f.evidence))
                    .collect();
                vec![
                    text(r.customer_code.clone()),
                    text(r.company_name.clone()),
                    text(
                        r.sales_owner
                            .as_ref()
                            .map(|o| o.display_name.clone())
                            .unwrap_or_default(),
                    ),
                    text(if r.risk == Risk::High { "高" } else { "中" }),
                    text(evidence.join("；")),
                ]
            })
            .collect(),
    }
}

pub fn credit(as_of: &str, rows: &[CreditScoreRow]) -> Report {
    const COLUMNS: &[Column] = &[
        ("客户编号", 1.0, false, false),
        ("客户名称", 2.2, false, false),
        ("信用分", 0.7, true, false),
        ("等级", 0.8, false, false),
        ("按时付款率", 1.0, true, false),
        ("平均逾期天数", 1.0, true, false),
        ("逾期比率", 0.9, true, false),
        ("合作月数", 0.8, true, false),
        ("参评账单", 0.8, true, false),
    ];
    Report {
        title: format!("信用评分 {as_of}"),
        figures: Vec::new(),
        columns: cols(COLUMNS),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    text(r.customer_code.clone()),
                    text(r.company_name.clone()),
                    r.score.map_or(Value::Blank, Value::number),
                    text(r.grade.label()),
                    rate(&r.factors.on_time),
                    rate(&r.factors.late_days),
                    rate(&r.factors.overdue_ratio),
                    Value::number(r.factors.tenure_months),
                    Value::number(r.window_bills),
                ]
            })
            .collect(),
    }
}

pub fn usage_trend(trend: &UsageTrend) -> Report {
    const COLUMNS: &[Column] = &[
        ("月份", 1.0, false, false),
        ("用量", 1.4, true, false),
        ("环比", 1.0, true, false),
        ("同比", 1.0, true, false),
    ];
    let series = trend.series.clone().map_or("全部系列".into(), |s| format!("{s} 系列"));
    Report {
        title: format!("用量趋势 {} {series}", trend.period),
        figures: Vec::new(),
        columns: cols(COLUMNS),
        rows: trend
            .points
            .iter()
            .map(|p| {
                vec![
                    text(p.period.to_string()),
                    Value::number(p.quantity),
                    rate(&p.mom),
                    rate(&p.yoy),
                ]
            })
            .collect(),
    }
}
