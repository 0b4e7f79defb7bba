//! `.xlsx` through calamine, read cell by cell so that a sheet claiming a
//! million rows or columns never makes us allocate its bounding box, after a
//! pass over the zip that bounds what it decompresses to (zip bombs).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;

use super::{Cell, Limits, Row, Sheet, SheetError, push_row};

const NOT_A_WORKBOOK: &str = "不是 Excel 表格文件，请上传 .xlsx 或 .csv 文件";
const WORD: &str = "这是 Word 文档，不是 Excel 表格，请上传 .xlsx 或 .csv 文件";
const POWERPOINT: &str = "这是 PowerPoint 文件，不是 Excel 表格，请上传 .xlsx 或 .csv 文件";
const OLE: &str = "不支持旧版 .xls 或加密的 Excel 文件，请在 Excel 中另存为 .xlsx（不设密码）后上传";
/// More parts than any real workbook has.
const MAX_ENTRIES: usize = 10_000;

/// Old binary `.xls` and password-protected workbooks share this container.
pub(super) fn read_xls(_bytes: &[u8], _limits: &Limits) -> Result<Sheet, SheetError> {
    Err(SheetError::Unsupported(OLE))
}

/// Checks the zip is a workbook and decompresses every part once into a
/// sink, counting real bytes (the sizes in the headers may lie).
fn check_archive(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    if archive.len() > MAX_ENTRIES {
        return Err(SheetError::Corrupt);
    }
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok())
        .map(|n| n.into_owned())
        .collect();
    let has = |name: &str| names.iter().any(|n| n == name || n.starts_with(name));
    if !has("xl/workbook.xml") {
        return Err(SheetError::Unsupported(if has("word/") {
            WORD
        } else if has("ppt/") {
            POWERPOINT
        } else {
            NOT_A_WORKBOOK
        }));
    }
    let mut budget = limits.max_unpacked_bytes;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|_| SheetError::Corrupt)?;
        let read = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink()).map_err(|_| SheetError::Corrupt)?;
        if read > budget {
            return Err(SheetError::TooLargeUnpacked {
                limit_mb: limits.max_unpacked_bytes / (1024 * 1024),
            });
        }
        budget -= read;
    }
    Ok(())
}

/// The decimal text of a stored number: whole numbers without a fraction
/// (a phone typed as a number is `13800138000`, not `1.3800138E10`).
fn number_text(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

fn convert(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Int(i) => Cell::Number(i.to_string()),
        DataRef::Float(f) => Cell::Number(number_text(*f)),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(moment) => match moment.as_datetime() {
            Some(at) if moment.is_datetime() => Cell::Date(at.date()),
            _ => Cell::Number(number_text(moment.as_f64())),
        },
        DataRef::DateTimeIso(text) => text
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map_or_else(|| Cell::Text(text.clone()), Cell::Date),
        DataRef::DurationIso(text) => Cell::Text(text.clone()),
        DataRef::Error(e) => Cell::Text(format!("#{e}")),
    }
}

