//! One HTTP/1.1 connection of `httpd`: reads requests in order, answers each before
//! reading the next (so pipelined requests get their responses in order), streams
//! bodies both ways through the socket's buffers, keeps the connection alive between
//! requests, and closes it with a FIN.

use std::io::{Read, Write as _};
use std::time::Instant as StdInstant;

use sha2::{Digest, Sha256};
use skiff::socket::SocketHandle;
use skiff::socket::tcp::{self, State};

use super::routes::{self, Action, Body, Method, Response, Site, Status};
use super::{HttpStats, Snapshot};
use crate::common::http::{self, BodyDecoder, Framing, FramingError, Input};

/// The longest request head (request line and headers) accepted: 431 beyond it.
const HEAD_LIMIT: usize = 16 * 1024;
/// The most header fields in a request: 431 beyond it.
const MAX_HEADERS: usize = 48;
/// The largest body accepted (and dropped) on a route that does not take one.
const DISCARD_LIMIT: u64 = 64 * 1024;

/// What the connection needs from the server while it works.
pub struct Context<'a> {
    pub site: &'a Site,
    pub snapshot: &'a Snapshot,
    pub stats: &'a mut HttpStats,
    /// `--max-upload`.
    pub max_upload: u64,
    pub now: StdInstant,
}

/// One client connection and where it is in its current request.
pub struct Connection {
    handle: SocketHandle,
    input: Input,
    output: Output,
    phase: Phase,
    /// Close once the response in progress is out: an error, `Connection: close`,
    /// HTTP/1.0, or the server shutting down.
    close_after: bool,
    /// When bytes last moved either way (for the idle timeout).
    last_active: StdInstant,
    /// The socket's send queue when last looked at: when it shrinks, ACKs came.
    send_queue: usize,
}

/// Where the connection is between requests.
enum Phase {
    /// Waiting for a request head.
    Head,
    /// Taking a request body.
    Body(BodyDecoder, BodySink),
    /// Our FIN is queued; whatever still arrives is read and dropped, so the peer is
    /// never stuck behind a closed window.
    Closing,
}

/// Where a request body goes.
enum BodySink {
    /// Nowhere (at most `DISCARD_LIMIT` bytes, counted here); then the response goes
    /// out, head only for a HEAD request.
    Discard(u64, Response, Method),
    /// `PUT /upload`: counted and digested.
    Upload(u64, Box<Sha256>),
}

/// The response being sent: head (and any in-memory body) bytes, then a body generated
/// or read straight into the send buffer.
#[derive(Default)]
struct Output {
    bytes: Vec<u8>,
    sent: usize,
    stream: Option<Stream>,
}

enum Stream {
    Pattern { offset: u64, left: u64 },
    File { file: std::fs::File, left: u64 },
}

/// The parts of a request head the server acts on, copied out of the input buffer.
struct RequestHead {
    method: Method,
    path: String,
    framing: Framing,
    keep_alive: bool,
    expect_continue: bool,
}

impl Connection {
    pub fn new(handle: SocketHandle, now: StdInstant) -> Connection {
        Connection {
            handle,
            input: Input::with_capacity(HEAD_LIMIT),
            output: Output::default(),
            phase: Phase::Head,
            close_after: false,
            last_active: now,
            send_queue: 0,
        }
    }

    pub fn handle(&self) -> SocketHandle {
        self.handle
    }

    /// Moves the connection forward as far as its socket allows: reads, answers, sends.
    pub fn serve(&mut self, socket: &mut tcp::Socket<'_>, cx: &mut Context<'_>) {
        loop {
            let received = self.input.fill(socket);
            cx.stats.bytes_received += received as u64;
            let sent = self.output.flush(socket);
            cx.stats.bytes_sent += sent as u64;
            if received + sent > 0 {
                self.last_active = cx.now;
            }
            if !self.output.is_idle() {
                break; // the send buffer is full: wait for ACKs
            }
            // Between requests (a response just went out): close if this was the last.
            if self.close_after && matches!(self.phase, Phase::Head) {
                self.close(socket, cx.now);
            }
            let progressed = match self.phase {
                Phase::Head => self.next_request(cx),
                Phase::Body(..) => self.take_body(cx),
                Phase::Closing => {
                    self.input.clear();
                    false
                }
            };
            if !progressed && received == 0 {
                break;
            }
        }
        // The peer closed and every request it sent is answered: close our side too.
        let idle = matches!(self.phase, Phase::Head) && self.input.is_empty();
        if idle && self.input.eof() && self.output.is_idle() {
            self.close(socket, cx.now);
        }
    }

