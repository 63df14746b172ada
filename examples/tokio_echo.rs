//! The TCP echo server of `examples/echo.rs` (RFC 862), driven by tokio: how a program
//! that already runs an async runtime fits skiff into it.
//!
//! skiff never blocks, never sleeps and reads no clock. It only asks to be polled when
//! the device has a frame or when the stack's next deadline comes. So one task owns the
//! interface, the device and the sockets, and loops:
//!
//! 1. `iface.poll(now, device, sockets)`: frames in, timers, frames out;
//! 2. the program's own code reads and writes sockets (here [`Echo::serve`]);
//! 3. `select!` on the device's descriptor becoming readable (tokio's `AsyncFd`), a
//!    `tokio::time::sleep` for `iface.poll_delay(..)`, and SIGINT/SIGTERM.
//!
//! Other tasks of the program would reach the sockets through that task (channels, as
//! with any state one task owns); the stack itself needs no runtime, no `Send` and no
//! locks. On ctrl-c (or SIGTERM) the server stops listening, closes every connection
//! with a FIN and exits once they are closed, or after two seconds.
//!
//! ```sh
//! sudo scripts/netns.sh up demo
//! cargo build --release --example tokio_echo
//! sudo ip netns exec demo target/release/examples/tokio_echo --tap tap0 \
//!     --ip 192.0.2.2/24 --ip 2001:db8::2/64 --port 7 &
//! echo hello | sudo ip netns exec demo socat -t 1 - TCP:192.0.2.2:7
//! echo hello | sudo ip netns exec demo socat -t 1 - 'TCP:[2001:db8::2]:7'
//! sudo kill -INT %1
//! sudo scripts/netns.sh down demo
//! ```
//!
//! tokio's timer has millisecond resolution, so a deadline `poll_delay` gives in
//! microseconds is met up to a millisecond late: harmless for TCP, whose timers are tens
//! of milliseconds and more. `examples/echo.rs` is the same server over a plain
//! `skiff_phy::wait` loop.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use common::{COMMON_USAGE, CommonOptions};
use skiff::socket::tcp::{self, State};
use skiff::socket::{SocketHandle, SocketSet};
use skiff_phy::Clock;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{SignalKind, signal};

/// After ctrl-c, how long connections get to finish closing before the program exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Each connection's receive and send buffer.
const BUFFER_BYTES: usize = 64 * 1024;

struct Options {
    common: CommonOptions,
    port: u16,
    max_conns: usize,
}

fn usage() -> String {
    format!(
        "usage: tokio_echo (--tap NAME | --af-packet NAME) --ip CIDR... [options]\n\
         {COMMON_USAGE}\n\
         \x20 --port PORT         TCP port to serve (default 7)\n\
         \x20 --max-conns N       connections served at once (default 16)"
    )
}

fn parse() -> Result<Options, String> {
    let mut opts = Options {
        common: CommonOptions::new(),
        port: 7,
        max_conns: 16,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if opts.common.take(&arg, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => opts.port = value()?.parse().map_err(|_| "--port: not a port")?,
            "--max-conns" => {
                opts.max_conns = value()?.parse().map_err(|_| "--max-conns: not a number")?
            }
            "-h" | "--help" => return Err(usage()),
            _ => return Err(format!("unknown argument {arg}\n{}", usage())),
        }
    }
    opts.common.validate()?;
    if opts.port == 0 || opts.max_conns == 0 {
        return Err("--port and --max-conns must not be 0".into());
    }
    Ok(opts)
}

