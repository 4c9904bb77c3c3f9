//! A minimal WebSocket client (RFC 6455) for the load tool: handshake with an Origin,
//! masked text frames out, text frames in. Enough to be a thousand widgets at once.

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub struct WsRead(OwnedReadHalf, Vec<u8>);
pub struct WsWrite(OwnedWriteHalf);

/// Opens `ws://{addr}{path}` as a page of `origin` would.
pub async fn connect(addr: &str, path: &str, origin: &str) -> Result<(WsRead, WsWrite), String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut b).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    if !head.starts_with("HTTP/1.1 101") {
        return Err(format!(
            "no upgrade: {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    let (r, w) = s.into_split();
    Ok((WsRead(r, Vec::new()), WsWrite(w)))
}

impl WsWrite {
    /// Sends one masked text frame.
    pub async fn text(&mut self, payload: &str) -> Result<(), String> {
        let p = payload.as_bytes();
        let mut f = vec![0x81u8];
        match p.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n <= u16::MAX as usize => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask: [u8; 4] = rand::random();
        f.extend_from_slice(&mask);
        f.extend(p.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.0.write_all(&f).await.map_err(|e| e.to_string())
    }
}

impl WsRead {
    async fn fill(&mut self, n: usize) -> Result<(), String> {
        let mut buf = [0u8; 4096];
        while self.1.len() < n {
            let got = self.0.read(&mut buf).await.map_err(|e| e.to_string())?;
            if got == 0 {
                return Err("closed".into());
            }
            self.1.extend_from_slice(&buf[..got]);
        }
        Ok(())
    }

    /// The next text frame (control frames skipped); Err when the socket closed.
    pub async fn next_text(&mut self) -> Result<String, String> {
        loop {
            self.fill(2).await?;
            let opcode = self.1[0] & 0x0f;
            let (len, at) = match self.1[1] & 0x7f {
                126 => {
                    self.fill(4).await?;
                    (u16::from_be_bytes([self.1[2], self.1[3]]) as usize, 4)
                }
                127 => {
                    self.fill(10).await?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(&self.1[2..10]);
                    (u64::from_be_bytes(a) as usize, 10)
                }
                n => (n as usize, 2),
            };
            self.fill(at + len).await?;
            let payload: Vec<u8> = self.1.drain(..at + len).skip(at).collect();
            match opcode {
                1 => return Ok(String::from_utf8_lossy(&payload).into_owned()),
                8 => return Err("closed by the server".into()),
                _ => continue,
            }
        }
    }
}
