//! Finding the header row by its content and mapping columns to fields.
//! Staff sheets put a title ("2024年客户清单") or notes above the header,
//! order columns as they like and add columns of their own.

use super::sheet::Sheet;

/// How far down the header may be.
const SEARCH_ROWS: usize = 20;

/// A field and the header texts that name it (the canonical one first).
pub struct HeaderSpec<F> {
    pub field: F,
    pub names: &'static [&'static str],
}

/// Where the fields are, as found in the sheet.
#[derive(Debug)]
pub struct Columns<F> {
    /// Index in `sheet.rows` of the header; data rows follow it.
    pub header_index: usize,
    /// The header's row number as Excel shows it.
    pub header_row: u32,
    /// Column index → field, for the recognized columns.
    pub fields: Vec<(usize, F)>,
    /// Every header cell's text by column (for reports that echo the file).
    pub headers: Vec<String>,
    /// Problems with the header worth telling the user (unknown or repeated
    /// columns); they do not stop the import.
    pub warnings: Vec<String>,
}

impl<F: Copy> Columns<F> {
    pub fn column_of(&self, field: F) -> Option<usize>
    where
        F: PartialEq,
    {
        self.fields.iter().find(|(_, f)| *f == field).map(|(c, _)| *c)
    }
}

/// A header cell compared without spaces, required-markers or a trailing
/// colon: `* 公司名称（必填）` reads as `公司名称`.
pub fn normalize(text: &str) -> String {
    let mut t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}' && *c != '*' && *c != '＊')
        .collect();
    for marker in ["（必填）", "(必填)", "（选填）", "(选填)", "：", ":"] {
        if let Some(stripped) = t.strip_suffix(marker) {
            t = stripped.to_string();
        }
    }
    t.to_lowercase()
}

fn field_of<F: Copy>(specs: &[HeaderSpec<F>], text: &str) -> Option<F> {
    let key = normalize(text);
    if key.is_empty() {
        return None;
    }
    specs
        .iter()
        .find(|spec| spec.names.iter().any(|name| normalize(name) == key))
        .map(|spec| spec.field)
}

/// The first of the top rows that names the most known columns (at least
/// `min_matches`), and the column mapping it gives.
pub fn locate<F: Copy + PartialEq>(sheet: &Sheet, specs: &[HeaderSpec<F>], min_matches: usize) -> Option<Columns<F>> {
    let mut best: Option<(usize, usize)> = None;
    for (index, row) in sheet.rows.iter().take(SEARCH_ROWS).enumerate() {
        let matches = row
            .cells
            .iter()
            .filter(|cell| field_of(specs, &cell.text()).is_some())
            .count();
        if matches >= min_matches && best.is_none_or(|(_, most)| matches > most) {
            best = Some((index, matches));
        }
    }
    let (header_index, _) = best?;
    let row = &sheet.rows[header_index];
    let mut fields: Vec<(usize, F)> = Vec::new();
    let mut warnings = Vec::new();
    let headers: Vec<String> = row.cells.iter().map(|c| c.text().trim().to_string()).collect();
    let mut unknown = Vec::new();
    for (column, text) in headers.iter().enumerate() {
        if text.is_empty() {
            continue;
        }
        match field_of(specs, text) {
            Some(field) if fields.iter().any(|(_, f)| *f == field) => {
                warnings.push(format!("列「{text}」重复，已使用左边第一列"));
            }
            Some(field) => fields.push((column, field)),
            None => unknown.push(format!("「{text}」")),
        }
    }
    if !unknown.is_empty() {
        warnings.insert(0, format!("未识别的列 {} 已忽略", unknown.join("、")));
    }
    Some(Columns {
        header_index,
        header_row: row.number,
        fields,
        headers,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Cell, Row};
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum F {
        Code,
        Name,
        Phone,
    }

    const SPECS: [HeaderSpec<F>; 3] = [
        HeaderSpec {
            field: F::Code,
            names: &["客户编号", "编号"],
        },
        HeaderSpec {
            field: F::Name,
            names: &["公司名称", "客户名称"],
        },
        HeaderSpec {
            field: F::Phone,
            names: &["联系电话", "电话"],
        },
    ];

    fn sheet(rows: &[&[&str]]) -> Sheet {
        Sheet {
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, cells)| Row {
                    number: i as u32 + 1,
                    cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_title_row_above_the_header_is_skipped() {
        let s = sheet(&[
            &["2024年客户清单"],
            &["电话", " 客户名称* ", "微信"],
            &["13800138000", "甲", "x"],
        ]);
        let columns = locate(&s, &SPECS, 2).unwrap();
        assert_eq!(columns.header_index, 1);
        assert_eq!(columns.header_row, 2);
        assert_eq!(columns.column_of(F::Name), Some(1));
        assert_eq!(columns.column_of(F::Phone), Some(0));
        assert_eq!(columns.column_of(F::Code), None);
        assert_eq!(columns.warnings, vec!["未识别的列 「微信」 已忽略"]);
    }

    #[test]
    fn a_repeated_column_keeps_the_first_and_warns() {
        let s = sheet(&[&["公司名称", "编号", "客户名称"]]);
        let columns = locate(&s, &SPECS, 2).unwrap();
        assert_eq!(columns.column_of(F::Name), Some(0));
        assert_eq!(columns.warnings.len(), 1);
    }

    #[test]
    fn no_row_with_enough_known_headers_means_no_header() {
        let s = sheet(&[&["a", "b"], &["公司名称", "c"]]);
        assert!(locate(&s, &SPECS, 2).is_none());
    }

    #[test]
    fn required_markers_and_colons_do_not_matter() {
        assert_eq!(normalize("＊公司名称（必填）"), "公司名称");
        assert_eq!(normalize("电话："), "电话");
    }
}
