//! Draws every TCP connection in a pcap capture as a ladder diagram: one arrow per
//! segment, each endpoint's inferred TCP state in its own column. Reads Ethernet and
//! raw-IP captures, from Linux (`tcpdump -w`) as well as ones skiff wrote.
//!
//! ```sh
//! cargo run --example ladder -- tests/fixtures/linux/tcp_handshake.pcap
//! cargo run --example ladder -- capture.pcap --absolute   # raw sequence numbers
//! cargo run --example ladder -- capture.pcap --conn 2     # only the second connection
//! cargo run --example ladder -- capture.pcap --time       # seconds since the first segment
//! ```

use std::process::ExitCode;

use skiff::pcap::{PcapLinkType, PcapReader, PcapRecord};
use skiff::trace::{Connection, LadderOptions, LadderRenderer};
use skiff::wire::ChecksumCapabilities;
use skiff::wire::frame::{Frame, dissect_ethernet, dissect_ip};

const USAGE: &str = "usage: ladder CAPTURE.pcap [--absolute] [--time] [--conn N]";

struct Args {
    path: String,
    options: LadderOptions,
    /// 1-based index of the one connection to draw, in order of first appearance.
    conn: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut options = LadderOptions::default();
    let (mut path, mut conn) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--absolute" | "-a" => options.absolute = true,
            "--time" | "-t" => options.time = true,
            "--conn" | "-c" => {
                let n = args.next().ok_or("--conn needs a number")?;
                let n: usize = n.parse().map_err(|_| format!("--conn {n}: not a number"))?;
                conn = Some(n);
            }
            "--help" | "-h" => return Err(String::new()),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => path = Some(arg),
        }
    }
    let path = path.ok_or("no capture given")?;
    Ok(Args {
        path,
        options,
        conn,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ladder: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let bytes = match std::fs::read(&args.path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("ladder: cannot read {}: {e}", args.path);
            return ExitCode::FAILURE;
        }
    };
    match draw(&bytes, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ladder: {}: {e}", args.path);
            ExitCode::FAILURE
        }
    }
}

/// Draws the selected connections one after another, each as its own ladder, even when
/// their segments interleave in the capture.
fn draw(bytes: &[u8], args: &Args) -> Result<(), String> {
    let (link_type, records) = read_records(bytes)?;
    let caps = ChecksumCapabilities::default();
    let frames: Vec<(&PcapRecord, Frame)> = records
        .iter()
        .filter_map(|record| {
            let frame = match link_type {
                PcapLinkType::Ethernet => dissect_ethernet(record.data, &caps),
                _ => dissect_ip(record.data, &caps),
            };
            frame.ok().map(|frame| (record, frame))
        })
        .collect();
    let mut connections: Vec<Connection> = Vec::new();
    for (_, frame) in &frames {
        if let Some(key) = Connection::of_frame(frame) {
            if !connections.contains(&key) {
                connections.push(key);
            }
        }
    }
    if connections.is_empty() {
        println!("no TCP segments in this capture");
        return Ok(());
    }
    let selected: Vec<(usize, Connection)> = match args.conn {
        Some(n) if n == 0 || n > connections.len() => {
            return Err(format!(
                "--conn {n}: the capture has {} connection(s)",
                connections.len()
            ));
        }
        Some(n) => vec![(n, connections[n - 1])],
        None => connections
            .iter()
            .copied()
            .enumerate()
            .map(|(i, c)| (i + 1, c))
            .collect(),
    };
    let mut out = String::new();
    for (i, (number, key)) in selected.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("connection {number}\n"));
        let mut ladder = LadderRenderer::new(args.options);
        for (record, frame) in &frames {
            if Connection::of_frame(frame) == Some(*key) {
                ladder
                    .frame(record.timestamp, frame, &mut out)
                    .map_err(|e| e.to_string())?;
            }
        }
        print!("{out}");
        out.clear();
    }
    Ok(())
}

/// The capture's link type and every record, or the first error; rejects link types
/// other than Ethernet and raw IP.
fn read_records(bytes: &[u8]) -> Result<(PcapLinkType, Vec<PcapRecord<'_>>), String> {
    let reader = PcapReader::new(bytes).map_err(|e| e.to_string())?;
    let link_type = reader.link_type();
    if let PcapLinkType::Other(n) = link_type {
        return Err(format!("link type {n} is not Ethernet or raw IP"));
    }
    let records = reader
        .enumerate()
        .map(|(i, record)| record.map_err(|e| format!("record {}: {e}", i + 1)))
        .collect::<Result<_, _>>()?;
    Ok((link_type, records))
}
