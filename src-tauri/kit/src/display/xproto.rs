//! The few X protocol requests the display service makes itself, over the display's socket:
//! the screen's size (from the connection setup its server sends every client: cheaper than an
//! X tool, and unlike a VNC connection it leaves no line in the server's log), a window's map
//! state, and the polite close (`WM_DELETE_WINDOW`, which xdotool of Debian 13 cannot send).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A connection to an X server, past its setup.
pub struct XConnection<S> {
    x: S,
    width: u16,
    height: u16,
}

/// What a request's answer was, when it was not a reply.
#[derive(Debug, PartialEq, Eq)]
pub enum XFailure {
    /// The window does not exist (BadWindow).
    NoWindow,
    /// The window does not take `WM_DELETE_WINDOW`: it can only be killed.
    NoDeleteProtocol,
    Io(String),
}

impl From<std::io::Error> for XFailure {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e.to_string())
    }
}

const BAD_WINDOW: u8 = 3;
/// The longest reply read past its first 32 bytes: the requests made here get a few words back.
const MAX_REPLY: usize = 64 << 10;
const ATOM_TYPE: u32 = 4;

impl<S: AsyncRead + AsyncWrite + Unpin> XConnection<S> {
    /// Opens the connection (little-endian, protocol 11.0, no authorization).
    pub async fn open(mut x: S) -> std::io::Result<Self> {
        x.write_all(&[b'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0]).await?;
        let mut head = [0; 8];
        x.read_exact(&mut head).await?;
        if head[0] != 1 {
            return Err(std::io::Error::other("the X server refused the connection"));
        }
        let mut setup = vec![0; u16::from_le_bytes([head[6], head[7]]) as usize * 4];
        x.read_exact(&mut setup).await?;
        let short = || std::io::Error::other("the X server's setup is too short");
        let u16_at = |at: usize| setup.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let vendor_len = u16_at(16).ok_or_else(short)? as usize;
        let formats = *setup.get(21).ok_or_else(short)? as usize;
        let screen = 32 + vendor_len.div_ceil(4) * 4 + 8 * formats;
        let (width, height) = (u16_at(screen + 20).ok_or_else(short)?, u16_at(screen + 22).ok_or_else(short)?);
        Ok(Self { x, width, height })
    }

    /// Width and height of the first screen.
    pub fn screen_size(&self) -> (u16, u16) {
        (self.width, self.height)
    }

    /// Whether `window` is mapped and all its ancestors are (so it can be seen).
    pub async fn viewable(&mut self, window: u32) -> Result<bool, XFailure> {
        let mut request = vec![3, 0, 2, 0]; // GetWindowAttributes
        request.extend(window.to_le_bytes());
        let reply = self.round_trip(&request).await?;
        Ok(reply.get(26) == Some(&2))
    }

    /// Asks `window`'s client to close it, as a window manager's close button does: a
    /// `WM_DELETE_WINDOW` client message, sent only when the window says it takes one.
    pub async fn delete_window(&mut self, window: u32) -> Result<(), XFailure> {
        let protocols = self.atom("WM_PROTOCOLS").await?;
        let delete = self.atom("WM_DELETE_WINDOW").await?;
        let mut request = vec![20, 0, 6, 0]; // GetProperty
        for word in [window, protocols, ATOM_TYPE, 0, 64] {
            request.extend(word.to_le_bytes());
        }
        let reply = self.round_trip(&request).await?;
        let taken = reply.get(32..).unwrap_or_default().chunks_exact(4).any(|a| a == delete.to_le_bytes());
        if delete == 0 || !taken {
            return Err(XFailure::NoDeleteProtocol);
        }
        let mut request = vec![25, 0, 11, 0]; // SendEvent, no propagation, no mask
        request.extend(window.to_le_bytes());
        request.extend(0u32.to_le_bytes());
        request.extend([33, 32, 0, 0]); // ClientMessage, format 32
        for word in [window, protocols, delete, 0, 0, 0, 0] {
            request.extend(word.to_le_bytes());
        }
        self.x.write_all(&request).await?;
        // SendEvent has no reply: a round trip after it says whether it was taken.
        self.round_trip(&[43, 0, 1, 0]).await.map(drop) // GetInputFocus
    }

    /// The atom named `name`, 0 when the server has none by that name.
    async fn atom(&mut self, name: &str) -> Result<u32, XFailure> {
        let padded = name.len().div_ceil(4) * 4;
        let mut request = vec![16, 1]; // InternAtom, only if it exists
        request.extend((2 + padded as u16 / 4).to_le_bytes());
        request.extend((name.len() as u16).to_le_bytes());
        request.extend([0, 0]);
        request.extend(name.as_bytes());
        request.resize(8 + padded, 0);
        let reply = self.round_trip(&request).await?;
        Ok(u32::from_le_bytes([reply[8], reply[9], reply[10], reply[11]]))
    }

    /// Sends one request and reads its reply (events, which nothing selected, are skipped).
    async fn round_trip(&mut self, request: &[u8]) -> Result<Vec<u8>, XFailure> {
        self.x.write_all(request).await?;
        loop {
            let mut packet = vec![0; 32];
            self.x.read_exact(&mut packet).await?;
            match packet[0] {
                0 if packet[1] == BAD_WINDOW => return Err(XFailure::NoWindow),
                0 => return Err(XFailure::Io(format!("the X server refused the request (error {})", packet[1]))),
                1 => {
                    let more = u32::from_le_bytes([packet[4], packet[5], packet[6], packet[7]]) as usize * 4;
                    // The server is the container's: its length is checked before it is trusted.
                    if more > MAX_REPLY {
                        return Err(XFailure::Io(format!(
                            "the X server's reply claims {more} bytes more (at most {MAX_REPLY} are read)"
                        )));
                    }
                    packet.resize(32 + more, 0);
                    self.x.read_exact(&mut packet[32..]).await?;
                    return Ok(packet);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An X server of the container's answering a request with a reply that claims 16 GiB
    /// more: refused from its header, nothing allocated, nothing more read.
    #[tokio::test]
    async fn a_reply_claiming_gigabytes_is_refused() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let mut x = XConnection { x: ours, width: 1, height: 1 };
        let server = tokio::spawn(async move {
            let mut request = [0u8; 8];
            theirs.read_exact(&mut request).await.unwrap();
            let mut reply = [0u8; 32];
            reply[0] = 1;
            reply[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
            theirs.write_all(&reply).await.unwrap();
            theirs
        });
        let failure = x.viewable(7).await.unwrap_err();
        assert!(matches!(&failure, XFailure::Io(why) if why.contains("17179869180 bytes more")), "{failure:?}");
        drop(server.await.unwrap());
    }
}
