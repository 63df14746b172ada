//! A TCP echo server (RFC 862) on a real device: every byte a client sends on `--port`
//! (default 7) comes back, over IPv4 and IPv6, up to `--max-conns` clients at once (a
//! pool of sockets that listen again when their connection ends).
//!
//! ```sh
//! sudo scripts/netns.sh up demo
//! sudo ip netns exec demo target/debug/examples/echo --tap tap0 \
//!     --ip 192.0.2.2/24 --ip 2001:db8::2/64 &
//! echo hello | sudo ip netns exec demo socat -t 1 - TCP:192.0.2.2:7
//! sudo ip netns exec demo python3 -c 'import socket; s=socket.create_connection(("192.0.2.2",7)); s.sendall(b"hi\n"); print(s.recv(100))'
//! sudo scripts/netns.sh down demo
//! ```

mod common;

use std::process::ExitCode;

use common::{COMMON_USAGE, CommonOptions};
use skiff::socket::tcp::{self, State};
use skiff::socket::{SocketHandle, SocketSet};
use skiff_phy::Clock;

fn usage() -> String {
    format!(
        "usage: echo (--tap NAME | --af-packet NAME) --ip CIDR... [options]\n\
         {COMMON_USAGE}\n\
         \x20 --port PORT         TCP port to serve (default 7)\n\
         \x20 --max-conns N       connections served at once (default 16)"
    )
}

fn parse() -> Result<(CommonOptions, u16, usize), String> {
    let mut common = CommonOptions::new();
    let (mut port, mut max_conns) = (7u16, 16usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if common.take(&arg, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = value()?.parse().map_err(|_| "--port: not a port")?,
            "--max-conns" => {
                max_conns = value()?.parse().map_err(|_| "--max-conns: not a number")?
            }
            "-h" | "--help" => return Err(usage()),
            _ => return Err(format!("unknown argument {arg}\n{}", usage())),
        }
    }
    common.validate()?;
    Ok((common, port, max_conns.max(1)))
}

/// Echoes what one connection has received, as far as its send buffer allows, and keeps
/// the socket serving: it closes after the client does and listens again once closed.
fn serve(s: &mut tcp::Socket<'static>, port: u16) {
    let mut buf = [0u8; 4096];
    while s.can_send() {
        // Peek first, consume only what the send buffer took, so nothing is lost.
        let n = match s.peek(&mut buf) {
            Ok(n) if n > 0 => n,
            _ => break,
        };
        let taken = s.send_slice(&buf[..n]).unwrap_or(0);
        if taken == 0 {
            break;
        }
        let _ = s.recv_slice(&mut buf[..taken]);
    }
    match s.state() {
        State::CloseWait if s.recv_slice(&mut buf).is_err() => {
            let _ = s.close();
        }
        State::Closed => {
            if let Some(reason) = s.close_reason() {
                log::info!("connection ended: {reason:?}");
            }
            let _ = s.listen(port);
        }
        _ => {}
    }
}

fn main() -> ExitCode {
    env_logger::init();
    let (opts, port, max_conns) = match parse() {
        Ok(parsed) => parsed,
        Err(msg) => {
            eprintln!("echo: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut device = match opts.open() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("echo: {e}");
            return ExitCode::from(2);
        }
    };
    let clock = Clock::new();
    let mut iface = opts.interface(&mut device, clock.now());
    let mut sockets = SocketSet::with_capacity(max_conns, u64::from(std::process::id()));
    let handles: Vec<SocketHandle> = (0..max_conns)
        .map(|_| {
            let mut s = tcp::Socket::with_capacity(64 * 1024, 64 * 1024);
            s.listen(port).expect("a fresh socket can listen");
            sockets
                .add_socket(s)
                .expect("the set was sized for the pool")
        })
        .collect();
    let addrs: Vec<String> = iface.ip_addrs().map(|a| a.to_string()).collect();
    println!(
        "echo: serving TCP port {port} on {} ({max_conns} connections at once)",
        addrs.join(", ")
    );

    loop {
        iface.poll(clock.now(), &mut device, &mut sockets);
        for &h in &handles {
            let mut s = sockets.get_mut_as::<tcp::Socket>(h).expect("live handle");
            serve(&mut s, port);
        }
        let delay = iface.poll_delay(clock.now(), &sockets).map(Into::into);
        if let Err(e) = skiff_phy::wait(&device, delay) {
            eprintln!("echo: wait: {e}");
            return ExitCode::from(1);
        }
    }
}
