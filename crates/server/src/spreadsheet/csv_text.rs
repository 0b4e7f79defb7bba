//! CSV and tab-separated text in the encodings Excel writes: UTF-8 with or
//! without BOM, GB18030/GBK (Excel on Chinese Windows, "CSV (逗号分隔)"),
//! and UTF-16 ("Unicode 文本", tab-separated).

use std::borrow::Cow;

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};

use super::sheet::{Cell, Limits, MAX_TEXT_CHARS, Row, Sheet, SheetError, Tally, blank_text, push_row};

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

/// Calls `each` with every record of the text, in order.
fn each_record(
    text: &str,
    mut each: impl FnMut(&csv::StringRecord) -> Result<(), SheetError>,
) -> Result<(), SheetError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => each(&record)?,
            Err(_) => return Err(SheetError::Corrupt),
        }
    }
}

/// How many fields of the record a row keeps: up to its rightmost
/// non-blank one (Excel pads every line to the widest with commas).
fn width(record: &csv::StringRecord) -> usize {
    (0..record.len())
        .rev()
        .find(|&i| !blank_text(&record[i]))
        .map_or(0, |last| last + 1)
}

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Sheet, SheetError> {
    let text = decode(bytes)?;
    // Count first, store nothing: a few MB of commas would otherwise be
    // millions of cells (each costs more than the byte that made it)
    // before a limit is seen. A field longer than Excel allows would be
    // copied into the row, its issues and audit (one 19 MB field cost
    // 210 MB), so it is refused here too.
    let mut tally = Tally::new(limits);
    let mut index = 0u32;
    each_record(&text, |record| {
        if record
            .iter()
            .any(|field| field.len() > MAX_TEXT_CHARS && field.chars().count() > MAX_TEXT_CHARS)
        {
            return Err(SheetError::TextTooLong { limit: MAX_TEXT_CHARS });
        }
        if let Some(last) = width(record).checked_sub(1) {
            tally.value(index, last)?;
        }
        index = index.saturating_add(1);
        Ok(())
    })?;
    drop(tally);
    let mut sheet = Sheet::default();
    // The csv crate's own line count misses skipped blank lines; count the
    // newlines before each record instead, so numbers match a text editor's.
    let (mut counted_to, mut line) = (0usize, 1u32);
    each_record(&text, |record| {
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
        let cells = record
            .iter()
            .take(width(record))
            .map(|field| {
                if field.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(field.to_string())
                }
            })
            .collect();
        push_row(&mut sheet, Row { number: line, cells }, limits)
    })?;
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

    /// Excel pads every line to the widest with commas; a row keeps only
    /// its fields up to the rightmost non-blank one.
    #[test]
    fn a_row_ends_at_its_rightmost_value() {
        let sheet = read("a,b,,,\n,c, ,\u{3000}\n".as_bytes(), &LIMITS).unwrap();
        assert_eq!(texts(&sheet), vec![vec!["a", "b"], vec!["", "c"]]);
    }

    /// Commas cost a byte each but made a cell each (32 bytes and more):
    /// 20 MB of them, within the upload limit, were 20,000,000 cells. The
    /// file is counted first and refused before any row is stored.
    #[test]
    fn commas_spreading_values_apart_are_refused_once_the_rows_hold_too_many_cells() {
        let limit = LIMITS.max_cells();
        let line = format!("x{}y\n", ",".repeat(LIMITS.max_columns - 1));
        let text = line.repeat(limit / LIMITS.max_columns + 1);
        assert_eq!(
            read(text.as_bytes(), &LIMITS).unwrap_err(),
            SheetError::TooManyCells { limit }
        );
        let dense = format!("{}\n", vec!["1"; LIMITS.max_columns].join(",")).repeat(limit / LIMITS.max_columns + 1);
        assert_eq!(
            read(dense.as_bytes(), &LIMITS).unwrap_err(),
            SheetError::TooManyCells { limit }
        );
        let sheet = read(line.repeat(limit / LIMITS.max_columns).as_bytes(), &LIMITS).unwrap();
        assert_eq!(sheet.rows.iter().map(|r| r.cells.len()).sum::<usize>(), limit);
    }

    proptest::proptest! {
        /// Wherever a file's values are, its rows keep their fields up to
        /// the rightmost value and no more, or the file is refused exactly
        /// when those add up past the cell limit.
        #[test]
        fn fuzz_a_file_is_its_rows_widths_or_refused(
            cells in proptest::collection::vec((0usize..40, 0usize..50, "[a-z ]{0,2}"), 0..120),
        ) {
            // 20 data rows: 400 cells.
            let limits = Limits { max_rows: 40, ..LIMITS };
            let mut grid = vec![Vec::<String>::new(); 40];
            for (row, column, value) in &cells {
                let line = &mut grid[*row];
                if line.len() <= *column {
                    line.resize(column + 1, String::new());
                }
                line[*column] = value.clone();
            }
            let widths: Vec<usize> = grid
                .iter()
                .map(|line| line.iter().rposition(|v| !v.trim().is_empty()).map_or(0, |last| last + 1))
                .filter(|width| *width > 0)
                .collect();
            let total: usize = widths.iter().sum();
            let text: String = grid.iter().map(|line| format!("{}\n", line.join(","))).collect();
            match read(text.as_bytes(), &limits) {
                Ok(sheet) => {
                    proptest::prop_assert!(total <= limits.max_cells());
                    let read: Vec<usize> = sheet.rows.iter().map(|r| r.cells.len()).collect();
                    proptest::prop_assert_eq!(read, widths);
                }
                Err(error) => {
                    proptest::prop_assert!(total > limits.max_cells(), "{error:?} with {total} cells");
                    proptest::prop_assert_eq!(error, SheetError::TooManyCells { limit: limits.max_cells() });
                }
            }
        }
    }

    #[test]
    fn a_field_longer_than_excel_allows_is_refused() {
        let file = |field: String| format!("客户编号,公司名称\nC1,\"{field}\"\n").into_bytes();
        let sheet = read(&file("客,".repeat(MAX_TEXT_CHARS / 2) + "客"), &LIMITS).unwrap();
        assert_eq!(texts(&sheet)[1][1].chars().count(), MAX_TEXT_CHARS);
        assert_eq!(
            read(&file("客".repeat(MAX_TEXT_CHARS + 1)), &LIMITS).unwrap_err(),
            SheetError::TextTooLong { limit: MAX_TEXT_CHARS }
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
