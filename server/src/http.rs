//! A small HTTP/1.1 server core on std::net: request heads, Content-Length and chunked
//! request bodies, `Expect: 100-continue`, responses streamed from memory or disk.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::path::PathBuf;

/// Buffer size for body I/O.
pub const BUF: usize = 256 * 1024;
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 200;

/// A parsed request head.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target's path as sent (still percent-encoded).
    pub raw_path: String,
    /// The query string as sent (without `?`).
    pub raw_query: String,
    /// Decoded `(name, value)` query pairs (`None` for a bare flag).
    pub query: Vec<(String, Option<String>)>,
    /// Headers in order received; names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    pub http11: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }
    pub fn has_param(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }
    /// Whether the client wants the connection kept open.
    pub fn keep_alive(&self) -> bool {
        let conn = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.http11 {
            !conn.split(',').any(|t| t.trim() == "close")
        } else {
            conn.split(',').any(|t| t.trim() == "keep-alive")
        }
    }
}

/// Why a head could not be read.
pub enum HeadError {
    /// The peer closed the connection (cleanly, between requests) or an I/O error.
    Closed,
    /// Not HTTP we understand: answer 400 and close.
    Bad(String),
}

fn read_line(
    r: &mut BufReader<TcpStream>,
    buf: &mut Vec<u8>,
    budget: &mut usize,
) -> Result<(), HeadError> {
    buf.clear();
    let n = r
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|_| HeadError::Closed)?;
    if n == 0 {
        return Err(HeadError::Closed);
    }
    if n > *budget {
        return Err(HeadError::Bad("request head too large".into()));
    }
    *budget -= n;
    if buf.last() != Some(&b'\n') {
        return Err(HeadError::Closed);
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(())
}

