//! The examples as a user runs them, against Linux tools: `httpd` with curl, wget, wrk
//! and Python sockets, `echo` with a Python client, `client` against Python's
//! `http.server`. Each test makes its own namespace with a TAP device (as
//! scripts/netns.sh does: Linux's side is 192.0.2.1 and 2001:db8::1), starts the example
//! binary inside it with `ip netns exec`, and kills it by PID and deletes the namespace
//! when it ends, whatever happens.
//!
//! The examples are built once, in release mode, by `cargo build` into the target
//! directory this test runs from. Bodies are checked by SHA-256 as they stream, never
//! stored whole. Throughput is printed, never asserted. The tests take turns (one lock):
//! they are about behaviour, and wrk's 200 connections should not share two cores with
//! a 1 GiB download.
//!
//! Needs root, /dev/net/tun and the tools below; otherwise each test prints `skipped:`
//! and passes, unless `SKIFF_REQUIRE_NETNS=1`.

#[path = "../phy/tests/common/mod.rs"]
#[macro_use]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use common::{LINUX_V4, Netns, STACK_V4, STACK_V6, tap_namespace, veth_namespaces, wait_link_up};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

// ---------------------------------------------------------------------------------------
// The example binaries

/// The target directory's `release/examples`, after building the examples once.
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This test binary is <target>/debug/deps/interop_examples-<hash>.
        let exe = std::env::current_exe().expect("test binary path");
        let target = exe
            .ancestors()
            .nth(3)
            .expect("the test binary lives in <target>/<profile>/deps")
            .to_path_buf();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--release", "--quiet", "--target-dir"])
            .arg(&target)
            .args([
                "--example",
                "httpd",
                "--example",
                "client",
                "--example",
                "echo",
            ])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the examples failed");
        target.join("release/examples")
    })
}

fn example(name: &str) -> String {
    examples_dir().join(name).display().to_string()
}

/// One test at a time: see the module documentation.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------
// Processes in the namespace

/// A long-running example in the namespace, killed (by its PID) when dropped. Its
/// stdout lines arrive on a channel.
struct Daemon {
    child: Child,
    lines: Receiver<String>,
    what: String,
}

impl Daemon {
    /// Starts `program args` in `ns` and waits until it prints a line containing
    /// `ready`.
    fn start(ns: &Netns, program: &str, args: &[&str], ready: &str) -> Daemon {
        let mut child = ns
            .command(program, args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut daemon = Daemon {
            child,
            lines,
            what: format!("{program} {}", args.join(" ")),
        };
        daemon.expect_line(ready, Duration::from_secs(10));
        daemon
    }

    /// Waits for a stdout line containing `text`; returns it.
    fn expect_line(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{}: no line with {text:?} within {timeout:?}", self.what)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait();
                    panic!(
                        "{}: exited ({status:?}) without printing {text:?}",
                        self.what
                    )
                }
            }
        }
    }

    /// Sends SIGINT.
    fn interrupt(&self) {
        let pid = self.child.id().to_string();
        // The shell's own kill: no procps needed.
        let status = Command::new("sh")
            .args(["-c", &format!("kill -INT {pid}")])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -INT {pid}");
    }

    /// Waits up to `timeout` for the process to exit.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs a bash script (with `pipefail`) in `ns`, killed after `limit`; panics with its
/// output unless it succeeds. Returns its stdout.
fn bash(ns: &Netns, script: &str, limit: Duration) -> String {
    stdout_of_success(bash_output(ns, script, limit, &[]), script)
}

/// [`bash`] for a command that ends quickly (30 s at most).
fn sh(ns: &Netns, script: &str) -> String {
    bash(ns, script, Duration::from_secs(30))
}

