//! Decodes a pcap capture with skiff's wire layer and prints one line per frame, like
//! `tcpdump -r`. Works on captures from Linux (`tcpdump -w`) as well as ones skiff wrote.
//!
//! ```sh
//! cargo run --example dump -- tests/fixtures/linux/tcp_handshake.pcap
//! cargo run --example dump -- --ethernet capture.pcap    # also print the Ethernet header
//! ```

use std::process::ExitCode;

use skiff::pcap::{PcapLinkType, PcapReader};
use skiff::wire::ChecksumCapabilities;
use skiff::wire::frame::{dissect_ethernet, dissect_ip};

fn main() -> ExitCode {
    let mut show_ethernet = false;
    let mut path = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--ethernet" | "-e" => show_ethernet = true,
            "--help" | "-h" => {
                println!("usage: dump [--ethernet] CAPTURE.pcap");
                return ExitCode::SUCCESS;
            }
            _ => path = Some(arg),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: dump [--ethernet] CAPTURE.pcap");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("dump: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let reader = match PcapReader::new(&bytes) {
        Ok(reader) => reader,
        Err(e) => {
            eprintln!("dump: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let link_type = reader.link_type();
    let caps = ChecksumCapabilities::default();
    let mut first = None;
    for (index, record) in reader.enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                eprintln!("dump: {path}: record {}: {e}", index + 1);
                return ExitCode::FAILURE;
            }
        };
        let start = *first.get_or_insert(record.timestamp);
        let elapsed = record.timestamp - start;
        let dissected = match link_type {
            PcapLinkType::Ethernet => dissect_ethernet(record.data, &caps),
            PcapLinkType::Raw => dissect_ip(record.data, &caps),
            PcapLinkType::Other(n) => {
                eprintln!("dump: {path}: link type {n} is not Ethernet or raw IP");
                return ExitCode::FAILURE;
            }
        };
        match dissected {
            Ok(frame) if show_ethernet => {
                println!("{:>4} {:>12} {frame:#}", index + 1, elapsed.to_string())
            }
            Ok(frame) => println!("{:>4} {:>12} {frame}", index + 1, elapsed.to_string()),
            Err(e) => println!(
                "{:>4} {:>12} undecodable frame ({e}), {} bytes",
                index + 1,
                elapsed.to_string(),
                record.data.len()
            ),
        }
    }
    ExitCode::SUCCESS
}