/// Read one request head. Leading empty lines are skipped (RFC 9112 §2.2).
pub fn read_head(r: &mut BufReader<TcpStream>) -> Result<Request, HeadError> {
    let mut budget = MAX_HEAD;
    let mut line = Vec::with_capacity(256);
    loop {
        read_line(r, &mut line, &mut budget)?;
        if !line.is_empty() {
            break;
        }
    }
    let text = String::from_utf8(line.clone())
        .map_err(|_| HeadError::Bad("request line is not UTF-8".into()))?;
    let mut parts = text.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Bad(format!("malformed request line {text:?}")));
    };
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => {
            return Err(HeadError::Bad(format!(
                "unsupported HTTP version {version:?}"
            )));
        }
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(HeadError::Bad(format!("malformed method {method:?}")));
    }
    let mut headers = Vec::new();
    loop {
        read_line(r, &mut line, &mut budget)?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(HeadError::Bad("too many headers".into()));
        }
        // Header values are bytes; keep non-UTF-8 values lossy rather than refusing.
        let h = String::from_utf8_lossy(&line);
        let Some((k, v)) = h.split_once(':') else {
            return Err(HeadError::Bad(format!("malformed header line {h:?}")));
        };
        if k.is_empty() || k.contains(' ') || k.contains('\t') {
            return Err(HeadError::Bad(format!("malformed header name {k:?}")));
        }
        headers.push((k.to_string(), v.trim_matches([' ', '\t']).to_string()));
    }
    // Absolute-form targets (proxies) are reduced to their path and query.
    let mut target = target;
    if let Some(rest) = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        target = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    }
    let (raw_path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    if !raw_path.starts_with('/') {
        return Err(HeadError::Bad(format!(
            "request target {target:?} is not a path"
        )));
    }
    let query = qcos::encode::parse_query(raw_query)
        .ok_or_else(|| HeadError::Bad("the query string has a malformed percent-escape".into()))?;
    Ok(Request {
        method: method.to_string(),
        raw_path: raw_path.to_string(),
        raw_query: raw_query.to_string(),
        query,
        headers,
        http11,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Length(u64),
    Chunked { left_in_chunk: u64, done: bool },
}

/// A request body as a stream. Sends `100 Continue` on the first read if asked.
pub struct Body<'a> {
    r: &'a mut BufReader<TcpStream>,
    w: &'a TcpStream,
    kind: Kind,
    declared: Option<u64>,
    chunked: bool,
    continue_pending: bool,
    consumed: u64,
    /// Fault injection: fail reads after this many bytes.
    pub fail_after: Option<u64>,
    broken: bool,
}

/// How the body is framed, from the headers.
pub fn body_framing(req: &Request) -> Result<(Option<u64>, bool), String> {
    let chunked = req
        .header("transfer-encoding")
        .map(|v| {
            v.to_ascii_lowercase()
                .split(',')
                .any(|t| t.trim() == "chunked")
        })
        .unwrap_or(false);
    if chunked {
        return Ok((None, true));
    }
    match req.header("content-length") {
        Some(v) => v
            .parse::<u64>()
            .map(|n| (Some(n), false))
            .map_err(|_| format!("Content-Length {v:?} is not a number")),
        None => Ok((None, false)),
    }
}

impl<'a> Body<'a> {
    pub fn new(
        r: &'a mut BufReader<TcpStream>,
        w: &'a TcpStream,
        req: &Request,
        declared: Option<u64>,
        chunked: bool,
    ) -> Self {
        let kind = if chunked {
            Kind::Chunked {
                left_in_chunk: 0,
                done: false,
            }
        } else {
            Kind::Length(declared.unwrap_or(0))
        };
        let expects = req
            .header("expect")
            .map(|v| v.eq_ignore_ascii_case("100-continue"))
            .unwrap_or(false);
        let has_body = chunked || declared.unwrap_or(0) > 0;
        Body {
            r,
            w,
            kind,
            declared,
            chunked,
            continue_pending: expects && has_body && req.http11,
            consumed: 0,
            fail_after: None,
            broken: false,
        }
    }

    /// Content-Length as declared (None for chunked or no body header).
    pub fn declared_len(&self) -> Option<u64> {
        self.declared
    }
    pub fn is_chunked(&self) -> bool {
        self.chunked
    }
    /// Whether the request has body framing at all (Content-Length or chunked).
    pub fn is_framed(&self) -> bool {
        self.chunked || self.declared.is_some()
    }
    pub fn consumed(&self) -> u64 {
        self.consumed
    }
    pub fn is_done(&self) -> bool {
        match self.kind {
            Kind::Length(n) => n == 0,
            Kind::Chunked { done, .. } => done,
        }
    }
    /// Whether the client still waits for `100 Continue` (the body was never asked for).
    pub fn continue_pending(&self) -> bool {
        self.continue_pending
    }
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    fn chunk_size_line(&mut self) -> io::Result<u64> {
        let mut line = Vec::new();
        self.r.by_ref().take(4096).read_until(b'\n', &mut line)?;
        if line.last() != Some(&b'\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad chunk header",
            ));
        }
        let s = String::from_utf8_lossy(&line);
        let hexpart = s.trim().split(';').next().unwrap_or("").trim();
        u64::from_str_radix(hexpart, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))
    }

    fn expect_crlf(&mut self) -> io::Result<()> {
        let mut b = [0u8; 2];
        self.r.read_exact(&mut b)?;
        if &b != b"\r\n" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "chunk not followed by CRLF",
            ));
        }
        Ok(())
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.continue_pending {
            self.continue_pending = false;
            let mut w = self.w;
            w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        match self.kind {
            Kind::Length(0) => Ok(0),
            Kind::Length(n) => {
                let want = buf.len().min(n.min(usize::MAX as u64) as usize);
                let got = self.r.read(&mut buf[..want])?;
                if got == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "request body ended early",
                    ));
                }
                self.kind = Kind::Length(n - got as u64);
                Ok(got)
            }
            Kind::Chunked { done: true, .. } => Ok(0),
            Kind::Chunked { left_in_chunk, .. } => {
                let mut left = left_in_chunk;
                if left == 0 {
                    left = self.chunk_size_line()?;
                    if left == 0 {
                        // Trailers until an empty line.
                        loop {
                            let mut line = Vec::new();
                            self.r.by_ref().take(8192).read_until(b'\n', &mut line)?;
                            if line.last() != Some(&b'\n') {
                                return Err(io::Error::new(
                                    io::ErrorKind::UnexpectedEof,
                                    "trailers ended early",
                                ));
                            }
                            if line == b"\r\n" || line == b"\n" {
                                break;
                            }
                        }
                        self.kind = Kind::Chunked {
                            left_in_chunk: 0,
                            done: true,
                        };
                        return Ok(0);
                    }
                }
                let want = buf.len().min(left.min(usize::MAX as u64) as usize);
                let got = self.r.read(&mut buf[..want])?;
                if got == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "chunk ended early",
                    ));
                }
                left -= got as u64;
                if left == 0 {
                    self.expect_crlf()?;
                }
                self.kind = Kind::Chunked {
                    left_in_chunk: left,
                    done: false,
                };
                Ok(got)
            }
        }
    }

    /// Read and discard up to `limit` bytes of what is left. True if the body is done.
    pub fn drain(&mut self, limit: u64) -> bool {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        while !self.is_done() && !self.broken && total < limit {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(_) => return false,
            }
        }
        self.is_done() && !self.broken
    }
}

