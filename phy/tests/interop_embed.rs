//! The embedding examples, run as a user runs them: `examples/embed.rs` (the README's
//! loop, over the in-memory loopback, no root), `examples/tokio_echo.rs` (skiff driven
//! by tokio on a TAP device) answering Python's `socket` module and socat over IPv4 and
//! IPv6, and `examples/benchmark.rs` moving 64 MiB to and from socat. Also the size of
//! the AF_PACKET receive queue, which the benchmark found too small.
//!
//! The examples are built in release mode with the cargo running the tests and run under
//! `ip netns exec` in a namespace each test makes for itself (see `common`). Throughput
//! is printed, never asserted.

#[macro_use]
mod common;

use std::time::Duration;

use common::netns_proc::{NsProcess, example};
use common::*;

const MIB: usize = 1024 * 1024;
const BULK_BYTES: usize = 64 * MIB;
const BENCH_PORT: &str = "5001";
/// The stream `benchmark` writes and verifies: the byte at offset i is i % 251.
const PATTERN_PERIOD: usize = 251;

/// The stack's side of every namespace: the TAP, both addresses.
fn stack_args() -> Vec<String> {
    ["--tap", "tap0", "--ip"]
        .iter()
        .map(|s| s.to_string())
        .chain([
            format!("{STACK_V4}/24"),
            "--ip".into(),
            format!("{STACK_V6}/64"),
        ])
        .collect()
}

/// Starts example `name` on the namespace's TAP with `extra` arguments, waits for the
/// line it prints once serving, then for the TAP to be up (Linux drops what it sends on
/// a TAP before linkwatch has run).
fn start_example(ns: &Netns, name: &str, extra: &[&str], ready: &str) -> NsProcess {
    let mut args = stack_args();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut process = NsProcess::spawn(ns, example(name), &args);
    process.wait_for_line(ready, Duration::from_secs(10));
    wait_link_up(&ns.name, "tap0");
    process
}

/// A temporary file deleted when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(purpose: &str) -> TempFile {
        let name = format!("skiff-{purpose}-{}", std::process::id());
        TempFile(std::env::temp_dir().join(name))
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8 here")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % PATTERN_PERIOD) as u8).collect()
}

// ---------------------------------------------------------------------------------------
// examples/embed.rs

#[test]
fn the_readme_embedding_example_echoes_a_line_over_the_in_memory_loopback() {
    // No namespace: the example runs anywhere, as the README promises.
    let out = std::process::Command::new(example("embed"))
        .output()
        .expect("run examples/embed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "embed failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(r#"echoed "hello\n""#),
        "unexpected output: {stdout}"
    );
}

#[test]
fn the_readme_shows_examples_embed_rs_verbatim() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let example = std::fs::read_to_string(root.join("examples/embed.rs")).expect("embed.rs");
    assert!(
        readme.contains(&format!("```rust\n{example}```\n")),
        "README.md's \"Embed skiff in your loop\" must show examples/embed.rs unchanged"
    );
}

// ---------------------------------------------------------------------------------------
// examples/tokio_echo.rs

/// Opens one connection per address given (all at once), sends a distinct line on each
/// and then 256 KiB on the first, reads everything back, and prints `OK <count>`.
const PY_LINE_CLIENT: &str = r#"
import socket, sys
port, hosts = int(sys.argv[1]), sys.argv[2:]
conns = [socket.create_connection((h, port), timeout=20) for h in hosts]
for i, s in enumerate(conns):
    s.sendall(("line %d to %s\n" % (i, hosts[i])).encode())
for i, s in enumerate(conns):
    want = ("line %d to %s\n" % (i, hosts[i])).encode()
    got = b""
    while not got.endswith(b"\n"):
        b = s.recv(4096)
        if not b:
            break
        got += b
    if got != want:
        sys.exit("connection %d: sent %r, got %r" % (i, want, got))
blob = bytes(range(256)) * 1024
s = conns[0]
s.sendall(blob)
got = b""
while len(got) < len(blob):
    b = s.recv(65536)
    if not b:
        break
    got += b
if got != blob:
    sys.exit("256 KiB echo differs: %d bytes back" % len(got))
for s in conns:
    s.close()
print("OK %d" % len(conns))
"#;

