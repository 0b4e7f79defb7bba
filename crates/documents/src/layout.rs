//! Places a bill on A4 pages: a list of drawing operations per page, in
//! points, origin at the top left, y growing downwards (krilla's convention).

use crate::text::{Fonts, Shaped};
use crate::{BillPdf, PdfLine};

pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
pub(crate) const LEFT: f32 = 48.0;
pub(crate) const RIGHT: f32 = PAGE_WIDTH - 48.0;
pub(crate) const WIDTH: f32 = RIGHT - LEFT;
pub(crate) const TOP: f32 = 44.0;
/// Content never goes below this; the footer lives underneath.
pub(crate) const BOTTOM: f32 = PAGE_HEIGHT - 58.0;
pub(crate) const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 30.0;
/// Cell padding, left and right.
pub(crate) const PAD: f32 = 5.0;
/// Baseline below the top of a line box, as a fraction of the font size
/// (Noto Sans CJK: ascender 0.88 em).
pub(crate) const ASCENT: f32 = 0.88;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Color(pub u8, pub u8, pub u8);

pub(crate) const INK: Color = Color(0x1F, 0x23, 0x29);
pub(crate) const MUTED: Color = Color(0x5F, 0x66, 0x70);
pub(crate) const RULE: Color = Color(0x9A, 0xA0, 0xA8);
pub(crate) const HAIRLINE: Color = Color(0xD5, 0xD9, 0xDE);
pub(crate) const HEADER_FILL: Color = Color(0xEC, 0xEF, 0xF3);
pub(crate) const WORDS_FILL: Color = Color(0xF6, 0xF7, 0xF9);
const RED: Color = Color(0xC0, 0x2B, 0x2B);
const GREEN: Color = Color(0x1E, 0x7B, 0x34);
const AMBER: Color = Color(0xB2, 0x6A, 0x00);

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        shaped: Shaped,
        color: Color,
        bold: bool,
    },
    Rect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        color: Color,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Color,
    },
}

pub(crate) struct Watermark {
    pub shaped: Shaped,
    pub size: f32,
    pub color: Color,
}

pub(crate) struct Layout {
    pub pages: Vec<Vec<Op>>,
    /// Printed large and faint across every page (草稿, 作废).
    pub watermark: Option<Watermark>,
}

#[derive(Clone, Copy)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

struct Column {
    title: &'static str,
    x: f32,
    width: f32,
    align: Align,
}

impl Column {
    fn inner_width(&self) -> f32 {
        self.width - 2.0 * PAD
    }
}

const COLUMN_SPECS: [(&str, f32, Align); 5] = [
    ("序号", 30.0, Align::Center),
    ("项目", 0.0, Align::Left), // takes the rest
    ("数量", 82.0, Align::Right),
    ("单价", 74.0, Align::Right),
    ("金额（元）", 88.0, Align::Right),
];

fn columns() -> [Column; 5] {
    let fixed: f32 = COLUMN_SPECS.iter().map(|spec| spec.1).sum();
    let mut x = LEFT;
    COLUMN_SPECS.map(|(title, width, align)| {
        let width = if width == 0.0 { WIDTH - fixed } else { width };
        let column = Column { title, x, width, align };
        x += width;
        column
    })
}

const NO: usize = 0;
const ITEM: usize = 1;
const QUANTITY: usize = 2;
const PRICE: usize = 3;
const AMOUNT: usize = 4;

const BODY: f32 = 9.5;
const BODY_STEP: f32 = 12.5;
const TIER: f32 = 8.5;
const TIER_STEP: f32 = 11.5;
const TIER_INDENT: f32 = 14.0;
const TABLE_HEADER_HEIGHT: f32 = 20.0;
const CONTINUATION_HEADER_HEIGHT: f32 = 26.0;

pub(crate) fn compose(fonts: &Fonts, bill: &BillPdf) -> Layout {
    let mut composer = Composer {
        fonts,
        bill,
        columns: columns(),
        pages: Vec::new(),
        y: TOP,
    };
    composer.first_page();
    composer.table();
    composer.totals();
    composer.payment();
    composer.remarks();
    composer.footers();

    let watermark = match bill.status_label.trim() {
        "草稿" => Some(AMBER),
        "作废" => Some(RED),
        _ => None,
    }
    .map(|color| Watermark {
        shaped: fonts.shape(bill.status_label.trim()),
        size: 120.0,
        color,
    });
    Layout {
        pages: composer.pages,
        watermark,
    }
}

