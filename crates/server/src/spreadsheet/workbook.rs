//! `.xlsx` through calamine, read cell by cell (counted in a first pass,
//! stored in a second) so that neither a sheet claiming a million rows or
//! columns nor values scattered far apart make us allocate their bounding
//! box, after a pass over the zip that bounds what it decompresses to (zip
//! bombs) and how many merged blocks a worksheet lists.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use calamine::{DataRef, Dimensions, Reader, Xlsx};
use chrono::NaiveDate;

use super::sheet::{Budget, Cell, Limits, MAX_TEXT_CHARS, Row, Sheet, SheetError, Spent, Tally, blank_text, push_row};

const NOT_A_WORKBOOK: &str = "不是 Excel 表格文件，请上传 .xlsx 或 .csv 文件";
const WORD: &str = "这是 Word 文档，不是 Excel 表格，请上传 .xlsx 或 .csv 文件";
const POWERPOINT: &str = "这是 PowerPoint 文件，不是 Excel 表格，请上传 .xlsx 或 .csv 文件";
const OLE: &str = "不支持旧版 .xls 或加密的 Excel 文件，请在 Excel 中另存为 .xlsx（不设密码）后上传";
/// More parts than any real workbook has.
const MAX_ENTRIES: usize = 10_000;
/// Merged blocks a sheet may list, per row the import allows: a bank
/// statement merging a few cells on every line stays well inside.
const MERGES_PER_ROW: usize = 4;
/// Most bytes the copies of merged values may add to the sheet (each copy
/// costs a cell and its text): a region merged over 200,000 rows is ~10 MB.
const MERGE_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// Most merged blocks one sheet may list.
/// Values kept from the counting pass (about 50 bytes each, so a few MB)
/// rather than reading the sheet a second time: the 1,320-row customer list
/// holds ~24,000; a sheet with more is read twice.
const KEEP_AT_MOST: usize = 200_000;

fn max_merges(limits: &Limits) -> usize {
    limits.max_rows.saturating_mul(MERGES_PER_ROW)
}

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
        // calamine finds parts by their names lowercased, `\` read as `/`.
        let shared_strings = entry.name().map_or(true, |name| {
            name.replace('\\', "/")
                .to_ascii_lowercase()
                .ends_with("sharedstrings.xml")
        });
        let mut part = Part {
            inner: entry.take(budget + 1),
            read: 0,
            tags: MergeTags::default(),
            tokens: Tokens::default(),
        };
        if shared_strings {
            check_shared_strings(&mut part, limits)?;
        }
        let copied = std::io::copy(&mut part, &mut std::io::sink());
        if part.tokens.too_long && part.tokens.xml {
            return Err(SheetError::TextTooLong { limit: MAX_TEXT_CHARS });
        }
        copied.map_err(|_| SheetError::Corrupt)?;
        if part.read > budget {
            return Err(SheetError::TooLargeUnpacked {
                limit_mb: limits.max_unpacked_bytes / (1024 * 1024),
            });
        }
        if part.tokens.too_long {
            return Err(SheetError::TextTooLong { limit: MAX_TEXT_CHARS });
        }
        budget -= part.read;
        // calamine collects every block of a sheet before we see one: a
        // sheet listing millions would cost memory and time first. A block
        // is `<mergeCell …/>` or `<mergeCell …></mergeCell>`, inside one
        // `<mergeCells>`, so at most twice the blocks plus two. Every part
        // is counted: the workbook may name any part as its sheet.
        if part.tags.count > max_merges(limits).saturating_mul(2).saturating_add(2) {
            return Err(SheetError::TooManyMerges {
                limit: max_merges(limits),
            });
        }
    }
    Ok(())
}

/// A zip part as it decompresses: its bytes counted and searched for
/// `mergeCell`, whoever reads it.
struct Part<R> {
    inner: R,
    read: u64,
    tags: MergeTags,
    tokens: Tokens,
}

impl<R: Read> Read for Part<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.read += read as u64;
        self.tags.write_all(&buf[..read])?;
        self.tokens.feed(&buf[..read]);
        // A token too long in XML ends the read here, before whoever reads
        // the part holds it; elsewhere only once the part is counted.
        if self.tokens.too_long && self.tokens.xml {
            return Err(std::io::Error::other("token too long"));
        }
        Ok(read)
    }
}

/// Most bytes one XML token (a tag, a text run, a comment) may take: far
/// more than a legal cell's text, and all calamine ever holds of one.
const MAX_TOKEN_BYTES: u64 = 4 * 1024 * 1024;

/// Where [`Tokens`] stands in the XML.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Lexing {
    /// Before the first byte that is not a BOM or blank.
    #[default]
    Start,
    Text,
    /// Inside `&…;`.
    Reference,
    /// After `<`, reading what kind of markup it opens.
    Open,
    Tag,
    /// Inside a quoted attribute value.
    Quoted(u8),
    Comment,
    CData,
    Instruction,
    /// `<!DOCTYPE …>`, read to its balancing `>` (at this depth).
    Declaration(u32),
}

