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
mod workbook;
pub mod write;

use chrono::NaiveDate;

use crate::error::AppError;

/// One cell as the importers see it. Numbers keep the decimal text Excel
/// would show (no float leaves this module), dates are real dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    /// The shortest decimal text of the stored number, e.g. `13800138000`.
    Number(String),
    Date(NaiveDate),
    Bool(bool),
}

/// Text a person would call empty: nothing, or only spaces (the
/// full-width one too).
fn blank_text(text: &str) -> bool {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}')
        .is_empty()
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => blank_text(t),
            _ => false,
        }
    }

    /// The cell as the domain's importers take a value: text, a number's
    /// exact text, or a real date.
    pub fn raw(&self) -> opcms_domain::usage::RawValue {
        use opcms_domain::usage::RawValue;
        match self {
            Cell::Empty => RawValue::Missing,
            Cell::Text(t) => RawValue::text(t.clone()),
            Cell::Number(n) => RawValue::Number(n.clone()),
            Cell::Date(d) => RawValue::Date(*d),
            Cell::Bool(b) => RawValue::Text(b.to_string()),
        }
    }

    /// The cell as text, the way a person reading the sheet would write it.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) | Cell::Number(t) => t.clone(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Bool(true) => "TRUE".into(),
            Cell::Bool(false) => "FALSE".into(),
        }
    }
}

/// A row with its number as Excel (or a text editor) shows it, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }

    pub fn cell(&self, column: usize) -> &Cell {
        self.cells.get(column).unwrap_or(&Cell::Empty)
    }
}

/// The first sheet of a workbook (or the CSV file), blank rows left out.
#[derive(Debug, Default)]
pub struct Sheet {
    pub rows: Vec<Row>,
}

/// Rows a sheet may have above its data (titles, the header) on top of
/// the import's row limit.
const ROWS_ABOVE_DATA: usize = 20;

/// Cells a sheet may hold per data row the import allows, on average: real
/// lists have 6 to 20 columns (a 100,000-row customer list of 20 columns
/// is 2,000,000 cells), so only values scattered far apart, or a sheet as
/// wide as the column limit all the way down, reach it.
const CELLS_PER_ROW: usize = 20;

/// Most characters one cell may hold: Excel's own limit.
const MAX_TEXT_CHARS: usize = 32_767;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most non-blank rows, header and title rows included.
    pub max_rows: usize,
    pub max_columns: usize,
    /// Most bytes all the parts of an `.xlsx` may decompress to.
    pub max_unpacked_bytes: u64,
}

impl Limits {
    pub fn from_config(config: &crate::Config) -> Self {
        Limits {
            max_rows: config.import_max_rows.saturating_add(ROWS_ABOVE_DATA),
            max_columns: config.import_max_columns,
            max_unpacked_bytes: config.import_max_unpacked_bytes,
        }
    }

    /// The import's own row limit, without the room above the data.
    fn data_rows(&self) -> usize {
        self.max_rows.saturating_sub(ROWS_ABOVE_DATA)
    }

    /// Most cells a sheet may be read into, each row counted as wide as
    /// its rightmost value (the empty cells left of it are made too):
    /// [`CELLS_PER_ROW`] per data row, 4,000,000 with the default limits.
    pub fn max_cells(&self) -> usize {
        self.data_rows().saturating_mul(CELLS_PER_ROW)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("文件为空")]
    Empty,
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("文件已损坏或不是有效的 Excel/CSV 文件")]
    Corrupt,
    #[error("表格解压后超过 {limit_mb} MB，可能是异常文件，已拒绝")]
    TooLargeUnpacked { limit_mb: u64 },
    #[error("表格超过 {limit} 列，请只保留需要导入的列")]
    TooManyColumns { limit: usize },
    #[error("表格超过 {limit} 行，请拆分后分批导入")]
    TooManyRows { limit: usize },
    #[error("表格中没有任何数据")]
    NoRows,
    /// A merged block taller or wider than the import limits, or merges that
    /// would copy more than the sheet may hold (named by the block that
    /// crossed the line).
    #[error("合并单元格范围过大（{range}），超过导入上限，请取消合并后再上传")]
    MergeTooLarge { range: String },
    #[error("表格中的合并单元格超过 {limit} 处，请取消合并后再上传")]
    TooManyMerges { limit: usize },
    /// More cells than [`Limits::max_cells`]: values scattered far apart
    /// (each row is as wide as its rightmost value) or a huge dense sheet.
    #[error(
        "表格内容过于分散或过多：按每行最右一个有内容的单元格计，超过 {limit} 个单元格，请删除无关的行列（或远处零星的内容）后再上传"
    )]
    TooManyCells { limit: usize },
    /// A cell's text (or any one XML token of a workbook) longer than Excel
    /// allows: read whole, one such cell cost a gigabyte.
    #[error("单元格内容过长（超过 {limit} 个字符），超出 Excel 的上限，请检查文件")]
    TextTooLong { limit: usize },
}