pub(super) fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Sheet, SheetError> {
    check_archive(bytes, limits)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    let name = book.sheet_names().first().cloned().ok_or(SheetError::NoRows)?;
    let merges = book.merge_cells_by_sheet_name(&name).map_err(|_| SheetError::Corrupt)?;
    let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    {
        let mut reader = book.worksheet_cells_reader(&name).map_err(|_| SheetError::Corrupt)?;
        while let Some(cell) = reader.next_cell().map_err(|_| SheetError::Corrupt)? {
            let (row, column) = cell.get_position();
            let value = convert(cell.get_value());
            if value.is_blank() {
                continue;
            }
            let column = column as usize;
            if column >= limits.max_columns {
                return Err(SheetError::TooManyColumns {
                    limit: limits.max_columns,
                });
            }
            let cells = rows.entry(row + 1).or_default();
            if cells.len() <= column {
                cells.resize(column + 1, Cell::Empty);
            }
            cells[column] = value;
            if rows.len() > limits.max_rows {
                return Err(SheetError::TooManyRows {
                    limit: limits.max_rows.saturating_sub(20),
                });
            }
        }
    }
    // A merged block shows its top-left value in every cell it covers, and
    // that is what a person reading the sheet takes each row to say. Blocks
    // are clipped to the rows and columns that hold data.
    let last_row = rows.keys().next_back().copied().unwrap_or(0);
    for block in merges {
        let (top, left) = block.start;
        let (bottom, right) = block.end;
        let Some(value) = rows.get(&(top + 1)).and_then(|cells| cells.get(left as usize)).cloned() else {
            continue;
        };
        let right = right.min(limits.max_columns.saturating_sub(1) as u32);
        for row in (top + 1)..=(bottom + 1).min(last_row) {
            let cells = rows.entry(row).or_default();
            if cells.len() <= right as usize {
                cells.resize(right as usize + 1, Cell::Empty);
            }
            for column in left..=right {
                cells[column as usize] = value.clone();
            }
        }
    }
    let mut sheet = Sheet::default();
    for (number, cells) in rows {
        push_row(&mut sheet, Row { number, cells }, limits)?;
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::super::tests::LIMITS;
    use super::super::write::tests::small_workbook;
    use super::*;
    use rust_xlsxwriter::{Format, Workbook};

    #[test]
    fn whole_numbers_lose_the_fraction_and_exponent() {
        assert_eq!(number_text(13800138000.0), "13800138000");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(0.1), "0.1");
    }

    #[test]
    fn a_workbook_reads_with_dates_numbers_and_row_numbers() {
        let sheet = read_xlsx(&small_workbook(), &LIMITS).unwrap();
        assert_eq!(sheet.rows[0].number, 1);
        assert_eq!(sheet.rows[0].cells[0], Cell::Text("客户编号".into()));
        // Row 2 is blank and skipped; row 3 holds the data.
        assert_eq!(sheet.rows[1].number, 3);
        assert_eq!(sheet.rows[1].cells[1], Cell::Number("13800138000".into()));
        assert_eq!(
            sheet.rows[1].cells[2],
            Cell::Date(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap())
        );
    }

    #[test]
    fn merged_cells_give_their_value_to_every_row_they_cover() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "地区").unwrap();
        sheet.write(0, 1, "公司").unwrap();
        sheet.merge_range(1, 0, 2, 0, "上海", &Format::new()).unwrap();
        sheet.write(1, 1, "甲").unwrap();
        sheet.write(2, 1, "乙").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let read = read_xlsx(&bytes, &LIMITS).unwrap();
        assert_eq!(read.rows[2].cells[0], Cell::Text("上海".into()));
        assert_eq!(read.rows[2].cells[1], Cell::Text("乙".into()));
    }

    #[test]
    fn a_cell_beyond_the_column_limit_is_refused_without_allocating_the_sheet() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "a").unwrap();
        sheet.write(1_000_000, 16_000, "far away").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(
            read_xlsx(&bytes, &LIMITS).unwrap_err(),
            SheetError::TooManyColumns {
                limit: LIMITS.max_columns
            }
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_real_decompressed_size() {
        let mut bytes = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut bytes));
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file("xl/workbook.xml", options).unwrap();
            std::io::Write::write_all(&mut zip, b"<workbook/>").unwrap();
            zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
            let zeros = vec![0u8; 1024 * 1024];
            for _ in 0..11 {
                std::io::Write::write_all(&mut zip, &zeros).unwrap();
            }
            zip.finish().unwrap();
        }
        assert!(bytes.len() < 100 * 1024, "the bomb should be small: {}", bytes.len());
        assert!(matches!(
            read_xlsx(&bytes, &LIMITS),
            Err(SheetError::TooLargeUnpacked { .. })
        ));
    }
}
