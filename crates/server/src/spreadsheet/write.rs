//! Writing `.xlsx` files people open in Excel: a bold frozen header, widths
//! that fit Chinese text, dates as real dates, amounts as real numbers
//! shown `#,##0.00` (see [`exact_number`]). Large sheets use
//! rust_xlsxwriter's constant-memory mode (rows go to a temporary file as
//! they are written), so an export of 100,000 customers stays small in RAM.
//!
//! Every cell of every export passes through here, and text that a
//! spreadsheet would take for a formula is neutralised here, once: a
//! leading `'` in CSV, Excel's quote prefix in `.xlsx` (see
//! [`looks_like_formula`]).

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::error::AppError;

/// A worksheet cell to write.
#[derive(Debug, Clone)]
pub enum Value {
    /// Text as people and files gave it: names, references, remarks.
    Text(String),
    /// A number's exact decimal text (an amount, a count), made with
    /// [`Value::number`]: in `.xlsx` a numeric cell when the number reads
    /// back exactly ([`exact_number`]) — with a decimal point it is an
    /// amount, shown `#,##0.00` (`#,##0.00##` for a unit price's 3–4
    /// places); otherwise its exact text. In CSV the text as it is.
    Number(String),
    Date(NaiveDate),
    Blank,
}

impl Value {
    /// An amount or count as its exact decimal text, e.g. `-100.00`.
    pub fn number<T: std::fmt::Display>(value: T) -> Value {
        Value::Number(value.to_string())
    }

    /// Whether a spreadsheet could take the cell for a formula: text
    /// starting like one, or a "number" that is not a plain decimal.
    fn formula_like(&self) -> bool {
        match self {
            Value::Text(t) => looks_like_formula(t),
            Value::Number(n) => !is_decimal(n) && looks_like_formula(n),
            Value::Date(_) | Value::Blank => false,
        }
    }
}

/// The characters that make Excel, LibreOffice and Google Sheets read a
/// cell as a formula (`=`, `+`, `-`, `@`) or that they strip before doing so
/// (tab, carriage return): OWASP's list for CSV injection.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell of text would start a formula in a spreadsheet
/// (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`, `=cmd|'/C calc'!A0`).
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// A plain decimal (`-12.50`, `3`): what [`Value::Number`] must hold to be
/// written untouched.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// Significant digits Excel keeps and shows of a number.
const EXCEL_DIGITS: u32 = 15;

/// The `f64` to store for a number's exact decimal text, if it reads back as
/// exactly that decimal. rust_xlsxwriter writes an `f64` as its shortest
/// round-trip text, and Excel keeps 15 significant digits: a decimal of at
/// most 15 significant digits (every amount a bill may hold, 999999999999.99
/// has 14) survives both; a larger sum (a total of totals) does not, and is
/// written as its exact text instead of a number that would be off.
pub fn exact_number(text: &str) -> Option<f64> {
    let decimal: rust_decimal::Decimal = text.parse().ok()?;
    let normalized = decimal.normalize();
    let digits = normalized
        .mantissa()
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |d| d + 1);
    if digits > EXCEL_DIGITS {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    let back: rust_decimal::Decimal = format!("{value}").parse().ok()?;
    (value.is_finite() && back == decimal).then_some(value)
}