#[test]
fn tokio_echo_serves_python_and_socat_over_ipv4_and_ipv6_and_exits_cleanly_on_sigint() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("embed-tokio");
    let _capture = Capture::start(&ns, "tap0");
    let server = start_example(&ns, "tokio_echo", &["--port", "7"], "serving TCP port 7");

    // Python's socket module: two connections over each IP version at once.
    let py = ns.exec(
        "python3",
        &[
            "-c",
            PY_LINE_CLIENT,
            "7",
            STACK_V4,
            STACK_V6,
            STACK_V4,
            STACK_V6,
        ],
    );
    assert!(
        py.status.success(),
        "python client failed: {}{}",
        String::from_utf8_lossy(&py.stdout),
        String::from_utf8_lossy(&py.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), "OK 4");

    // socat: a line in, the line back, then socat's FIN and the server's.
    for (addr, line) in [
        (format!("TCP:{STACK_V4}:7"), "socat over IPv4\n"),
        (format!("TCP:[{STACK_V6}]:7"), "socat over IPv6\n"),
    ] {
        let out = ns
            .command("socat", &["-t", "5", "-", &addr])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("piped")
                    .write_all(line.as_bytes())?;
                child.wait_with_output()
            })
            .expect("run socat");
        assert!(out.status.success(), "socat to {addr} failed");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            line,
            "echo from {addr}"
        );
    }

    // A client that stays connected is closed by the server on SIGINT.
    let mut idle = ns
        .command("socat", &["-u", &format!("TCP:{STACK_V4}:7"), "-"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run socat");
    wait_established(&ns, 7);
    server.signal(libc::SIGINT);
    let done = server.finish(Duration::from_secs(5));
    let idle_exit = idle.wait();
    println!("{}", done.stdout);
    assert!(done.success, "tokio_echo did not exit cleanly: {done:?}");
    assert!(
        done.stdout
            .contains("shut down after 7 connections (0 still open)"),
        "unexpected summary: {}",
        done.stdout
    );
    assert!(
        idle_exit.is_ok_and(|s| s.success()),
        "the idle client saw no clean close"
    );
}

/// Waits (up to 5 s) until Linux has an established TCP connection to `port`.
fn wait_established(ns: &Netns, port: u16) {
    let filter = format!("dport = :{port}");
    for _ in 0..1000 {
        let out = ns.exec("ss", &["-Htn", "state", "established", &filter]);
        if !String::from_utf8_lossy(&out.stdout).trim().is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no connection to port {port} was established");
}

// ---------------------------------------------------------------------------------------
// examples/benchmark.rs

#[test]
fn benchmark_as_writer_sends_64_mib_to_socat_intact_over_ipv4() {
    require_netns!("ss");
    let ns = tap_namespace("embed-bw");
    let received = TempFile::new("embed-bw.out");
    let sink = NsProcess::spawn(
        &ns,
        "socat",
        &[
            "-u",
            &format!("TCP-LISTEN:{BENCH_PORT},reuseaddr"),
            &format!("CREATE:{}", received.path()),
        ],
    );
    wait_for_listener(&ns, BENCH_PORT.parse().expect("port"));
    let bytes = BULK_BYTES.to_string();
    let connect = format!("{LINUX_V4}:{BENCH_PORT}");
    let writer = NsProcess::spawn(
        &ns,
        example("benchmark"),
        &[
            "--tap",
            "tap0",
            "--ip",
            &format!("{STACK_V4}/24"),
            "--mode",
            "writer",
            "--connect",
            &connect,
            "--bytes",
            &bytes,
            "--timeout",
            "60",
        ],
    );
    let done = writer.finish(Duration::from_secs(90));
    println!("{}", done.stdout);
    assert!(done.success, "benchmark writer failed: {done:?}");
    assert!(
        done.stdout
            .contains(&format!("writer sent {BULK_BYTES} bytes"))
    );
    let sunk = sink.finish(Duration::from_secs(10));
    assert!(sunk.success, "socat failed: {sunk:?}");
    let data = std::fs::read(&received.0).expect("socat's file");
    assert_eq!(data.len(), BULK_BYTES, "socat received a different count");
    assert!(
        data == pattern(BULK_BYTES),
        "socat received other bytes than the pattern"
    );
}

#[test]
fn benchmark_as_reader_receives_and_verifies_64_mib_from_socat_over_ipv6() {
    require_netns!();
    let ns = tap_namespace("embed-br");
    let source = TempFile::new("embed-br.in");
    std::fs::write(&source.0, pattern(BULK_BYTES)).expect("write the source file");
    let bytes = BULK_BYTES.to_string();
    let reader = start_example(
        &ns,
        "benchmark",
        &[
            "--mode",
            "reader",
            "--listen",
            BENCH_PORT,
            "--bytes",
            &bytes,
            "--verify",
            "--timeout",
            "60",
        ],
        "listening on port",
    );
    let sent = NsProcess::spawn(
        &ns,
        "socat",
        &[
            "-u",
            &format!("OPEN:{}", source.path()),
            &format!("TCP:[{STACK_V6}]:{BENCH_PORT}"),
        ],
    )
    .finish(Duration::from_secs(90));
    assert!(sent.success, "socat failed: {sent:?}");
    let done = reader.finish(Duration::from_secs(30));
    println!("{}", done.stdout);
    assert!(done.success, "benchmark reader failed: {done:?}");
    assert!(
        done.stdout
            .contains(&format!("reader received {BULK_BYTES} bytes"))
    );
}

// ---------------------------------------------------------------------------------------
// The AF_PACKET receive queue (found with benchmark: at the default size, a reader over
// a veth lost 13% of the frames Linux sent and ran at 0.3 instead of 1.3 Gbit/s)

#[test]
fn an_af_packet_device_has_a_receive_queue_of_megabytes_not_the_200_kib_default() {
    require_netns!();
    let (_linux, stack) = veth_namespaces("embed-rcvbuf");
    let name = stack.name.clone();
    let bytes = std::thread::spawn(move || {
        enter_netns(&name);
        let device = skiff_phy::AfPacketDevice::bind("veth1").expect("bind veth1");
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        use std::os::fd::AsRawFd;
        // SAFETY: getsockopt on the device's open socket, writing one c_int into `value`
        // whose size is passed in `len`.
        let ret = unsafe {
            libc::getsockopt(
                device.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(ret, 0, "getsockopt: {}", std::io::Error::last_os_error());
        value
    })
    .join()
    .expect("the thread in the namespace");
    // The kernel reports twice what was asked (its bookkeeping share).
    assert!(bytes >= 4 << 20, "SO_RCVBUF is {bytes} bytes");
}
