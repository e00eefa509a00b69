//! Resizing a display the way noVNC's "resize session" does: over the VNC server's own socket,
//! an RFB client asks for the ExtendedDesktopSize extension, learns the current screen layout,
//! and sends SetDesktopSize with the same screen at the new size (RFC 6143 and the community
//! extension Xvnc implements). The server answers with the layout it now has, or why not.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EXTENDED_DESKTOP_SIZE: i32 = -308;
const RAW: i32 = 0;

/// A screen of the layout: its id and flags, which a resize must keep.
struct Screen {
    id: u32,
    flags: u32,
}

/// An ExtendedDesktopSize report: why it was sent, its status, the framebuffer's size.
struct Layout {
    reason: u16,
    status: u16,
    size: (u16, u16),
    screens: Vec<Screen>,
}

/// Sets the display at the other end of `vnc` to `width`×`height`; answers the size it then
/// has.
pub async fn set_desktop_size(mut vnc: tokio::net::TcpStream, width: u16, height: u16) -> Result<(u16, u16), String> {
    let bytes_per_pixel = handshake(&mut vnc).await.map_err(|e| format!("the VNC handshake failed: {e}"))?;
    let io = |e: std::io::Error| format!("the VNC server stopped answering: {e}");
    // SetEncodings [ExtendedDesktopSize], then a (tiny) update, which carries the layout.
    let mut hello = vec![2, 0, 0, 1];
    hello.extend(EXTENDED_DESKTOP_SIZE.to_be_bytes());
    hello.extend(update_request(false));
    vnc.write_all(&hello).await.map_err(io)?;
    let current = next_layout(&mut vnc, bytes_per_pixel).await.map_err(io)?;
    let screen = current.screens.first().ok_or("the display reports no screen")?;

    let mut resize = vec![251, 0];
    resize.extend(width.to_be_bytes());
    resize.extend(height.to_be_bytes());
    resize.extend([1, 0]);
    resize.extend(screen.id.to_be_bytes());
    resize.extend([0, 0, 0, 0]); // x, y
    resize.extend(width.to_be_bytes());
    resize.extend(height.to_be_bytes());
    resize.extend(screen.flags.to_be_bytes());
    resize.extend(update_request(true));
    vnc.write_all(&resize).await.map_err(io)?;
    loop {
        let layout = next_layout(&mut vnc, bytes_per_pixel).await.map_err(io)?;
        const OURS: u16 = 1;
        match (layout.reason, layout.status) {
            (_, 0) if layout.size == (width, height) => return Ok(layout.size),
            (OURS, 0) => return Ok(layout.size),
            (OURS, status) => {
                let why = match status {
                    1 => "resizing is prohibited",
                    2 => "the server is out of resources",
                    3 => "the layout is invalid",
                    _ => "for an unknown reason",
                };
                return Err(format!("the display refused {width}x{height}: {why}"));
            }
            _ => {} // Another client's or the server's change: ours is still to come.
        }
    }
}

/// FramebufferUpdateRequest for the top-left pixel.
fn update_request(incremental: bool) -> [u8; 10] {
    [3, incremental as u8, 0, 0, 0, 0, 0, 1, 0, 1]
}

/// Version 3.8, no security, a shared session; answers the server's bytes per pixel.
async fn handshake(vnc: &mut TcpStream) -> std::io::Result<usize> {
    let mut version = [0; 12];
    vnc.read_exact(&mut version).await?;
    if !version.starts_with(b"RFB 003.") {
        return Err(std::io::Error::other("not an RFB server"));
    }
    vnc.write_all(b"RFB 003.008\n").await?;
    let count = vnc.read_u8().await?;
    let mut types = vec![0; count as usize];
    vnc.read_exact(&mut types).await?;
    if !types.contains(&1) {
        return Err(std::io::Error::other("the server wants authentication"));
    }
    vnc.write_all(&[1]).await?;
    if vnc.read_u32().await? != 0 {
        return Err(std::io::Error::other("the server refused the session"));
    }
    vnc.write_all(&[1]).await?; // shared: other viewers stay connected
    let mut init = [0; 20]; // width, height, pixel format
    vnc.read_exact(&mut init).await?;
    let name_len = vnc.read_u32().await?;
    skip(vnc, name_len as usize).await?;
    Ok((init[4] as usize).div_ceil(8))
}

/// Reads server messages until a framebuffer update carries an ExtendedDesktopSize report.
async fn next_layout(vnc: &mut TcpStream, bytes_per_pixel: usize) -> std::io::Result<Layout> {
    loop {
        match vnc.read_u8().await? {
            0 => {
                vnc.read_u8().await?;
                let mut found = None;
                for _ in 0..vnc.read_u16().await? {
                    let (x, y, w, h) =
                        (vnc.read_u16().await?, vnc.read_u16().await?, vnc.read_u16().await?, vnc.read_u16().await?);
                    match vnc.read_i32().await? {
                        EXTENDED_DESKTOP_SIZE => {
                            let count = vnc.read_u8().await?;
                            skip(vnc, 3).await?;
                            let mut screens = Vec::new();
                            for _ in 0..count {
                                let id = vnc.read_u32().await?;
                                skip(vnc, 8).await?;
                                screens.push(Screen { id, flags: vnc.read_u32().await? });
                            }
                            found = Some(Layout { reason: x, status: y, size: (w, h), screens });
                        }
                        RAW => skip(vnc, w as usize * h as usize * bytes_per_pixel).await?,
                        other => return Err(std::io::Error::other(format!("unasked-for encoding {other}"))),
                    }
                }
                if let Some(layout) = found {
                    return Ok(layout);
                }
            }
            1 => {
                vnc.read_u8().await?;
                vnc.read_u16().await?;
                let colours = vnc.read_u16().await?;
                skip(vnc, colours as usize * 6).await?;
            }
            2 => {} // bell
            3 => {
                skip(vnc, 3).await?;
                let len = vnc.read_u32().await?;
                skip(vnc, len as usize).await?;
            }
            other => return Err(std::io::Error::other(format!("unexpected server message {other}"))),
        }
    }
}

async fn skip(vnc: &mut TcpStream, n: usize) -> std::io::Result<()> {
    let copied = tokio::io::copy(&mut (&mut *vnc).take(n as u64), &mut tokio::io::sink()).await?;
    if copied as usize == n { Ok(()) } else { Err(std::io::ErrorKind::UnexpectedEof.into()) }
}
