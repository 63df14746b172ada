//! The main demo: two skiff stacks joined by an in-memory cable, in one process, with
//! no OS device and no root.
//!
//! Host A (192.0.2.1, 2001:db8::1) pings host B (192.0.2.2, 2001:db8::2) over both IP
//! versions and sends UDP datagrams to B's echo service, one of them 8000 bytes so that
//! IPv4 fragments it and B reassembles it. Time is virtual: the loop jumps straight to
//! the next `poll_at` deadline, so the demo shows how an event loop drives skiff.
//!
//! ```sh
//! cargo run --release --example loopback            # summary
//! cargo run --release --example loopback -- --trace # every frame on the cable
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;

use skiff::iface::{Config, Interface};
use skiff::phy::{Device, DeviceCapabilities, Medium, RxToken, TraceEvent, Tracer, TxToken};
use skiff::socket::{SocketSet, icmp, udp};
use skiff::time::{Duration, Instant};
use skiff::wire::{EthernetAddress, IpAddress, IpCidr};

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of the cable: frames it sends appear at the other end's receive queue.
struct CableEnd {
    rx: Queue,
    tx: Queue,
}

fn cable() -> (CableEnd, CableEnd) {
    let (ab, ba): (Queue, Queue) = Default::default();
    (
        CableEnd {
            rx: ba.clone(),
            tx: ab.clone(),
        },
        CableEnd { rx: ab, tx: ba },
    )
}

struct Frame(Vec<u8>);
struct Slot(Queue);

impl RxToken for Frame {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for Slot {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0; len];
        let result = f(&mut frame);
        self.0.borrow_mut().push_back(frame);
        result
    }
}

impl Device for CableEnd {
    type RxToken<'a> = Frame;
    type TxToken<'a> = Slot;

