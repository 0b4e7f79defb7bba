//! The drawing surface the multi-page documents (statements, reports) share:
//! pages of operations, a cursor going down the page, text placed in a box,
//! rules and fills across the text width, and the numbered footer.

use crate::layout::{Align, Color, FOOTER_BASELINE, HAIRLINE, LEFT, MUTED, Op, RIGHT, Style, TOP, WIDTH};
use crate::text::{Fonts, Shaped};

pub(crate) struct Canvas<'a> {
    pub(crate) fonts: &'a Fonts,
    pub(crate) pages: Vec<Vec<Op>>,
    /// Where the next thing goes on the current page.
    pub(crate) y: f32,
}

impl<'a> Canvas<'a> {
    pub(crate) fn new(fonts: &'a Fonts) -> Self {
        Canvas {
            fonts,
            pages: Vec::new(),
            y: TOP,
        }
    }

    /// Starts a page, the cursor at its top.
    pub(crate) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    pub(crate) fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub(crate) fn push_text(&mut self, x: f32, baseline: f32, size: f32, shaped: Shaped, style: Style) {
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

    /// One line of text in a box `width` wide, aligned and (with `fit`)
    /// shrunk to the width.
    pub(crate) fn text_in(&mut self, x: f32, width: f32, baseline: f32, size: f32, text: &str, style: Style) {
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

    /// A rule across the text width.
    pub(crate) fn line(&mut self, y: f32, width: f32, color: Color) {
        self.ops().push(Op::Line {
            x1: LEFT,
            y1: y,
            x2: RIGHT,
            y2: y,
            width,
            color,
        });
    }

    /// A fill across the text width.
    pub(crate) fn rect(&mut self, y: f32, height: f32, color: Color) {
        self.ops().push(Op::Rect {
            x: LEFT,
            y,
            width: WIDTH,
            height,
            color,
        });
    }

    /// Every page's footer: `label` left, 第 n 页 / 共 N 页 centred, the
    /// company right.
    pub(crate) fn footers(&mut self, label: &str, company: &str) {
        let count = self.pages.len();
        let label = self.fonts.shape(label);
        let company = self.fonts.fit(company, 8.0, WIDTH / 3.0);
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
