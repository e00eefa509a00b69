//! X window dumps (what `xwd` writes) to pixels and PNG, for the display's screenshots and
//! their thumbnails.

use std::io;

/// An image as 8-bit RGB triples, row by row.
#[derive(Debug, Clone)]
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// Converts a TrueColor ZPixmap dump (what an X server with a 24-bit root gives) to PNG.
#[cfg(test)]
pub fn to_png(xwd: &[u8]) -> io::Result<Vec<u8>> {
    encode_png(&to_rgb(xwd)?)
}

/// The largest screen a screenshot is taken of (8K UHD): a dump's header that claims more is
/// refused before anything is allocated for it.
pub const MAX_PIXELS: usize = 7680 * 4320;

/// The most a dump of the largest screen takes: its pixels, a header and a colormap.
pub const MAX_DUMP: usize = MAX_PIXELS * 4 + (1 << 20);

/// The pixels of a TrueColor ZPixmap dump. Every size its header gives is checked against the
/// dump's own length (and [`MAX_PIXELS`]) before it is used: the dump is the container's.
pub fn to_rgb(xwd: &[u8]) -> io::Result<Rgb> {
    let bad = |why: String| io::Error::new(io::ErrorKind::InvalidData, format!("not a usable xwd dump: {why}"));
    let field = |i: usize| -> io::Result<usize> {
        xwd.get(i * 4..i * 4 + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| bad("short header".into()))
    };
    let (header_size, version, format) = (field(0)?, field(1)?, field(2)?);
    if version != 7 || format != 2 {
        return Err(bad("only version 7 ZPixmap dumps are read".into()));
    }
    let (width, height) = (field(4)?, field(5)?);
    let (byte_order, bits_per_pixel, bytes_per_line) = (field(7)?, field(11)?, field(12)?);
    let masks = [field(14)? as u32, field(15)? as u32, field(16)? as u32];
    let colormap_entries = field(19)?;
    if bits_per_pixel != 32 {
        return Err(bad(format!("{bits_per_pixel} bits per pixel (only 32 is read)")));
    }
    if width == 0 || height == 0 || width.saturating_mul(height) > MAX_PIXELS {
        return Err(bad(format!("a {width}×{height} screen (at most {MAX_PIXELS} pixels are read)")));
    }
    if bytes_per_line < width * 4 || bytes_per_line > width * 4 + 64 {
        return Err(bad(format!("{bytes_per_line} bytes per line for {width} pixels")));
    }
    if masks.contains(&0) {
        return Err(bad("a colour mask of 0".into()));
    }
    let start = colormap_entries.checked_mul(12).and_then(|c| c.checked_add(header_size));
    let end = start.and_then(|s| s.checked_add(bytes_per_line * height));
    let pixels = match (start, end) {
        (Some(start), Some(end)) if end <= xwd.len() => &xwd[start..end],
        _ => return Err(bad(format!("{} bytes, fewer than its header says", xwd.len()))),
    };
    let channel = |pixel: u32, mask: u32| ((pixel & mask) >> mask.trailing_zeros()) as u8;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for row in pixels.chunks_exact(bytes_per_line) {
        for px in row[..width * 4].chunks_exact(4) {
            let word = [px[0], px[1], px[2], px[3]];
            let pixel = if byte_order == 0 { u32::from_le_bytes(word) } else { u32::from_be_bytes(word) };
            rgb.extend(masks.map(|mask| channel(pixel, mask)));
        }
    }
    Ok(Rgb { width, height, pixels: rgb })
}

/// `image` as PNG.
pub fn encode_png(image: &Rgb) -> io::Result<Vec<u8>> {
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, image.width as u32, image.height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(io::Error::other)?;
    writer.write_image_data(&image.pixels).map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)?;
    Ok(png)
}

impl Rgb {
    /// The part of the image at `x, y`, `width × height` (clipped to the image); None when
    /// nothing of it is inside.
    pub fn crop(&self, x: usize, y: usize, width: usize, height: usize) -> Option<Rgb> {
        let (right, bottom) = ((x + width).min(self.width), (y + height).min(self.height));
        if x >= right || y >= bottom {
            return None;
        }
        let mut pixels = Vec::with_capacity((right - x) * (bottom - y) * 3);
        for row in y..bottom {
            let start = (row * self.width + x) * 3;
            pixels.extend_from_slice(&self.pixels[start..start + (right - x) * 3]);
        }
        Some(Rgb { width: right - x, height: bottom - y, pixels })
    }

