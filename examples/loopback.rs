//! The main demo: an HTTP server and an HTTP client, two skiff stacks joined by an
//! in-memory cable in one process, with no OS device and no root.
//!
//! The client (192.0.2.1) resolves the server (192.0.2.2) by ARP, fetches a page over
//! TCP, then fetches 100 MiB from `/bytes/104857600` and reports the throughput, then
//! both sides close. Time is virtual for the stacks (the loop jumps to the next
//! `poll_at` deadline); the throughput is measured with the wall clock.
//!
//! ```sh
//! cargo run --release --example loopback                 # summary
//! cargo run --release --example loopback -- --trace      # ladder diagram of the page fetch
//! cargo run --release --example loopback -- --trace --absolute --size 1000000
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::rc::Rc;

use skiff::iface::{Config, Interface};
use skiff::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use skiff::socket::SocketSet;
use skiff::socket::tcp::{self, State};
use skiff::time::{Duration, Instant};
use skiff::trace::{LadderOptions, LadderRenderer};
use skiff::wire::{ChecksumCapabilities, EthernetAddress, IpCidr};

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of the cable. Frames it sends wait in the other end's queue; spent frame
/// buffers are recycled so the bulk transfer does not allocate per frame.
struct CableEnd {
    rx: Queue,
    tx: Queue,
    spare: Rc<RefCell<Vec<Vec<u8>>>>,
    /// Frames sent, for the trace (only while tracing).
    log: Option<Queue>,
}

fn cable(trace: bool) -> (CableEnd, CableEnd, Option<Queue>) {
    let (ab, ba): (Queue, Queue) = Default::default();
    let spare = Rc::new(RefCell::new(Vec::new()));
    let log: Option<Queue> = trace.then(Default::default);
    (
        CableEnd {
            rx: ba.clone(),
            tx: ab.clone(),
            spare: spare.clone(),
            log: log.clone(),
        },
        CableEnd {
            rx: ab,
            tx: ba,
            spare,
            log: log.clone(),
        },
        log,
    )
}

struct Frame(Vec<u8>, Rc<RefCell<Vec<Vec<u8>>>>);
struct Slot(Queue, Rc<RefCell<Vec<Vec<u8>>>>, Option<Queue>);

impl RxToken for Frame {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let result = f(&self.0);
        self.1.borrow_mut().push(self.0);
        result
    }
}

impl TxToken for Slot {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = self
            .1
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(1514));
        frame.clear();
        frame.resize(len, 0);
        let result = f(&mut frame);
        if let Some(log) = &self.2 {
            log.borrow_mut().push_back(frame.clone());
        }
        self.0.borrow_mut().push_back(frame);
        result
    }
}

impl Device for CableEnd {
    type RxToken<'a> = Frame;
    type TxToken<'a> = Slot;

    fn receive(&mut self, _now: Instant) -> Option<(Frame, Slot)> {
        let frame = self.rx.borrow_mut().pop_front()?;
        Some((Frame(frame, self.spare.clone()), self.slot()))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Slot> {
        Some(self.slot())
    }

    fn capabilities(&self) -> DeviceCapabilities {
        // Nothing corrupts memory: checksums are left to the (imaginary) hardware, which
        // is what a user of a loopback wants. Captures of this cable would show them 0.
        let mut caps = DeviceCapabilities::new(Medium::Ethernet, 1514);
        caps.checksum = ChecksumCapabilities::ignored();
        caps
    }
}

impl CableEnd {
    fn slot(&self) -> Slot {
        Slot(self.tx.clone(), self.spare.clone(), self.log.clone())
    }
}

struct Host {
    iface: Interface<'static>,
    sockets: SocketSet<'static>,
    device: CableEnd,
}

impl Host {
    fn new(end: CableEnd, n: u8) -> Host {
        let mut device = end;
        let mac = EthernetAddress([0x02, 0, 0, 0, 0, n]);
        let mut iface = Interface::new(
            Config::new(mac, u64::from(n) * 0x9e37_79b9),
            &mut device,
            Instant::ZERO,
        );
        let cidr: IpCidr = format!("192.0.2.{n}/24")
            .parse()
            .expect("valid CIDR literal");
        iface.add_ip_addr(cidr);
        Host {
            iface,
            sockets: SocketSet::with_capacity(4, u64::from(n)),
            device,
        }
    }

