//! Reading the spreadsheets staff upload: customer lists now, usage files and
//! bank statements later. One entry point, [`read`], turns bytes into rows of
//! [`Cell`]s whatever the format (`.xlsx`, `.xls`, `.csv` in UTF-8 or GB18030)
//! and refuses anything broken, hostile or too large with a [`SheetError`]
//! that becomes a 400/413/422 with a Chinese message, never a panic.
//!
//! Nothing here knows about customers: finding the header row and mapping
//! columns is [`header`]'s job, driven by the caller's list of headers.

mod csv_text;
pub mod header;
mod sheet;
mod workbook;
pub mod write;

pub use sheet::{Cell, Limits, Row, Sheet, SheetError};

use crate::error::AppError;

/// The rows under the header found in `sheet`: at least one, at most
/// `max_rows` (the import row limit), else a 422 saying which.
pub fn data_rows<'a, F>(
    sheet: &'a Sheet,
    columns: &header::Columns<F>,
    max_rows: usize,
) -> Result<&'a [Row], AppError> {
    let data = &sheet.rows[columns.header_index + 1..];
    if data.is_empty() {
        return Err(AppError::Unprocessable {
            code: "NO_DATA_ROWS",
            message: "表格只有表头，没有数据行".into(),
        });
    }
    if data.len() > max_rows {
        return Err(AppError::Unprocessable {
            code: "TOO_MANY_ROWS",
            message: format!("表格超过 {max_rows} 行，请拆分后分批导入"),
        });
    }
    Ok(data)
}

/// What the leading bytes say the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Zip,
    Ole,
    Text,
}

fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        Format::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Ole
    } else {
        Format::Text
    }
}

/// Reads the first sheet. The format comes from the content, not the name:
/// a renamed `.docx` is refused, a `.csv` saved as `.txt` still reads.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Sheet, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    let sheet = match sniff(bytes) {
        Format::Zip => workbook::read_xlsx(bytes, limits)?,
        Format::Ole => workbook::read_xls(bytes, limits)?,
        Format::Text => csv_text::read(bytes, limits)?,
    };
    if sheet.rows.is_empty() {
        return Err(SheetError::NoRows);
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const LIMITS: Limits = Limits {
        max_rows: 1000,
        max_columns: 50,
        max_unpacked_bytes: 10 * 1024 * 1024,
    };

    #[test]
    fn an_empty_upload_is_refused() {
        assert_eq!(read(b"", &LIMITS).unwrap_err(), SheetError::Empty);
    }

    #[test]
    fn a_file_of_only_blank_lines_has_no_rows() {
        assert_eq!(read(b"\n ,, \n\n", &LIMITS).unwrap_err(), SheetError::NoRows);
    }

    #[test]
    fn a_zip_that_is_not_a_workbook_is_refused() {
        let mut bytes = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
            zip.start_file("word/document.xml", zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, b"<w:document/>").unwrap();
            zip.finish().unwrap();
        }
        assert!(matches!(read(&bytes, &LIMITS), Err(SheetError::Unsupported(_))));
    }

    // The parser's fuzz target: whatever bytes arrive, `read` answers with
    // a sheet or a `SheetError`, never a panic. Run longer with
    // `PROPTEST_CASES=100000 cargo test -p opcms --lib fuzz`.
    proptest::proptest! {
        #[test]
        fn fuzz_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            let _ = read(&bytes, &LIMITS);
        }

        #[test]
        fn fuzz_a_damaged_workbook_never_panics(
            cut in 0usize..4096,
            flips in proptest::collection::vec((0usize..8192, proptest::num::u8::ANY), 0..16),
        ) {
            let mut bytes = write::tests::small_workbook();
            for (at, value) in flips {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            bytes.truncate(bytes.len().saturating_sub(cut));
            let _ = read(&bytes, &LIMITS);
        }

        #[test]
        fn fuzz_arbitrary_text_never_panics(text in "\\PC{0,400}") {
            let _ = read(text.as_bytes(), &LIMITS);
        }
    }

    #[test]
    fn a_truncated_workbook_is_corrupt_not_a_panic() {
        let bytes = write::tests::small_workbook();
        let cut = &bytes[..bytes.len() / 2];
        assert_eq!(read(cut, &LIMITS).unwrap_err(), SheetError::Corrupt);
    }
}
