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

/// The pixels of a TrueColor ZPixmap dump.
pub fn to_rgb(xwd: &[u8]) -> io::Result<Rgb> {
    let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, format!("not a usable xwd dump: {why}"));
    let field = |i: usize| -> io::Result<u32> {
        xwd.get(i * 4..i * 4 + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| bad("short header"))
    };
    let (header_size, version, format) = (field(0)? as usize, field(1)?, field(2)?);
    if version != 7 || format != 2 {
        return Err(bad("only version 7 ZPixmap dumps are read"));
    }
    let (width, height) = (field(4)? as usize, field(5)? as usize);
    let (byte_order, bits_per_pixel, bytes_per_line) = (field(7)?, field(11)? as usize, field(12)? as usize);
    let (red_mask, green_mask, blue_mask) = (field(14)?, field(15)?, field(16)?);
    let colormap_entries = field(19)? as usize;
    if bits_per_pixel != 32 || width == 0 || height == 0 {
        return Err(bad("only 32 bits per pixel is read"));
    }
    let start = header_size + colormap_entries * 12;
    let pixels = xwd.get(start..start + bytes_per_line * height).ok_or_else(|| bad("short pixel data"))?;
    let channel = |pixel: u32, mask: u32| ((pixel & mask) >> mask.trailing_zeros()) as u8;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for row in pixels.chunks_exact(bytes_per_line) {
        for px in row[..width * 4].chunks_exact(4) {
            let word = [px[0], px[1], px[2], px[3]];
            let pixel = if byte_order == 0 { u32::from_le_bytes(word) } else { u32::from_be_bytes(word) };
            rgb.extend([channel(pixel, red_mask), channel(pixel, green_mask), channel(pixel, blue_mask)]);
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
    use super::to_png;

    #[test]
    fn a_two_pixel_dump_becomes_a_png() {
        let mut xwd = Vec::new();
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
        for v in header {
            xwd.extend(v.to_be_bytes());
        }
        xwd.extend(b"x\0\0\0");
        xwd.extend(0x00ff_0000u32.to_le_bytes()); // red
        xwd.extend(0x0000_00ffu32.to_le_bytes()); // blue
        let png = to_png(&xwd).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut out = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut out).unwrap();
        assert_eq!(out, [255, 0, 0, 0, 0, 255]);
        assert!(to_png(b"short").is_err());
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
