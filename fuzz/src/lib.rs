//! The bodies of skiff's fuzz targets, one public function per target.
//!
//! Each body feeds arbitrary bytes through a wire parser (`XPacket::new_checked`, then
//! `XRepr::parse` once with default checksum capabilities and once with checksums
//! ignored, so that a bad checksum does not hide the deeper parser), formats every view
//! and repr with `Display`, and re-emits every successful parse into a buffer of
//! `buffer_len()` bytes and parses that again: the second parse must succeed and give an
//! equal repr. A panic or a failed `assert!` here is a finding.
//!
//! The `fuzz_targets/` binaries call these under libFuzzer; `tests/corpus.rs` runs them
//! over the committed corpus and regressions on stable, in plain `cargo test`.

#![forbid(unsafe_code)]

mod iface;
mod ip;
mod ipv6;
mod link;
mod tcp;

pub use iface::iface_ingress;
pub use ip::{icmp, ipv4_packet, tcp_segment};
pub use ipv6::ipv6_packet;
pub use link::{arp, ethernet_frame};
pub use tcp::tcp_conversation;

use core::fmt::{self, Write};
use skiff::wire::ChecksumCapabilities;

/// A `fmt::Write` that keeps only a byte count, so formatting costs no allocation.
struct CountingSink(usize);

impl Write for CountingSink {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.wrapping_add(s.len());
        Ok(())
    }
}

/// Formats `value` into a sink that discards it: exercises every `Display` path.
fn display(value: &impl fmt::Display) {
    let mut sink = CountingSink(0);
    // A Display impl may return Err only if the sink does; ours never does.
    assert!(write!(sink, "{value}").is_ok(), "Display returned an error");
}

/// The two passes every parser gets: checksums verified (the default) and ignored.
fn both_caps() -> [ChecksumCapabilities; 2] {
    [
        ChecksumCapabilities::default(),
        ChecksumCapabilities::ignored(),
    ]
}