/// calamine reads a part one XML token at a time into memory and joins the
/// runs of a string into one text, so a 293 KB upload holding one 300 MB
/// cell cost every import 4 to 5.5 s and over a gigabyte. This follows the
/// XML byte by byte as the part decompresses, holding nothing: no token may
/// pass [`MAX_TOKEN_BYTES`], and in a part that begins as XML no text (the
/// text of one element, or of a shared or inline string `<si>`/`<is>` with
/// all its runs) may pass Excel's [`MAX_TEXT_CHARS`]. A part that does not
/// begin as XML (an image) may hold long runs with no `<`; only the token
/// bound applies to it, once its size is checked (a zip bomb of zeros is
/// answered as one).
#[derive(Default)]
struct Tokens {
    lexing: Lexing,
    xml: bool,
    /// Bytes of the token being read.
    bytes: u64,
    /// Characters of the text being read.
    chars: usize,
    in_string: bool,
    /// The start of the markup being read: its kind, then a tag's name.
    head: Vec<u8>,
    /// The last two bytes, to find the end of a comment or CDATA.
    last: [u8; 2],
    too_long: bool,
}

impl Tokens {
    fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.bytes += 1;
            match self.lexing {
                Lexing::Start if byte.is_ascii_whitespace() || matches!(byte, 0xEF | 0xBB | 0xBF) => {}
                Lexing::Start => {
                    self.xml = byte == b'<';
                    self.lexing = Lexing::Text;
                    self.text(byte);
                }
                Lexing::Text => self.text(byte),
                Lexing::Reference if byte == b';' => self.lexing = Lexing::Text,
                Lexing::Reference if byte == b'<' => self.text(byte),
                Lexing::Reference => {}
                Lexing::Open => self.open(byte),
                Lexing::Tag => match byte {
                    b'"' | b'\'' => self.lexing = Lexing::Quoted(byte),
                    b'>' => self.close_tag(),
                    _ if self.head.len() < 16 => self.head.push(byte),
                    _ => {}
                },
                Lexing::Quoted(quote) if byte == quote => self.lexing = Lexing::Tag,
                Lexing::Quoted(_) => {}
                Lexing::Comment if byte == b'>' && self.last == *b"--" => self.end_token(),
                Lexing::CData if byte == b'>' && self.last == *b"]]" => self.end_token(),
                Lexing::CData => self.chars += usize::from(byte & 0xC0 != 0x80),
                Lexing::Instruction if byte == b'>' && self.last[1] == b'?' => self.end_token(),
                Lexing::Declaration(depth) => match byte {
                    b'<' => self.lexing = Lexing::Declaration(depth + 1),
                    b'>' if depth == 0 => self.end_token(),
                    b'>' => self.lexing = Lexing::Declaration(depth - 1),
                    _ => {}
                },
                Lexing::Comment | Lexing::Instruction => {}
            }
            self.last = [self.last[1], byte];
            if self.bytes > MAX_TOKEN_BYTES || (self.xml && self.chars > MAX_TEXT_CHARS) {
                self.too_long = true;
            }
        }
    }

    /// A byte of text: a character unless it continues one.
    fn text(&mut self, byte: u8) {
        match byte {
            b'<' => {
                self.lexing = Lexing::Open;
                self.bytes = 1;
                self.head.clear();
            }
            b'&' => {
                self.lexing = Lexing::Reference;
                self.chars += 1;
            }
            _ => self.chars += usize::from(byte & 0xC0 != 0x80),
        }
    }

    fn open(&mut self, byte: u8) {
        self.head.push(byte);
        self.lexing = match &self.head[..] {
            b"!--" => Lexing::Comment,
            b"![CDATA[" => Lexing::CData,
            b"?" => Lexing::Instruction,
            b"!" | b"!-" | b"![" | b"![C" | b"![CD" | b"![CDA" | b"![CDAT" | b"![CDATA" => Lexing::Open,
            [b'!', ..] => Lexing::Declaration(0),
            _ => {
                // Not a comment or CDATA after all: read on as a tag.
                self.lexing = Lexing::Tag;
                if byte == b'>' {
                    self.head.pop();
                    self.close_tag();
                }
                return;
            }
        };
    }

    /// The end of a tag: a string starts or ends, or the text between tags
    /// does.
    fn close_tag(&mut self) {
        let closing = self.head.first() == Some(&b'/');
        let name = self.head[usize::from(closing)..]
            .split(|b| b.is_ascii_whitespace() || *b == b'/')
            .next()
            .unwrap_or_default();
        let local = name.rsplit(|b| *b == b':').next().unwrap_or_default();
        let string = matches!(local, b"si" | b"is");
        let empty = self.last[1] == b'/';
        if string {
            self.in_string = !closing && !empty;
        }
        if !self.in_string {
            self.chars = 0;
        }
        self.end_token();
    }

    fn end_token(&mut self) {
        self.lexing = Lexing::Text;
        self.bytes = 0;
    }
}