    fn poll(&mut self, now: Instant) {
        self.iface.poll(now, &mut self.device, &mut self.sockets);
    }
}

const PAGE: &str =
    "<html><body><h1>skiff</h1><p>Served by a TCP/IP stack in one process.</p></body></html>\n";

/// The HTTP server's side of one connection: read a request, answer it, close.
#[derive(Default)]
struct Server {
    request: Vec<u8>,
    response: Vec<u8>,
    body_left: usize,
    body_sent: usize,
    answered: bool,
}

impl Server {
    fn serve(&mut self, s: &mut tcp::Socket<'static>) {
        let mut buf = [0u8; 2048];
        while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
            self.request.extend_from_slice(&buf[..n]);
        }
        if !self.answered && self.request.windows(4).any(|w| w == b"\r\n\r\n") {
            self.answered = true;
            let line = String::from_utf8_lossy(&self.request)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned();
            let path = line.split(' ').nth(1).unwrap_or("/");
            let (status, body_len, body): (&str, usize, &[u8]) = match path.strip_prefix("/bytes/")
            {
                Some(n) => match n.parse::<usize>() {
                    Ok(n) => ("200 OK", n, &[]),
                    Err(_) => ("400 Bad Request", 0, &[]),
                },
                None if path == "/" => ("200 OK", PAGE.len(), PAGE.as_bytes()),
                None => ("404 Not Found", 0, &[]),
            };
            self.response = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n"
            )
            .into_bytes();
            self.response.extend_from_slice(body);
            if body.is_empty() {
                self.body_left = body_len;
            }
        }
        // Headers and small bodies from `response`, bulk bodies generated in place.
        while !self.response.is_empty() {
            match s.send_slice(&self.response) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    self.response.drain(..n);
                }
            }
        }
        while self.body_left > 0 {
            let sent = self.body_sent;
            let result = s.send_with(|room| {
                let n = room.len().min(self.body_left);
                for (i, b) in room[..n].iter_mut().enumerate() {
                    *b = body_byte(sent + i);
                }
                (n, n)
            });
            match result {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    self.body_left -= n;
                    self.body_sent += n;
                }
            }
        }
        if self.answered && s.state() == State::Established {
            let _ = s.close();
        }
        if s.state() == State::CloseWait {
            let _ = s.close();
        }
    }
}

