//! An HTTP/1.1 client on a real device (TAP or AF_PACKET): GETs one URL into a file or
//! stdout and reports the size, the time and the throughput. Exits 0 for a complete 2xx
//! response, 1 for anything else (refused, reset, timed out, truncated, not 2xx).
//!
//! The URL names the server by address (no DNS): `http://192.0.2.1:8000/path` or
//! `http://[2001:db8::1]/path`. The body may come with a Content-Length, chunked, or
//! delimited by the server's close.
//!
//! ```sh
//! sudo scripts/netns.sh up demo
//! mkdir -p /tmp/www && head -c 100000000 /dev/urandom > /tmp/www/blob
//! sudo ip netns exec demo python3 -m http.server -d /tmp/www 8000 &
//! cargo build --release --example client
//! sudo ip netns exec demo target/release/examples/client --tap tap0 \
//!     --ip 192.0.2.2/24 http://192.0.2.1:8000/blob -o /tmp/blob.copy
//! cmp /tmp/www/blob /tmp/blob.copy
//! sudo scripts/netns.sh down demo
//! ```

mod common;

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::http::{self, BodyDecoder, Framing, Input};
use common::{COMMON_USAGE, CommonOptions, parse_seconds};
use skiff::iface::Interface;
use skiff::socket::tcp::{self, State};
use skiff::socket::{SocketHandle, SocketSet};
use skiff_phy::Clock;

fn usage() -> String {
    format!(
        "usage: client (--tap NAME | --af-packet NAME) --ip CIDR... [options] URL\n\
         {COMMON_USAGE}\n\
         \x20 -o, --output FILE   write the body to FILE (default: stdout)\n\
         \x20 --timeout S         give up after S seconds without progress (default 10)"
    )
}

struct Options {
    common: CommonOptions,
    server: SocketAddr,
    /// The request target and the Host header.
    path: String,
    host: String,
    output: Option<String>,
    timeout: StdDuration,
}

fn parse() -> Result<Options, String> {
    let mut common = CommonOptions::new();
    let (mut url, mut output, mut timeout) = (None, None, StdDuration::from_secs(10));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if common.take(&arg, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "-o" | "--output" => output = Some(value()?),
            "--timeout" => {
                timeout = parse_seconds(&value()?).ok_or("--timeout: not a number of seconds")?
            }
            "-h" | "--help" => return Err(usage()),
            _ if !arg.starts_with('-') && url.is_none() => url = Some(arg),
            _ => return Err(format!("unknown argument {arg}\n{}", usage())),
        }
    }
    common.validate()?;
    let url = url.ok_or_else(|| format!("a URL is required\n{}", usage()))?;
    let (server, host, path) =
        parse_url(&url).ok_or(format!("{url}: not http://ADDRESS[:PORT]/PATH"))?;
    Ok(Options {
        common,
        server,
        path,
        host,
        output,
        timeout,
    })
}

/// `http://192.0.2.1:8000/a` → (192.0.2.1:8000, "192.0.2.1:8000", "/a").
fn parse_url(url: &str) -> Option<(SocketAddr, String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    let server = match authority.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => {
            let bare = authority.trim_start_matches('[').trim_end_matches(']');
            SocketAddr::new(bare.parse::<IpAddr>().ok()?, 80)
        }
    };
    Some((server, authority.to_owned(), path.to_owned()))
}

/// Where the response is.
enum Reading {
    Head,
    Body(BodyDecoder),
    Done,
}

/// The one request and its response, driven by the poll loop.
struct Fetch {
    handle: SocketHandle,
    request: Vec<u8>,
    input: Input,
    reading: Reading,
    status: Option<(u16, String)>,
    body_bytes: u64,
    out: Box<dyn Write>,
}

impl Fetch {
    /// Sends the request, reads what arrived; `Err` ends the fetch with a message.
    fn step(&mut self, socket: &mut tcp::Socket<'_>) -> Result<(), String> {
        if !self.request.is_empty() && socket.may_send() {
            let n = socket.send_slice(&self.request).unwrap_or(0);
            self.request.drain(..n);
        }
        loop {
            let received = self.input.fill(socket);
            let progressed = match &mut self.reading {
                Reading::Head => self.read_head()?,
                Reading::Body(decoder) => {
                    let out = &mut self.out;
                    let mut failed = None;
                    let mut count = 0u64;
                    let progressed = decoder
                        .decode(&mut self.input, &mut |data: &[u8]| {
                            count += data.len() as u64;
                            if let Err(e) = out.write_all(data) {
                                failed.get_or_insert(e);
                            }
                        })
                        .map_err(|_| "malformed chunked body".to_owned())?;
                    self.body_bytes += count;
                    if let Some(e) = failed {
                        return Err(format!("writing the body: {e}"));
                    }
                    if decoder.is_done() {
                        self.reading = Reading::Done;
                    }
                    progressed
                }
                Reading::Done => return Ok(()),
            };
            if !progressed && received == 0 {
                break;
            }
        }
        if self.input.eof() && self.input.is_empty() {
            return Err(match socket.state() {
                State::Closed if socket.close_reason().is_some() => {
                    format!("connection ended: {:?}", socket.close_reason())
                }
                _ => "the server closed before the response was complete".to_owned(),
            });
        }
        Ok(())
    }