/// calamine reserves room for as many shared strings as the table's
/// `uniqueCount` says before it reads one (a number in the file: a 2 KB
/// file saying 10^17 made the process abort), then keeps every `<si>` (an
/// empty one costs 24 bytes for 5 in the file). Both are checked against
/// the cell limit before calamine opens the table, with calamine's reader
/// and settings, so both stop where it would.
fn check_shared_strings(part: impl Read, limits: &Limits) -> Result<(), SheetError> {
    use quick_xml::events::Event;
    let too_many = || SheetError::TooManyCells {
        limit: limits.max_cells(),
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut strings = 0usize;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                if claimed_count(e.attributes_raw()) > limits.max_cells() as u64 {
                    return Err(too_many());
                }
            }
            Ok(Event::Start(e)) if e.local_name().as_ref() == "si" => {
                strings += 1;
                if strings > limits.max_cells() {
                    return Err(too_many());
                }
            }
            // calamine stops reading the table where this reader does.
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// The largest number any `uniqueCount="…"` in the attributes says
/// (leading zeros allowed, as calamine reads it; too long to count is
/// `u64::MAX`); text that is not a number is not one.
fn claimed_count(attributes: &str) -> u64 {
    let bytes = attributes.as_bytes();
    let skip_space = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    };
    let mut most = 0;
    for (start, _) in attributes.match_indices("uniqueCount") {
        let at = skip_space(start + "uniqueCount".len());
        if bytes.get(at) != Some(&b'=') {
            continue;
        }
        let at = skip_space(at + 1);
        let Some(&quote) = bytes.get(at).filter(|q| matches!(q, b'"' | b'\'')) else {
            continue;
        };
        let value = bytes[at + 1..].split(|&b| b == quote).next().unwrap_or_default();
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            continue;
        }
        let digits = std::str::from_utf8(value).unwrap_or_default().trim_start_matches('0');
        most = most.max(
            digits
                .parse::<u64>()
                .unwrap_or(if digits.is_empty() { 0 } else { u64::MAX }),
        );
    }
    most
}

/// A sink counting the `mergeCell` names in what passes through it,
/// matches across write boundaries included.
#[derive(Default)]
struct MergeTags {
    count: usize,
    /// The last bytes seen, shorter than the name.
    carry: Vec<u8>,
}

const MERGE_TAG: &[u8] = b"mergeCell";

fn occurrences(haystack: &[u8]) -> usize {
    let mut count = 0;
    let mut from = 0;
    while let Some(at) = haystack[from..].iter().position(|&b| b == MERGE_TAG[0]) {
        let start = from + at;
        if haystack[start..].starts_with(MERGE_TAG) {
            count += 1;
        }
        from = start + 1;
    }
    count
}

impl Write for MergeTags {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let keep = MERGE_TAG.len() - 1;
        // Carry and head are each shorter than the name, so a match in
        // their join spans the boundary and is not counted again below.
        let mut seam = std::mem::take(&mut self.carry);
        seam.extend_from_slice(&buf[..buf.len().min(keep)]);
        self.count += occurrences(&seam) + occurrences(buf);
        let tail = if buf.len() >= keep { buf } else { &seam[..] };
        self.carry = tail[tail.len().saturating_sub(keep)..].to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

/// `A1`-style name of a 0-based cell.
fn cell_name(row: u32, column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(column) + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), u64::from(row) + 1)
}

/// A merged block shows its top-left value in every cell it covers, and
/// that is what a person reading the sheet takes each row to say. So each
/// block's value is copied into the rows it covers that hold data (never
/// every row number it spans) and the columns up to the rightmost holding
/// data. A block taller or wider than the limits is refused, repeated
/// blocks count once, and the copies together may add at most
/// [`MERGE_BUDGET_BYTES`]: blocks from Excel never overlap, so they cover
/// each cell at most once, and overlapping ones from elsewhere run out of
/// budget instead of memory.
fn spread_merges(
    rows: &mut BTreeMap<u32, Vec<Cell>>,
    merges: Vec<Dimensions>,
    limits: &Limits,
) -> Result<(), SheetError> {
    if merges.len() > max_merges(limits) {
        return Err(SheetError::TooManyMerges {
            limit: max_merges(limits),
        });
    }
    // (top, left, bottom, right), 0-based, corners in order whatever the
    // file said.
    let mut blocks: Vec<(u32, u32, u32, u32)> = merges
        .iter()
        .map(|d| {
            let (top, bottom) = (d.start.0.min(d.end.0), d.start.0.max(d.end.0));
            let (left, right) = (d.start.1.min(d.end.1), d.start.1.max(d.end.1));
            (top, left, bottom, right)
        })
        .collect();
    drop(merges);
    let name = |&(top, left, bottom, right): &(u32, u32, u32, u32)| {
        format!("{}:{}", cell_name(top, left), cell_name(bottom, right))
    };
    for block in &blocks {
        let (top, left, bottom, right) = *block;
        let height = u64::from(bottom - top) + 1;
        let width = u64::from(right - left) + 1;
        if height > limits.max_rows as u64 || width > limits.max_columns as u64 {
            return Err(SheetError::MergeTooLarge { range: name(block) });
        }
    }
    blocks.sort_unstable();
    blocks.dedup();
    let data_width = rows.values().map(Vec::len).max().unwrap_or(0);
    let Some(last_column) = data_width.checked_sub(1) else {
        return Ok(());
    };
    let mut budget = Budget::bytes(MERGE_BUDGET_BYTES);
    for block in &blocks {
        let (top, left, bottom, right) = *block;
        let (first_row, last_row) = (top.saturating_add(1), bottom.saturating_add(1));
        let (left, right) = (left as usize, (right as usize).min(last_column));
        let Some(value) = rows.get(&first_row).and_then(|cells| cells.get(left)).cloned() else {
            continue;
        };
        if value.is_blank() || left > right {
            continue;
        }
        let text = match &value {
            Cell::Text(t) | Cell::Number(t) => t.len(),
            _ => 0,
        };
        for (_, cells) in rows.range_mut(first_row..=last_row) {
            let grown = (right + 1).saturating_sub(cells.len());
            budget
                .spend(grown, 0)
                .and_then(|()| budget.spend(right - left + 1, text))
                .map_err(|Spent| SheetError::MergeTooLarge { range: name(block) })?;
            if grown > 0 {
                cells.resize(right + 1, Cell::Empty);
            }
            for cell in &mut cells[left..=right] {
                cell.clone_from(&value);
            }
        }
    }
    Ok(())
}