impl From<SheetError> for AppError {
    fn from(error: SheetError) -> Self {
        let message = error.to_string();
        let code = match error {
            SheetError::Empty => "EMPTY_FILE",
            SheetError::Unsupported(_) => "UNSUPPORTED_FILE",
            SheetError::Corrupt => "INVALID_FILE",
            SheetError::TooLargeUnpacked { .. } => return AppError::PayloadTooLarge { message },
            SheetError::TooManyColumns { .. } => "TOO_MANY_COLUMNS",
            SheetError::TooManyRows { .. } => "TOO_MANY_ROWS",
            SheetError::NoRows => "NO_DATA_ROWS",
            SheetError::MergeTooLarge { .. } => "MERGED_CELLS_TOO_LARGE",
            SheetError::TooManyMerges { .. } => "TOO_MANY_MERGED_CELLS",
            SheetError::TooManyCells { .. } => "TOO_MANY_CELLS",
            SheetError::TextTooLong { .. } => "CELL_TEXT_TOO_LONG",
        };
        match error {
            SheetError::Empty
            | SheetError::Unsupported(_)
            | SheetError::Corrupt
            | SheetError::MergeTooLarge { .. }
            | SheetError::TooManyMerges { .. }
            | SheetError::TooManyCells { .. }
            | SheetError::TextTooLong { .. } => AppError::BadRequest { code, message },
            _ => AppError::Unprocessable { code, message },
        }
    }
}

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

/// Pushes a parsed row unless it is blank, enforcing the row limit.
fn push_row(sheet: &mut Sheet, row: Row, limits: &Limits) -> Result<(), SheetError> {
    if row.is_blank() {
        return Ok(());
    }
    if sheet.rows.len() >= limits.max_rows {
        return Err(SheetError::TooManyRows {
            limit: limits.data_rows(),
        });
    }
    sheet.rows.push(row);
    Ok(())
}

/// Memory a sheet's cells may still take, spent as they are counted,
/// before they are made: a cell costs `size_of::<Cell>()` whether it holds
/// anything or not, a copied text its bytes on top. Counting a sheet's
/// cells ([`Tally`]) and spreading its merged blocks each draw on one.
#[derive(Debug, Clone, Copy)]
struct Budget {
    left: usize,
}

/// A [`Budget`] that could not pay; the caller says which limit it was.
#[derive(Debug)]
struct Spent;

impl Budget {
    const fn bytes(bytes: usize) -> Self {
        Budget { left: bytes }
    }

    fn cells(cells: usize) -> Self {
        Budget::bytes(cells.saturating_mul(std::mem::size_of::<Cell>()))
    }

    /// Spends `cells` cells that each hold `text` bytes of their own text;
    /// when that is more than is left, nothing is spent.
    fn spend(&mut self, cells: usize, text: usize) -> Result<(), Spent> {
        let cost = cells.saturating_mul(std::mem::size_of::<Cell>().saturating_add(text));
        self.left = self.left.checked_sub(cost).ok_or(Spent)?;
        Ok(())
    }
}

/// The first of two passes over a sheet, made before any of it is stored:
/// counts its non-blank rows and its cells, each row as wide as its
/// rightmost value (the empty cells left of that are made too), and stops
/// at the first value past the row, column or cell limit. So a hostile
/// sheet costs the row widths counted so far, never its cells: a few
/// hundred KB listing one value in column 1 and one in column 200 on each
/// of 200,000 rows would be 40,000,000 cells (over a gigabyte).
struct Tally<'a> {
    limits: &'a Limits,
    cells: Budget,
    /// The width of each row counted, but the current one.
    widths: std::collections::BTreeMap<u32, usize>,
    /// The row being counted and its width so far: a row's values come
    /// together, so most values touch only this.
    current: Option<(u32, usize)>,
}

impl<'a> Tally<'a> {
    fn new(limits: &'a Limits) -> Self {
        Tally {
            limits,
            cells: Budget::cells(limits.max_cells()),
            widths: Default::default(),
            current: None,
        }
    }

    /// Counts a non-blank value in `column` (0-based) of row `row` (any
    /// numbering, the same for every value of a row).
    fn value(&mut self, row: u32, column: usize) -> Result<(), SheetError> {
        if column >= self.limits.max_columns {
            return Err(SheetError::TooManyColumns {
                limit: self.limits.max_columns,
            });
        }
        let width = match &mut self.current {
            Some((counting, width)) if *counting == row => width,
            current => {
                if let Some((done, width)) = current.take() {
                    self.widths.insert(done, width);
                }
                let width = self.widths.remove(&row).unwrap_or(0);
                if self.widths.len() >= self.limits.max_rows {
                    return Err(SheetError::TooManyRows {
                        limit: self.limits.data_rows(),
                    });
                }
                &mut current.insert((row, width)).1
            }
        };
        if column >= *width {
            self.cells
                .spend(column + 1 - *width, 0)
                .map_err(|Spent| SheetError::TooManyCells {
                    limit: self.limits.max_cells(),
                })?;
            *width = column + 1;
        }
        Ok(())
    }

    /// Each row's width, by row.
    fn widths(mut self) -> std::collections::BTreeMap<u32, usize> {
        if let Some((row, width)) = self.current.take() {
            self.widths.insert(row, width);
        }
        self.widths
    }
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
