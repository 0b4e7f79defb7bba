//! Places a report (an analytics view, a custom report) on A4 pages: the
//! company and the title, what the report covers, a band of headline
//! figures, then a table whose header repeats on every page. Columns share
//! the width by weight; a column marked `wrap` wraps, the others shrink to fit.

use crate::canvas::Canvas;
use crate::layout::{
    ASCENT, Align, BOTTOM, HAIRLINE, HEADER_FILL, INK, LEFT, Layout, PAD, RULE, Style, WIDTH, WORDS_FILL,
};
use crate::text::Fonts;
use crate::{ReportColumn, ReportPdf};

const BODY: f32 = 8.5;
const STEP: f32 = 11.5;
const HEADER_HEIGHT: f32 = 20.0;
const CONTINUATION: f32 = 26.0;
/// Headline figures per band row.
const FIGURES_PER_ROW: usize = 4;

struct Col<'a> {
    spec: &'a ReportColumn,
    x: f32,
    width: f32,
}

fn columns(specs: &[ReportColumn]) -> Vec<Col<'_>> {
    let total: f32 = specs.iter().map(|c| c.weight.max(0.1)).sum();
    let mut x = LEFT;
    specs
        .iter()
        .map(|spec| {
            let width = WIDTH * spec.weight.max(0.1) / total;
            let col = Col { spec, x, width };
            x += width;
            col
        })
        .collect()
}

pub(crate) fn compose(fonts: &Fonts, report: &ReportPdf) -> Layout {
    let mut c = Composer {
        c: Canvas::new(fonts),
        r: report,
        columns: columns(&report.columns),
    };
    c.first_page();
    c.figures();
    c.table();
    c.c.footers(&report.title, &report.company_name);
    Layout {
        pages: c.c.pages,
        watermark: None,
    }
}

struct Composer<'a> {
    c: Canvas<'a>,
    r: &'a ReportPdf,
    columns: Vec<Col<'a>>,
}

impl Composer<'_> {
    fn first_page(&mut self) {
        let r = self.r;
        self.c.new_page();
        if !r.company_name.is_empty() {
            self.c.text_in(
                LEFT,
                WIDTH,
                self.c.y + 11.0 * ASCENT,
                11.0,
                &r.company_name,
                Style::muted().center().fit(),
            );
            self.c.y += 16.0;
        }
        for shaped in self.c.fonts.wrap(&r.title, 18.0, WIDTH) {
            let x = LEFT + (WIDTH - shaped.width(18.0)) / 2.0;
            self.c
                .push_text(x, self.c.y + 18.0 * ASCENT, 18.0, shaped, Style::left().bold());
            self.c.y += 24.0;
        }
        self.c.y += 4.0;
        self.c.line(self.c.y, 1.2, INK);
        self.c.line(self.c.y + 2.5, 0.4, INK);
        self.c.y += 10.0;
        for (label, value) in &r.meta {
            self.c.text_in(
                LEFT,
                64.0,
                self.c.y + 9.0 * ASCENT,
                9.0,
                &format!("{label}："),
                Style::muted(),
            );
            for shaped in self.c.fonts.wrap(value, 9.0, WIDTH - 64.0) {
                self.c
                    .push_text(LEFT + 64.0, self.c.y + 9.0 * ASCENT, 9.0, shaped, Style::left());
                self.c.y += 13.0;
            }
        }
        self.c.y += 6.0;
    }

    /// The headline figures, four to a band.
    fn figures(&mut self) {
        let band = 34.0;
        for chunk in self.r.figures.chunks(FIGURES_PER_ROW) {
            if self.c.y + band > BOTTOM {
                self.continuation_page();
            }
            self.c.rect(self.c.y, band, WORDS_FILL);
            self.c.line(self.c.y, 0.4, HAIRLINE);
            self.c.line(self.c.y + band, 0.4, HAIRLINE);
            let width = WIDTH / FIGURES_PER_ROW as f32;
            for (i, (label, value)) in chunk.iter().enumerate() {
                let x = LEFT + i as f32 * width + PAD;
                let inner = width - 2.0 * PAD;
                self.c.text_in(
                    x,
                    inner,
                    self.c.y + 4.0 + 8.0 * ASCENT,
                    8.0,
                    label,
                    Style::muted().fit(),
                );
                self.c.text_in(
                    x,
                    inner,
                    self.c.y + 16.0 + 10.5 * ASCENT,
                    10.5,
                    value,
                    Style::left().bold().fit(),
                );
            }
            self.c.y += band;
        }
        if !self.r.figures.is_empty() {
            self.c.y += 12.0;
        }
    }

    fn continuation_page(&mut self) {
        self.c.new_page();
        let title = format!("{}（续）", self.r.title);
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
        let baseline = y + 6.0 + 8.5 * ASCENT;
        for col in &self.columns {
            let style = Style::new(align_of(col.spec)).bold().fit();
            self.c.text_in(
                col.x + PAD,
                col.width - 2.0 * PAD,
                baseline,
                8.5,
                &col.spec.title,
                style,
            );
        }
        self.c.y += HEADER_HEIGHT;
    }

    fn row(&mut self, cells: &[String]) {
        let empty = String::new();
        let wrapped: Vec<Vec<crate::text::Shaped>> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let cell = cells.get(i).unwrap_or(&empty);
                if col.spec.wrap {
                    self.c.fonts.wrap(cell, BODY, col.width - 2.0 * PAD)
                } else {
                    Vec::new()
                }
            })
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let height = 5.0 + lines as f32 * STEP;
        if self.c.y + height > BOTTOM {
            self.continuation_page();
            self.table_header();
        }
        let baseline = self.c.y + 2.5 + BODY * ASCENT;
        for (i, col) in self.columns.iter().enumerate() {
            let (x, width) = (col.x + PAD, col.width - 2.0 * PAD);
            if col.spec.wrap {
                for (k, shaped) in wrapped[i].iter().enumerate() {
                    self.c
                        .push_text(x, baseline + k as f32 * STEP, BODY, shaped.clone(), Style::left());
                }
            } else {
                let cell = cells.get(i).unwrap_or(&empty);
                self.c
                    .text_in(x, width, baseline, BODY, cell, Style::new(align_of(col.spec)).fit());
            }
        }
        self.c.y += height;
        self.c.line(self.c.y, 0.4, HAIRLINE);
    }

    fn table(&mut self) {
        if self.columns.is_empty() {
            return;
        }
        if self.c.y + HEADER_HEIGHT + 3.0 * STEP > BOTTOM {
            self.continuation_page();
        }
        self.table_header();
        if self.r.rows.is_empty() {
            let text = self.r.empty_text.clone();
            self.row(&[text]);
        }
        for row in &self.r.rows {
            self.row(row);
        }
        self.c.line(self.c.y, 0.8, RULE);
    }
}

fn align_of(column: &ReportColumn) -> Align {
    if column.right { Align::Right } else { Align::Left }
}
