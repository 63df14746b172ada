//! Pieces of the TCP interop tests shared by `interop_tcp.rs` and `interop_tcp_bulk.rs`:
//! Linux processes in a namespace (killed by their own pid when dropped), a seeded byte
//! pattern and the stack-side echo loop.

use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use std::net::SocketAddr;

use skiff::iface::Interface;
use skiff::socket::tcp::{self, RecvError};
use skiff::time::Instant;

use super::Netns;

/// A deterministic, non-periodic byte stream (xorshift64).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

pub fn mb_per_s(bytes: usize, elapsed: StdDuration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)
}

// ---------------------------------------------------------------------------------------
// Linux side: python3 programs and socat, killed (by their own pid) when dropped

/// A Linux process in the namespace whose stdout is collected on a thread (so a large
/// output cannot block it); killed on drop if still running.
pub struct LinuxProcess {
    child: Child,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    what: String,
}

impl LinuxProcess {
    pub fn spawn(ns: &Netns, cmd: &str, args: &[&str]) -> LinuxProcess {
        let mut child = ns
            .command(cmd, args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
        let mut out = child.stdout.take().expect("piped");
        let stdout = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        });
        LinuxProcess {
            child,
            stdout: Some(stdout),
            what: format!("{cmd} {}", args.first().copied().unwrap_or("")),
        }
    }

    pub fn python(ns: &Netns, script: &str, args: &[&str]) -> LinuxProcess {
        let mut all = vec!["-c", script];
        all.extend_from_slice(args);
        let mut p = LinuxProcess::spawn(ns, "python3", &all);
        p.what = format!("python3 {}", args.join(" "));
        p
    }

    /// Waits up to `timeout` for the exit; returns (success, stdout, stderr). Kills the
    /// process on timeout (and reports failure).
    pub fn wait(mut self, timeout: StdDuration) -> (bool, Vec<u8>, String) {
        let deadline = StdInstant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if StdInstant::now() < deadline => {
                    std::thread::sleep(StdDuration::from_millis(5))
                }
                _ => break None,
            }
        };
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let stdout = self.stdout.take().map(|h| h.join().unwrap_or_default());
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        if status.is_none() {
            stderr.push_str(&format!("\n[{} timed out after {timeout:?}]", self.what));
        }
        (
            status.is_some_and(|s| s.success()),
            stdout.unwrap_or_default(),
            stderr,
        )
    }
}

impl Drop for LinuxProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits (up to 10 s) until something in `ns` listens on TCP `port`, so a client started
/// next does not race the server's `listen`.
pub fn wait_for_listener(ns: &Netns, port: u16) {
    for _ in 0..2000 {
        let out = ns.exec("ss", &["-Hltn", &format!("sport = :{port}")]);
        if !out.stdout.is_empty() {
            return;
        }
        std::thread::sleep(StdDuration::from_millis(5));
    }
    panic!("nothing listens on port {port} in {}", ns.name);
}

/// Moves what `socket` received into its send ring through `pending`: never reads more
/// than it can hold. Returns the bytes echoed and whether the peer finished.
pub fn echo_some(s: &mut tcp::Socket<'_>, pending: &mut Vec<u8>) -> (usize, Result<(), RecvError>) {
    let mut buf = [0u8; 65536];
    let mut echoed = 0;
    for _ in 0..16 {
        if pending.is_empty() {
            match s.recv_slice(&mut buf) {
                Ok(0) => break,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
                Err(e) => return (echoed, Err(e)),
            }
        }
        match s.send_slice(pending) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                pending.drain(..n);
                echoed += n;
            }
        }
    }
    (echoed, Ok(()))
}

/// Starts the active open of a client socket on its first step: connects `s` from
/// `local` to `remote` and notes the wall-clock start in `started`.
pub fn connect_once(
    s: &mut tcp::Socket<'_>,
    started: &mut Option<StdInstant>,
    (now, iface): (Instant, &Interface<'_>),
    remote: SocketAddr,
    local: SocketAddr,
) {
    if started.is_none() {
        let cx = iface.tcp_context(now, remote.ip());
        s.connect(&cx, remote, local).expect("connect");
        *started = Some(StdInstant::now());
    }
}