/// The stdout of a command that must have succeeded.
fn stdout_of_success(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "`{what}` failed ({}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a bash script in `ns` with positional arguments `args`, killed after `limit`.
fn bash_output(ns: &Netns, script: &str, limit: Duration, args: &[&str]) -> Output {
    let secs = limit.as_secs().max(1).to_string();
    let mut all = vec![
        "-k", "5", &secs, "bash", "-o", "pipefail", "-c", script, "bash",
    ];
    all.extend_from_slice(args);
    ns.command("timeout", &all)
        .stdin(Stdio::null())
        .output()
        .expect("timeout(1) runs")
}

/// What every program [`python`] runs can use.
const PY_PRELUDE: &str = r#"
import hashlib, socket, sys, time
def read_to_end(s):
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b
"#;

/// Runs a Python program (after [`PY_PRELUDE`]) in `ns` with `args`; panics unless it
/// succeeds; its stdout.
fn python(ns: &Netns, program: &str, args: &[&str]) -> String {
    let program = format!("{PY_PRELUDE}{program}");
    let mut all = vec![program.as_str()];
    all.extend_from_slice(args);
    let script = "python3 -c \"$1\" \"${@:2}\"";
    let out = bash_output(ns, script, Duration::from_secs(60), &all);
    stdout_of_success(out, "python3")
}

/// A namespace with httpd serving in it. The daemon is dropped (killed) before the
/// namespace is deleted: fields drop in order.
struct Httpd {
    daemon: Daemon,
    ns: Netns,
}

fn httpd(purpose: &str, extra: &[&str]) -> Httpd {
    let ns = tap_namespace(purpose);
    let mut args = vec![
        "--tap",
        "tap0",
        "--ip",
        "192.0.2.2/24",
        "--ip",
        "2001:db8::2/64",
    ];
    args.extend_from_slice(extra);
    let daemon = Daemon::start(&ns, &example("httpd"), &args, "serving HTTP");
    wait_link_up(&ns.name, "tap0");
    Httpd { daemon, ns }
}

/// SHA-256 (hex) of the first `len` bytes of httpd's `/bytes/` pattern, by piping the
/// pattern through `sha256sum`.
fn expected_pattern_digest(len: u64) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    // 261 periods of 251 bytes: every block starts where the pattern starts.
    let block: Vec<u8> = (0..251 * 261).map(|i| (i % 251) as u8).collect();
    let mut stdin = child.stdin.take().expect("piped");
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        stdin.write_all(&block[..n]).expect("sha256sum reads");
        left -= n as u64;
    }
    drop(stdin);
    let out = child.wait_with_output().expect("sha256sum ends");
    first_word(&String::from_utf8_lossy(&out.stdout))
}

fn first_word(text: &str) -> String {
    text.split_whitespace().next().unwrap_or("").to_owned()
}

fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)
}

// ---------------------------------------------------------------------------------------
// httpd with curl and wget

#[test]
fn curl_and_wget_fetch_the_page_and_a_gibibyte_whose_digest_matches() {
    require_netns!("curl", "wget", "python3", "sha256sum");
    let _turn = one_at_a_time();
    let expected = std::thread::spawn(|| expected_pattern_digest(GIB));
    let h = httpd("hget", &[]);
    let url = format!("http://{STACK_V4}");

    let page = sh(&h.ns, &format!("curl -sS -f -i {url}/"));
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("Content-Type: text/html"), "{page}");
    assert!(page.contains("<h1>skiff httpd</h1>"), "{page}");
    let page = sh(&h.ns, &format!("wget -q -O - {url}/"));
    assert!(page.contains("<h1>skiff httpd</h1>"), "{page}");

    let expected = expected.join().expect("digest thread");
    for tool in ["curl -sS -f", "wget -q -O -"] {
        let started = Instant::now();
        let script = format!("{tool} {url}/bytes/{GIB} | sha256sum");
        let got = first_word(&bash(&h.ns, &script, Duration::from_secs(300)));
        let elapsed = started.elapsed();
        assert_eq!(got, expected, "{tool}: SHA-256 of 1 GiB from /bytes/");
        println!(
            "{tool}: 1 GiB verified in {:.2} s ({:.0} MB/s, sha256sum included)",
            elapsed.as_secs_f64(),
            mb_per_s(GIB, elapsed)
        );
    }
    let speed = bash(
        &h.ns,
        &format!("curl -sS -f -o /dev/null -w '%{{speed_download}}' {url}/bytes/{GIB}"),
        Duration::from_secs(300),
    );
    let speed: f64 = speed.trim().parse().unwrap_or(0.0);
    println!("curl: 1 GiB to /dev/null at {:.0} MB/s", speed / 1e6);
}

