//! X window dumps (what `xwd` writes) to PNG, for the display's screenshot.

use std::io;

/// Converts a TrueColor ZPixmap dump (what an X server with a 24-bit root gives) to PNG.
pub fn to_png(xwd: &[u8]) -> io::Result<Vec<u8>> {
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
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width as u32, height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(io::Error::other)?;
    writer.write_image_data(&rgb).map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)?;
    Ok(png)
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
}