    /// Ends a connection on which nothing has moved for `timeout`: one waiting for a
    /// request gets a FIN (the client retries on a new connection, RFC 9112 §9.3.1);
    /// one stuck in a request, a response or a close (a peer that stopped reading, or
    /// that took our FIN and never sends its own, as Linux's `tcp_fin_timeout`) is
    /// reset. Returns when it must be looked at again.
    pub fn check_idle(
        &mut self,
        socket: &mut tcp::Socket<'_>,
        now: StdInstant,
        timeout: std::time::Duration,
    ) -> Option<StdInstant> {
        // ACKs that drain the send buffer are progress too.
        if socket.send_queue() != self.send_queue {
            self.send_queue = socket.send_queue();
            self.last_active = now;
        }
        let deadline = self.last_active + timeout;
        if now < deadline {
            return Some(deadline);
        }
        match self.phase {
            Phase::Head if self.output.is_idle() => self.close(socket, now),
            _ => socket.abort(),
        }
        None
    }

    /// Graceful shutdown: an idle connection closes now, a busy one after its response.
    pub fn shut_down(&mut self, socket: &mut tcp::Socket<'_>, now: StdInstant) {
        self.close_after = true;
        if self.is_between_requests() {
            self.close(socket, now);
        }
    }

    /// Whether the connection is over for the server: closed, or closing with our FIN
    /// acknowledged (during shutdown the peer's own FIN is not waited for).
    pub fn is_finished(&self, socket: &tcp::Socket<'_>, shutting_down: bool) -> bool {
        match socket.state() {
            State::Closed | State::TimeWait => true,
            State::FinWait2 => shutting_down,
            _ => false,
        }
    }

    fn is_between_requests(&self) -> bool {
        matches!(self.phase, Phase::Head) && self.input.is_empty() && self.output.is_idle()
    }

    fn close(&mut self, socket: &mut tcp::Socket<'_>, now: StdInstant) {
        let _ = socket.close();
        self.last_active = now;
        self.phase = Phase::Closing;
        self.input.clear();
    }