#[test]
fn curl_fetches_the_page_and_256_mib_from_httpd_on_af_packet_over_a_veth() {
    // The same server on the other device type: an AF_PACKET socket on a veth end in
    // its own namespace, Linux's curl on the other end, over IPv4 and IPv6.
    require_netns!("curl", "sha256sum");
    let _turn = one_at_a_time();
    let len = 256 * MIB;
    let expected = std::thread::spawn(move || expected_pattern_digest(len));
    let (linux, stack) = veth_namespaces("hafp");
    let args = [
        "--af-packet",
        "veth1",
        "--ip",
        "192.0.2.2/24",
        "--ip",
        "2001:db8::2/64",
    ];
    let _httpd = Daemon::start(&stack, &example("httpd"), &args, "serving HTTP");
    for url in [format!("http://{STACK_V4}"), format!("http://[{STACK_V6}]")] {
        let page = sh(&linux, &format!("curl -sS -f -g {url}/"));
        assert!(page.contains("<h1>skiff httpd</h1>"), "{url}: {page}");
    }
    let started = Instant::now();
    let script = format!("curl -sS -f http://{STACK_V4}/bytes/{len} | sha256sum");
    let got = first_word(&bash(&linux, &script, Duration::from_secs(300)));
    let elapsed = started.elapsed();
    assert_eq!(
        got,
        expected.join().expect("digest thread"),
        "SHA-256 of 256 MiB"
    );
    println!(
        "AF_PACKET: 256 MiB verified in {:.2} s ({:.0} MB/s, sha256sum included)",
        elapsed.as_secs_f64(),
        mb_per_s(len, elapsed)
    );
}

#[test]
fn curl_over_ipv6_fetches_the_page_and_files_under_root_but_no_parent_path() {
    require_netns!("curl");
    let _turn = one_at_a_time();
    let root = std::env::temp_dir().join(format!("skiff-httpd-root-{}", std::process::id()));
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/hello.txt"), "hello from the root\n").unwrap();
    let h = httpd("hv6", &["--root", root.to_str().unwrap()]);
    let url = format!("http://[{STACK_V6}]");
    let page = sh(&h.ns, &format!("curl -sS -f -g {url}/"));
    assert!(page.contains("<h1>skiff httpd</h1>"), "{page}");
    let file = sh(&h.ns, &format!("curl -sS -f -g {url}/sub/hello.txt"));
    assert_eq!(file, "hello from the root\n");
    let code = |path: &str| {
        let script =
            format!("curl -sS -g --path-as-is -o /dev/null -w '%{{http_code}}' {url}{path}");
        sh(&h.ns, &script)
    };
    assert_eq!(code("/sub/../../etc/passwd"), "400");
    assert_eq!(code("/sub/missing"), "404");
    std::fs::remove_dir_all(&root).unwrap();
}

/// A deterministic stream of `$1` bytes on stdout; its SHA-256 on stderr.
const PY_GENERATE: &str = r#"
import hashlib, random, sys
n = int(sys.argv[1])
rng, h, out = random.Random(6), hashlib.sha256(), sys.stdout.buffer
while n > 0:
    b = rng.randbytes(min(n, 1 << 20))
    h.update(b)
    out.write(b)
    n -= len(b)
out.flush()
print(h.hexdigest(), file=sys.stderr)
"#;

