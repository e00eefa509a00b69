//! `GET /api/v1/terminal/screenshot`: a session's screen as a PNG — the VT100 emulator's cells
//! (their characters, colours, bold and inverse) drawn with DejaVu Sans Mono (the host's
//! `fonts-dejavu-core`), the cursor as a bar under its cell.

use crate::error::{KitCode, KitError};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Where the font is read from (Debian's fonts-dejavu-core).
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
pub const SIZES: std::ops::RangeInclusive<f32> = 8.0..=48.0;
const DEFAULT_FG: [u8; 3] = [0xd0, 0xd0, 0xd0];
const DEFAULT_BG: [u8; 3] = [0x1e, 0x1e, 0x1e];

/// The 16 colours of the ANSI palette (xterm's).
const ANSI: [[u8; 3]; 16] = [
    [0, 0, 0],
    [205, 0, 0],
    [0, 205, 0],
    [205, 205, 0],
    [0, 0, 238],
    [205, 0, 205],
    [0, 205, 205],
    [229, 229, 229],
    [127, 127, 127],
    [255, 0, 0],
    [0, 255, 0],
    [255, 255, 0],
    [92, 92, 255],
    [255, 0, 255],
    [0, 255, 255],
    [255, 255, 255],
];

/// How the screen is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub foreground: [u8; 3],
    pub background: [u8; 3],
    pub font_size: f32,
}

impl Default for Style {
    fn default() -> Self {
        Self { foreground: DEFAULT_FG, background: DEFAULT_BG, font_size: 16.0 }
    }
}

/// `#rrggbb` (or `rrggbb`) as a colour.
pub fn colour(name: &str, text: &str) -> Result<[u8; 3], KitError> {
    let hex = text.trim_start_matches('#');
    let bad = || KitError::new(KitCode::InvalidParameters, format!("{name} is a colour like #1e1e1e, not {text:?}"));
    if hex.len() != 6 {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([byte(0)?, byte(2)?, byte(4)?])
}

fn font() -> Result<&'static fontdue::Font, KitError> {
    static FONT_READ: OnceLock<Result<fontdue::Font, String>> = OnceLock::new();
    FONT_READ
        .get_or_init(|| {
            let bytes = std::fs::read(FONT).map_err(|e| format!("{FONT}: {e} (apt-get install fonts-dejavu-core)"))?;
            fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default()).map_err(|e| format!("{FONT}: {e}"))
        })
        .as_ref()
        .map_err(|why| {
            KitError::of_status(
                hyper::StatusCode::SERVICE_UNAVAILABLE,
                format!("no font to draw the terminal with: {why}"),
            )
        })
}

fn palette(c: vt100::Color, default: [u8; 3]) -> [u8; 3] {
    match c {
        vt100::Color::Default => default,
        vt100::Color::Idx(i) if i < 16 => ANSI[usize::from(i)],
        vt100::Color::Idx(i) if i < 232 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            [level(i / 36), level((i / 6) % 6), level(i % 6)]
        }
        vt100::Color::Idx(i) => {
            let grey = 8 + (i - 232) * 10;
            [grey, grey, grey]
        }
        vt100::Color::Rgb(r, g, b) => [r, g, b],
    }
}

/// The screen `parser` shows, as a PNG.
pub fn render(parser: &vt100::Parser, style: Style) -> Result<Vec<u8>, KitError> {
    let font = font()?;
    let px = style.font_size;
    let line = font
        .horizontal_line_metrics(px)
        .ok_or_else(|| KitError::new(KitCode::Internal, "the font has no line metrics"))?;
    let cell_w = font.metrics('M', px).advance_width.ceil().max(1.0) as usize;
    let cell_h = (line.ascent - line.descent + line.line_gap).ceil().max(1.0) as usize;
    let baseline = line.ascent.round() as i32;
    let screen = parser.screen();
    let (rows, cols) = screen.size();
    let (rows, cols) = (usize::from(rows.get()), usize::from(cols.get()));
    let (width, height) = (cols * cell_w, rows * cell_h);
    let mut pixels = vec![0u8; width * height * 3];
    let mut glyphs: HashMap<char, (fontdue::Metrics, Vec<u8>)> = HashMap::new();
    for row in 0..rows {
        for col in 0..cols {
            let Some(cell) = screen.cell(row as u16, col as u16) else { continue };
            let (mut fg, mut bg) =
                (palette(cell.fgcolor(), style.foreground), palette(cell.bgcolor(), style.background));
            if cell.inverse() {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (x0, y0) = (col * cell_w, row * cell_h);
            for y in y0..y0 + cell_h {
                for x in x0..x0 + cell_w {
                    pixels[(y * width + x) * 3..][..3].copy_from_slice(&bg);
                }
            }
            let Some(ch) = cell.contents().chars().next().filter(|c| !c.is_whitespace()) else { continue };
            let (metrics, coverage) = glyphs.entry(ch).or_insert_with(|| font.rasterize(ch, px));
            let gx = x0 as i32 + metrics.xmin;
            let gy = y0 as i32 + baseline - metrics.height as i32 - metrics.ymin;
            for (i, alpha) in coverage.iter().enumerate() {
                let (x, y) = (gx + (i % metrics.width) as i32, gy + (i / metrics.width) as i32);
                if *alpha == 0 || x < 0 || y < 0 || x as usize >= width || y as usize >= height {
                    continue;
                }
                let at = (y as usize * width + x as usize) * 3;
                let a = u16::from(*alpha) + if cell.bold() { 40 } else { 0 };
                let a = a.min(255);
                for c in 0..3 {
                    let blended = (u16::from(fg[c]) * a + u16::from(pixels[at + c]) * (255 - a)) / 255;
                    pixels[at + c] = blended as u8;
                }
            }
        }
    }
    if !screen.hide_cursor() {
        let (row, col) = screen.cursor_position();
        let (x0, y0) = (usize::from(col) * cell_w, usize::from(row) * cell_h + cell_h.saturating_sub(2));
        for y in y0..(y0 + 2).min(height) {
            for x in x0..(x0 + cell_w).min(width) {
                pixels[(y * width + x) * 3..][..3].copy_from_slice(&style.foreground);
            }
        }
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width as u32, height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| KitError::new(KitCode::Internal, e.to_string()))?;
    writer.write_image_data(&pixels).map_err(|e| KitError::new(KitCode::Internal, e.to_string()))?;
    writer.finish().map_err(|e| KitError::new(KitCode::Internal, e.to_string()))?;
    Ok(png)
}
