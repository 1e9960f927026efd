//! The load generator's HTTP client: one keep-alive HTTP/1.1 connection that writes each
//! request as a few lines of text and reads the answer's status and body (by Content-Length, or
//! chunked). It does what `wrk` does and no more, so that on a machine the server shares with
//! its load the cores go to the server measured, not to a full client's pools, URL parsing and
//! header maps (reqwest spends several times more per request).

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Connection {
    stream: BufReader<TcpStream>,
    host: String,
    request: Vec<u8>,
    line: Vec<u8>,
}

/// An answer: its status code and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

impl Connection {
    /// Connects to `base` (`http://host:port`).
    pub async fn open(base: &str) -> Connection {
        let host = base.strip_prefix("http://").unwrap_or(base).trim_end_matches('/').to_string();
        let stream = TcpStream::connect(&host).await.unwrap_or_else(|err| panic!("connect to {host}: {err}"));
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Connection { stream: BufReader::new(stream), host, request: Vec::with_capacity(1024), line: Vec::new() }
    }

    /// Sends one request (`headers` as written, without Host and Content-Length, which are
    /// added) and reads its answer.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        use std::io::Write;
        self.request.clear();
        write!(self.request, "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n", self.host, body.len())
            .expect("write to memory");
        for (name, value) in headers {
            write!(self.request, "{name}: {value}\r\n").expect("write to memory");
        }
        self.request.extend_from_slice(b"\r\n");
        self.request.extend_from_slice(body);
        self.stream.get_mut().write_all(&self.request).await.expect("send the request");
        self.read_answer().await
    }

    async fn read_answer(&mut self) -> Answer {
        let status_line = self.read_line().await;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));
        let (mut length, mut chunked) = (None, false);
        loop {
            let line = self.read_line().await;
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else { panic!("not a header line: {line:?}") };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().expect("a Content-Length"));
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let size_line = self.read_line().await;
                let size = usize::from_str_radix(size_line.split(';').next().unwrap_or_default().trim(), 16)
                    .unwrap_or_else(|_| panic!("not a chunk size: {size_line:?}"));
                if size == 0 {
                    // Trailers, if any, end with an empty line.
                    while !self.read_line().await.is_empty() {}
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.stream.read_exact(&mut body[start..]).await.expect("a chunk");
                assert!(self.read_line().await.is_empty(), "a chunk ends with CRLF");
            }
        } else {
            body.resize(length.unwrap_or(0), 0);
            self.stream.read_exact(&mut body).await.expect("the body");
        }
        Answer { status, body }
    }

    /// One line without its CRLF.
    async fn read_line(&mut self) -> String {
        self.line.clear();
        let read = self.stream.read_until(b'\n', &mut self.line).await.expect("read the answer");
        assert!(read > 0, "the server closed the connection");
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        String::from_utf8_lossy(&self.line).into_owned()
    }
}
