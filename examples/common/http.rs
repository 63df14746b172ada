//! HTTP/1.1 pieces shared by the `httpd` and `client` examples: a bounded input buffer
//! over a TCP socket, message-body framing (RFC 9112 §6: Content-Length, chunked, or
//! until close), and the deterministic byte pattern of the `/bytes/N` route.
//!
//! Message heads are parsed with `httparse`; this module only handles what comes after.

use skiff::socket::tcp::{self, RecvError};

/// The `i`-th byte of every `/bytes/N` body (the same pattern as the loopback demo's),
/// so that any client can check what it received.
pub fn pattern_byte(i: u64) -> u8 {
    (i % 251) as u8
}

/// Fills `dst` with the pattern starting at byte `offset` of the body, a few hundred
/// bytes per copy (the cost of a `memcpy`, not of a loop per byte).
pub fn fill_pattern(dst: &mut [u8], offset: u64) {
    const PERIOD: usize = 251;
    // Several periods, so most copies are long.
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (0..PERIOD * 64).map(|i| pattern_byte(i as u64)).collect());
    let mut at = (offset % PERIOD as u64) as usize;
    let mut rest = dst;
    while !rest.is_empty() {
        let n = rest.len().min(table.len() - at);
        let (head, tail) = rest.split_at_mut(n);
        head.copy_from_slice(&table[at..at + n]);
        rest = tail;
        at = (at + n) % PERIOD;
    }
}

/// Bytes read from a socket and not yet consumed, in a buffer of fixed size: a request
/// head must fit in it, a body streams through it.
pub struct Input {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The peer closed its direction (or the connection died) and every byte is in `buf`.
    eof: bool,
}

impl Input {
    pub fn with_capacity(len: usize) -> Input {
        Input {
            buf: vec![0; len].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// Moves what the socket has received into the buffer, as far as it fits; returns
    /// how many bytes that was.
    pub fn fill(&mut self, socket: &mut tcp::Socket<'_>) -> usize {
        if self.end == self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let Some(room) = self.buf.get_mut(self.end..) else {
            return 0;
        };
        if room.is_empty() {
            return 0;
        }
        match socket.recv_slice(room) {
            Ok(n) => {
                self.end += n;
                n
            }
            Err(RecvError::Finished | RecvError::Reset) => {
                self.eof = true;
                0
            }
            // Not connected yet, or never will be.
            Err(RecvError::InvalidState) => {
                self.eof = socket.state() == tcp::State::Closed;
                0
            }
        }
    }

    /// The unconsumed bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Drops the first `n` unconsumed bytes.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Drops everything buffered.
    pub fn clear(&mut self) {
        self.consume(self.end - self.start);
    }

    /// No room left: a head or a chunk line longer than the buffer.
    pub fn is_full(&self) -> bool {
        self.start == 0 && self.end == self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether the peer has closed its direction: nothing more will arrive.
    pub fn eof(&self) -> bool {
        self.eof
    }
}

/// How a message's body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length: N`, or no body at all (0).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// A response without either: the body ends when the server closes.
    UntilClose,
}

/// Why a message's framing headers were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramingError {
    /// A Content-Length that is not a number, or several that disagree, or one beside
    /// Transfer-Encoding (request smuggling, RFC 9112 §6.1).
    Malformed,
    /// A transfer coding other than `chunked` (501 for a server).
    UnsupportedCoding,
}

/// The value of header `name` (case-insensitive), the first if there are several.
pub fn header<'h>(headers: &[httparse::Header<'h>], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// Whether a comma-separated header (`Connection`, `Expect`) lists `token`.
pub fn has_token(headers: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// The body framing of a message with these headers; `default` applies when neither
/// Transfer-Encoding nor Content-Length is present (no body for a request, until close
/// for a response).
pub fn framing(
    headers: &[httparse::Header<'_>],
    default: Framing,
) -> Result<Framing, FramingError> {
    let mut length: Option<u64> = None;
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        let text = std::str::from_utf8(h.value).map_err(|_| FramingError::Malformed)?;
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FramingError::Malformed);
        }
        let n: u64 = text.parse().map_err(|_| FramingError::Malformed)?;
        if length.is_some_and(|l| l != n) {
            return Err(FramingError::Malformed);
        }
        length = Some(n);
    }
    match header(headers, "transfer-encoding") {
        Some(_) if length.is_some() => Err(FramingError::Malformed),
        Some(coding) if coding.trim_ascii().eq_ignore_ascii_case(b"chunked") => {
            Ok(Framing::Chunked)
        }
        Some(_) => Err(FramingError::UnsupportedCoding),
        None => Ok(length.map_or(default, Framing::Length)),
    }
}

