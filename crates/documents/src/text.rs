//! The one embedded font, text shaping, measuring and line wrapping.
//!
//! Text is shaped once here (rustybuzz) and the positioned glyphs are handed to
//! krilla, which writes only the glyphs used into each PDF (a font subset per
//! document) with a ToUnicode map, so the text can be searched and copied.

use std::sync::LazyLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Face, UnicodeBuffer};

/// Noto Sans CJK SC, subset to GB 2312 + CC-CEDICT simplified characters +
/// ASCII and punctuation (fonts/README.md). SIL Open Font License 1.1.
static FONT_DATA: &[u8] = include_bytes!("../fonts/NotoSansSC-Regular-subset.otf");

/// Parsed once per process and shared read-only by every render: parsing and
/// hashing the 3 MB font costs milliseconds, more than shaping a whole bill.
static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        face: Face::from_slice(FONT_DATA, 0)?,
        pdf_font: Font::new(FONT_DATA.into(), 0)?,
    })
});

pub(crate) struct Fonts {
    face: Face<'static>,
    pdf_font: Font,
}

/// The shared fonts, or `None` if the embedded font cannot be parsed (a build
/// defect, reported as an error rather than a panic).
pub(crate) fn fonts() -> Option<&'static Fonts> {
    FONTS.as_ref()
}

/// A shaped run of text: glyphs with advances in em units, ready for krilla.
#[derive(Debug, Clone)]
pub(crate) struct Shaped {
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Advance width in ems; multiply by the font size for points.
    pub width_em: f32,
}

impl Shaped {
    pub fn width(&self, size: f32) -> f32 {
        self.width_em * size
    }
}

impl Fonts {
    pub fn pdf_font(&self) -> Font {
        self.pdf_font.clone()
    }

    pub fn shape(&self, text: &str) -> Shaped {
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(Direction::LeftToRight);
        let output = rustybuzz::shape(&self.face, &[], buffer);
        let upem = self.face.units_per_em() as f32;
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();

        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width_em = 0.0;
        for (index, (info, position)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            // A cluster ends where the next cluster starts (left to right).
            let end = infos[index + 1..]
                .iter()
                .map(|next| next.cluster as usize)
                .find(|&next| next != start)
                .unwrap_or(text.len());
            let advance = position.x_advance as f32 / upem;
            width_em += advance;
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                advance,
                position.x_offset as f32 / upem,
                position.y_offset as f32 / upem,
                position.y_advance as f32 / upem,
                start..end,
                None,
            ));
        }
        Shaped {
            text: text.to_owned(),
            glyphs,
            width_em,
        }
    }

    /// Breaks `text` into lines no wider than `max_width` points at `size`.
    /// Explicit line breaks are kept; CJK text may break between any two
    /// characters, other text at spaces (a word longer than the line is cut).
    pub fn wrap(&self, text: &str, size: f32, max_width: f32) -> Vec<Shaped> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            self.wrap_paragraph(paragraph.trim_end(), size, max_width, &mut lines);
        }
        if lines.is_empty() {
            lines.push(self.shape(""));
        }
        lines
    }

    fn wrap_paragraph(&self, text: &str, size: f32, max_width: f32, lines: &mut Vec<Shaped>) {
        let mut rest = text;
        loop {
            let shaped = self.shape(rest);
            if shaped.width(size) <= max_width || rest.chars().count() <= 1 {
                lines.push(shaped);
                return;
            }
            let cut = break_point(rest, &shaped, size, max_width);
            lines.push(self.shape(rest[..cut].trim_end()));
            rest = rest[cut..].trim_start();
            if rest.is_empty() {
                return;
            }
        }
    }

    /// The size (at most `size`, at least 60% of it) at which `text` fits in
    /// `max_width`: long numbers shrink rather than run into the next column.
    pub fn fit(&self, text: &str, size: f32, max_width: f32) -> (Shaped, f32) {
        let shaped = self.shape(text);
        let width = shaped.width(size);
        if width <= max_width || width == 0.0 {
            return (shaped, size);
        }
        let fitted = (size * max_width / width).max(size * 0.6);
        (shaped, fitted)
    }
}

/// Byte offset where the line overflowing `max_width` should end: after the
/// last space or CJK character that still fits, else at the overflowing
/// character itself (never an empty line).
fn break_point(text: &str, shaped: &Shaped, size: f32, max_width: f32) -> usize {
    let mut x = 0.0;
    let mut last_fit = 0;
    let mut last_break = None;
    for glyph in &shaped.glyphs {
        x += glyph.x_advance * size;
        if x > max_width {
            break;
        }
        let end = glyph.text_range.end;
        last_fit = last_fit.max(end);
        let before = text[..end].chars().next_back();
        let after = text[end..].chars().next();
        let space = before.is_some_and(char::is_whitespace) || after.is_some_and(char::is_whitespace);
        let cjk = before.is_some_and(is_cjk) || after.is_some_and(is_cjk);
        let forbidden = after.is_some_and(is_closing) || before.is_some_and(is_opening);
        if (space || cjk) && !forbidden {
            last_break = Some(end);
        }
    }
    match last_break {
        Some(end) if end > 0 => end,
        _ if last_fit > 0 => last_fit,
        _ => text.chars().next().map_or(text.len(), char::len_utf8),
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Punctuation that must not end a line (（「《 …).
fn is_opening(c: char) -> bool {
    matches!(c, '（' | '「' | '『' | '《' | '【' | '“' | '‘' | '(' | '[')
}

/// Punctuation that must not start a line (，。、）」 …).
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '》'
            | '】'
            | '…'
            | '”'
            | '’'
            | ','
            | '.'
            | ';'
            | ':'
            | ')'
            | ']'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_covers_chinese_ascii_and_punctuation() {
        let fonts = fonts().expect("embedded font parses");
        for text in [
            "账单应付合计",
            "壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整",
            "喆堃珺赟",
            "AZaz09",
            "¥，。（）：–—“”…",
        ] {
            let shaped = fonts.shape(text);
            assert!(
                shaped.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0),
                "missing glyph in {text}"
            );
            assert!(shaped.width_em > 0.0);
        }
    }

    #[test]
    fn wraps_chinese_anywhere_and_latin_at_spaces() {
        let fonts = fonts().unwrap();
        let text = "上海某某信息科技有限公司（浦东新区张江高科技园区）";
        let lines = fonts.wrap(text, 10.0, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<String>(), text);
        assert!(lines.iter().all(|l| l.width(10.0) <= 100.0));

        let latin = fonts.wrap("alpha beta gamma delta epsilon", 10.0, 60.0);
        assert!(latin.len() > 1);
        assert!(latin.iter().all(|l| !l.text.starts_with(' ') && !l.text.ends_with(' ')));
        let words: Vec<&str> = latin.iter().flat_map(|l| l.text.split(' ')).collect();
        assert_eq!(words, ["alpha", "beta", "gamma", "delta", "epsilon"]);
    }

    #[test]
    fn a_word_longer_than_the_line_is_cut_not_lost() {
        let fonts = fonts().unwrap();
        let lines = fonts.wrap("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10.0, 30.0);
        assert!(lines.len() > 3);
        assert_eq!(
            lines.iter().map(|l| l.text.as_str()).collect::<String>(),
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        );
    }

    #[test]
    fn explicit_line_breaks_are_kept() {
        let fonts = fonts().unwrap();
        let lines = fonts.wrap("第一行\n第二行", 10.0, 400.0);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["第一行", "第二行"]);
    }
}
