//! ICMP echo over a real device, like ping(8): skiff resolves the target (or gateway) by
//! ARP or NDP, sends `-c` echo requests `-i` seconds apart, and prints each reply and an
//! RTT summary.
//!
//! ```sh
//! sudo scripts/netns.sh up demo
//! sudo ip netns exec demo target/debug/examples/ping --tap tap0 \
//!     --ip 192.0.2.2/24 --ip 2001:db8::2/64 -c 5 192.0.2.1
//! sudo ip netns exec demo-veth target/debug/examples/ping --af-packet veth1 \
//!     --ip 2001:db8::2/64 2001:db8::1
//! sudo scripts/netns.sh down demo
//! ```
//!
//! Exit status 0 when at least one reply came back, 1 when none did, 2 on bad usage.

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant as StdInstant};

use common::{COMMON_USAGE, CommonOptions, parse_seconds};
use skiff::socket::{SocketSet, icmp};
use skiff::wire::IpAddress;
use skiff_phy::Clock;

struct Options {
    common: CommonOptions,
    count: u16,
    interval: Duration,
    size: usize,
    timeout: Duration,
    target: IpAddress,
}

fn usage() -> String {
    format!(
        "usage: ping (--tap NAME | --af-packet NAME) --ip CIDR... [options] DESTINATION\n\
         {COMMON_USAGE}\n\
         \x20 -c COUNT           echo requests to send (default 4, at most 65535)\n\
         \x20 -i SECONDS         interval between requests (default 1)\n\
         \x20 -s SIZE            data bytes per request (default 56)\n\
         \x20 -W SECONDS         how long to wait for the last reply (default 1)"
    )
}

fn parse() -> Result<Options, String> {
    let mut common = CommonOptions::new();
    let (mut count, mut interval, mut size, mut timeout) = (
        4u16,
        Duration::from_secs(1),
        56usize,
        Duration::from_secs(1),
    );
    let mut target = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if common.take(&arg, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "-c" => count = value()?.parse().map_err(|_| "-c: not a count 1..=65535")?,
            "-i" => interval = parse_seconds(&value()?).ok_or("-i: not a number of seconds")?,
            "-s" => size = value()?.parse().map_err(|_| "-s: not a size")?,
            "-W" => timeout = parse_seconds(&value()?).ok_or("-W: not a number of seconds")?,
            "-h" | "--help" => return Err(usage()),
            _ if !arg.starts_with('-') && target.is_none() => {
                target = Some(
                    arg.parse()
                        .map_err(|_| format!("{arg}: not an IP address"))?,
                );
            }
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    common.validate()?;
    if count == 0 {
        return Err("-c: at least 1".into());
    }
    let target = target.ok_or("a DESTINATION address is required")?;
    Ok(Options {
        common,
        count,
        interval,
        size,
        timeout,
        target,
    })
}

/// Round-trip times collected so far.
#[derive(Default)]
struct Summary {
    rtts_ms: Vec<f64>,
}

impl Summary {
    fn print(&self, target: IpAddress, sent: u16, elapsed: Duration) {
        let received = self.rtts_ms.len();
        let loss = 100.0 * (f64::from(sent) - received as f64) / f64::from(sent.max(1));
        println!("\n--- {target} ping statistics ---");
        println!(
            "{sent} packets transmitted, {received} received, {loss:.0}% packet loss, time {}ms",
            elapsed.as_millis()
        );
        if received > 0 {
            let min = self.rtts_ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = self.rtts_ms.iter().copied().fold(0.0, f64::max);
            let avg = self.rtts_ms.iter().sum::<f64>() / received as f64;
            let var = self.rtts_ms.iter().map(|r| (r - avg).powi(2)).sum::<f64>() / received as f64;
            println!(
                "rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{:.3} ms",
                var.sqrt()
            );
        }
    }
}

fn main() -> ExitCode {
    env_logger::init();
    let opts = match parse() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("ping: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut device = match opts.common.open() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("ping: {e}");
            return ExitCode::from(2);
        }
    };
    let clock = Clock::new();
    let mut iface = opts.common.interface(&mut device, clock.now());
    let mut sockets = SocketSet::with_capacity(2, u64::from(std::process::id()));
    let ident = (std::process::id() & 0xffff) as u16;
    let mut socket = icmp::Socket::with_capacity(64, 256 * 1024);
    if socket.bind(ident).is_err() {
        eprintln!("ping: cannot bind identifier {ident}");
        return ExitCode::from(2);
    }
    let handle = sockets.add_socket(socket).expect("an empty set has room");
    let data: Vec<u8> = (0..opts.size).map(|i| i as u8).collect();
    let reply_type = if opts.target.is_ipv4() { 0 } else { 129 };

    println!("PING {0} ({0}) {1} data bytes", opts.target, opts.size);
    let start = StdInstant::now();
    let mut sent_at: HashMap<u16, StdInstant> = HashMap::new();
    let mut summary = Summary::default();
    let (mut next_seq, mut next_send) = (1u16, start);
    let mut last_send = start;
    let mut buf = vec![0u8; opts.size + 64];
    loop {
        let now = StdInstant::now();
        let all_sent = next_seq > opts.count || next_seq == 0;
        if !all_sent && now >= next_send {
            let mut s = sockets.get_mut_as::<icmp::Socket>(handle).expect("live");
            match s.send_echo_request(opts.target, next_seq, &data) {
                Ok(()) => {
                    sent_at.insert(next_seq, now);
                }
                Err(e) => eprintln!("ping: icmp_seq={next_seq}: {e:?}"),
            }
            last_send = now;
            next_seq = next_seq.wrapping_add(1);
            next_send = now + opts.interval;
        }
        iface.poll(clock.now(), &mut device, &mut sockets);
        let received_at = StdInstant::now();
        let mut s = sockets.get_mut_as::<icmp::Socket>(handle).expect("live");
        while let Ok((n, from)) = s.recv_slice(&mut buf) {
            let seq = u16::from_be_bytes([buf[6], buf[7]]);
            if buf[0] != reply_type || from != opts.target || n < 8 {
                continue;
            }
            if let Some(at) = sent_at.remove(&seq) {
                let rtt_ms = received_at.duration_since(at).as_secs_f64() * 1000.0;
                println!("{n} bytes from {from}: icmp_seq={seq} time={rtt_ms:.3} ms");
                summary.rtts_ms.push(rtt_ms);
            }
        }
        drop(s);
        let all_sent = next_seq > opts.count || next_seq == 0;
        let done =
            all_sent && (sent_at.is_empty() || StdInstant::now() >= last_send + opts.timeout);
        if done {
            break;
        }
        // Sleep until a frame arrives, the stack's next timer, or the next request.
        let until_send = if all_sent {
            (last_send + opts.timeout).saturating_duration_since(StdInstant::now())
        } else {
            next_send.saturating_duration_since(StdInstant::now())
        };
        let delay = iface
            .poll_delay(clock.now(), &sockets)
            .map_or(until_send, |d| Duration::from(d).min(until_send));
        if let Err(e) = skiff_phy::wait(&device, Some(delay)) {
            eprintln!("ping: wait: {e}");
            break;
        }
    }
    summary.print(opts.target, opts.count, start.elapsed());
    log::debug!("interface counters:\n{}", iface.counters());
    if summary.rtts_ms.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