#[test]
fn curl_uploads_256_mib_chunked_and_32_mib_with_a_length_and_gets_their_digests_back() {
    require_netns!("curl", "python3");
    let _turn = one_at_a_time();
    let h = httpd("hput", &[]);
    let url = format!("http://{STACK_V4}/upload");

    // From a pipe: curl does not know the length and sends it chunked.
    let n = 256 * MIB;
    let script = format!("python3 -c \"$1\" {n} | curl -sS -f -T - {url}");
    let started = Instant::now();
    let out = bash_output(&h.ns, &script, Duration::from_secs(300), &[PY_GENERATE]);
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (reply, digest) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        reply.trim(),
        format!("{{\"bytes\":{n},\"sha256\":\"{}\"}}", digest.trim())
    );
    println!(
        "curl -T - (chunked): 256 MiB uploaded and digested in {:.2} s ({:.0} MB/s)",
        elapsed.as_secs_f64(),
        mb_per_s(n, elapsed)
    );

    // From a file: Content-Length, and curl waits for "100 Continue" before the body.
    let n = 32 * MIB;
    let file = std::env::temp_dir().join(format!("skiff-upload-{}", std::process::id()));
    let path = file.display().to_string();
    let script = format!("python3 -c \"$1\" {n} > {path} && curl -sS -f -v -T {path} {url}");
    let out = bash_output(&h.ns, &script, Duration::from_secs(120), &[PY_GENERATE]);
    let _ = std::fs::remove_file(&file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let digest = first_word(&stderr);
    assert!(stderr.contains(&format!("Content-Length: {n}")), "{stderr}");
    assert!(stderr.contains("< HTTP/1.1 100 Continue"), "{stderr}");
    let reply = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        reply.trim(),
        format!("{{\"bytes\":{n},\"sha256\":\"{digest}\"}}")
    );
}

// ---------------------------------------------------------------------------------------
// httpd under load, pipelining, errors, shutdown

/// The number after `label` in wrk's output, if the line is there.
fn wrk_figure(output: &str, label: &str) -> Option<f64> {
    let at = output.find(label)? + label.len();
    output[at..]
        .split_whitespace()
        .next()?
        .trim_end_matches(',')
        .parse()
        .ok()
}