struct Composer<'a> {
    fonts: &'a Fonts,
    bill: &'a BillPdf,
    columns: [Column; 5],
    pages: Vec<Vec<Op>>,
    /// Top of the free space on the current page.
    y: f32,
}

impl Composer<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn push_text(&mut self, x: f32, baseline: f32, size: f32, shaped: Shaped, color: Color, bold: bool) {
        if shaped.glyphs.is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            baseline,
            size,
            shaped,
            color,
            bold,
        });
    }

    /// Draws one line of text aligned within `[x, x + width]`.
    fn text_in(&mut self, x: f32, width: f32, baseline: f32, size: f32, text: &str, style: Style) {
        let (shaped, size) = if style.fit {
            self.fonts.fit(text, size, width)
        } else {
            (self.fonts.shape(text), size)
        };
        let x = match style.align {
            Align::Left => x,
            Align::Center => x + (width - shaped.width(size)) / 2.0,
            Align::Right => x + width - shaped.width(size),
        };
        self.push_text(x, baseline, size, shaped, style.color, style.bold);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Color) {
        self.ops().push(Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        });
    }

    fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color) {
        self.ops().push(Op::Rect {
            x,
            y,
            width,
            height,
            color,
        });
    }

    /// Starts a page after the first: a small running header, then free space.
    fn continuation_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        let title = format!("{}　账单 {}（续）", self.bill.company.name, self.bill.bill_no);
        let baseline = self.y + 9.0 * ASCENT;
        self.text_in(LEFT, WIDTH, baseline, 9.0, &title, Style::muted().fit());
        self.line(LEFT, self.y + 15.0, RIGHT, self.y + 15.0, 0.5, HAIRLINE);
        self.y += CONTINUATION_HEADER_HEIGHT;
    }

    /// Moves to a new page unless `height` still fits on this one.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM {
            self.continuation_page();
            true
        } else {
            false
        }
    }

    fn first_page(&mut self) {
        let bill = self.bill;
        self.pages.push(Vec::new());
        self.y = TOP;

        let name = self.fonts.wrap(&bill.company.name, 16.0, WIDTH);
        for shaped in name {
            let x = LEFT + (WIDTH - shaped.width(16.0)) / 2.0;
            self.push_text(x, self.y + 16.0 * ASCENT, 16.0, shaped, INK, true);
            self.y += 21.0;
        }
        if let Some(contact) = bill.company.contact_line() {
            for shaped in self.fonts.wrap(&contact, 9.0, WIDTH) {
                let x = LEFT + (WIDTH - shaped.width(9.0)) / 2.0;
                self.push_text(x, self.y + 9.0 * ASCENT, 9.0, shaped, MUTED, false);
                self.y += 12.0;
            }
        }

        self.y += 10.0;
        self.text_in(
            LEFT,
            WIDTH,
            self.y + 22.0 * ASCENT,
            22.0,
            "账单",
            Style::new(Align::Center).bold(),
        );
        self.y += 32.0;
        self.line(LEFT, self.y, RIGHT, self.y, 1.2, INK);
        self.line(LEFT, self.y + 2.5, RIGHT, self.y + 2.5, 0.4, INK);
        self.y += 12.0;

        let customer = format!("{}（{}）", bill.customer_name, bill.customer_code);
        let left: Vec<(&str, &str)> = [
            Some(("客户名称", customer.as_str())),
            bill.customer_address.as_deref().map(|a| ("客户地址", a)),
            bill.plan_label.as_deref().map(|p| ("价格方案", p)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let right: Vec<(&str, &str)> = [
            Some(("账单编号", bill.bill_no.as_str())),
            Some(("账　　期", bill.period.as_str())),
            Some(("账单状态", bill.status_label.as_str())),
            bill.issued_on.as_deref().map(|d| ("出账日期", d)),
            bill.due_on.as_deref().map(|d| ("付款截止", d)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let split = WIDTH * 0.6;
        let top = self.y;
        let left_bottom = self.fields(LEFT, split - 12.0, top, &left);
        let right_bottom = self.fields(LEFT + split, WIDTH - split, top, &right);
        self.y = left_bottom.max(right_bottom) + 10.0;
    }

    /// Label/value pairs stacked in a column; returns the bottom.
    fn fields(&mut self, x: f32, width: f32, top: f32, fields: &[(&str, &str)]) -> f32 {
        const SIZE: f32 = 9.5;
        const LABEL: f32 = 58.0;
        let mut y = top;
        for (label, value) in fields {
            self.text_in(x, LABEL, y + SIZE * ASCENT, SIZE, &format!("{label}："), Style::muted());
            let color = if *label == "账单状态" {
                status_color(value)
            } else {
                INK
            };
            let bold = *label == "账单状态" || *label == "账单编号";
            for shaped in self.fonts.wrap(value, SIZE, width - LABEL) {
                self.push_text(x + LABEL, y + SIZE * ASCENT, SIZE, shaped, color, bold);
                y += 14.0;
            }
        }
        y
    }

    fn table_header(&mut self) {
        let y = self.y;
        self.rect(LEFT, y, WIDTH, TABLE_HEADER_HEIGHT, HEADER_FILL);
        self.line(LEFT, y, RIGHT, y, 0.8, RULE);
        self.line(LEFT, y + TABLE_HEADER_HEIGHT, RIGHT, y + TABLE_HEADER_HEIGHT, 0.8, RULE);
        let baseline = y + 6.0 + 9.0 * ASCENT;
        for index in 0..self.columns.len() {
            let column = &self.columns[index];
            let (x, width, title) = (column.x + PAD, column.inner_width(), column.title);
            let align = if index == NO { Align::Center } else { column.align };
            self.text_in(x, width, baseline, 9.0, title, Style::new(align).bold());
        }
        self.y += TABLE_HEADER_HEIGHT;
    }

    fn table_page(&mut self) {
        self.continuation_page();
        self.table_header();
    }

    fn table(&mut self) {
        self.ensure(TABLE_HEADER_HEIGHT + 3.0 * BODY_STEP);
        self.table_header();
        if self.bill.lines.is_empty() {
            let baseline = self.y + 5.0 + BODY * ASCENT;
            self.text_in(LEFT, WIDTH, baseline, BODY, "（无明细）", Style::muted().center());
            self.y += 20.0;
        }
        let usable = BOTTOM - TOP - CONTINUATION_HEADER_HEIGHT - TABLE_HEADER_HEIGHT;
        for (index, line) in self.bill.lines.iter().enumerate() {
            let rows = self.line_rows(index, line);
            let height: f32 = rows.iter().map(|row| row.height).sum();
            // Keep a line with its tiers when they fit on one page.
            if self.y + height > BOTTOM && height <= usable {
                self.table_page();
            }
            for row in rows {
                if self.y + row.height > BOTTOM {
                    self.table_page();
                }
                self.draw_row(row);
            }
            self.line(LEFT, self.y, RIGHT, self.y, 0.4, HAIRLINE);
        }
        self.line(LEFT, self.y, RIGHT, self.y, 0.8, RULE);
        self.y += 8.0;
    }

    fn line_rows(&self, index: usize, line: &PdfLine) -> Vec<Row> {
        let item = &self.columns[ITEM];
        let description = self.fonts.wrap(&line.description, BODY, item.inner_width());
        let mut rows = vec![Row {
            height: 5.5 + description.len() as f32 * BODY_STEP,
            size: BODY,
            step: BODY_STEP,
            color: INK,
            indent: 0.0,
            number: Some((index + 1).to_string()),
            description,
            cells: [
                line.quantity.clone().unwrap_or_default(),
                line.unit_price.clone().unwrap_or_default(),
                line.amount.clone(),
            ],
        }];
        for tier in &line.tiers {
            let range = self.fonts.wrap(&tier.range, TIER, item.inner_width() - TIER_INDENT);
            rows.push(Row {
                height: 3.0 + range.len() as f32 * TIER_STEP,
                size: TIER,
                step: TIER_STEP,
                color: MUTED,
                indent: TIER_INDENT,
                number: None,
                description: range,
                cells: [tier.quantity.clone(), tier.unit_price.clone(), tier.amount.clone()],
            });
        }
        rows
    }

    fn draw_row(&mut self, row: Row) {
        let first_baseline = self.y + (row.step - row.size) / 2.0 + 2.0 + row.size * ASCENT;
        if let Some(number) = &row.number {
            let column = &self.columns[NO];
            let (x, width) = (column.x + PAD, column.inner_width());
            let style = Style::new(column.align).color(row.color).fit();
            self.text_in(x, width, first_baseline, row.size, number, style);
        }
        let x = self.columns[ITEM].x + PAD + row.indent;
        for (i, shaped) in row.description.into_iter().enumerate() {
            let baseline = first_baseline + i as f32 * row.step;
            self.push_text(x, baseline, row.size, shaped, row.color, false);
        }
        for (cell, index) in row.cells.iter().zip([QUANTITY, PRICE, AMOUNT]) {
            let column = &self.columns[index];
            let (x, width) = (column.x + PAD, column.inner_width());
            let style = Style::new(column.align).color(row.color).fit();
            self.text_in(x, width, first_baseline, row.size, cell, style);
        }
        self.y += row.height;
    }

    fn totals(&mut self) {
        let bill = self.bill;
        let mut rows: Vec<(&str, &str, bool)> = vec![("小计", bill.subtotal.as_str(), false)];
        if let Some(credited) = &bill.credited {
            rows.push(("红冲/调整", credited, false));
        }
        rows.push(("应付合计", bill.total.as_str(), true));
        let mut after: Vec<(&str, &str, bool)> = Vec::new();
        if let Some(allocated) = &bill.allocated {
            after.push(("已核销", allocated, false));
        }
        if let Some(outstanding) = &bill.outstanding {
            after.push(("未结清", outstanding, true));
        }

        const WORDS_SIZE: f32 = 10.5;
        const WORDS_LABEL: f32 = 92.0;
        let words = self
            .fonts
            .wrap(&bill.total_in_words, WORDS_SIZE, WIDTH - WORDS_LABEL - 2.0 * PAD);
        let words_height = 8.0 + words.len() as f32 * 15.0;
        let height = (rows.len() + after.len()) as f32 * 17.0 + words_height + 12.0;
        self.ensure(height);

        for (label, value, strong) in rows {
            self.total_row(label, value, strong);
        }

        self.y += 4.0;
        self.rect(LEFT, self.y, WIDTH, words_height, WORDS_FILL);
        self.line(LEFT, self.y, RIGHT, self.y, 0.4, HAIRLINE);
        self.line(LEFT, self.y + words_height, RIGHT, self.y + words_height, 0.4, HAIRLINE);
        let mut baseline = self.y + 4.5 + WORDS_SIZE * ASCENT;
        self.text_in(
            LEFT + PAD,
            WORDS_LABEL,
            baseline,
            9.5,
            "应付金额（大写）：",
            Style::muted(),
        );
        for shaped in words {
            self.push_text(LEFT + PAD + WORDS_LABEL, baseline, WORDS_SIZE, shaped, INK, true);
            baseline += 15.0;
        }
        self.y += words_height + 4.0;

        for (label, value, strong) in after {
            self.total_row(label, value, strong);
        }
        self.y += 8.0;
    }

    /// A label and amount right-aligned under the amount column.
    fn total_row(&mut self, label: &str, value: &str, strong: bool) {
        const LABEL_WIDTH: f32 = 160.0;
        let amount = &self.columns[AMOUNT];
        let (amount_x, amount_width) = (amount.x + PAD, amount.inner_width());
        let label_x = amount.x - PAD - LABEL_WIDTH;
        let size = if strong { 11.0 } else { BODY };
        let baseline = self.y + 3.0 + 11.0 * ASCENT;
        let label_style = if strong {
            Style::right().bold()
        } else {
            Style::right().color(MUTED)
        };
        let label = format!("{label}：");
        self.text_in(label_x, LABEL_WIDTH, baseline, size, &label, label_style);
        let value_style = Style::right().fit();
        let value_style = if strong { value_style.bold() } else { value_style };
        self.text_in(amount_x, amount_width, baseline, size, value, value_style);
        self.y += 17.0;
    }

    fn payment(&mut self) {
        let company = &self.bill.company;
        let fields: Vec<(&str, &str)> = [
            self.bill.due_on.as_deref().map(|d| ("付款截止日期", d)),
            company.bank_name.as_deref().map(|b| ("开户银行", b)),
            company.bank_account.as_deref().map(|a| ("银行账号", a)),
            company.payment_note.as_deref().map(|n| ("付款说明", n)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if fields.is_empty() {
            return;
        }
        self.section("付款信息", &fields);
    }

    fn remarks(&mut self) {
        if let Some(remarks) = self.bill.remarks.as_deref().filter(|r| !r.trim().is_empty()) {
            self.section("备注", &[("", remarks)]);
        }
    }

    /// A heading and label/value rows; long values wrap and may continue on
    /// the next page line by line.
    fn section(&mut self, heading: &str, fields: &[(&str, &str)]) {
        const SIZE: f32 = 9.5;
        const STEP: f32 = 14.0;
        let label_width = if fields.iter().all(|(label, _)| label.is_empty()) {
            0.0
        } else {
            80.0
        };
        self.ensure(20.0 + 2.0 * STEP);
        self.y += 4.0;
        self.text_in(LEFT, WIDTH, self.y + 10.5 * ASCENT, 10.5, heading, Style::left().bold());
        self.y += 16.0;
        self.line(LEFT, self.y, RIGHT, self.y, 0.4, HAIRLINE);
        self.y += 4.0;
        for (label, value) in fields {
            let lines = self.fonts.wrap(value, SIZE, WIDTH - label_width - PAD);
            for (i, shaped) in lines.into_iter().enumerate() {
                self.ensure(STEP);
                let baseline = self.y + SIZE * ASCENT;
                if i == 0 && !label.is_empty() {
                    self.text_in(LEFT, label_width, baseline, SIZE, &format!("{label}："), Style::muted());
                }
                self.push_text(LEFT + label_width, baseline, SIZE, shaped, INK, false);
                self.y += STEP;
            }
        }
        self.y += 6.0;
    }

    /// 第 n 页 / 共 N 页 on every page, with the bill number and company.
    fn footers(&mut self) {
        let count = self.pages.len();
        let bill_no = self.fonts.shape(&self.bill.bill_no);
        let company = self.fonts.fit(&self.bill.company.name, 8.0, WIDTH / 3.0);
        for (index, page) in self.pages.iter_mut().enumerate() {
            let number = self.fonts.shape(&format!("第 {} 页 / 共 {} 页", index + 1, count));
            let rule_y = FOOTER_BASELINE - 12.0;
            page.push(Op::Line {
                x1: LEFT,
                y1: rule_y,
                x2: RIGHT,
                y2: rule_y,
                width: 0.4,
                color: HAIRLINE,
            });
            page.push(Op::Text {
                x: LEFT,
                baseline: FOOTER_BASELINE,
                size: 8.0,
                shaped: bill_no.clone(),
                color: MUTED,
                bold: false,
            });
            page.push(Op::Text {
                x: LEFT + (WIDTH - number.width(8.0)) / 2.0,
                baseline: FOOTER_BASELINE,
                size: 8.0,
                shaped: number,
                color: MUTED,
                bold: false,
            });
            page.push(Op::Text {
                x: RIGHT - company.0.width(company.1),
                baseline: FOOTER_BASELINE,
                size: company.1,
                shaped: company.0.clone(),
                color: MUTED,
                bold: false,
            });
        }
    }
}

struct Row {
    height: f32,
    size: f32,
    step: f32,
    color: Color,
    indent: f32,
    number: Option<String>,
    description: Vec<Shaped>,
    /// Quantity, unit price, amount.
    cells: [String; 3],
}

#[derive(Clone, Copy)]
pub(crate) struct Style {
    pub(crate) align: Align,
    pub(crate) color: Color,
    pub(crate) bold: bool,
    /// Shrink to the width instead of overflowing (numbers).
    pub(crate) fit: bool,
}

impl Style {
    pub(crate) fn new(align: Align) -> Self {
        Style {
            align,
            color: INK,
            bold: false,
            fit: false,
        }
    }
    pub(crate) fn left() -> Self {
        Self::new(Align::Left)
    }
    pub(crate) fn right() -> Self {
        Self::new(Align::Right)
    }
    pub(crate) fn muted() -> Self {
        Self::left().color(MUTED)
    }
    pub(crate) fn center(self) -> Self {
        Style {
            align: Align::Center,
            ..self
        }
    }
    pub(crate) fn color(self, color: Color) -> Self {
        Style { color, ..self }
    }
    pub(crate) fn bold(self) -> Self {
        Style { bold: true, ..self }
    }
    pub(crate) fn fit(self) -> Self {
        Style { fit: true, ..self }
    }
}

fn status_color(status: &str) -> Color {
    match status.trim() {
        "作废" => RED,
        "草稿" => AMBER,
        "已结算" => GREEN,
        _ => INK,
    }
}