// One thread is plenty: the stack is one task, and a poll never blocks.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    env_logger::init();
    let opts = match parse() {
        Ok(opts) => opts,
        Err(msg) => {
            eprintln!("tokio_echo: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokio_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(opts: Options) -> Result<(), Box<dyn std::error::Error>> {
    let clock = Clock::new();
    // The device's descriptor is non-blocking; tokio's reactor watches it for frames.
    let device = opts.common.open()?;
    // SAFETY: the device owns its descriptor (an `OwnedFd`) for as long as it lives,
    // `as_raw_fd` always returns that one, and the `AsyncFd` owns the device, which the
    // loop below only lends to `poll`, never replaces.
    let mut device = unsafe { AsyncFd::register_with_interest(device, Interest::READABLE)? };
    let mut iface = opts.common.interface(device.get_mut(), clock.now());
    let mut sockets = SocketSet::with_capacity(opts.max_conns + 1, u64::from(std::process::id()));
    let mut echo = Echo::new(&mut sockets, opts.port, opts.max_conns)?;
    // Registered before the banner, so a signal sent once it is printed is never missed.
    let (mut sigint, mut sigterm) = (
        signal(SignalKind::interrupt())?,
        signal(SignalKind::terminate())?,
    );
    let addrs: Vec<String> = iface.ip_addrs().map(|a| a.to_string()).collect();
    println!(
        "tokio_echo: serving TCP port {} on {} ({} connections at once)",
        opts.port,
        addrs.join(", "),
        opts.max_conns
    );

    let mut shutdown_at: Option<tokio::time::Instant> = None;
    loop {
        // 1. The stack: frames in (at most the frame budget), timers, frames out.
        let budget_hits = iface.counters().rx_budget_exhausted;
        iface.poll(clock.now(), device.get_mut(), &mut sockets);
        // A poll that stopped at its budget left frames in the device; tokio will not
        // report them again (see below), so the next poll comes at once.
        let frames_left = iface.counters().rx_budget_exhausted != budget_hits;

        // 2. Your code: read and write sockets between polls. What it queues is sent by
        //    the next poll, which `poll_delay` then asks for at once.
        echo.serve(&mut sockets);
        if shutdown_at.is_some() && echo.connections() == 0 {
            break;
        }

        // 3. Sleep until a frame arrives, the stack's next deadline, a signal, or the
        //    end of the shutdown grace.
        let delay = if frames_left {
            Some(Duration::ZERO)
        } else {
            iface.poll_delay(clock.now(), &sockets).map(Duration::from)
        };
        let grace_end = shutdown_at.unwrap_or_else(tokio::time::Instant::now);
        tokio::select! {
            ready = device.readable_mut() => {
                // tokio reports readiness once per edge (epoll's EPOLLET). Forget it now,
                // before the next poll reads the device dry, so that any frame arriving
                // after that read raises a new edge and wakes this loop again.
                ready?.clear_ready();
            }
            () = tokio::time::sleep(delay.unwrap_or_default()), if delay.is_some() => {}
            _ = sigint.recv(), if shutdown_at.is_none() => {
                shutdown_at = Some(tokio::time::Instant::now() + SHUTDOWN_GRACE);
                echo.shut_down(&mut sockets);
            }
            _ = sigterm.recv(), if shutdown_at.is_none() => {
                shutdown_at = Some(tokio::time::Instant::now() + SHUTDOWN_GRACE);
                echo.shut_down(&mut sockets);
            }
            () = tokio::time::sleep_until(grace_end), if shutdown_at.is_some() => break,
        }
    }
    println!(
        "tokio_echo: shut down after {} connections ({} still open)",
        echo.accepted,
        echo.connections()
    );
    Ok(())
}

/// The program's own code: an echo service over a `tcp::Listener`'s pool of sockets.
struct Echo {
    listener: tcp::Listener<'static>,
    /// Accepted connections, until they are closed (or in TIME-WAIT).
    conns: Vec<SocketHandle>,
    accepted: u64,
    shutting_down: bool,
}

impl Echo {
    fn new(sockets: &mut SocketSet<'static>, port: u16, max_conns: usize) -> Result<Echo, String> {
        // One socket more than connections: the listener keeps it as the gate that drops
        // SYNs while every other socket is busy, so clients retry instead of being reset.
        let pool = (0..=max_conns)
            .map(|_| sockets.add_socket(tcp::Socket::with_capacity(BUFFER_BYTES, BUFFER_BYTES)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("socket set: {e:?}"))?;
        let listener = tcp::Listener::from_handles(port, max_conns, pool)
            .map_err(|e| format!("listen on port {port}: {e:?}"))?;
        Ok(Echo {
            listener,
            conns: Vec::with_capacity(max_conns),
            accepted: 0,
            shutting_down: false,
        })
    }

    /// Connections accepted and not yet closed (or in TIME-WAIT).
    fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Accepts new connections and echoes what every connection has received.
    fn serve(&mut self, sockets: &mut SocketSet<'static>) {
        if !self.shutting_down {
            // The listener moves pool sockets between listening, handshaking and ready.
            self.listener.poll(sockets);
            while let Some(handle) = self.listener.accept() {
                self.conns.push(handle);
                self.accepted += 1;
            }
        }
        let listener = &mut self.listener;
        self.conns.retain(|&handle| {
            let Some(mut socket) = sockets.get_mut_as::<tcp::Socket>(handle) else {
                return false;
            };
            echo(&mut socket);
            // TIME-WAIT needs nothing from us: give the socket back, and the listener
            // takes it into its pool once it is CLOSED.
            if matches!(socket.state(), State::Closed | State::TimeWait) {
                log::info!("connection {handle} ended: {:?}", socket.close_reason());
                listener.retire(handle);
                return false;
            }
            true
        });
    }

    /// Stops listening and closes every connection (what it received is still echoed
    /// while its peer keeps the connection open).
    fn shut_down(&mut self, sockets: &mut SocketSet<'static>) {
        self.shutting_down = true;
        self.listener.unlisten(sockets);
        for &handle in &self.conns {
            if let Some(mut socket) = sockets.get_mut_as::<tcp::Socket>(handle) {
                let _ = socket.close();
            }
        }
    }
}

/// Echoes what one connection has received, as far as its send buffer takes, and closes
/// it once the client has closed and everything is echoed.
fn echo(socket: &mut tcp::Socket<'static>) {
    let mut buf = [0u8; 4096];
    while socket.can_send() {
        // Peek, send, then consume only what was sent: a client that sends faster than it
        // reads fills our send buffer, and the rest waits in the receive buffer.
        let Ok(n @ 1..) = socket.peek(&mut buf) else {
            break;
        };
        let sent = socket.send_slice(&buf[..n]).unwrap_or(0);
        if sent == 0 {
            break;
        }
        let _ = socket.recv_slice(&mut buf[..sent]);
    }
    if socket.state() == State::CloseWait && socket.recv_queue() == 0 {
        let _ = socket.close();
    }
}