    /// Parses the next request head, if it is all there, and starts answering it.
    /// Returns whether it consumed anything.
    fn next_request(&mut self, cx: &mut Context<'_>) -> bool {
        if self.input.is_empty() {
            return false;
        }
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut fields);
        let parsed = request.parse(self.input.data());
        let (head_len, head) = match parsed {
            Ok(httparse::Status::Complete(len)) => (len, read_head(&request)),
            Ok(httparse::Status::Partial) if self.input.is_full() => {
                (0, Err(routes::HEADERS_TOO_LARGE))
            }
            Ok(httparse::Status::Partial) if self.input.eof() => {
                // A request cut short by the peer's close: nothing to answer.
                self.input.clear();
                return true;
            }
            Ok(httparse::Status::Partial) => return false,
            Err(httparse::Error::TooManyHeaders) => (0, Err(routes::HEADERS_TOO_LARGE)),
            Err(_) => (0, Err(routes::BAD_REQUEST)),
        };
        self.input.consume(head_len);
        cx.stats.requests += 1;
        match head {
            Ok(head) => self.start(head, cx),
            Err(status) => self.respond(Response::error(status), Method::Get),
        }
        true
    }

    /// Acts on a parsed request head: answers it, or starts taking its body.
    fn start(&mut self, head: RequestHead, cx: &mut Context<'_>) {
        if !head.keep_alive {
            self.close_after = true;
        }
        let too_large = Response::error(routes::CONTENT_TOO_LARGE);
        let stats = routes::Stats {
            http: cx.stats,
            snapshot: cx.snapshot,
        };
        let action = routes::route(head.method, &head.path, cx.site, &stats);
        let sink = match (action, head.framing) {
            (Action::Upload, Framing::Length(n)) if n > cx.max_upload => {
                return self.respond(too_large, head.method);
            }
            (Action::Upload, _) => {
                cx.stats.uploads += 1;
                BodySink::Upload(0, Box::new(Sha256::new()))
            }
            (Action::Respond(response), Framing::Length(0)) => {
                return self.respond(response, head.method);
            }
            (Action::Respond(_), Framing::Length(n)) if n > DISCARD_LIMIT => {
                return self.respond(too_large, head.method);
            }
            (Action::Respond(response), _) => BodySink::Discard(0, response, head.method),
        };
        // RFC 9110 §10.1.1: a client that waits for "100 Continue" before sending the
        // body gets it once the server wants the body.
        if head.expect_continue {
            self.output
                .bytes
                .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        self.phase = Phase::Body(BodyDecoder::new(head.framing), sink);
    }

    /// Takes what has arrived of the request body; answers once it is complete.
    /// Returns whether it consumed anything.
    fn take_body(&mut self, cx: &mut Context<'_>) -> bool {
        let Phase::Body(decoder, sink) = &mut self.phase else {
            return false;
        };
        let mut over_limit = false;
        let result = decoder.decode(&mut self.input, &mut |data: &[u8]| match sink {
            BodySink::Discard(seen, ..) => {
                *seen += data.len() as u64;
                over_limit |= *seen > DISCARD_LIMIT;
            }
            BodySink::Upload(len, digest) => {
                *len += data.len() as u64;
                over_limit |= *len > cx.max_upload;
                digest.update(data);
            }
        });
        let progressed = matches!(result, Ok(true));
        let failure = match result {
            Err(_) => Some(routes::BAD_REQUEST),
            Ok(_) if over_limit => Some(routes::CONTENT_TOO_LARGE),
            // The peer closed in the middle of the body: nobody to answer.
            Ok(_) if !decoder.is_done() && self.input.eof() && self.input.is_empty() => {
                self.phase = Phase::Head;
                return progressed;
            }
            Ok(_) => None,
        };
        if let Some(status) = failure {
            self.respond(Response::error(status), Method::Put);
            return true;
        }
        if !decoder.is_done() {
            return progressed;
        }
        let Phase::Body(_, sink) = std::mem::replace(&mut self.phase, Phase::Head) else {
            unreachable!("matched above");
        };
        match sink {
            BodySink::Discard(_, response, method) => self.respond(response, method),
            BodySink::Upload(len, digest) => {
                let json = format!(
                    "{{\"bytes\":{len},\"sha256\":\"{}\"}}\n",
                    http::hex(&digest.finalize())
                );
                let body = Body::Text(json);
                self.respond(
                    Response::new(routes::OK, "application/json", body),
                    Method::Put,
                );
            }
        }
        true
    }

    /// Queues `response` (its head only for HEAD). After an error the connection closes
    /// once the response is out.
    fn respond(&mut self, response: Response, method: Method) {
        if response.ends_connection() {
            self.close_after = true;
        }
        self.phase = Phase::Head;
        self.output
            .start(response, method == Method::Head, self.close_after);
    }
}

/// Copies what the server needs out of a parsed request head, or says why it is refused.
fn read_head(request: &httparse::Request<'_, '_>) -> Result<RequestHead, Status> {
    let (Some(method), Some(target), Some(version)) =
        (request.method, request.path, request.version)
    else {
        return Err(routes::BAD_REQUEST);
    };
    let fields = &*request.headers;
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is a bad request.
    if version == 1 && http::header(fields, "host").is_none() {
        return Err(routes::BAD_REQUEST);
    }
    let framing = http::framing(fields, Framing::Length(0)).map_err(|e| match e {
        FramingError::Malformed => routes::BAD_REQUEST,
        FramingError::UnsupportedCoding => routes::NOT_IMPLEMENTED,
    })?;
    let expect = http::header(fields, "expect");
    let expect_continue = match expect {
        None => false,
        Some(value) if value.eq_ignore_ascii_case(b"100-continue") => true,
        Some(_) => return Err(routes::EXPECTATION_FAILED),
    };
    // Persistent by default in HTTP/1.1, on request in HTTP/1.0 (RFC 9112 §9.3).
    let keep_alive = if version == 1 {
        !http::has_token(fields, "connection", "close")
    } else {
        http::has_token(fields, "connection", "keep-alive")
    };
    Ok(RequestHead {
        method: Method::parse(method),
        path: request_path(target).ok_or(routes::BAD_REQUEST)?.to_owned(),
        framing,
        keep_alive,
        expect_continue,
    })
}

