//! Places a statement of account on A4 pages: the company header as on a
//! bill, the customer and period, the balances, then the period's movements
//! with a running balance (the table repeats its header on every page).

use crate::layout::{
    ASCENT, Align, BOTTOM, FOOTER_BASELINE, HAIRLINE, HEADER_FILL, INK, LEFT, Layout, MUTED, Op, PAD, RIGHT, RULE,
    Style, TOP, WIDTH, WORDS_FILL,
};
use crate::text::{Fonts, Shaped};
use crate::{StatementPdf, StatementPdfLine};

const BODY: f32 = 9.0;
const STEP: f32 = 12.0;
const HEADER_HEIGHT: f32 = 20.0;
const CONTINUATION: f32 = 26.0;

/// 日期, 单据编号, 摘要 (the rest), 借方, 贷方, 余额.
const SPECS: [(&str, f32, Align); 6] = [
    ("日期", 62.0, Align::Left),
    ("单据编号", 92.0, Align::Left),
    ("摘要", 0.0, Align::Left),
    ("应收（借方）", 76.0, Align::Right),
    ("已收（贷方）", 76.0, Align::Right),
    ("余额", 80.0, Align::Right),
];

struct Col {
    title: &'static str,
    x: f32,
    width: f32,
    align: Align,
}

fn columns() -> Vec<Col> {
    let fixed: f32 = SPECS.iter().map(|s| s.1).sum();
    let mut x = LEFT;
    SPECS
        .iter()
        .map(|&(title, width, align)| {
            let width = if width == 0.0 { WIDTH - fixed } else { width };
            let col = Col { title, x, width, align };
            x += width;
            col
        })
        .collect()
}

pub(crate) fn compose(fonts: &Fonts, statement: &StatementPdf) -> Layout {
    let mut c = Composer {
        fonts,
        s: statement,
        columns: columns(),
        pages: Vec::new(),
        y: TOP,
    };
    c.first_page();
    c.table();
    c.closing();
    c.footers();
    Layout {
        pages: c.pages,
        watermark: None,
    }
}