/// Decimal places a number's text has (`12.50` → 2, `3` → 0).
fn places(text: &str) -> usize {
    text.split_once('.').map_or(0, |(_, f)| f.len())
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        value.map_or(Value::Blank, Value::Text)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<Option<NaiveDate>> for Value {
    fn from(value: Option<NaiveDate>) -> Self {
        value.map_or(Value::Blank, Value::Date)
    }
}

/// One CSV record (with its line end) of cells, dates as `YYYY-MM-DD`.
/// Text that would start a formula gets a leading `'` (OWASP's rule), so a
/// spreadsheet shows it as text and runs nothing; a number stays as it is
/// (`-100.00` is a number to the spreadsheet, not a formula) unless it is
/// not a plain decimal, when it is treated as text.
pub fn csv_line(values: &[Value]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fields = values.iter().map(|v| match v {
        Value::Text(t) | Value::Number(t) if v.formula_like() => Cow::Owned(format!("'{t}")),
        Value::Text(t) | Value::Number(t) => Cow::Borrowed(t.as_str()),
        Value::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
        Value::Blank => Cow::Borrowed(""),
    });
    // Writing to a Vec cannot fail.
    for field in fields {
        let _ = writer.write_field(field.as_bytes());
    }
    let _ = writer.write_record(std::iter::empty::<&[u8]>());
    writer.into_inner().unwrap_or_default()
}

pub fn xlsx_error(error: XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing xlsx: {error}"))
}

/// The format a list export asks for (`?format=`, default xlsx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

impl ExportFormat {
    pub fn parse(value: Option<&str>) -> Result<ExportFormat, AppError> {
        match value.unwrap_or("xlsx") {
            "xlsx" => Ok(ExportFormat::Xlsx),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(AppError::field("format", "INVALID_FORMAT", "导出格式须为 xlsx 或 csv")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        }
    }
}

/// A report already in memory as one file: CSV (UTF-8 with a BOM, so Excel
/// reads the Chinese) or one `.xlsx` sheet; named `{title}-{time}.{ext}`.
pub async fn table_file(
    format: ExportFormat,
    title: &str,
    headers: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(Vec<u8>, String), AppError> {
    let name = format!("{title}-{}.{}", crate::calendar::file_stamp(), format.extension());
    if format == ExportFormat::Csv {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(csv_line(
            &headers.iter().map(|h| Value::Text((*h).into())).collect::<Vec<_>>(),
        ));
        for row in &rows {
            bytes.extend(csv_line(row));
        }
        return Ok((bytes, name));
    }
    let sheet_name: String = title.chars().take(31).collect();
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let bytes = tokio::task::spawn_blocking(move || {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name)?;
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut writer = SheetWriter::new(sheet, &headers)?;
        for row in &rows {
            writer.row(row)?;
        }
        book.save_to_buffer()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("export task: {e}")))?
    .map_err(xlsx_error)?;
    Ok((bytes, name))
}

/// A sheet being written row by row.
pub struct SheetWriter<'a> {
    sheet: &'a mut Worksheet,
    date: Format,
    /// Excel's quote prefix (what typing a leading `'` sets): the cell stays
    /// text if someone edits it.
    quoted: Format,
    /// Amounts: thousands separators, two decimals.
    money: Format,
    /// Unit prices with three or four decimals.
    price: Format,
    next_row: u32,
}

impl<'a> SheetWriter<'a> {
    /// Writes the header (bold, frozen, widths from the header texts).
    pub fn new(sheet: &'a mut Worksheet, headers: &[&str]) -> Result<Self, XlsxError> {
        let bold = Format::new().set_bold().set_background_color("#E8F3FF");
        for (column, header) in headers.iter().enumerate() {
            sheet.write_with_format(0, column as u16, *header, &bold)?;
            let width = (header.chars().count() as f64 * 2.2 + 4.0).max(12.0);
            sheet.set_column_width(column as u16, width)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(SheetWriter {
            sheet,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            quoted: Format::new().set_quote_prefix(),
            money: Format::new().set_num_format("#,##0.00"),
            price: Format::new().set_num_format("#,##0.00##"),
            next_row: 1,
        })
    }

    /// Writes one row. Text is always a string cell, which Excel never
    /// evaluates; text that would start a formula also gets the quote
    /// prefix, so it stays text when edited, and keeps its exact value (an
    /// import report read back imports what was uploaded). A number is a
    /// numeric cell when it reads back exactly ([`exact_number`]), else its
    /// exact decimal text.
    pub fn row(&mut self, values: &[Value]) -> Result<(), XlsxError> {
        let row = self.next_row;
        for (column, value) in values.iter().enumerate() {
            let column = column as u16;
            match value {
                Value::Text(text) | Value::Number(text) if value.formula_like() => {
                    self.sheet.write_string_with_format(row, column, text, &self.quoted)?;
                }
                Value::Number(text) => match exact_number(text) {
                    Some(number) => match places(text) {
                        0 => {
                            self.sheet.write_number(row, column, number)?;
                        }
                        1 | 2 => {
                            self.sheet.write_number_with_format(row, column, number, &self.money)?;
                        }
                        _ => {
                            self.sheet.write_number_with_format(row, column, number, &self.price)?;
                        }
                    },
                    None => {
                        self.sheet.write_string(row, column, text)?;
                    }
                },
                Value::Text(text) => {
                    self.sheet.write_string(row, column, text)?;
                }
                Value::Date(day) => {
                    self.sheet.write_date_with_format(row, column, *day, &self.date)?;
                }
                Value::Blank => {}
            }
        }
        self.next_row += 1;
        Ok(())
    }

    pub fn sheet(&mut self) -> &mut Worksheet {
        self.sheet
    }
}

/// A one-sheet workbook of headers and rows, as bytes.
pub fn simple_workbook(sheet_name: &str, headers: &[&str], rows: &[Vec<Value>]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    let mut writer = SheetWriter::new(sheet, headers)?;
    for row in rows {
        writer.row(row)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Header, a blank row, then a row with a phone typed as a number and a
    /// real date: what the reader tests read back.
    pub(crate) fn small_workbook() -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "客户编号").unwrap();
        sheet.write(0, 1, "联系电话").unwrap();
        sheet.write(0, 2, "签约日期").unwrap();
        sheet.write(2, 0, "C000001").unwrap();
        sheet.write_number(2, 1, 13800138000.0).unwrap();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        sheet
            .write_date_with_format(2, 2, NaiveDate::from_ymd_opt(2024, 3, 5).unwrap(), &date)
            .unwrap();
        book.save_to_buffer().unwrap()
    }

    fn csv_cells(values: &[Value]) -> Vec<String> {
        let line = csv_line(values);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&line[..]);
        reader
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn csv_text_that_would_start_a_formula_gets_a_leading_quote() {
        let hostile = [
            "=1+2",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "=cmd|'/C calc'!A0",
            "-100.00",
        ];
        let cells = csv_cells(&hostile.map(|t| Value::Text(t.into())));
        assert_eq!(cells, hostile.map(|t| format!("'{t}")));
        let harmless = ["上海", "a=1", " =1", "1-2", "'quoted", ""];
        assert_eq!(csv_cells(&harmless.map(|t| Value::Text(t.into()))), harmless);
    }

    #[test]
    fn csv_numbers_stay_numbers_even_when_negative() {
        let cells = csv_cells(&[
            Value::number("-100.00"),
            Value::number(-3),
            Value::number("0.50"),
            // Not a plain decimal: written as text would be.
            Value::number("-1+2"),
            Value::number("-"),
            Value::Date(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()),
            Value::Blank,
        ]);
        assert_eq!(cells, ["-100.00", "-3", "0.50", "'-1+2", "'-", "2024-01-02", ""]);
    }

    #[test]
    fn xlsx_formula_like_text_keeps_its_value_and_gets_the_quote_prefix() {
        let bytes = simple_workbook(
            "客户",
            &["公司名称", "金额"],
            &[
                vec![Value::Text("=1+2".into()), Value::number("-100.00")],
                vec![Value::Text("上海".into()), Value::number("5.00")],
            ],
        )
        .unwrap();
        let sheet = super::super::read(&bytes, &super::super::tests::LIMITS).unwrap();
        assert_eq!(sheet.rows[1].cells[0], super::super::Cell::Text("=1+2".into()));
        assert_eq!(sheet.rows[1].cells[1], super::super::Cell::Number("-100".into()));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
        assert_eq!(styles.matches("quotePrefix=\"1\"").count(), 1, "{styles}");
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut xml).unwrap();
        // A2 (the formula-like text) has a style of its own, the amounts B2
        // and B3 the money format; A3 none.
        let styled: Vec<&str> = xml
            .split("<c ")
            .skip(1)
            .filter(|c| c.split('>').next().unwrap_or_default().contains(" s=\""))
            .map(|c| c.split('"').nth(1).unwrap_or_default())
            .collect();
        assert_eq!(styled, ["A1", "B1", "A2", "B2", "B3"]);
    }

    #[test]
    fn amounts_are_numbers_that_read_back_exactly() {
        let amounts = [
            "0.01",
            "0.10",
            "1234567.89",
            "-100.00",
            "999999999999.99",
            "0.07",
            "4836.31",
            "2.675",
        ];
        let mut rows: Vec<Vec<Value>> = amounts.iter().map(|a| vec![Value::number(a)]).collect();
        // 16 significant digits: no f64 holds it, so the exact text.
        rows.push(vec![Value::number("99999999999999.99")]);
        rows.push(vec![Value::number(42)]);
        let bytes = simple_workbook("金额", &["金额"], &rows).unwrap();
        let sheet = super::super::read(&bytes, &super::super::tests::LIMITS).unwrap();
        for (i, amount) in amounts.iter().enumerate() {
            let super::super::Cell::Number(text) = &sheet.rows[i + 1].cells[0] else {
                panic!("{amount} is not a number: {:?}", sheet.rows[i + 1].cells[0]);
            };
            let back: rust_decimal::Decimal = text.parse().unwrap();
            assert_eq!(back, amount.parse::<rust_decimal::Decimal>().unwrap(), "{amount}");
        }
        assert_eq!(
            sheet.rows[amounts.len() + 1].cells[0],
            super::super::Cell::Text("99999999999999.99".into())
        );
        assert_eq!(
            sheet.rows[amounts.len() + 2].cells[0],
            super::super::Cell::Number("42".into())
        );
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
        assert!(styles.contains(r##"formatCode="#,##0.00""##), "{styles}");
        assert!(styles.contains(r##"formatCode="#,##0.00##""##), "{styles}");
    }

    #[test]
    fn every_stored_amount_reads_back_exactly() {
        // Whole cents up to the largest bill, sampled densely at both ends.
        let mut cents: Vec<i64> = (0..20_000).collect();
        cents.extend((0..20_000).map(|i| 99_999_999_999_999 - i));
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            cents.push((seed % 100_000_000_000_000) as i64);
        }
        for c in cents {
            let text = format!("{}.{:02}", c / 100, c % 100);
            let value = exact_number(&text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(format!("{value:.2}"), text);
        }
    }

    #[test]
    fn a_written_workbook_reads_back() {
        let bytes = simple_workbook(
            "客户",
            &["公司名称", "签约日期"],
            &[vec![
                Value::Text("甲".into()),
                Value::Date(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()),
            ]],
        )
        .unwrap();
        let sheet = super::super::read(&bytes, &super::super::tests::LIMITS).unwrap();
        assert_eq!(sheet.rows[1].cells[0], super::super::Cell::Text("甲".into()));
        assert_eq!(
            sheet.rows[1].cells[1],
            super::super::Cell::Date(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap())
        );
    }
}
