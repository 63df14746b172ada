use std::string::String;

use super::*;
use crate::pcap::PcapReader;
use crate::wire::ChecksumCapabilities;
use crate::wire::frame::dissect_ethernet;

/// Draws every TCP segment of an Ethernet capture.
fn render(capture: &[u8], options: LadderOptions) -> String {
    let mut ladder = LadderRenderer::new(options);
    let mut text = String::new();
    for record in PcapReader::new(capture).unwrap() {
        let record = record.unwrap();
        let frame = dissect_ethernet(record.data, &ChecksumCapabilities::default()).unwrap();
        ladder.frame(record.timestamp, &frame, &mut text).unwrap();
    }
    text
}

const HANDSHAKE: &[u8] = include_bytes!("../../tests/fixtures/linux/tcp_handshake.pcap");
const RST: &[u8] = include_bytes!("../../tests/fixtures/linux/tcp_rst.pcap");
const IPV6: &[u8] = include_bytes!("../../tests/fixtures/linux/tcp_ipv6.pcap");

#[test]
fn show() {
    for c in [HANDSHAKE, RST, IPV6] {
        std::println!("{}", render(c, LadderOptions::default()));
        std::println!(
            "{}",
            render(
                c,
                LadderOptions {
                    absolute: true,
                    time: true,
                    ..LadderOptions::default()
                }
            )
        );
    }
}
