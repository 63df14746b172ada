//! Example programs and Linux tools as processes inside a test's namespace: build the
//! skiff examples with the cargo that runs the tests, start a program under `ip netns
//! exec`, wait for a line it prints, signal it, collect its output. Every process is
//! killed (by its own pid) when its guard drops, so a failing test leaves none behind.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Netns;

/// The examples the tests run, built together in one cargo call.
const EXAMPLES: &[&str] = &["embed", "tokio_echo", "benchmark"];

/// The executable of example `name` of the `skiff` crate, built once per test binary
/// with `cargo build --release` (the cargo that runs the tests, `$CARGO`, so the same
/// toolchain and `CARGO_TARGET_DIR`). Panics with cargo's output if the build fails.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Option<HashMap<String, PathBuf>>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(|| Mutex::new(None))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let paths = built.get_or_insert_with(build_examples);
    paths
        .get(name)
        .unwrap_or_else(|| panic!("example {name} was not built (EXAMPLES: {EXAMPLES:?})"))
        .clone()
}

fn build_examples() -> HashMap<String, PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "build",
        "--release",
        "-p",
        "skiff",
        "--message-format=json-render-diagnostics",
    ]);
    for name in EXAMPLES {
        cmd.args(["--example", name]);
    }
    let out = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "building the examples failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One JSON object per line; an example's artifact names its target and executable.
    let mut paths = HashMap::new();
    for line in stdout
        .lines()
        .filter(|l| l.contains(r#""reason":"compiler-artifact""#))
    {
        let (Some(name), Some(exe)) = (
            json_string(line, r#""target":{"#, r#""name":""#),
            json_string(line, "", r#""executable":""#),
        ) else {
            continue;
        };
        if EXAMPLES.contains(&name.as_str()) {
            paths.insert(name, PathBuf::from(exe));
        }
    }
    paths
}

/// The string value after `key` (which ends in `":"`), searching from `after`. Enough for
/// cargo's messages, whose paths and names hold no escaped characters here.
fn json_string(line: &str, after: &str, key: &str) -> Option<String> {
    let rest = &line[line.find(after)?..];
    let start = rest.find(key)? + key.len();
    let len = rest[start..].find('"')?;
    Some(rest[start..start + len].to_string())
}

/// A process running inside a namespace. Its stdout is read line by line on a thread
/// (so a chatty process never blocks on a full pipe), its stderr collected on another.
pub struct NsProcess {
    child: Child,
    what: String,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
}

impl NsProcess {
    /// Starts `program args...` under `ip netns exec` (which execs it: the child's pid
    /// is the program's).
    pub fn spawn(ns: &Netns, program: impl AsRef<Path>, args: &[&str]) -> NsProcess {
        let program = program.as_ref();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &ns.name])
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        let name = program.file_name().unwrap_or_default().to_string_lossy();
        NsProcess {
            child,
            what: format!("{name} {}", args.join(" ")),
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// Waits up to `timeout` for a line of stdout containing `needle` and returns it.
    /// Panics (with everything the process said) if it exits or times out first.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    let stderr = self.take_stderr();
                    panic!(
                        "`{}` printed no line with {needle:?} within {timeout:?}:\n{}\n{stderr}",
                        self.what,
                        self.seen.join("\n"),
                    );
                }
            }
        }
    }

    /// Sends `signal` (e.g. `libc::SIGINT`) to the process.
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits");
        // SAFETY: kill(2) with the pid of our own child, which we have not yet reaped
        // (so the pid cannot have been reused), and a valid signal number.
        let ret = unsafe { libc::kill(pid, signal) };
        assert_eq!(ret, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Waits up to `timeout` for the process to exit (killing it after that) and returns
    /// whether it succeeded, and all of its stdout and stderr.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                _ => break None,
            }
        };
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The reader thread ends at EOF, which came with the exit (or the kill).
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let mut stderr = self.take_stderr();
        if status.is_none() {
            stderr.push_str(&format!("\n[`{}` killed after {timeout:?}]", self.what));
        }
        Finished {
            success: status.is_some_and(|s| s.success()),
            stdout: std::mem::take(&mut self.seen).join("\n"),
            stderr,
        }
    }

    fn take_stderr(&mut self) -> String {
        self.stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for NsProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What a finished process said.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}