    /// The image scaled down to at most `max_width` pixels wide (its proportions kept), each
    /// pixel the average of the box it covers; unchanged when it is narrower already.
    pub fn shrink(&self, max_width: usize) -> Rgb {
        if self.width <= max_width {
            return self.clone();
        }
        let width = max_width.max(1);
        let height = (self.height * width / self.width).max(1);
        let mut pixels = Vec::with_capacity(width * height * 3);
        for ty in 0..height {
            let (y0, y1) =
                (ty * self.height / height, ((ty + 1) * self.height / height).max(ty * self.height / height + 1));
            for tx in 0..width {
                let (x0, x1) =
                    (tx * self.width / width, ((tx + 1) * self.width / width).max(tx * self.width / width + 1));
                let mut sum = [0usize; 3];
                for y in y0..y1 {
                    for x in x0..x1 {
                        let at = (y * self.width + x) * 3;
                        for (c, total) in sum.iter_mut().enumerate() {
                            *total += usize::from(self.pixels[at + c]);
                        }
                    }
                }
                let count = (y1 - y0) * (x1 - x0);
                pixels.extend(sum.map(|total| (total / count) as u8));
            }
        }
        Rgb { width, height, pixels }
    }
}

#[cfg(test)]
mod tests {
    use super::{to_png, to_rgb};

    /// A valid dump of two pixels (red, blue), and its header's words.
    fn two_pixels() -> ([u32; 25], Vec<u8>) {
        let mut header = [0u32; 25];
        header[0] = 100 + 4; // header with the window name "x\0" padded
        header[1] = 7;
        header[2] = 2;
        header[4] = 2;
        header[5] = 1;
        header[7] = 0; // LSBFirst
        header[11] = 32;
        header[12] = 8;
        header[14] = 0xff0000;
        header[15] = 0x00ff00;
        header[16] = 0x0000ff;
        (header, dump(&header))
    }

    fn dump(header: &[u32; 25]) -> Vec<u8> {
        let mut xwd: Vec<u8> = header.iter().flat_map(|v| v.to_be_bytes()).collect();
        xwd.extend(b"x\0\0\0");
        xwd.extend(0x00ff_0000u32.to_le_bytes()); // red
        xwd.extend(0x0000_00ffu32.to_le_bytes()); // blue
        xwd
    }

    #[test]
    fn a_two_pixel_dump_becomes_a_png() {
        let (_, xwd) = two_pixels();
        let png = to_png(&xwd).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut out = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut out).unwrap();
        assert_eq!(out, [255, 0, 0, 0, 0, 255]);
        assert!(to_png(b"short").is_err());
    }

    /// A container's own `xwd` printing a header of lies: each is refused, nothing is
    /// allocated for it (the engine once aborted asking for 844424930131968 bytes).
    #[test]
    fn a_lying_header_is_refused_before_anything_is_allocated() {
        let (valid, _) = two_pixels();
        let lie = |index: usize, value: u32| {
            let mut header = valid;
            header[index] = value;
            to_rgb(&dump(&header)).map(drop).unwrap_err().to_string()
        };
        let giant = {
            let mut header = valid;
            (header[4], header[5], header[12]) = (16_777_216, 16_777_216, 0);
            to_rgb(&dump(&header)).unwrap_err().to_string()
        };
        assert!(giant.contains("16777216×16777216 screen"), "{giant}");
        assert!(lie(12, 0).contains("0 bytes per line"));
        assert!(lie(19, u32::MAX).contains("fewer than its header says"), "a colormap past the end");
        assert!(lie(0, u32::MAX).contains("fewer than its header says"), "a header past the end");
        assert!(lie(5, 2).contains("fewer than its header says"), "rows it does not have");
        assert!(lie(14, 0).contains("mask of 0"));
        assert!(lie(11, 8).contains("8 bits per pixel"));
    }

    /// Random words in every header field, and random lengths: an answer or an error, never a
    /// panic or an allocation the dump does not back.
    #[test]
    fn random_headers_never_panic() {
        let (valid, _) = two_pixels();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let mut header = valid;
            let field = (next() % 25) as usize;
            header[field] = match next() % 4 {
                0 => next() as u32,
                1 => u32::MAX - (next() % 4) as u32,
                2 => (next() % 64) as u32,
                _ => 1 << (next() % 32),
            };
            let mut xwd = dump(&header);
            xwd.truncate((next() as usize) % (xwd.len() + 1));
            let _ = to_rgb(&xwd);
        }
    }

    #[test]
    fn shrinking_averages_and_cropping_clips() {
        use super::Rgb;
        // 4×2: left half black, right half white.
        let mut pixels = Vec::new();
        for _ in 0..2 {
            pixels.extend([0u8; 6]);
            pixels.extend([255u8; 6]);
        }
        let image = Rgb { width: 4, height: 2, pixels };
        let half = image.shrink(2);
        assert_eq!((half.width, half.height, half.pixels), (2, 1, vec![0, 0, 0, 255, 255, 255]));
        assert_eq!(image.shrink(8).width, 4);
        let right = image.crop(3, 1, 10, 10).unwrap();
        assert_eq!((right.width, right.height, right.pixels), (1, 1, vec![255, 255, 255]));
        assert!(image.crop(4, 0, 1, 1).is_none());
    }
}