/// A malformed chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadChunk;

/// Where a chunked body's decoder is (RFC 9112 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// At a chunk-size line.
    Size,
    /// Inside chunk data, this many bytes left.
    Data(u64),
    /// At the CRLF after chunk data.
    DataEnd,
    /// In the trailer section, after the last chunk.
    Trailer,
}

/// Takes a message body out of an [`Input`] as it arrives, whatever its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDecoder {
    framing: Framing,
    chunk: Chunk,
    done: bool,
}

impl BodyDecoder {
    pub fn new(framing: Framing) -> BodyDecoder {
        BodyDecoder {
            framing,
            chunk: Chunk::Size,
            done: framing == Framing::Length(0),
        }
    }

    /// Whether the whole body has been taken.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Feeds the body bytes at the front of `input` to `sink` and consumes them (and the
    /// chunked framing around them). Returns whether anything was consumed. Errors on
    /// a malformed chunked body, and on a line longer than the input buffer.
    pub fn decode(
        &mut self,
        input: &mut Input,
        sink: &mut impl FnMut(&[u8]),
    ) -> Result<bool, BadChunk> {
        let mut progress = false;
        while !self.done {
            let data = input.data();
            let used = match self.framing {
                Framing::Length(ref mut left) => take_data(data, left, sink),
                Framing::UntilClose => {
                    sink(data);
                    data.len()
                }
                Framing::Chunked => self.chunked_step(data, sink)?,
            };
            if let Framing::Length(0) = self.framing {
                self.done = true;
            }
            if used == 0 {
                break;
            }
            input.consume(used);
            progress = true;
        }
        if !self.done && input.eof() && input.is_empty() {
            // The peer closed: that ends a body delimited by the close, and truncates
            // any other (the caller sees `is_done() == false`).
            self.done = self.framing == Framing::UntilClose;
        }
        if !progress && !self.done && input.is_full() {
            return Err(BadChunk);
        }
        Ok(progress)
    }

    /// One step of chunked decoding over `data`; returns the bytes used (0: need more).
    fn chunked_step(
        &mut self,
        data: &[u8],
        sink: &mut impl FnMut(&[u8]),
    ) -> Result<usize, BadChunk> {
        match self.chunk {
            Chunk::Size => match httparse::parse_chunk_size(data) {
                Ok(httparse::Status::Complete((used, size))) => {
                    self.chunk = if size == 0 {
                        Chunk::Trailer
                    } else {
                        Chunk::Data(size)
                    };
                    Ok(used)
                }
                Ok(httparse::Status::Partial) => Ok(0),
                Err(_) => Err(BadChunk),
            },
            Chunk::Data(ref mut left) => {
                let used = take_data(data, left, sink);
                if *left == 0 {
                    self.chunk = Chunk::DataEnd;
                }
                Ok(used)
            }
            Chunk::DataEnd => match data {
                [b'\r', b'\n', ..] => {
                    self.chunk = Chunk::Size;
                    Ok(2)
                }
                [] | [b'\r'] => Ok(0),
                _ => Err(BadChunk),
            },
            // Trailer fields are read and ignored, up to the empty line.
            Chunk::Trailer => match data.windows(2).position(|w| w == b"\r\n") {
                Some(0) => {
                    self.done = true;
                    Ok(2)
                }
                Some(at) => Ok(at + 2),
                None => Ok(0),
            },
        }
    }
}