fn body_byte(i: usize) -> u8 {
    (i % 251) as u8
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let trace = args.iter().any(|a| a == "--trace");
    let absolute = args.iter().any(|a| a == "--absolute");
    let size: usize = args
        .iter()
        .position(|a| a == "--size")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(100 * 1024 * 1024);

    let (end_a, end_b, log) = cable(trace);
    let mut client_host = Host::new(end_a, 1);
    let mut server_host = Host::new(end_b, 2);
    let mut ladder = LadderRenderer::new(LadderOptions {
        absolute,
        ..LadderOptions::default()
    });

    let server_addr: SocketAddr = "192.0.2.2:80".parse().expect("literal");
    let mut now = Instant::ZERO;
    for (round, path) in ["/".to_owned(), format!("/bytes/{size}")]
        .iter()
        .enumerate()
    {
        let mut listener = tcp::Socket::with_capacity(256 * 1024, 256 * 1024);
        listener.listen(80).expect("port 80 free");
        let hs = server_host.sockets.add_socket(listener).expect("room");
        let client = tcp::Socket::with_capacity(256 * 1024, 64 * 1024);
        let hc = client_host.sockets.add_socket(client).expect("room");
        // The interface picks the source address and an RFC 6056 ephemeral port.
        client_host
            .iface
            .tcp_connect(now, &mut client_host.sockets, hc, server_addr)
            .expect("connect");

        let mut request = format!("GET {path} HTTP/1.1\r\nHost: 192.0.2.2\r\n\r\n").into_bytes();
        let mut response: Vec<u8> = Vec::new();
        let mut body_bytes = 0usize;
        let mut header_len = None;
        let mut server = Server::default();
        let started = std::time::Instant::now();
        let started_virtual = now;
        loop {
            client_host.poll(now);
            server_host.poll(now);
            if let Some(log) = &log {
                for frame in log.borrow_mut().drain(..) {
                    let Ok(f) = skiff::wire::frame::dissect_ethernet(
                        &frame,
                        &ChecksumCapabilities::ignored(),
                    ) else {
                        continue;
                    };
                    let mut line = String::new();
                    let _ = ladder.frame(now, &f, &mut line);
                    // The page fetch is drawn whole; of the bulk fetch only the start and end.
                    if round == 0 || body_bytes < 8 * 1460 || body_bytes + 8 * 1460 > size {
                        print!("{line}");
                    }
                }
            }
            {
                let mut s = server_host
                    .sockets
                    .get_mut_as::<tcp::Socket>(hs)
                    .expect("live");
                server.serve(&mut s);
            }
            let (client_state, server_state);
            {
                let mut c = client_host
                    .sockets
                    .get_mut_as::<tcp::Socket>(hc)
                    .expect("live");
                if c.may_send() && !request.is_empty() {
                    if let Ok(n) = c.send_slice(&request) {
                        request.drain(..n);
                    }
                }
                let mut buf = [0u8; 16 * 1024];
                loop {
                    match c.recv_slice(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => match header_len {
                            None => {
                                response.extend_from_slice(&buf[..n]);
                                if let Some(at) = response.windows(4).position(|w| w == b"\r\n\r\n")
                                {
                                    header_len = Some(at + 4);
                                    body_bytes = response.len() - at - 4;
                                }
                            }
                            Some(_) => {
                                // Check the bulk body as it streams instead of keeping it.
                                if round == 1
                                    && buf[..n]
                                        .iter()
                                        .enumerate()
                                        .any(|(i, b)| *b != body_byte(body_bytes + i))
                                {
                                    eprintln!(
                                        "loopback demo: body byte corrupted near {body_bytes}"
                                    );
                                    std::process::exit(1);
                                }
                                if round == 0 {
                                    response.extend_from_slice(&buf[..n]);
                                }
                                body_bytes += n;
                            }
                        },
                    }
                }
                if c.state() == State::CloseWait {
                    let _ = c.close();
                }
                client_state = c.state();
            }
            server_state = server_host
                .sockets
                .get_as::<tcp::Socket>(hs)
                .expect("live")
                .state();
            let done = |s: State| matches!(s, State::Closed | State::TimeWait);
            if done(client_state) && done(server_state) {
                break;
            }
            if now - started_virtual > Duration::from_secs(600) {
                eprintln!("loopback demo: stuck (client {client_state}, server {server_state})");
                std::process::exit(1);
            }
            // "The device is readable" here means a frame is on the cable; otherwise
            // jump to the earliest deadline of either stack.
            let in_flight = !client_host.device.rx.borrow().is_empty()
                || !server_host.device.rx.borrow().is_empty();
            let next = [
                client_host.iface.poll_at(now, &client_host.sockets),
                server_host.iface.poll_at(now, &server_host.sockets),
            ]
            .into_iter()
            .flatten()
            .min();
            now = match (in_flight, next) {
                (true, _) => now + Duration::from_micros(10),
                (false, Some(at)) => at.max(now + Duration::from_micros(10)),
                (false, None) => now + Duration::from_micros(10),
            };
        }
        let wall = started.elapsed();
        let header_len = header_len.unwrap_or(0);
        if round == 0 {
            let text = String::from_utf8_lossy(&response);
            println!("\nGET / -> {}", text.lines().next().unwrap_or(""));
            print!("{}", &text[header_len.min(text.len())..]);
        } else {
            let mb = body_bytes as f64 / 1e6;
            let mut summary = String::new();
            let _ = write!(
                summary,
                "GET /bytes/{size} -> {body_bytes} bytes in {:.3} s wall clock: {:.1} MB/s ({:.2} Gbit/s), {:.3} s of virtual time",
                wall.as_secs_f64(),
                mb / wall.as_secs_f64(),
                mb * 8.0 / 1000.0 / wall.as_secs_f64(),
                (now - started_virtual).total_micros() as f64 / 1e6,
            );
            println!("\n{summary}");
            if body_bytes != size {
                eprintln!("loopback demo: expected {size} bytes");
                std::process::exit(1);
            }
        }
        client_host.sockets.remove(hc);
        server_host.sockets.remove(hs);
        // Let TIME-WAIT pass in virtual time before the next connection.
        now += Duration::from_secs(1);
    }
    println!("\nclient counters:\n{}", client_host.iface.counters());
}