/// Whether the value reads as a blank cell, without making the cell.
fn blank(value: &DataRef<'_>) -> bool {
    match value {
        DataRef::Empty => true,
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => blank_text(text),
        DataRef::SharedString(text) => blank_text(text),
        _ => false,
    }
}

/// Calls `each` with the 0-based position and value of every non-blank
/// cell of the sheet, in the order the file lists them.
fn each_value(
    book: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    mut each: impl FnMut(u32, usize, &DataRef<'_>) -> Result<(), SheetError>,
) -> Result<(), SheetError> {
    let mut reader = book.worksheet_cells_reader(name).map_err(|_| SheetError::Corrupt)?;
    while let Some(cell) = reader.next_cell().map_err(|_| SheetError::Corrupt)? {
        let value = cell.get_value();
        if !blank(value) {
            let (row, column) = cell.get_position();
            each(row, column as usize, value)?;
        }
    }
    Ok(())
}

pub(super) fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Sheet, SheetError> {
    read_xlsx_keeping(bytes, limits, KEEP_AT_MOST)
}

fn read_xlsx_keeping(bytes: &[u8], limits: &Limits, keep_at_most: usize) -> Result<Sheet, SheetError> {
    check_archive(bytes, limits)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    let name = book.sheet_names().first().cloned().ok_or(SheetError::NoRows)?;
    // Count the sheet before storing any of it, then make exactly the
    // cells counted (rows as wide as their rightmost value) and fill them.
    // The values of a sheet of ordinary size are kept, in a list that costs
    // only what they are, while counting; a bigger sheet is read again
    // instead, so a hostile one never costs more than that list.
    let mut tally = Tally::new(limits);
    let mut kept: Option<Vec<(u32, usize, Cell)>> = Some(Vec::new());
    each_value(&mut book, &name, |row, column, value| {
        tally.value(row, column)?;
        if kept.as_ref().is_some_and(|list| list.len() >= keep_at_most) {
            kept = None;
        } else if let Some(list) = kept.as_mut() {
            list.push((row, column, convert(value)));
        }
        Ok(())
    })?;
    let mut rows: BTreeMap<u32, Vec<Cell>> = tally
        .widths()
        .into_iter()
        .map(|(row, width)| (row.saturating_add(1), vec![Cell::Empty; width]))
        .collect();
    // Every value lands in a cell the count made.
    let mut place = |row: u32, column: usize, value: Cell| {
        if let Some(cell) = rows
            .get_mut(&row.saturating_add(1))
            .and_then(|cells| cells.get_mut(column))
        {
            *cell = value;
        }
    };
    match kept {
        Some(list) => list
            .into_iter()
            .for_each(|(row, column, value)| place(row, column, value)),
        // The same reader over the same bytes.
        None => each_value(&mut book, &name, |row, column, value| {
            place(row, column, convert(value));
            Ok(())
        })?,
    }
    let merges = book.merge_cells_by_sheet_name(&name).map_err(|_| SheetError::Corrupt)?;
    spread_merges(&mut rows, merges, limits)?;
    let mut sheet = Sheet::default();
    for (number, cells) in rows {
        push_row(&mut sheet, Row { number, cells }, limits)?;
    }
    Ok(sheet)
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::LIMITS;
    use super::super::write::tests::small_workbook;
    use super::*;
    use rust_xlsxwriter::{Format, Workbook};

    #[test]
    fn a_sheet_reads_the_same_whether_its_values_are_kept_or_read_twice() {
        let cells: Vec<(u32, u32, String)> = (0..40u32)
            .flat_map(|r| [(r, 0, format!("甲{r}")), (r, (r % 5) + 1, r.to_string())])
            .collect();
        for bytes in [small_workbook(), raw_workbook(&cells, &["A3:A6".to_string()])] {
            let kept = read_xlsx_keeping(&bytes, &LIMITS, usize::MAX).unwrap();
            let twice = read_xlsx_keeping(&bytes, &LIMITS, 0).unwrap();
            let partly = read_xlsx_keeping(&bytes, &LIMITS, 7).unwrap();
            assert_eq!(kept.rows, twice.rows);
            assert_eq!(kept.rows, partly.rows);
            assert!(!kept.rows.is_empty());
        }
    }

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

    /// An `.xlsx` written by hand, so a test can say what no writer would:
    /// repeated, overlapping or countless merged blocks. `cells` are
    /// (row, column, text), 0-based; `merges` are `ref`s like `A1:B2`.
    pub(crate) fn raw_workbook(cells: &[(u32, u32, String)], merges: &[String]) -> Vec<u8> {
        raw_package("xl/worksheets/sheet1.xml", cells, merges, &[])
    }

    /// [`raw_workbook`] with its sheet stored at `sheet` and `extra` parts
    /// (name, content) added.
    fn raw_package(sheet: &str, cells: &[(u32, u32, String)], merges: &[String], extra: &[(&str, String)]) -> Vec<u8> {
        use std::fmt::Write as _;
        let mut sorted: Vec<&(u32, u32, String)> = cells.iter().collect();
        sorted.sort_by_key(|(row, column, _)| (*row, *column));
        let mut data = String::new();
        let mut open: Option<u32> = None;
        for (row, column, text) in sorted {
            if open != Some(*row) {
                if open.is_some() {
                    data.push_str("</row>");
                }
                let _ = write!(data, r#"<row r="{}">"#, row + 1);
                open = Some(*row);
            }
            let _ = write!(
                data,
                r#"<c r="{}" t="inlineStr"><is><t>{text}</t></is></c>"#,
                cell_name(*row, *column)
            );
        }
        if open.is_some() {
            data.push_str("</row>");
        }
        let mut merged = String::new();
        if !merges.is_empty() {
            let _ = write!(merged, r#"<mergeCells count="{}">"#, merges.len());
            for range in merges {
                let _ = write!(merged, r#"<mergeCell ref="{range}"/>"#);
            }
            merged.push_str("</mergeCells>");
        }
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/{sheet}"/></Relationships>"#),
            ),
            (
                sheet,
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData>{merged}</worksheet>"#
                ),
            ),
        ];
        let mut bytes = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut bytes));
            let options = zip::write::SimpleFileOptions::default();
            for (name, text) in parts.iter().chain(extra) {
                zip.start_file(*name, options).unwrap();
                zip.write_all(text.as_bytes()).unwrap();
            }
            zip.finish().unwrap();
        }
        bytes
    }

    fn text(value: &str) -> Cell {
        Cell::Text(value.into())
    }

    #[test]
    fn cells_are_named_as_excel_names_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 19), "T1048576");
        assert_eq!(cell_name(u32::MAX, 16_383), "XFD4294967296");
    }

    /// The reviewer's file: A1:T1048576 merged, one more value in the last
    /// row. The old reader copied the block into every row number it spans
    /// (a gigabyte) before counting rows.
    #[test]
    fn a_block_merged_down_to_the_last_row_is_refused_naming_it() {
        for range in ["A1:T1048576", "A1:BH1048576"] {
            let cells = [(0, 0, "地区".to_string()), (1_048_575, 1, "x".to_string())];
            let bytes = raw_workbook(&cells, &[range.to_string()]);
            assert!(bytes.len() < 2 * 1024, "the bomb is small: {}", bytes.len());
            let error = read_xlsx(&bytes, &LIMITS).unwrap_err();
            assert_eq!(error, SheetError::MergeTooLarge { range: range.into() });
            assert_eq!(
                error.to_string(),
                format!("合并单元格范围过大（{range}），超过导入上限，请取消合并后再上传")
            );
        }
    }

    #[test]
    fn a_block_wider_than_the_column_limit_is_refused() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.merge_range(0, 0, 1, 59, "标题", &Format::new()).unwrap();
        sheet.write(2, 0, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(
            read_xlsx(&bytes, &LIMITS).unwrap_err(),
            SheetError::MergeTooLarge { range: "A1:BH2".into() }
        );
    }

    #[test]
    fn a_merged_block_fills_only_rows_and_columns_that_hold_data() {
        // A1:T900 merged; data only in rows 1, 5 and 900, and no further
        // right than column C.
        let cells = vec![
            (0, 0, "上海".to_string()),
            (4, 2, "甲".to_string()),
            (899, 1, "乙".to_string()),
        ];
        let bytes = raw_workbook(&cells, &["A1:T900".into()]);
        let sheet = read_xlsx(&bytes, &LIMITS).unwrap();
        let numbers: Vec<u32> = sheet.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 5, 900]);
        for row in &sheet.rows {
            assert_eq!(row.cells, vec![text("上海"); 3], "row {}", row.number);
        }
    }

    /// The same block listed thousands of times is one block; past the
    /// bound on blocks the file is refused, whatever it repeats.
    #[test]
    fn repeated_merge_blocks_count_once_and_their_number_is_bounded() {
        let cells: Vec<(u32, u32, String)> = (0..900)
            .map(|row| (row, 19, format!("r{row}")))
            .chain([(0, 0, "上海".to_string())])
            .collect();
        let once = read_xlsx(&raw_workbook(&cells, &["A1:T900".into()]), &LIMITS).unwrap();
        let repeated = read_xlsx(&raw_workbook(&cells, &vec!["A1:T900".to_string(); 3_000]), &LIMITS).unwrap();
        assert_eq!(repeated.rows, once.rows);
        assert_eq!(once.rows[899].cells[18], text("上海"));

        let limit = max_merges(&LIMITS);
        assert_eq!(
            read_xlsx(&raw_workbook(&cells, &vec!["A1:T900".to_string(); limit + 1]), &LIMITS).unwrap_err(),
            SheetError::TooManyMerges { limit }
        );
        // Far more than calamine should ever collect is refused while the
        // zip is checked, before calamine lists them.
        assert_eq!(
            read_xlsx(&raw_workbook(&cells, &vec!["A1:A2".to_string(); 3 * limit]), &LIMITS).unwrap_err(),
            SheetError::TooManyMerges { limit }
        );
    }

    /// Overlapping blocks (no spreadsheet program writes them) cover cells
    /// again and again; the copies run out of budget, not memory.
    #[test]
    fn overlapping_blocks_are_refused_when_their_copies_outgrow_the_budget() {
        // 1,000 rows, one of them 50 wide: the merges widen the rest.
        let cells: Vec<(u32, u32, String)> = (1..1000)
            .map(|row| (row, 0, "x".to_string()))
            .chain([(0, 0, "上海".to_string()), (0, 49, "x".to_string())])
            .collect();
        let merges: Vec<String> = (0..1000).map(|k| format!("A1:AX{}", 1000 - k)).collect();
        assert!(matches!(
            read_xlsx(&raw_workbook(&cells, &merges), &LIMITS),
            Err(SheetError::MergeTooLarge { .. })
        ));
    }

    /// The review's sibling hole: a row is as wide as its rightmost value,
    /// so one value in the first column and one in the last allowed, on
    /// enough rows, made rows x limit cells (40,000,000 with the default
    /// limits, over a gigabyte) before anything was refused.
    #[test]
    fn values_far_apart_are_refused_once_their_rows_hold_too_many_cells() {
        let limit = LIMITS.max_cells();
        let last = LIMITS.max_columns as u32 - 1;
        let rows = (limit / LIMITS.max_columns + 1) as u32;
        let cells: Vec<(u32, u32, String)> = (0..rows)
            .flat_map(|row| [(row, 0, "x".to_string()), (row, last, "y".to_string())])
            .collect();
        let error = read_xlsx(&raw_workbook(&cells, &[]), &LIMITS).unwrap_err();
        assert_eq!(error, SheetError::TooManyCells { limit });
        assert_eq!(
            error.to_string(),
            format!(
                "表格内容过于分散或过多：按每行最右一个有内容的单元格计，超过 {limit} 个单元格，请删除无关的行列（或远处零星的内容）后再上传"
            )
        );
    }

    /// Up to the limit a sheet reads, into exactly the cells counted; one
    /// cell more and it is refused, dense or not.
    #[test]
    fn a_sheet_is_read_into_exactly_the_cells_counted_up_to_the_limit() {
        let limit = LIMITS.max_cells();
        let width = LIMITS.max_columns;
        let full: Vec<(u32, u32, String)> = (0..limit)
            .map(|n| ((n / width) as u32, (n % width) as u32, format!("v{n}")))
            .collect();
        assert_eq!(limit % width, 0, "the test fills whole rows");
        let sheet = read_xlsx(&raw_workbook(&full, &[]), &LIMITS).unwrap();
        assert_eq!(sheet.rows.iter().map(|r| r.cells.len()).sum::<usize>(), limit);
        assert_eq!(sheet.rows[3].cells[7], text(&format!("v{}", 3 * width + 7)));

        let mut over = full;
        over.push(((limit / width) as u32, 0, "one more".into()));
        assert_eq!(
            read_xlsx(&raw_workbook(&over, &[]), &LIMITS).unwrap_err(),
            SheetError::TooManyCells { limit }
        );
    }

    /// A shared string table as Excel writes it, saying `unique_count` and
    /// listing `strings`.
    fn shared_strings(unique_count: &str, strings: &[&str]) -> (&'static str, String) {
        let listed: String = strings.iter().map(|s| format!("<si><t>{s}</t></si>")).collect();
        (
            "xl/sharedStrings.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{}" uniqueCount="{unique_count}">{listed}</sst>"#,
                strings.len()
            ),
        )
    }

    /// calamine reserves room for as many shared strings as `uniqueCount`
    /// says before reading one: a 1.8 KB file saying 10^17 made the server
    /// process abort ("memory allocation of 2400000000000000000 bytes
    /// failed"), whichever import it was sent to.
    #[test]
    fn a_shared_string_table_claiming_more_strings_than_cells_is_refused_before_it_is_read() {
        let limit = LIMITS.max_cells();
        let cells = [(0, 0, "客户编号".to_string())];
        let read = |unique_count: &str| {
            let sst = shared_strings(unique_count, &["客户编号"]);
            read_xlsx(&raw_package("xl/worksheets/sheet1.xml", &cells, &[], &[sst]), &LIMITS)
        };
        for claim in [
            "100000000000000000",
            "99999999999999999999999",
            &(limit + 1).to_string(),
            "00019601",
        ] {
            assert_eq!(read(claim).unwrap_err(), SheetError::TooManyCells { limit }, "{claim}");
        }
        assert!(read(&limit.to_string()).is_ok());
        assert!(read("many").is_ok(), "calamine ignores a count that is no number");
        // A prefixed table, another spelling, the part's name in capitals.
        let prefixed = (
            "XL/SharedStrings.xml",
            r#"<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount = '100000000000000000'><x:si><x:t>a</x:t></x:si></x:sst>"#.to_string(),
        );
        assert_eq!(
            read_xlsx(
                &raw_package("xl/worksheets/sheet1.xml", &cells, &[], &[prefixed]),
                &LIMITS
            )
            .unwrap_err(),
            SheetError::TooManyCells { limit }
        );
    }

    /// calamine read a cell's text whole, joining its runs: a 293 KB file
    /// holding one 300 MB text cost 5 s and 1.1 GB. No text may pass
    /// Excel's 32,767 characters, counted as Excel counts them (a Chinese
    /// character or `&amp;` is one), wherever it is stored.
    #[test]
    fn a_cell_longer_than_excel_allows_is_refused_inline_or_shared() {
        let too_long = SheetError::TextTooLong { limit: MAX_TEXT_CHARS };
        let inline = |text: String| {
            read_xlsx(
                &raw_package("xl/worksheets/sheet1.xml", &[(0, 0, text)], &[], &[]),
                &LIMITS,
            )
        };
        for unit in ["a", "客", "&amp;"] {
            let sheet = inline(unit.repeat(MAX_TEXT_CHARS)).unwrap();
            let Cell::Text(text) = &sheet.rows[0].cells[0] else {
                panic!("{unit}")
            };
            assert_eq!(text.chars().count(), MAX_TEXT_CHARS, "{unit}");
            assert_eq!(inline(unit.repeat(MAX_TEXT_CHARS + 1)).unwrap_err(), too_long, "{unit}");
        }
        // Far beyond: refused before the text is read whole.
        let huge = inline("a".repeat(3 * MAX_TOKEN_BYTES as usize)).err();
        assert_eq!(huge, Some(too_long.clone()));

        let cells = [(0, 0, "客户编号".to_string())];
        let shared = |strings: &[&str]| {
            let sst = shared_strings("2", strings);
            read_xlsx(&raw_package("xl/worksheets/sheet1.xml", &cells, &[], &[sst]), &LIMITS)
        };
        let long = "客".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(shared(&["x", &long]).unwrap_err(), too_long);
        let half = "a".repeat(MAX_TEXT_CHARS / 2 + 1);
        let runs = format!("<r><t>{half}</t></r><r><t>{half}</t></r>");
        assert_eq!(shared(&["x", &runs]).unwrap_err(), too_long, "runs are joined");
        assert!(shared(&[&half, &half]).is_ok(), "strings are not");

        // Nor may any other token calamine would hold whole, in any part.
        for token in [
            format!("<!-- {} -->", "<a> ".repeat(MAX_TOKEN_BYTES as usize / 4 + 1)),
            format!(r#"<a b="{}"/>"#, "<a>".repeat(MAX_TOKEN_BYTES as usize / 3 + 1)),
            format!(
                "<!DOCTYPE a [{}]>",
                "<!ENTITY b 'c'>".repeat(MAX_TOKEN_BYTES as usize / 15 + 1)
            ),
        ] {
            let part = ("xl/other.xml", format!("<?xml version=\"1.0\"?><a>{token}</a>"));
            let bytes = raw_package("xl/worksheets/sheet1.xml", &cells, &[], &[part]);
            assert_eq!(read_xlsx(&bytes, &LIMITS).unwrap_err(), too_long, "{}", &token[..12]);
        }
        // A part that is not XML (an image) holds long runs of bytes.
        let image = ("xl/media/image1.png", format!("PNG{}", "ÿ".repeat(100_000)));
        assert!(read_xlsx(&raw_package("xl/worksheets/sheet1.xml", &cells, &[], &[image]), &LIMITS).is_ok());
    }

    /// calamine keeps every string of the table, and an empty `<si/>` is
    /// 24 bytes for 5 in the file: no more strings than cells.
    #[test]
    fn a_shared_string_table_longer_than_the_cell_limit_is_refused() {
        let limit = LIMITS.max_cells();
        let cells = [(0, 0, "客户编号".to_string())];
        let table = |strings: usize| {
            let (name, xml) = shared_strings("1", &["客户编号"]);
            (
                name,
                xml.replace("</sst>", &format!("{}</sst>", "<si/>".repeat(strings - 1))),
            )
        };
        let read = |strings| {
            read_xlsx(
                &raw_package("xl/worksheets/sheet1.xml", &cells, &[], &[table(strings)]),
                &LIMITS,
            )
        };
        assert!(read(limit).is_ok());
        assert_eq!(read(limit + 1).unwrap_err(), SheetError::TooManyCells { limit });
    }

    /// The workbook names its sheet's part, which need not be under
    /// `xl/worksheets/`: merged blocks are counted in every part, before
    /// calamine lists them.
    #[test]
    fn merged_blocks_are_counted_wherever_the_sheet_is_stored() {
        let limit = max_merges(&LIMITS);
        let cells = [(0, 0, "地区".to_string())];
        let merges = vec!["A1:A2".to_string(); 3 * limit];
        for sheet in ["data/sheet.xml", "XL/Worksheets/Sheet1.xml"] {
            let bytes = raw_package(sheet, &cells, &merges, &[]);
            assert_eq!(
                check_archive(&bytes, &LIMITS).unwrap_err(),
                SheetError::TooManyMerges { limit },
                "{sheet}"
            );
            assert_eq!(
                read_xlsx(&bytes, &LIMITS).unwrap_err(),
                SheetError::TooManyMerges { limit },
                "{sheet}"
            );
        }
        let elsewhere = raw_package("data/sheet.xml", &cells, &["A1:A2".to_string()], &[]);
        assert_eq!(
            read_xlsx(&elsewhere, &LIMITS).unwrap().rows[0].cells,
            vec![text("地区")]
        );
    }

    #[test]
    fn merge_tags_are_counted_across_write_boundaries() {
        let xml = b"<mergeCells><mergeCell ref=\"A1:B2\"/><mergeCell ref=\"C1:D2\"></mergeCell></mergeCells>";
        for chunk in 1..xml.len() {
            let mut tags = MergeTags::default();
            for piece in xml.chunks(chunk) {
                tags.write_all(piece).unwrap();
            }
            assert_eq!(tags.count, 5, "chunks of {chunk}");
        }
    }

    proptest::proptest! {
        /// Whatever blocks a sheet merges, reading it never panics, never
        /// makes more cells than the data's rows times its width, and never
        /// more rows than the limit.
        #[test]
        fn fuzz_merged_blocks_stay_inside_the_data(
            cells in proptest::collection::vec((0u32..60, 0u32..12, "[a-z]{0,3}"), 0..40),
            blocks in proptest::collection::vec((0u32..80, 0u32..16, 0u32..1200, 0u32..60), 0..12),
        ) {
            let merges: Vec<String> = blocks
                .iter()
                .map(|&(top, left, height, width)| format!("{}:{}", cell_name(top, left), cell_name(top + height, left + width)))
                .collect();
            let filled: Vec<&(u32, u32, String)> = cells.iter().filter(|c| !c.2.is_empty()).collect();
            let data_rows = filled.iter().map(|c| c.0).collect::<std::collections::BTreeSet<_>>().len();
            let data_width = filled.iter().map(|c| c.1 as usize + 1).max().unwrap_or(0);
            if let Ok(sheet) = read_xlsx(&raw_workbook(&cells, &merges), &LIMITS) {
                let produced: usize = sheet.rows.iter().map(|r| r.cells.len()).sum();
                proptest::prop_assert!(produced <= data_rows * data_width, "{produced} > {data_rows} x {data_width}");
                proptest::prop_assert!(sheet.rows.len() <= LIMITS.max_rows);
            }
        }
    }

    proptest::proptest! {
        /// Wherever a sheet's values are, it is read into each row's width
        /// (its rightmost value) and no more, or refused exactly when those
        /// widths add up past the cell limit.
        #[test]
        fn fuzz_a_sheet_is_its_rows_widths_or_refused(
            cells in proptest::collection::vec((0u32..40, 0u32..50, "[a-z ]{0,2}"), 0..120),
        ) {
            // 20 data rows: 400 cells.
            let limits = Limits { max_rows: 40, ..LIMITS };
            let mut widths = std::collections::BTreeMap::new();
            for (row, column, value) in &cells {
                if !value.trim().is_empty() {
                    let width = widths.entry(*row).or_insert(0usize);
                    *width = (*width).max(*column as usize + 1);
                }
            }
            let total: usize = widths.values().sum();
            match read_xlsx(&raw_workbook(&cells, &[]), &limits) {
                Ok(sheet) => {
                    proptest::prop_assert!(total <= limits.max_cells());
                    let read: Vec<(u32, usize)> = sheet.rows.iter().map(|r| (r.number - 1, r.cells.len())).collect();
                    proptest::prop_assert_eq!(read, widths.into_iter().collect::<Vec<_>>());
                }
                Err(error) => {
                    proptest::prop_assert!(total > limits.max_cells(), "{error:?} with {total} cells");
                    proptest::prop_assert_eq!(error, SheetError::TooManyCells { limit: limits.max_cells() });
                }
            }
        }
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
