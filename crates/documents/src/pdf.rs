//! Writes a [`Layout`] with krilla.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::Font;

use crate::RenderError;
use crate::layout::{Color, Layout, Op, PAGE_HEIGHT, PAGE_WIDTH, Watermark};
use crate::text::Fonts;

pub(crate) fn write(fonts: &Fonts, title: String, layout: &Layout) -> Result<Vec<u8>, RenderError> {
    let font = fonts.pdf_font();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title)
            .creator("OP_CMS".to_owned())
            .language("zh-CN".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| RenderError::Pdf("invalid page size".to_owned()))?;
    for ops in &layout.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        if let Some(watermark) = &layout.watermark {
            draw_watermark(&mut surface, &font, watermark);
        }
        for op in ops {
            draw(&mut surface, &font, op);
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|error| RenderError::Pdf(error.to_string()))
}

fn paint(color: Color) -> krilla::paint::Paint {
    rgb::Color::new(color.0, color.1, color.2).into()
}

fn fill(color: Color, opacity: NormalizedF32) -> Fill {
    Fill {
        paint: paint(color),
        opacity,
        rule: Default::default(),
    }
}

fn draw(surface: &mut Surface<'_>, font: &Font, op: &Op) {
    match op {
        Op::Text {
            x,
            baseline,
            size,
            shaped,
            color,
            bold,
        } => {
            surface.set_fill(Some(fill(*color, NormalizedF32::ONE)));
            // One face only: bold is the glyph outline stroked a little, which
            // keeps it text (searchable) and costs no second font.
            surface.set_stroke(bold.then(|| Stroke {
                paint: paint(*color),
                width: size * 0.04,
                ..Default::default()
            }));
            surface.draw_glyphs(
                Point::from_xy(*x, *baseline),
                &shaped.glyphs,
                font.clone(),
                &shaped.text,
                *size,
                false,
            );
            surface.set_stroke(None);
        }
        Op::Rect {
            x,
            y,
            width,
            height,
            color,
        } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) else {
                return;
            };
            let mut builder = PathBuilder::new();
            builder.push_rect(rect);
            if let Some(path) = builder.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(*color, NormalizedF32::ONE)));
                surface.draw_path(&path);
            }
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        } => {
            let mut builder = PathBuilder::new();
            builder.move_to(*x1, *y1);
            builder.line_to(*x2, *y2);
            if let Some(path) = builder.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: paint(*color),
                    width: *width,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
    }
}

/// The status (草稿, 作废) large, faint and diagonal behind the page content.
fn draw_watermark(surface: &mut Surface<'_>, font: &Font, watermark: &Watermark) {
    let (cx, cy) = (PAGE_WIDTH / 2.0, PAGE_HEIGHT / 2.0);
    let size = watermark.size;
    let opacity = NormalizedF32::new(0.16).unwrap_or(NormalizedF32::ONE);
    surface.push_transform(&Transform::from_rotate_at(-35.0, cx, cy));
    surface.set_fill(Some(fill(watermark.color, opacity)));
    surface.set_stroke(None);
    surface.draw_glyphs(
        Point::from_xy(cx - watermark.shaped.width(size) / 2.0, cy + size * 0.35),
        &watermark.shaped.glyphs,
        font.clone(),
        &watermark.shaped.text,
        size,
        false,
    );
    surface.pop();
}