struct Composer<'a> {
    fonts: &'a Fonts,
    s: &'a StatementPdf,
    columns: Vec<Col>,
    pages: Vec<Vec<Op>>,
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

    fn push_text(&mut self, x: f32, baseline: f32, size: f32, shaped: Shaped, style: Style) {
        if shaped.glyphs.is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            baseline,
            size,
            shaped,
            color: style.color,
            bold: style.bold,
        });
    }

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
        self.push_text(x, baseline, size, shaped, style);
    }

    fn line(&mut self, y: f32, width: f32, color: crate::layout::Color) {
        self.ops().push(Op::Line {
            x1: LEFT,
            y1: y,
            x2: RIGHT,
            y2: y,
            width,
            color,
        });
    }

    fn rect(&mut self, y: f32, height: f32, color: crate::layout::Color) {
        self.ops().push(Op::Rect {
            x: LEFT,
            y,
            width: WIDTH,
            height,
            color,
        });
    }

    fn first_page(&mut self) {
        let s = self.s;
        self.pages.push(Vec::new());
        self.y = TOP;
        for shaped in self.fonts.wrap(&s.company.name, 16.0, WIDTH) {
            let x = LEFT + (WIDTH - shaped.width(16.0)) / 2.0;
            self.push_text(x, self.y + 16.0 * ASCENT, 16.0, shaped, Style::left().bold());
            self.y += 21.0;
        }
        if let Some(contact) = s.company.contact_line() {
            for shaped in self.fonts.wrap(&contact, 9.0, WIDTH) {
                let x = LEFT + (WIDTH - shaped.width(9.0)) / 2.0;
                self.push_text(x, self.y + 9.0 * ASCENT, 9.0, shaped, Style::muted());
                self.y += 12.0;
            }
        }
        self.y += 10.0;
        self.text_in(
            LEFT,
            WIDTH,
            self.y + 22.0 * ASCENT,
            22.0,
            "对账单",
            Style::new(Align::Center).bold(),
        );
        self.y += 32.0;
        self.line(self.y, 1.2, INK);
        self.line(self.y + 2.5, 0.4, INK);
        self.y += 12.0;

        let customer = format!("{}（{}）", s.customer_name, s.customer_code);
        let fields = [
            ("客户名称", customer.as_str()),
            ("对账期间", s.period.as_str()),
            ("打印日期", s.printed_on.as_str()),
        ];
        for (label, value) in fields {
            self.text_in(
                LEFT,
                58.0,
                self.y + 9.5 * ASCENT,
                9.5,
                &format!("{label}："),
                Style::muted(),
            );
            for shaped in self.fonts.wrap(value, 9.5, WIDTH - 58.0) {
                self.push_text(LEFT + 58.0, self.y + 9.5 * ASCENT, 9.5, shaped, Style::left());
                self.y += 14.0;
            }
        }
        self.y += 6.0;
        // The four balances in a band.
        let band = 36.0;
        self.rect(self.y, band, WORDS_FILL);
        self.line(self.y, 0.4, HAIRLINE);
        self.line(self.y + band, 0.4, HAIRLINE);
        let cells = [
            ("期初余额", s.opening_balance.as_str()),
            ("本期应收", s.debits.as_str()),
            ("本期已收", s.credits.as_str()),
            ("期末余额", s.closing_balance.as_str()),
        ];
        let width = WIDTH / cells.len() as f32;
        for (i, (label, value)) in cells.iter().enumerate() {
            let x = LEFT + i as f32 * width + PAD;
            self.text_in(
                x,
                width - 2.0 * PAD,
                self.y + 4.0 + 8.5 * ASCENT,
                8.5,
                label,
                Style::muted(),
            );
            self.text_in(
                x,
                width - 2.0 * PAD,
                self.y + 17.0 + 11.0 * ASCENT,
                11.0,
                value,
                Style::left().bold().fit(),
            );
        }
        self.y += band + 12.0;
    }

    fn continuation_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        let title = format!(
            "{}　对账单 {} {}（续）",
            self.s.company.name, self.s.customer_code, self.s.period
        );
        self.text_in(LEFT, WIDTH, self.y + 9.0 * ASCENT, 9.0, &title, Style::muted().fit());
        self.line(self.y + 15.0, 0.5, HAIRLINE);
        self.y += CONTINUATION;
    }

    fn table_header(&mut self) {
        let y = self.y;
        self.rect(y, HEADER_HEIGHT, HEADER_FILL);
        self.line(y, 0.8, RULE);
        self.line(y + HEADER_HEIGHT, 0.8, RULE);
        let baseline = y + 6.0 + 9.0 * ASCENT;
        for i in 0..self.columns.len() {
            let (x, width, title, align) = {
                let c = &self.columns[i];
                (c.x + PAD, c.width - 2.0 * PAD, c.title, c.align)
            };
            self.text_in(x, width, baseline, 9.0, title, Style::new(align).bold().fit());
        }
        self.y += HEADER_HEIGHT;
    }

    fn row(&mut self, cells: [&str; 6], style: Style) {
        let summary_width = self.columns[2].width - 2.0 * PAD;
        let wrapped = self.fonts.wrap(cells[2], BODY, summary_width);
        let height = 5.0 + wrapped.len().max(1) as f32 * STEP;
        if self.y + height > BOTTOM {
            self.continuation_page();
            self.table_header();
        }
        let baseline = self.y + 2.5 + BODY * ASCENT;
        for (i, cell) in cells.iter().enumerate() {
            let (x, width, align) = {
                let c = &self.columns[i];
                (c.x + PAD, c.width - 2.0 * PAD, c.align)
            };
            if i == 2 {
                for (k, shaped) in wrapped.iter().enumerate() {
                    self.push_text(x, baseline + k as f32 * STEP, BODY, shaped.clone(), style);
                }
            } else {
                self.text_in(x, width, baseline, BODY, cell, Style { align, ..style }.fit());
            }
        }
        self.y += height;
        self.line(self.y, 0.4, HAIRLINE);
    }

    fn table(&mut self) {
        if self.y + HEADER_HEIGHT + 3.0 * STEP > BOTTOM {
            self.continuation_page();
        }
        self.table_header();
        let s = self.s;
        self.row(["", "", "期初余额", "", "", s.opening_balance.as_str()], Style::muted());
        if s.lines.is_empty() {
            self.row(["", "", "本期无往来", "", "", ""], Style::muted());
        }
        for line in &s.lines {
            let StatementPdfLine {
                date,
                document_no,
                description,
                debit,
                credit,
                balance,
            } = line;
            self.row([date, document_no, description, debit, credit, balance], Style::left());
        }
        self.row(
            [
                "",
                "",
                "本期合计 / 期末余额",
                s.debits.as_str(),
                s.credits.as_str(),
                s.closing_balance.as_str(),
            ],
            Style::left().bold(),
        );
        self.line(self.y, 0.8, RULE);
        self.y += 10.0;
    }

    fn closing(&mut self) {
        let s = self.s;
        if self.y + 40.0 > BOTTOM {
            self.continuation_page();
        }
        let text = format!("{}：{}（{}）", s.closing_label, s.closing_balance, s.closing_in_words);
        for shaped in self.fonts.wrap(&text, 10.0, WIDTH) {
            self.push_text(LEFT, self.y + 10.0 * ASCENT, 10.0, shaped, Style::left().bold());
            self.y += 15.0;
        }
        let note = "余额为正数表示贵司尚欠款项，为负数表示预收款。如对本对账单有异议，请于收到后七日内与我们联系。";
        for shaped in self.fonts.wrap(note, 8.5, WIDTH) {
            self.push_text(LEFT, self.y + 8.5 * ASCENT, 8.5, shaped, Style::muted());
            self.y += 12.0;
        }
    }

    fn footers(&mut self) {
        let count = self.pages.len();
        let label = self.fonts.shape(&format!("对账单 {}", self.s.customer_code));
        let company = self.fonts.fit(&self.s.company.name, 8.0, WIDTH / 3.0);
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
            for (x, size, shaped) in [
                (LEFT, 8.0, label.clone()),
                (LEFT + (WIDTH - number.width(8.0)) / 2.0, 8.0, number),
                (RIGHT - company.0.width(company.1), company.1, company.0.clone()),
            ] {
                page.push(Op::Text {
                    x,
                    baseline: FOOTER_BASELINE,
                    size,
                    shaped,
                    color: MUTED,
                    bold: false,
                });
            }
        }
    }
}
