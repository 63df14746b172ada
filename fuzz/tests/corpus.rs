//! Runs every fuzz target body over its committed inputs: `corpus/<target>/` (seeds and
//! what the campaigns kept) and `regressions/<target>/` (reproducers of fixed crashes).
//! A panic or failed assertion in a body fails the test and names the file.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

/// Every file under `fuzz/<kind>/<target>/`, sorted; a missing directory is empty.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            // Skip dotfiles such as `.gitkeep`, which hold a directory in git.
            .filter(|path| path.is_file() && !is_hidden(path))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.'))
}

/// Runs `body` over all inputs of `target`; reports every failing file, then fails.
fn run(target: &str, body: fn(&[u8])) {
    let corpus = inputs("corpus", target);
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ has no seeds");
    let regressions = inputs("regressions", target);
    let mut failures = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if panic::catch_unwind(|| body(&data)).is_err() {
            failures.push(path.display().to_string());
        }
    }
    println!(
        "{target}: {} corpus + {} regression inputs, {} failed",
        corpus.len(),
        regressions.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{target} failed on: {failures:#?}");
}

#[test]
fn corpus_tcp_segment() {
    run("tcp_segment", skiff_fuzz::tcp_segment);
}

#[test]
fn corpus_ipv4_packet() {
    run("ipv4_packet", skiff_fuzz::ipv4_packet);
}

#[test]
fn corpus_ipv6_packet() {
    run("ipv6_packet", skiff_fuzz::ipv6_packet);
}

#[test]
fn corpus_ethernet_frame() {
    run("ethernet_frame", skiff_fuzz::ethernet_frame);
}

#[test]
fn corpus_icmp() {
    run("icmp", skiff_fuzz::icmp);
}

#[test]
fn corpus_arp() {
    run("arp", skiff_fuzz::arp);
}

#[test]
fn corpus_iface_ingress() {
    run("iface_ingress", skiff_fuzz::iface_ingress);
}

#[test]
fn corpus_tcp_conversation() {
    run("tcp_conversation", skiff_fuzz::tcp_conversation);
}