#[test]
fn wrk_with_200_connections_for_10_s_sees_no_socket_errors_and_only_2xx() {
    require_netns!("wrk", "curl");
    let _turn = one_at_a_time();
    let h = httpd("hwrk", &[]);
    let script = format!("wrk -c 200 -d 10s -t 2 http://{STACK_V4}/bytes/512");
    let out = bash(&h.ns, &script, Duration::from_secs(60));
    println!("{out}");
    // wrk prints these lines only when something went wrong.
    assert!(!out.contains("Socket errors"), "{out}");
    assert!(!out.contains("Non-2xx or 3xx responses"), "{out}");
    let rate = wrk_figure(&out, "Requests/sec:").expect("wrk reports a rate");
    assert!(rate > 0.0, "{out}");
    println!("wrk: {rate:.0} requests/s with 200 connections");

    // wrk's connections all end: only the one asking is left open.
    let stats = format!("curl -sS -f http://{STACK_V4}/stats");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let json = sh(&h.ns, &stats);
        if json.contains("\"active\":1,") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "connections left open after wrk: {json}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends its requests in one write, reads to the end, and prints each response's status
/// code and body length, in order.
const PY_PIPELINE: &str = r#"
host = sys.argv[1]
s = socket.create_connection((host, 80), timeout=10)
s.sendall(b"GET /bytes/3000 HTTP/1.1\r\nHost: x\r\n\r\n"
          b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
          b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
          b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /bytes/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = read_to_end(s)
out = []
while data:
    head, _, data = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    code = lines[0].split()[1].decode()
    if len(out) == 1:  # the answer to HEAD: a Content-Length but no body
        length = 0
    body, data = data[:length], data[length:]
    if len(out) == 0:
        assert body == bytes(i % 251 for i in range(3000)), "pattern"
    if len(out) == 2:
        digest = hashlib.sha256(b"hello").hexdigest()
        assert body == b'{"bytes":5,"sha256":"%s"}\n' % digest.encode(), body
    out.append("%s:%d" % (code, len(body)))
print(" ".join(out))
"#;

#[test]
fn pipelined_requests_in_one_write_get_their_responses_in_order() {
    require_netns!("python3");
    let _turn = one_at_a_time();
    let h = httpd("hpipe", &[]);
    let out = python(&h.ns, PY_PIPELINE, &[STACK_V4]);
    assert_eq!(out.trim(), "200:3000 200:0 200:88 404:14 200:7");
}

/// One connection per request; prints each response's status code and whether its
/// Content-Length matched the body that followed (the server closes after a malformed
/// request, and after the 405 because the request asks it to).
const PY_ERRORS: &str = r#"
host = sys.argv[1]
requests = [
    b"NONSENSE\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /bytes/ten HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000001\r\n\r\n",
    b"PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 20000 + b"\r\n\r\n",
]
out = []
for r in requests:
    s = socket.create_connection((host, 80), timeout=10)
    s.sendall(r)
    head, _, body = read_to_end(s).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = [int(l.split(b":")[1]) for l in lines if l.lower().startswith(b"content-length:")]
    ok = "ok" if length == [len(body)] else "bad-length"
    out.append("%s:%s" % (lines[0].split()[1].decode(), ok))
print(" ".join(out))
"#;

#[test]
fn bad_requests_get_an_error_status_with_a_correct_length_and_a_close() {
    require_netns!("python3");
    let _turn = one_at_a_time();
    let h = httpd("herr", &["--max-upload", "1000000"]);
    let out = python(&h.ns, PY_ERRORS, &[STACK_V4]);
    assert_eq!(
        out.trim(),
        "400:ok 400:ok 405:ok 400:ok 413:ok 501:ok 431:ok"
    );
}

/// `$2` connections one after another, each one request with `Connection: close`
/// (the server closes first, so its socket goes to TIME-WAIT); prints how many got
/// their whole response.
const PY_CLOSE_EACH: &str = r#"
ok = 0
for i in range(int(sys.argv[2])):
    s = socket.create_connection((sys.argv[1], 80), timeout=10)
    s.sendall(b"GET /bytes/100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = read_to_end(s)
    s.close()
    ok += data.endswith(bytes(range(100)))
print(ok)
"#;

#[test]
fn connections_the_server_closes_do_not_use_up_its_pool_in_time_wait() {
    require_netns!("python3");
    let _turn = one_at_a_time();
    // A pool of 17 sockets, and 5 times as many connections as it holds, each of which
    // leaves the server's socket in TIME-WAIT (one minute).
    let h = httpd("htw", &["--max-conns", "16"]);
    let out = python(&h.ns, PY_CLOSE_EACH, &[STACK_V4, "85"]);
    assert_eq!(out.trim(), "85");
}

/// A: a keep-alive connection left idle must see the server's FIN. B: a connection
/// that takes the server's FIN but never closes its own side must be reset a while
/// later (a write after that fails). Prints `A:fin B:reset` when both hold.
const PY_IDLE_TIMEOUTS: &str = r#"
host = sys.argv[1]
def fetch(s, close):
    extra = b"Connection: close\r\n" if close else b""
    s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    got = b""
    while not got.endswith(bytes(range(10))):
        got += s.recv(4096)
a = socket.create_connection((host, 80), timeout=10)
fetch(a, False)
result = ["A:fin" if a.recv(4096) == b"" else "A:data"]
b = socket.create_connection((host, 80), timeout=10)
fetch(b, True)
assert b.recv(4096) == b""
time.sleep(3)
try:
    b.sendall(b"x")
    time.sleep(0.3)
    b.sendall(b"y")
    result.append("B:open")
except OSError:
    result.append("B:reset")
print(" ".join(result))
"#;

#[test]
fn idle_connections_are_closed_and_a_peer_that_never_closes_is_reset() {
    require_netns!("python3");
    let _turn = one_at_a_time();
    let h = httpd("hidle", &["--idle-timeout", "1"]);
    let out = python(&h.ns, PY_IDLE_TIMEOUTS, &[STACK_V4]);
    assert_eq!(out.trim(), "A:fin B:reset");
}

/// Opens a keep-alive connection, gets one response, says `ready`, then waits for the
/// server's FIN and says `fin`.
const PY_IDLE_CLIENT: &str = r#"
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=20)
s.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n")
got = b""
while not got.endswith(bytes(range(10))):
    got += s.recv(4096)
print("ready", flush=True)
print("fin" if s.recv(4096) == b"" else "data")
"#;

#[test]
fn sigint_makes_httpd_close_an_idle_connection_with_a_fin_and_exit_0() {
    require_netns!("python3");
    let _turn = one_at_a_time();
    let mut h = httpd("hint", &[]);
    let mut client = Daemon::start(&h.ns, "python3", &["-c", PY_IDLE_CLIENT, STACK_V4], "ready");
    h.daemon.interrupt();
    client.expect_line("fin", Duration::from_secs(10));
    let status = h.daemon.wait_exit(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "httpd after SIGINT: {status:?}"
    );
    h.daemon
        .expect_line("stopped after 1 connections", Duration::from_secs(1));
}

// ---------------------------------------------------------------------------------------
// echo and client

/// Sends a line over TCP and prints what comes back.
const PY_ECHO_LINE: &str = r#"
s = socket.create_connection((sys.argv[1], 7), timeout=10)
line = ("hello over %s\n" % sys.argv[1]).encode()
s.sendall(line)
got = b""
while len(got) < len(line):
    b = s.recv(100)
    if not b:
        break
    got += b
s.close()
print(got.decode().strip())
"#;

#[test]
fn a_python_socket_gets_its_line_back_from_the_echo_example_over_ipv4_and_ipv6() {
    require_netns!("python3");
    let _turn = one_at_a_time();
    let ns = tap_namespace("echo");
    let args = [
        "--tap",
        "tap0",
        "--ip",
        "192.0.2.2/24",
        "--ip",
        "2001:db8::2/64",
    ];
    let _echo = Daemon::start(&ns, &example("echo"), &args, "echo: serving");
    wait_link_up(&ns.name, "tap0");
    for addr in [STACK_V4, STACK_V6] {
        let out = python(&ns, PY_ECHO_LINE, &[addr]);
        assert_eq!(out.trim(), format!("hello over {addr}"));
    }
}

#[test]
fn the_client_example_fetches_a_file_from_python_http_server_intact() {
    require_netns!("python3", "cmp");
    let _turn = one_at_a_time();
    let dir = std::env::temp_dir().join(format!("skiff-client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let served = dir.join("blob");
    let body: Vec<u8> = (0..8 * MIB)
        .map(|i| ((i * 2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&served, &body).unwrap();
    let copy = dir.join("copy");

    let ns = tap_namespace("client");
    let dir_arg = dir.display().to_string();
    let server_args = ["-u", "-c", PY_HTTP_SERVER, &dir_arg];
    let _server = Daemon::start(&ns, "python3", &server_args, "listening");
    let copy_arg = copy.display().to_string();
    let started = Instant::now();
    let out = run_client(&ns, "blob", &copy_arg);
    let elapsed = started.elapsed();
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "client failed: {report}");
    assert_eq!(std::fs::read(&copy).unwrap(), body, "the copy differs");
    let whole = elapsed.as_secs_f64();
    println!("{} (whole run {whole:.2} s)", report.trim());

    let out = run_client(&ns, "missing", "/dev/null");
    assert_eq!(out.status.code(), Some(1), "a 404 is a failure");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs the client example in `ns` to fetch `path` from Python's server into `output`.
fn run_client(ns: &Netns, path: &str, output: &str) -> Output {
    let url = format!("http://{LINUX_V4}:8000/{path}");
    let args = ["--tap", "tap0", "--ip", "192.0.2.2/24", &url, "-o", output];
    ns.command(&example("client"), &args)
        .stdin(Stdio::null())
        .output()
        .expect("client runs")
}

/// Python's http.server on port 8000 serving `argv[1]`; prints `listening` once bound.
const PY_HTTP_SERVER: &str = r#"
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("0.0.0.0", 8000), handler)
print("listening", flush=True)
server.serve_forever()
"#;
