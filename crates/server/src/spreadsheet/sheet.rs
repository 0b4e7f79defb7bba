//! What a read spreadsheet is: rows of [`Cell`]s, the limits a read must
//! keep, the errors it can end in, and the memory budget the readers spend
//! while they count cells. The readers (`csv_text`, `workbook`) fill it.

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
pub(super) fn blank_text(text: &str) -> bool {
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
pub(super) const ROWS_ABOVE_DATA: usize = 20;

/// Cells a sheet may hold per data row the import allows, on average: real
/// lists have 6 to 20 columns (a 100,000-row customer list of 20 columns
/// is 2,000,000 cells), so only values scattered far apart, or a sheet as
/// wide as the column limit all the way down, reach it.
pub(super) const CELLS_PER_ROW: usize = 20;

/// Most characters one cell may hold: Excel's own limit.
pub(super) const MAX_TEXT_CHARS: usize = 32_767;

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
    pub(super) fn data_rows(&self) -> usize {
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

/// Pushes a parsed row unless it is blank, enforcing the row limit.
pub(super) fn push_row(sheet: &mut Sheet, row: Row, limits: &Limits) -> Result<(), SheetError> {
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
pub(super) struct Budget {
    left: usize,
}

/// A [`Budget`] that could not pay; the caller says which limit it was.
#[derive(Debug)]
pub(super) struct Spent;

impl Budget {
    pub(super) const fn bytes(bytes: usize) -> Self {
        Budget { left: bytes }
    }

    pub(super) fn cells(cells: usize) -> Self {
        Budget::bytes(cells.saturating_mul(std::mem::size_of::<Cell>()))
    }

    /// Spends `cells` cells that each hold `text` bytes of their own text;
    /// when that is more than is left, nothing is spent.
    pub(super) fn spend(&mut self, cells: usize, text: usize) -> Result<(), Spent> {
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
pub(super) struct Tally<'a> {
    limits: &'a Limits,
    cells: Budget,
    /// The width of each row counted, but the current one.
    widths: std::collections::BTreeMap<u32, usize>,
    /// The row being counted and its width so far: a row's values come
    /// together, so most values touch only this.
    current: Option<(u32, usize)>,
}

impl<'a> Tally<'a> {
    pub(super) fn new(limits: &'a Limits) -> Self {
        Tally {
            limits,
            cells: Budget::cells(limits.max_cells()),
            widths: Default::default(),
            current: None,
        }
    }

    /// Counts a non-blank value in `column` (0-based) of row `row` (any
    /// numbering, the same for every value of a row).
    pub(super) fn value(&mut self, row: u32, column: usize) -> Result<(), SheetError> {
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
    pub(super) fn widths(mut self) -> std::collections::BTreeMap<u32, usize> {
        if let Some((row, width)) = self.current.take() {
            self.widths.insert(row, width);
        }
        self.widths
    }
}
