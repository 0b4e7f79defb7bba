//! Writing `.xlsx` files people open in Excel: a bold frozen header, widths
//! that fit Chinese text, dates as real dates. Large sheets use
//! rust_xlsxwriter's constant-memory mode (rows go to a temporary file as
//! they are written), so an export of 100,000 customers stays small in RAM.

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::error::AppError;

/// A worksheet cell to write.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    Blank,
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
pub fn csv_line(values: &[Value]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fields = values.iter().map(|v| match v {
        Value::Text(t) => t.clone(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Blank => String::new(),
    });
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(fields);
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
    headers: &'static [&'static str],
    rows: Vec<Vec<Value>>,
) -> Result<(Vec<u8>, String), AppError> {
    let name = format!(
        "{title}-{}.{}",
        chrono::Local::now().format("%Y%m%d-%H%M"),
        format.extension()
    );
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
    let bytes = tokio::task::spawn_blocking(move || {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name)?;
        let mut writer = SheetWriter::new(sheet, headers)?;
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
            next_row: 1,
        })
    }

    pub fn row(&mut self, values: &[Value]) -> Result<(), XlsxError> {
        let row = self.next_row;
        for (column, value) in values.iter().enumerate() {
            let column = column as u16;
            match value {
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