/// The path of a request target in origin form (`/a?b`) or absolute form
/// (`http://host/a?b`), without its query.
fn request_path(target: &str) -> Option<&str> {
    let path = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => target,
    };
    let path = path.split('?').next().unwrap_or(path);
    path.starts_with('/').then_some(path)
}

impl Output {
    /// Writes the head of `response` (and its body, when it is in memory) ready to send.
    fn start(&mut self, response: Response, head_only: bool, close: bool) {
        let Status(code, reason) = response.status;
        let mut head = std::mem::take(&mut self.bytes);
        let _ = write!(
            head,
            "HTTP/1.1 {code} {reason}\r\nServer: skiff-httpd\r\nDate: {}\r\n\
             Content-Type: {}\r\nContent-Length: {}\r\n",
            routes::http_date(std::time::SystemTime::now()),
            response.content_type,
            response.body.len(),
        );
        if let Some(allow) = response.allow {
            let _ = write!(head, "Allow: {allow}\r\n");
        }
        if close {
            head.extend_from_slice(b"Connection: close\r\n");
        }
        head.extend_from_slice(b"\r\n");
        self.stream = None;
        if !head_only {
            match response.body {
                Body::Text(text) => head.extend_from_slice(text.as_bytes()),
                Body::Pattern(0) | Body::File { len: 0, .. } => {}
                Body::Pattern(len) => {
                    self.stream = Some(Stream::Pattern {
                        offset: 0,
                        left: len,
                    })
                }
                Body::File { file, len } => self.stream = Some(Stream::File { file, left: len }),
            }
        }
        self.bytes = head;
    }

    /// Whether everything queued has gone into the send buffer.
    fn is_idle(&self) -> bool {
        self.bytes.is_empty() && self.stream.is_none()
    }

    /// Moves as much as fits into the send buffer; returns how many bytes that was.
    fn flush(&mut self, socket: &mut tcp::Socket<'_>) -> usize {
        let mut total = 0;
        while !self.bytes.is_empty() {
            match socket.send_slice(&self.bytes[self.sent..]) {
                Ok(n) if n > 0 => {
                    total += n;
                    self.sent += n;
                    if self.sent == self.bytes.len() {
                        self.bytes.clear();
                        self.sent = 0;
                    }
                }
                // Full, or the connection is gone (the owner sees it in the state).
                _ => return total,
            }
        }
        while let Some(stream) = &mut self.stream {
            let n = match socket.send_with(|room| stream.produce(room)) {
                Ok(Ok(n)) if n > 0 => n,
                Ok(Err(e)) => {
                    // The file shrank or failed under us: the body cannot be finished,
                    // so the connection must not look complete. Reset it.
                    log::warn!("body stream failed: {e}");
                    socket.abort();
                    self.stream = None;
                    return total;
                }
                _ => return total,
            };
            total += n;
            if stream.is_done() {
                self.stream = None;
            }
        }
        total
    }
}

impl Stream {
    /// Writes the next bytes of the body into `room`; returns (written, written).
    fn produce(&mut self, room: &mut [u8]) -> (usize, std::io::Result<usize>) {
        let (left, written) = match self {
            Stream::Pattern { offset, left } => {
                let n = room.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                http::fill_pattern(&mut room[..n], *offset);
                *offset += n as u64;
                (left, Ok(n))
            }
            Stream::File { file, left } => {
                let want = room.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                let read = match file.read(&mut room[..want]) {
                    Ok(0) if want > 0 => Err(std::io::ErrorKind::UnexpectedEof.into()),
                    other => other,
                };
                (left, read)
            }
        };
        let n = *written.as_ref().unwrap_or(&0);
        *left -= n as u64;
        (n, written)
    }

    fn is_done(&self) -> bool {
        match self {
            Stream::Pattern { left, .. } | Stream::File { left, .. } => *left == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_lose_their_query_and_authority() {
        assert_eq!(request_path("/a/b?c=d"), Some("/a/b"));
        assert_eq!(request_path("http://192.0.2.2:80/x?y"), Some("/x"));
        assert_eq!(request_path("http://192.0.2.2"), Some("/"));
        assert_eq!(request_path("*"), None);
    }
}