    fn receive(&mut self, _now: Instant) -> Option<(Frame, Slot)> {
        let frame = self.rx.borrow_mut().pop_front()?;
        Some((Frame(frame), Slot(self.tx.clone())))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Slot> {
        Some(Slot(self.tx.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::new(Medium::Ethernet, 1514)
    }
}

/// A device that prints each frame it sends when tracing, and does nothing otherwise.
type Traced = Tracer<CableEnd, Box<dyn FnMut(Instant, TraceEvent<'_>)>>;

struct Host {
    name: &'static str,
    iface: Interface<'static>,
    sockets: SocketSet<'static>,
    device: Traced,
}

impl Host {
    fn new(name: &'static str, end: CableEnd, n: u8, trace: bool) -> Host {
        let callback: Box<dyn FnMut(Instant, TraceEvent<'_>)> = if trace {
            Box::new(move |now, event| {
                // Print what a host sends; what it receives is the other host's send.
                if matches!(event.direction, skiff::phy::TraceDirection::Tx) {
                    println!("{now:>12} {name} {event}");
                }
            })
        } else {
            Box::new(|_, _| ())
        };
        let mut device = Tracer::new(end, callback);
        let mac = EthernetAddress([0x02, 0, 0, 0, 0, n]);
        let mut iface = Interface::new(Config::new(mac, u64::from(n)), &mut device, Instant::ZERO);
        for cidr in [format!("192.0.2.{n}/24"), format!("2001:db8::{n}/64")] {
            let cidr: IpCidr = cidr.parse().expect("valid CIDR literal");
            iface.add_ip_addr(cidr);
        }
        Host {
            name,
            iface,
            sockets: SocketSet::with_capacity(4, u64::from(n)),
            device,
        }
    }

    fn poll(&mut self, now: Instant) {
        self.iface.poll(now, &mut self.device, &mut self.sockets);
    }
}

fn main() {
    let trace = std::env::args().any(|a| a == "--trace");
    let (end_a, end_b) = cable();
    let mut a = Host::new("A", end_a, 1, trace);
    let mut b = Host::new("B", end_b, 2, trace);

    // B: a UDP echo service on port 7.
    let mut echo = udp::Socket::with_capacity(8, 64 * 1024);
    echo.bind(7).expect("port 7 is free");
    let echo = b.sockets.add_socket(echo).expect("room for a socket");

    // A: a ping socket and a UDP client.
    let mut ping = icmp::Socket::with_capacity(8, 4096);
    ping.bind(0x5eed).expect("identifier is free");
    let ping = a.sockets.add_socket(ping).expect("room for a socket");
    let mut client = udp::Socket::with_capacity(8, 64 * 1024);
    client.bind(40000).expect("port is free");
    let client = a.sockets.add_socket(client).expect("room for a socket");

    let b4: IpAddress = "192.0.2.2".parse().expect("literal");
    let b6: IpAddress = "2001:db8::2".parse().expect("literal");
    let mut sent_at = std::collections::HashMap::new();
    {
        let mut s = a
            .sockets
            .get_mut_as::<icmp::Socket>(ping)
            .expect("live handle");
        for seq in 1..=3u16 {
            s.send_echo_request(b4, seq, b"skiff ping").expect("room");
            s.send_echo_request(b6, 100 + seq, b"skiff ping")
                .expect("room");
            sent_at.insert(seq, Instant::ZERO);
            sent_at.insert(100 + seq, Instant::ZERO);
        }
    }
    let big: Vec<u8> = (0..8000u32).map(|i| (i % 251) as u8).collect();
    {
        let mut s = a
            .sockets
            .get_mut_as::<udp::Socket>(client)
            .expect("live handle");
        s.send_slice(
            b"hello over IPv4",
            "192.0.2.2:7".parse::<SocketAddr>().expect("literal"),
        )
        .expect("room");
        s.send_slice(
            b"hello over IPv6",
            "[2001:db8::2]:7".parse::<SocketAddr>().expect("literal"),
        )
        .expect("room");
        s.send_slice(&big, "192.0.2.2:7".parse::<SocketAddr>().expect("literal"))
            .expect("room");
    }

    // The event loop: poll both, serve the echo, jump to the next deadline. A one-way
    // cable delay of 100 µs is modelled by stepping at least that far each round.
    let mut now = Instant::ZERO;
    let mut replies = 0;
    let mut echoes = Vec::new();
    for _ in 0..1000 {
        a.poll(now);
        b.poll(now);
        {
            let mut s = b
                .sockets
                .get_mut_as::<udp::Socket>(echo)
                .expect("live handle");
            let mut buf = vec![0u8; 65536];
            while let Ok((n, meta)) = s.recv_slice(&mut buf) {
                s.send_slice(&buf[..n], meta.remote).expect("room");
            }
        }
        {
            let mut s = a
                .sockets
                .get_mut_as::<icmp::Socket>(ping)
                .expect("live handle");
            let mut buf = [0u8; 256];
            while let Ok((n, from)) = s.recv_slice(&mut buf) {
                let seq = u16::from_be_bytes([buf[6], buf[7]]);
                let rtt = now - sent_at.get(&seq).copied().unwrap_or(now);
                println!("{n} bytes from {from}: icmp_seq={seq} time={rtt}");
                replies += 1;
            }
        }
        {
            let mut s = a
                .sockets
                .get_mut_as::<udp::Socket>(client)
                .expect("live handle");
            let mut buf = vec![0u8; 65536];
            while let Ok((n, meta)) = s.recv_slice(&mut buf) {
                println!("UDP echo from {}: {n} bytes", meta.remote);
                echoes.push(buf[..n].to_vec());
            }
        }
        if replies == 6 && echoes.len() == 3 {
            break;
        }
        // A real loop sleeps on the device until `poll_delay`; here "the device is
        // readable" means a frame is on the cable, which arrives one hop (100 µs) later.
        let frames_in_flight =
            a.device.inner().rx.borrow().len() + b.device.inner().rx.borrow().len();
        let deadline = [
            a.iface.poll_at(now, &a.sockets),
            b.iface.poll_at(now, &b.sockets),
        ]
        .into_iter()
        .flatten()
        .min();
        now = match (frames_in_flight, deadline) {
            (0, Some(at)) => at.max(now + Duration::from_micros(100)),
            (0, None) => break,
            _ => now + Duration::from_micros(100),
        };
    }

    let big_ok = echoes.iter().any(|e| e[..] == big[..]);
    println!();
    println!(
        "{replies}/6 echo replies, {}/3 UDP echoes (8000-byte datagram intact: {big_ok}), virtual time {now}",
        echoes.len()
    );
    for host in [&a, &b] {
        println!("\n{} counters:\n{}", host.name, host.iface.counters());
        for entry in host.iface.neighbors().iter() {
            println!("  neighbour {entry}");
        }
    }
    if replies != 6 || echoes.len() != 3 || !big_ok {
        eprintln!("loopback demo: the exchange did not complete");
        std::process::exit(1);
    }
}