impl Read for Body<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.broken {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "request body unusable",
            ));
        }
        let mut buf = buf;
        if let Some(limit) = self.fail_after {
            if self.consumed >= limit {
                self.broken = true;
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "fault injected: reset mid-body",
                ));
            }
            let room = (limit - self.consumed).min(buf.len() as u64) as usize;
            buf = &mut buf[..room];
        }
        match self.read_inner(buf) {
            Ok(n) => {
                self.consumed += n as u64;
                Ok(n)
            }
            Err(e) => {
                self.broken = true;
                Err(e)
            }
        }
    }
}

/// A stretch of a data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// A response body.
pub enum ResponseBody {
    Empty,
    Bytes(Vec<u8>),
    /// Stretches of files, sent in order. `first` is the first piece's file, opened
    /// ahead (so a vanished file is noticed before the headers go out).
    Pieces {
        first: Option<File>,
        pieces: Vec<Piece>,
    },
}

impl ResponseBody {
    pub fn len(&self) -> u64 {
        match self {
            ResponseBody::Empty => 0,
            ResponseBody::Bytes(b) => b.len() as u64,
            ResponseBody::Pieces { pieces, .. } => pieces.iter().map(|p| p.len).sum(),
        }
    }
}

fn open_piece(file: Option<File>, p: &Piece) -> io::Result<io::Take<File>> {
    let mut f = match file {
        Some(f) => f,
        None => File::open(&p.path)?,
    };
    f.seek(SeekFrom::Start(p.offset))?;
    Ok(f.take(p.len))
}

/// Reads a sequence of file pieces as one stream.
pub struct PieceReader {
    pieces: std::vec::IntoIter<Piece>,
    current: Option<io::Take<File>>,
}

impl PieceReader {
    pub fn new(first: Option<File>, pieces: Vec<Piece>) -> io::Result<Self> {
        let mut it = pieces.into_iter();
        let current = match it.next() {
            Some(p) => Some(open_piece(first, &p)?),
            None => None,
        };
        Ok(PieceReader {
            pieces: it,
            current,
        })
    }
}

impl Read for PieceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(cur) = self.current.as_mut() else {
                return Ok(0);
            };
            let left = cur.limit();
            let n = cur.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if left > 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "data file shrank",
                ));
            }
            self.current = match self.pieces.next() {
                Some(p) => Some(open_piece(None, &p)?),
                None => None,
            };
        }
    }
}

/// A response ready to be written.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: ResponseBody,
}

impl Response {
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: ResponseBody::Empty,
        }
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    pub fn set_header(&mut self, k: &str, v: impl Into<String>) {
        let v = v.into();
        if let Some(h) = self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
        {
            h.1 = v;
        } else {
            self.headers.push((k.to_string(), v));
        }
    }
    pub fn get_header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
    pub fn xml(status: u16, body: String) -> Self {
        let mut r = Response::new(status).header("Content-Type", "application/xml");
        r.body = ResponseBody::Bytes(body.into_bytes());
        r
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        412 => "Precondition Failed",
        416 => "Requested Range Not Satisfiable",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Write a response. With `head_only` the body is not sent (HEAD); `body_limit` sends
/// only that many body bytes (fault injection; the caller then closes). Returns the body
/// bytes written.
pub fn write_response(
    w: &mut TcpStream,
    resp: Response,
    head_only: bool,
    keep_alive: bool,
    body_limit: Option<u64>,
) -> io::Result<u64> {
    let len = resp.body.len();
    let mut head = Vec::with_capacity(512);
    write!(head, "HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status))?;
    for (k, v) in &resp.headers {
        write!(head, "{k}: {v}\r\n")?;
    }
    write!(head, "Content-Length: {len}\r\n")?;
    head.extend_from_slice(if keep_alive {
        b"Connection: keep-alive\r\n\r\n"
    } else {
        b"Connection: close\r\n\r\n"
    });
    let to_send = if head_only {
        0
    } else {
        body_limit.map_or(len, |l| l.min(len))
    };
    match resp.body {
        ResponseBody::Empty => {
            w.write_all(&head)?;
        }
        ResponseBody::Bytes(b) => {
            head.extend_from_slice(&b[..to_send as usize]);
            w.write_all(&head)?;
        }
        ResponseBody::Pieces { first, pieces } => {
            w.write_all(&head)?;
            let mut left = to_send;
            let mut first = first;
            for p in pieces {
                if left == 0 {
                    break;
                }
                let want = p.len.min(left);
                let mut f = open_piece(first.take(), &p)?;
                f.set_limit(want);
                // std turns this into sendfile(2) on Linux; it falls back to a copy loop.
                let n = io::copy(&mut f, w)?;
                if n != want {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "data file shrank",
                    ));
                }
                left -= n;
            }
        }
    }
    w.flush()?;
    Ok(to_send)
}
