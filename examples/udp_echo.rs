//! A UDP echo server (RFC 862) on a real device: every datagram to `--port` (default 7)
//! goes back to its sender, over IPv4 and IPv6, fragmented and reassembled as needed.
//!
//! ```sh
//! sudo scripts/netns.sh up demo
//! sudo ip netns exec demo target/debug/examples/udp_echo --tap tap0 \
//!     --ip 192.0.2.2/24 --ip 2001:db8::2/64 &
//! echo hello | sudo ip netns exec demo socat -t 1 - UDP4:192.0.2.2:7
//! sudo scripts/netns.sh down demo
//! ```
//!
//! Runs until interrupted, or until `--count N` datagrams have been echoed.

mod common;

use std::process::ExitCode;

use common::{COMMON_USAGE, CommonOptions};
use skiff::socket::{SocketSet, udp};
use skiff_phy::Clock;

fn usage() -> String {
    format!(
        "usage: udp_echo (--tap NAME | --af-packet NAME) --ip CIDR... [options]\n\
         {COMMON_USAGE}\n\
         \x20 --port PORT         UDP port to serve (default 7)\n\
         \x20 --count N           exit after echoing N datagrams"
    )
}

fn parse() -> Result<(CommonOptions, u16, Option<u64>), String> {
    let mut common = CommonOptions::new();
    let (mut port, mut count) = (7u16, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if common.take(&arg, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = value()?.parse().map_err(|_| "--port: not a port")?,
            "--count" => count = Some(value()?.parse().map_err(|_| "--count: not a number")?),
            "-h" | "--help" => return Err(usage()),
            _ => return Err(format!("unknown argument {arg}\n{}", usage())),
        }
    }
    common.validate()?;
    Ok((common, port, count))
}

fn main() -> ExitCode {
    env_logger::init();
    let (opts, port, count) = match parse() {
        Ok(parsed) => parsed,
        Err(msg) => {
            eprintln!("udp_echo: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut device = match opts.open() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("udp_echo: {e}");
            return ExitCode::from(2);
        }
    };
    let clock = Clock::new();
    let mut iface = opts.interface(&mut device, clock.now());
    let mut sockets = SocketSet::with_capacity(2, u64::from(std::process::id()));
    let mut socket = udp::Socket::with_capacity(64, 512 * 1024);
    if let Err(e) = socket.bind(port) {
        eprintln!("udp_echo: cannot bind port {port}: {e:?}");
        return ExitCode::from(2);
    }
    let handle = sockets.add_socket(socket).expect("an empty set has room");
    let addrs: Vec<String> = iface.ip_addrs().map(|a| a.to_string()).collect();
    println!("udp_echo: serving port {port} on {}", addrs.join(", "));

    let mut echoed = 0u64;
    let mut buf = vec![0u8; 65536];
    loop {
        iface.poll(clock.now(), &mut device, &mut sockets);
        let mut s = sockets.get_mut_as::<udp::Socket>(handle).expect("live");
        while let Ok((n, meta)) = s.recv_slice(&mut buf) {
            log::info!("{n} bytes from {}", meta.remote);
            match s.send_slice(&buf[..n], meta.remote) {
                Ok(()) => echoed += 1,
                Err(e) => log::warn!("echo to {} dropped: {e:?}", meta.remote),
            }
        }
        drop(s);
        if count.is_some_and(|c| echoed >= c) {
            // Let the last echo leave (it may wait for ARP/NDP) before exiting.
            let until = std::time::Instant::now() + std::time::Duration::from_millis(200);
            while std::time::Instant::now() < until {
                iface.poll(clock.now(), &mut device, &mut sockets);
                let _ = skiff_phy::wait(&device, Some(std::time::Duration::from_millis(10)));
            }
            break;
        }
        let delay = iface.poll_delay(clock.now(), &sockets).map(Into::into);
        if let Err(e) = skiff_phy::wait(&device, delay) {
            eprintln!("udp_echo: wait: {e}");
            return ExitCode::from(1);
        }
    }
    println!("udp_echo: echoed {echoed} datagrams");
    ExitCode::SUCCESS
}
