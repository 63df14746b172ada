//! The Linux-interop harness shared by `interop.rs` (ping, UDP) and `interop_tcp.rs`:
//! environment checks, private network namespaces with TAP or veth devices, and the
//! stack running an [`App`] on its own thread inside a namespace.
//!
//! Every test makes its own network namespace(s) (`skiff-<purpose>-<pid>`), puts the
//! devices inside, and deletes them in a `Drop` guard, so nothing touches the root
//! namespace and nothing is left behind even when an assertion fails. The stack runs on
//! a thread that has entered the namespace with `setns(2)` (which only moves that
//! thread); Linux tools run under `ip netns exec`.
//!
//! Needs root, `/dev/net/tun`, `ip`, `ping`, `socat` and `ethtool`. Without them each
//! test prints `skipped: <reason>` and passes, unless `SKIFF_REQUIRE_NETNS=1` (set by CI),
//! which turns the skip into a failure.

// Each test binary uses its own subset of the harness.
#![allow(dead_code)]

mod tcp;
#[allow(unused_imports)]
pub use tcp::*;
/// Example programs and Linux tools as processes in a namespace (interop_embed.rs).
pub mod netns_proc;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration as StdDuration;

use skiff::iface::{Config, Counters, Interface};
use skiff::phy::Device;
use skiff::socket::SocketSet;
use skiff::time::Instant;
use skiff::wire::{EthernetAddress, IpCidr};
use skiff_phy::{AfPacketDevice, Clock, PhyError, TapDevice};

pub const LINUX_V4: &str = "192.0.2.1";
pub const LINUX_V6: &str = "2001:db8::1";
pub const STACK_V4: &str = "192.0.2.2";
pub const STACK_V6: &str = "2001:db8::2";
pub const STACK_MAC: EthernetAddress = EthernetAddress([0x02, 0x00, 0x5e, 0x00, 0x00, 0x02]);
pub const STACK_MAC_TEXT: &str = "02:00:5e:00:00:02";
pub const ECHO_PORT: u16 = 7;
pub const LINUX_ECHO_PORT: u16 = 9000;

// ---------------------------------------------------------------------------------------
// Environment checks

/// `Some(reason)` when this machine cannot run the interop tests.
pub fn missing_prerequisite(extra_tools: &[&str]) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .unwrap_or("?");
    if uid != "0" {
        return Some(format!("not root (effective uid {uid})"));
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun does not exist".into());
    }
    for &tool in ["ip", "ping", "socat", "ethtool"].iter().chain(extra_tools) {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Some(format!("`{tool}` is not installed"));
        }
    }
    None
}

/// True when the test should run; prints the reason and returns false when it cannot,
/// or panics if CI demands the interop tests (`SKIFF_REQUIRE_NETNS=1`).
pub fn netns_available(extra_tools: &[&str]) -> bool {
    let Some(reason) = missing_prerequisite(extra_tools) else {
        return true;
    };
    if std::env::var("SKIFF_REQUIRE_NETNS").as_deref() == Ok("1") {
        panic!("SKIFF_REQUIRE_NETNS=1 but the interop tests cannot run: {reason}");
    }
    println!("skipped: {reason}");
    false
}

macro_rules! require_netns {
    ($($tool:literal),*) => {
        if !common::netns_available(&[$($tool),*]) {
            return;
        }
    };
}

// ---------------------------------------------------------------------------------------
// Namespaces and commands