    /// Parses the response head once it is all there. Returns whether it consumed any.
    fn read_head(&mut self) -> Result<bool, String> {
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut fields);
        let len = match response.parse(self.input.data()) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if self.input.is_full() => {
                return Err("response head too long".into());
            }
            Ok(httparse::Status::Partial) => return Ok(false),
            Err(e) => return Err(format!("bad response head: {e}")),
        };
        let code = response.code.unwrap_or(0);
        let reason = response.reason.unwrap_or("").to_owned();
        // RFC 9110 §15.2: interim responses come before the real one; skip them. And
        // 204/304 have no body whatever their headers say.
        let framing = match code {
            100..=199 => None,
            204 | 304 => Some(Ok(Framing::Length(0))),
            _ => Some(http::framing(response.headers, Framing::UntilClose)),
        };
        self.input.consume(len);
        if let Some(framing) = framing {
            let framing = framing.map_err(|e| format!("bad body framing: {e:?}"))?;
            self.status = Some((code, reason));
            let decoder = BodyDecoder::new(framing);
            self.reading = if decoder.is_done() {
                Reading::Done
            } else {
                Reading::Body(decoder)
            };
        }
        Ok(true)
    }
}

fn main() -> ExitCode {
    env_logger::init();
    let opts = match parse() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("client: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(msg) => {
            eprintln!("client: {msg}");
            ExitCode::from(1)
        }
    }
}

/// Fetches the URL; `Ok(false)` for a complete response that is not 2xx.
fn run(opts: &Options) -> Result<bool, String> {
    let out: Box<dyn Write> = match &opts.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut device = opts.common.open().map_err(|e| e.to_string())?;
    let clock = Clock::new();
    let mut iface = opts.common.interface(&mut device, clock.now());
    let mut sockets = SocketSet::with_capacity(1, u64::from(std::process::id()));
    let handle = sockets
        .add_socket(tcp::Socket::with_capacity(512 * 1024, 4096))
        .map_err(|e| format!("socket: {e:?}"))?;
    let started = StdInstant::now();
    iface
        .tcp_connect(clock.now(), &mut sockets, handle, opts.server)
        .map_err(|e| format!("connect to {}: {e:?}", opts.server))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: skiff-client\r\nConnection: close\r\n\r\n",
        opts.path, opts.host
    );
    let mut fetch = Fetch {
        handle,
        request: request.into_bytes(),
        input: Input::with_capacity(64 * 1024),
        reading: Reading::Head,
        status: None,
        body_bytes: 0,
        out,
    };
    drive(
        &mut fetch,
        &mut iface,
        &mut device,
        &mut sockets,
        &clock,
        opts.timeout,
    )?;
    fetch
        .out
        .flush()
        .map_err(|e| format!("writing the body: {e}"))?;
    let elapsed = started.elapsed().as_secs_f64();
    let (code, reason) = fetch.status.clone().unwrap_or_default();
    let mb = fetch.body_bytes as f64 / 1e6;
    eprintln!(
        "client: {code} {reason}: {} bytes in {elapsed:.3} s ({:.1} MB/s, {:.1} Mbit/s)",
        fetch.body_bytes,
        mb / elapsed,
        mb * 8.0 / elapsed
    );
    close(handle, &mut iface, &mut device, &mut sockets, &clock);
    Ok((200..300).contains(&code))
}

/// Polls until the response is complete; fails on an error or `timeout` of silence.
fn drive(
    fetch: &mut Fetch,
    iface: &mut Interface<'static>,
    device: &mut common::AnyDevice,
    sockets: &mut SocketSet<'static>,
    clock: &Clock,
    timeout: StdDuration,
) -> Result<(), String> {
    let mut last_progress = (StdInstant::now(), 0u64, 0usize);
    while !matches!(fetch.reading, Reading::Done) {
        iface.poll(clock.now(), device, sockets);
        {
            let mut socket = sockets
                .get_mut_as::<tcp::Socket>(fetch.handle)
                .expect("our socket");
            fetch.step(&mut socket)?;
        }
        let seen = (fetch.body_bytes, fetch.input.data().len());
        if seen != (last_progress.1, last_progress.2) {
            last_progress = (StdInstant::now(), seen.0, seen.1);
        } else if last_progress.0.elapsed() > timeout {
            let state = sockets
                .get_as::<tcp::Socket>(fetch.handle)
                .map(|s| s.state());
            return Err(format!("no progress for {timeout:?} (TCP state {state:?})"));
        }
        let cap = StdDuration::from_millis(200);
        let delay = iface
            .poll_delay(clock.now(), sockets)
            .map_or(cap, |d| StdDuration::from(d).min(cap));
        skiff_phy::wait(&*device, Some(delay)).map_err(|e| format!("wait: {e}"))?;
    }
    Ok(())
}

/// Closes the connection and gives the FIN exchange up to a second to finish.
fn close(
    handle: SocketHandle,
    iface: &mut Interface<'static>,
    device: &mut common::AnyDevice,
    sockets: &mut SocketSet<'static>,
    clock: &Clock,
) {
    let deadline = StdInstant::now() + StdDuration::from_secs(1);
    if let Some(mut socket) = sockets.get_mut_as::<tcp::Socket>(handle) {
        let _ = socket.close();
    }
    while StdInstant::now() < deadline {
        iface.poll(clock.now(), device, sockets);
        let state = sockets.get_as::<tcp::Socket>(handle).map(|s| s.state());
        if matches!(state, None | Some(State::Closed | State::TimeWait)) {
            break;
        }
        let _ = skiff_phy::wait(&*device, Some(StdDuration::from_millis(20)));
    }
}