/// Hands up to `left` bytes of `data` to `sink`; returns how many.
fn take_data(data: &[u8], left: &mut u64, sink: &mut impl FnMut(&[u8])) -> usize {
    let n = data.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
    if n > 0 {
        sink(&data[..n]);
        *left -= n as u64;
    }
    n
}

/// Lower-case hexadecimal of `bytes` (a digest).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Input {
        /// Appends bytes as if a socket had delivered them.
        fn push(&mut self, bytes: &[u8]) {
            self.buf[self.end..self.end + bytes.len()].copy_from_slice(bytes);
            self.end += bytes.len();
        }
    }

    /// Decodes `wire` handed over in pieces of `step` bytes; returns the body and
    /// whether the decoder saw its end.
    fn decode_in_steps(framing: Framing, wire: &[u8], step: usize) -> (Vec<u8>, bool) {
        let mut input = Input::with_capacity(64);
        let mut decoder = BodyDecoder::new(framing);
        let mut body = Vec::new();
        for piece in wire.chunks(step) {
            input.push(piece);
            decoder
                .decode(&mut input, &mut |d: &[u8]| body.extend_from_slice(d))
                .unwrap();
        }
        (body, decoder.is_done())
    }

    #[test]
    fn a_chunked_body_decodes_the_same_whatever_the_pieces_it_arrives_in() {
        let wire =
            b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: y\r\n\r\n";
        for step in 1..wire.len() {
            let (body, done) = decode_in_steps(Framing::Chunked, wire, step);
            assert_eq!(body, b"Wikipedia in\r\n\r\nchunks.", "pieces of {step}");
            assert!(done);
        }
    }

    #[test]
    fn a_content_length_body_stops_at_its_length() {
        let (body, done) = decode_in_steps(Framing::Length(5), b"helloGET /", 3);
        assert_eq!(body, b"hello");
        assert!(done);
    }

    #[test]
    fn chunk_data_without_its_crlf_is_malformed() {
        let mut input = Input::with_capacity(64);
        input.push(b"3\r\nabcX\r\n");
        let mut decoder = BodyDecoder::new(Framing::Chunked);
        assert_eq!(
            decoder.decode(&mut input, &mut |_: &[u8]| {}),
            Err(BadChunk)
        );
    }

    #[test]
    fn conflicting_or_unknown_framing_headers_are_refused() {
        let h = |name, value| httparse::Header { name, value };
        let chunked = [h("Transfer-Encoding", &b"chunked"[..])];
        assert_eq!(framing(&chunked, Framing::Length(0)), Ok(Framing::Chunked));
        let both = [
            h("Content-Length", &b"3"[..]),
            h("Transfer-Encoding", b"chunked"),
        ];
        assert_eq!(
            framing(&both, Framing::Length(0)),
            Err(FramingError::Malformed)
        );
        let two = [h("Content-Length", &b"3"[..]), h("content-length", b"4")];
        assert_eq!(
            framing(&two, Framing::Length(0)),
            Err(FramingError::Malformed)
        );
        let sign = [h("Content-Length", &b"+3"[..])];
        assert_eq!(
            framing(&sign, Framing::Length(0)),
            Err(FramingError::Malformed)
        );
        let gzip = [h("Transfer-Encoding", &b"gzip"[..])];
        assert_eq!(
            framing(&gzip, Framing::Length(0)),
            Err(FramingError::UnsupportedCoding)
        );
        assert_eq!(framing(&[], Framing::UntilClose), Ok(Framing::UntilClose));
    }

    #[test]
    fn the_pattern_is_the_same_from_any_offset() {
        let mut whole = vec![0u8; 40_000];
        fill_pattern(&mut whole, 0);
        assert!(
            whole
                .iter()
                .enumerate()
                .all(|(i, &b)| b == pattern_byte(i as u64))
        );
        let mut part = vec![0u8; 20_000];
        fill_pattern(&mut part, 12_345);
        assert_eq!(part, whole[12_345..32_345]);
    }
}
