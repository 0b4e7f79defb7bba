//! Places a statement of account on A4 pages: the company header as on a
//! bill, the customer and period, the balances, then the period's movements
//! with a running balance (the table repeats its header on every page).

use crate::canvas::Canvas;
use crate::layout::{
    ASCENT, Align, BOTTOM, HAIRLINE, HEADER_FILL, INK, LEFT, Layout, PAD, RULE, Style, WIDTH, WORDS_FILL,
};
use crate::text::Fonts;
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
        c: Canvas::new(fonts),
        s: statement,
        columns: columns(),
    };
    c.first_page();
    c.table();
    c.closing();
    c.c.footers(&format!("对账单 {}", statement.customer_code), &statement.company.name);
    Layout {
        pages: c.c.pages,
        watermark: None,
    }
}

struct Composer<'a> {
    c: Canvas<'a>,
    s: &'a StatementPdf,
    columns: Vec<Col>,
}

impl Composer<'_> {
    fn first_page(&mut self) {
        let s = self.s;
        self.c.new_page();
        for shaped in self.c.fonts.wrap(&s.company.name, 16.0, WIDTH) {
            let x = LEFT + (WIDTH - shaped.width(16.0)) / 2.0;
            self.c
                .push_text(x, self.c.y + 16.0 * ASCENT, 16.0, shaped, Style::left().bold());
            self.c.y += 21.0;
        }
        if let Some(contact) = s.company.contact_line() {
            for shaped in self.c.fonts.wrap(&contact, 9.0, WIDTH) {
                let x = LEFT + (WIDTH - shaped.width(9.0)) / 2.0;
                self.c
                    .push_text(x, self.c.y + 9.0 * ASCENT, 9.0, shaped, Style::muted());
                self.c.y += 12.0;
            }
        }
        self.c.y += 10.0;
        self.c.text_in(
            LEFT,
            WIDTH,
            self.c.y + 22.0 * ASCENT,
            22.0,
            "对账单",
            Style::new(Align::Center).bold(),
        );
        self.c.y += 32.0;
        self.c.line(self.c.y, 1.2, INK);
        self.c.line(self.c.y + 2.5, 0.4, INK);
        self.c.y += 12.0;

        let customer = format!("{}（{}）", s.customer_name, s.customer_code);
        let fields = [
            ("客户名称", customer.as_str()),
            ("对账期间", s.period.as_str()),
            ("打印日期", s.printed_on.as_str()),
        ];
        for (label, value) in fields {
            self.c.text_in(
                LEFT,
                58.0,
                self.c.y + 9.5 * ASCENT,
                9.5,
                &format!("{label}："),
                Style::muted(),
            );
            for shaped in self.c.fonts.wrap(value, 9.5, WIDTH - 58.0) {
                self.c
                    .push_text(LEFT + 58.0, self.c.y + 9.5 * ASCENT, 9.5, shaped, Style::left());
                self.c.y += 14.0;
            }
        }
        self.c.y += 6.0;
        // The four balances in a band.
        let band = 36.0;
        self.c.rect(self.c.y, band, WORDS_FILL);
        self.c.line(self.c.y, 0.4, HAIRLINE);
        self.c.line(self.c.y + band, 0.4, HAIRLINE);
        let cells = [
            ("期初余额", s.opening_balance.as_str()),
            ("本期应收", s.debits.as_str()),
            ("本期已收", s.credits.as_str()),
            ("期末余额", s.closing_balance.as_str()),
        ];
        let width = WIDTH / cells.len() as f32;
        for (i, (label, value)) in cells.iter().enumerate() {
            let x = LEFT + i as f32 * width + PAD;
            self.c.text_in(
                x,
                width - 2.0 * PAD,
                self.c.y + 4.0 + 8.5 * ASCENT,
                8.5,
                label,
                Style::muted(),
            );
            self.c.text_in(
                x,
                width - 2.0 * PAD,
                self.c.y + 17.0 + 11.0 * ASCENT,
                11.0,
                value,
                Style::left().bold().fit(),
            );
        }
        self.c.y += band + 12.0;
    }

    fn continuation_page(&mut self) {
        self.c.new_page();
        let title = format!(
            "{}　对账单 {} {}（续）",
            self.s.company.name, self.s.customer_code, self.s.period
        );
        self.c
            .text_in(LEFT, WIDTH, self.c.y + 9.0 * ASCENT, 9.0, &title, Style::muted().fit());
        self.c.line(self.c.y + 15.0, 0.5, HAIRLINE);
        self.c.y += CONTINUATION;
    }

    fn table_header(&mut self) {
        let y = self.c.y;
        self.c.rect(y, HEADER_HEIGHT, HEADER_FILL);
        self.c.line(y, 0.8, RULE);
        self.c.line(y + HEADER_HEIGHT, 0.8, RULE);
        let baseline = y + 6.0 + 9.0 * ASCENT;
        for i in 0..self.columns.len() {
            let (x, width, title, align) = {
                let c = &self.columns[i];
                (c.x + PAD, c.width - 2.0 * PAD, c.title, c.align)
            };
            self.c
                .text_in(x, width, baseline, 9.0, title, Style::new(align).bold().fit());
        }
        self.c.y += HEADER_HEIGHT;
    }

    fn row(&mut self, cells: [&str; 6], style: Style) {
        let summary_width = self.columns[2].width - 2.0 * PAD;
        let wrapped = self.c.fonts.wrap(cells[2], BODY, summary_width);
        let height = 5.0 + wrapped.len().max(1) as f32 * STEP;
        if self.c.y + height > BOTTOM {
            self.continuation_page();
            self.table_header();
        }
        let baseline = self.c.y + 2.5 + BODY * ASCENT;
        for (i, cell) in cells.iter().enumerate() {
            let (x, width, align) = {
                let c = &self.columns[i];
                (c.x + PAD, c.width - 2.0 * PAD, c.align)
            };
            if i == 2 {
                for (k, shaped) in wrapped.iter().enumerate() {
                    self.c
                        .push_text(x, baseline + k as f32 * STEP, BODY, shaped.clone(), style);
                }
            } else {
                self.c
                    .text_in(x, width, baseline, BODY, cell, Style { align, ..style }.fit());
            }
        }
        self.c.y += height;
        self.c.line(self.c.y, 0.4, HAIRLINE);
    }

    fn table(&mut self) {
        if self.c.y + HEADER_HEIGHT + 3.0 * STEP > BOTTOM {
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
        self.c.line(self.c.y, 0.8, RULE);
        self.c.y += 10.0;
    }

    fn closing(&mut self) {
        let s = self.s;
        if self.c.y + 40.0 > BOTTOM {
            self.continuation_page();
        }
        let text = format!("{}：{}（{}）", s.closing_label, s.closing_balance, s.closing_in_words);
        for shaped in self.c.fonts.wrap(&text, 10.0, WIDTH) {
            self.c
                .push_text(LEFT, self.c.y + 10.0 * ASCENT, 10.0, shaped, Style::left().bold());
            self.c.y += 15.0;
        }
        let note = "余额为正数表示贵司尚欠款项，为负数表示预收款。如对本对账单有异议，请于收到后七日内与我们联系。";
        for shaped in self.c.fonts.wrap(note, 8.5, WIDTH) {
            self.c
                .push_text(LEFT, self.c.y + 8.5 * ASCENT, 8.5, shaped, Style::muted());
            self.c.y += 12.0;
        }
    }
}
