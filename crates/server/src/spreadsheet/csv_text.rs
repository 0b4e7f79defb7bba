//! CSV and tab-separated text in the encodings Excel writes: UTF-8 with or
//! without BOM, GB18030/GBK (Excel on Chinese Windows, "CSV (逗号分隔)"),
//! and UTF-16 ("Unicode 文本", tab-separated).

use std::borrow::Cow;

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};

use super::{Cell, Limits, Row, Sheet, SheetError, push_row};

const UNSUPPORTED: &str = "不支持的文件格式，请上传 .xlsx、.xls 或 .csv 文件";

/// The text of the file, decoded.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, SheetError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| SheetError::Corrupt);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Ok(UTF_16LE.decode_without_bom_handling(rest).0);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Ok(UTF_16BE.decode_without_bom_handling(rest).0);
    }
    // Text files do not hold NUL bytes; images, PDFs and the like do.
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err(SheetError::Unsupported(UNSUPPORTED));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or(SheetError::Corrupt)
}

/// Tab when the first non-blank line has more tabs than commas.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let tabs = first.matches('\t').count();
    let commas = first.matches(',').count();
    if tabs > commas { b'\t' } else { b',' }
}

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Sheet, SheetError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut sheet = Sheet::default();
    let mut record = csv::StringRecord::new();
    // The csv crate's own line count misses skipped blank lines; count the
    // newlines before each record instead, so numbers match a text editor's.
    let (mut counted_to, mut line) = (0usize, 1u32);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => return Err(SheetError::Corrupt),
        }
        if record.len() > limits.max_columns && record.iter().skip(limits.max_columns).any(|f| !f.trim().is_empty()) {
            return Err(SheetError::TooManyColumns {
                limit: limits.max_columns,
            });
        }
        // A record's position is where the reader stood before it, ahead of
        // any blank lines it skipped; step over those to the record itself.
        let mut start = record
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .min(text.len());
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += text.as_bytes()[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u32;
        counted_to = start;
        let number = line;
        let cells = record
            .iter()
            .take(limits.max_columns)
            .map(|field| {
                if field.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(field.to_string())
                }
            })
            .collect();
        push_row(&mut sheet, Row { number, cells }, limits)?;
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::super::tests::LIMITS;
    use super::*;

    fn texts(sheet: &Sheet) -> Vec<Vec<String>> {
        sheet
            .rows
            .iter()
            .map(|r| r.cells.iter().map(Cell::text).collect())
            .collect()
    }

    #[test]
    fn utf8_with_bom_reads_and_keeps_line_numbers() {
        let sheet = read("\u{feff}客户编号,公司名称\n\nC000001,甲公司\n".as_bytes(), &LIMITS).unwrap();
        assert_eq!(
            texts(&sheet),
            vec![vec!["客户编号", "公司名称"], vec!["C000001", "甲公司"]]
        );
        assert_eq!(sheet.rows[1].number, 3);
    }

    #[test]
    fn gb18030_as_excel_on_chinese_windows_writes_it_reads() {
        let (bytes, _, _) = GB18030.encode("客户编号,公司名称\r\nC000001,上海锦城物业有限公司\r\n");
        let sheet = read(&bytes, &LIMITS).unwrap();
        assert_eq!(texts(&sheet)[1], vec!["C000001", "上海锦城物业有限公司"]);
    }

    #[test]
    fn utf16_unicode_text_is_tab_separated() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "客户编号\t公司名称\r\nC1\t甲\r\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        let sheet = read(&bytes, &LIMITS).unwrap();
        assert_eq!(texts(&sheet)[1], vec!["C1", "甲"]);
    }

    #[test]
    fn quoted_fields_keep_commas_and_newlines() {
        let sheet = read("a,b\n\"x, y\",\"line1\nline2\"\n".as_bytes(), &LIMITS).unwrap();
        assert_eq!(texts(&sheet)[1], vec!["x, y", "line1\nline2"]);
    }

    #[test]
    fn binary_content_is_not_taken_for_text() {
        let bytes = b"%PDF-1.7\n\x00\x01\x02binary";
        assert!(matches!(read(bytes, &LIMITS), Err(SheetError::Unsupported(_))));
    }

    #[test]
    fn too_many_columns_are_refused() {
        let line = vec!["x"; LIMITS.max_columns + 1].join(",");
        assert_eq!(
            read(line.as_bytes(), &LIMITS).unwrap_err(),
            SheetError::TooManyColumns {
                limit: LIMITS.max_columns
            }
        );
    }

    #[test]
    fn too_many_rows_are_refused() {
        let text = "a\n".repeat(LIMITS.max_rows + 1);
        assert!(matches!(
            read(text.as_bytes(), &LIMITS),
            Err(SheetError::TooManyRows { .. })
        ));
    }
}