/// Runs `cmd args` and panics with its output unless it succeeds.
pub fn run(cmd: &str, args: &[&str]) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "`{cmd} {}` failed: {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A network namespace that is deleted (with every device inside) when dropped.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(purpose: &str) -> Netns {
        let name = format!("skiff-{purpose}-{}", std::process::id());
        // A namespace left over from a crashed run with the same pid: start clean.
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(Stdio::null())
            .status();
        run("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NS args...`
    pub fn ip(&self, args: &[&str]) -> Output {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// A command run inside the namespace, not yet started.
    pub fn command(&self, cmd: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, cmd]).args(args);
        c
    }

    /// Runs a command inside the namespace, returning its output whatever its status.
    pub fn exec(&self, cmd: &str, args: &[&str]) -> Output {
        self.command(cmd, args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"))
    }

    /// Gives Linux's end `dev` the addresses LINUX_V4/LINUX_V6 and brings it up.
    pub fn address_linux_side(&self, dev: &str) {
        self.ip(&["link", "set", dev, "up"]);
        self.ip(&["addr", "add", &format!("{LINUX_V4}/24"), "dev", dev]);
        self.ip(&[
            "addr",
            "add",
            &format!("{LINUX_V6}/64"),
            "dev",
            dev,
            "nodad",
        ]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// One namespace with a TAP `tap0`: Linux holds the addresses of the TAP's kernel side,
/// skiff opens the TAP and answers as the "other host on the cable".
pub fn tap_namespace(purpose: &str) -> Netns {
    let ns = Netns::new(purpose);
    ns.ip(&["tuntap", "add", "dev", "tap0", "mode", "tap"]);
    ns.address_linux_side("tap0");
    ns
}

/// Two namespaces joined by a veth pair: Linux's end `veth0` (addressed) in the first,
/// skiff's end `veth1` (no addresses, IPv6 off, so its kernel stays silent) in the
/// second. TX checksum offload is off on Linux's end: AF_PACKET would otherwise hand
/// skiff frames whose UDP checksum the kernel has not filled in yet.
pub fn veth_namespaces(purpose: &str) -> (Netns, Netns) {
    let linux = Netns::new(&format!("{purpose}-l"));
    let stack = Netns::new(&format!("{purpose}-s"));
    linux.ip(&[
        "link",
        "add",
        "veth0",
        "type",
        "veth",
        "peer",
        "name",
        "veth1",
        "netns",
        &stack.name,
    ]);
    run(
        "ip",
        &[
            "netns",
            "exec",
            &stack.name,
            "sysctl",
            "-qw",
            "net.ipv6.conf.veth1.disable_ipv6=1",
        ],
    );
    stack.ip(&["link", "set", "veth1", "up"]);
    run(
        "ip",
        &[
            "netns",
            "exec",
            &linux.name,
            "ethtool",
            "-K",
            "veth0",
            "tx",
            "off",
        ],
    );
    linux.address_linux_side("veth0");
    wait_link_up(&linux.name, "veth0");
    (linux, stack)
}

/// Waits (up to 3 s) until `dev` in namespace `ns_name` is operationally UP.
pub fn wait_link_up(ns_name: &str, dev: &str) {
    for _ in 0..600 {
        let out = Command::new("ip")
            .args(["-n", ns_name, "-o", "link", "show", "dev", dev])
            .stdin(Stdio::null())
            .output();
        if out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(" state UP ")) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("{dev} in {ns_name} did not come up");
}

/// Moves the calling thread (only it) into namespace `name`.
pub fn enter_netns(name: &str) {
    let file = File::open(format!("/run/netns/{name}"))
        .unwrap_or_else(|e| panic!("cannot open namespace {name}: {e}"));
    // SAFETY: `file` is an open network-namespace file for the duration of the call;
    // setns(CLONE_NEWNET) only changes the calling thread's namespace.
    let ret = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(ret, 0, "setns: {}", std::io::Error::last_os_error());
}

// ---------------------------------------------------------------------------------------
// The stack on its own thread

/// What the stack does besides answering ARP, NDP and pings: a small program driven by
/// the poll loop. `step` returns true when the job is done.
pub trait App: Send + 'static {
    fn setup(&mut self, sockets: &mut SocketSet<'static>);
    fn step(
        &mut self,
        now: Instant,
        iface: &Interface<'_>,
        sockets: &mut SocketSet<'static>,
    ) -> bool;
    /// How many sockets the set has room for.
    fn socket_capacity(&self) -> usize {
        8
    }
}

#[derive(Clone, Copy)]
pub enum Wire {
    Tap,
    AfPacket,
}

pub struct StackThread<A> {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<(A, Counters)>>,
}

impl<A: App> StackThread<A> {
    /// Starts skiff in namespace `ns` on `tap0` or `veth1` and waits until the device is
    /// open and addressed.
    pub fn start(ns: &Netns, wire: Wire, mut app: A) -> StackThread<A> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let name = ns.name.clone();
        let stop_flag = stop.clone();
        let handle = std::thread::spawn(move || {
            enter_netns(&name);
            let opened: Result<Box<dyn DynDevice>, PhyError> = match wire {
                Wire::Tap => TapDevice::open("tap0").map(|d| Box::new(d) as _),
                Wire::AfPacket => AfPacketDevice::bind("veth1").map(|d| Box::new(d) as _),
            };
            let mut device = match opened {
                Ok(d) => d,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    panic!("device: {e}");
                }
            };
            // Opening the TAP raises its carrier, but Linux only starts transmitting
            // on it (activates its qdisc) once linkwatch has run, up to a second
            // later: until then its ARP replies vanish. Start once it is UP.
            let dev = match wire {
                Wire::Tap => "tap0",
                Wire::AfPacket => "veth1",
            };
            wait_link_up(&name, dev);
            let counters = device.run(&mut app, &stop_flag, &ready_tx);
            (app, counters)
        });
        match ready_rx.recv_timeout(StdDuration::from_secs(10)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("stack failed to start: {e}"),
            Err(e) => panic!("stack did not start: {e}"),
        }
        StackThread {
            stop,
            handle: Some(handle),
        }
    }

    /// Waits for the app to finish on its own (or `timeout`), then stops the stack and
    /// returns the app and the interface counters.
    pub fn finish(mut self, timeout: StdDuration) -> (A, Counters) {
        let deadline = std::time::Instant::now() + timeout;
        let handle = self.handle.take().expect("finish is called once");
        while !handle.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(StdDuration::from_millis(5));
        }
        self.stop.store(true, Ordering::Relaxed);
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Stops the stack now.
    pub fn stop(self) -> (A, Counters) {
        self.stop.store(true, Ordering::Relaxed);
        self.finish(StdDuration::ZERO)
    }
}

impl<A> Drop for StackThread<A> {
    fn drop(&mut self) {
        // On a failed assertion the thread must end before the namespace is deleted.
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The poll loop over either device type.
pub trait DynDevice: Send {
    fn run(
        &mut self,
        app: &mut dyn App,
        stop: &AtomicBool,
        ready: &mpsc::Sender<Result<(), String>>,
    ) -> Counters;
}

impl<D> DynDevice for D
where
    D: Device + std::os::fd::AsFd + Send,
{
    fn run(
        &mut self,
        app: &mut dyn App,
        stop: &AtomicBool,
        ready: &mpsc::Sender<Result<(), String>>,
    ) -> Counters {
        let clock = Clock::new();
        let mut iface = Interface::new(Config::new(STACK_MAC, 7), self, clock.now());
        for cidr in [format!("{STACK_V4}/24"), format!("{STACK_V6}/64")] {
            let cidr: IpCidr = cidr.parse().expect("literal");
            assert!(iface.add_ip_addr(cidr));
        }
        let mut sockets = SocketSet::with_capacity(app.socket_capacity(), 7);
        app.setup(&mut sockets);
        let _ = ready.send(Ok(()));
        while !stop.load(Ordering::Relaxed) {
            let now = clock.now();
            iface.poll(now, self, &mut sockets);
            if app.step(now, &iface, &mut sockets) {
                // Answer what is still in flight for a moment, then end.
                let until = std::time::Instant::now() + StdDuration::from_millis(50);
                while std::time::Instant::now() < until {
                    iface.poll(clock.now(), self, &mut sockets);
                    let _ = skiff_phy::wait(&*self, Some(StdDuration::from_millis(5)));
                }
                break;
            }
            // Sleep until a frame arrives or the stack's next deadline, but look at the
            // stop flag (and the app's own timers) at least every 2 ms.
            let cap = StdDuration::from_millis(2);
            let delay = iface
                .poll_delay(clock.now(), &sockets)
                .map_or(cap, |d| StdDuration::from(d).min(cap));
            skiff_phy::wait(&*self, Some(delay)).expect("wait");
        }
        iface.counters().clone()
    }
}

/// When `SKIFF_INTEROP_PCAP=<dir>` is set, captures `dev` inside `ns` into
/// `<dir>/<namespace>.pcap` with tcpdump until dropped (for debugging failures).
pub struct Capture(Option<std::process::Child>);

impl Capture {
    pub fn start(ns: &Netns, dev: &str) -> Capture {
        let Ok(dir) = std::env::var("SKIFF_INTEROP_PCAP") else {
            return Capture(None);
        };
        let path = format!("{dir}/{}.pcap", ns.name);
        let child = ns
            .command("tcpdump", &["-i", dev, "-s", "128", "-U", "-w", &path])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        // tcpdump needs a moment before it sees packets.
        std::thread::sleep(std::time::Duration::from_millis(300));
        Capture(child)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
