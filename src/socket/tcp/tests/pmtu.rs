//! Path MTU discovery as conversations (CONFORMANCE B7.2–B7.5, B7.8): what a validated
//! Packet Too Big does to the segments and what it never does.

use super::*;
use crate::socket::IcmpErrorReport;

const DATA: &[u8; 8192] = &[0x3c; 8192];

/// A Fragmentation Needed from a router, about the segment at `seq`, reporting `mtu`.
fn frag_needed(c: &mut Conv, seq: SeqNumber, mtu: u32) {
    let report = IcmpErrorReport {
        from: "198.51.100.1".parse().unwrap(),
        remote: remote(),
        icmp_type: 3,
        icmp_code: 4,
        next_hop_mtu: Some(mtu),
    };
    let now = c.now;
    c.socket.process_icmp_error(now, report, seq);
}

/// Established (peer MSS 1000, interface 1460), 4000 bytes in flight in 1000-byte
/// segments.
fn in_flight() -> Conv {
    let mut c = Conv::established(plain_config(), 1024, 16 * 1024);
    c.socket.send_slice(&DATA[..4000]).unwrap();
    assert_eq!(c.out_all().len(), 4);
    c
}

#[test]
fn a_packet_too_big_never_raises_the_estimate() {
    // B7.3.
    let mut c = in_flight();
    let una = c.seq(1);
    frag_needed(&mut c, una, 800);
    assert_eq!(c.socket.path_mss(), 760);
    frag_needed(&mut c, una, 1400);
    assert_eq!(c.socket.path_mss(), 760, "a larger report is ignored");
    assert_eq!(c.socket.counters().path_mtu_lowered, 1);
}

#[test]
fn a_tiny_report_stops_at_the_floor() {
    // B7.3: IPv4 never below 68; and never a payload under 88 bytes (Linux's minimum
    // send MSS), so a forged report cannot make the connection crawl.
    let mut c = in_flight();
    let una = c.seq(1);
    frag_needed(&mut c, una, 20);
    assert_eq!(c.socket.path_mss(), 88);
    assert!(c.out_all().iter().all(|s| s.payload.len() <= 88));
}

#[test]
fn an_unvalidated_report_changes_nothing() {
    // B7.2: the quoted sequence number must be data in flight (RFC 5927 §4.1).
    let mut c = in_flight();
    let beyond = c.seq(1 + 4000);
    frag_needed(&mut c, beyond, 600);
    assert_eq!(c.socket.path_mss(), 1460);
    assert_eq!(c.socket.counters().icmp_errors_ignored, 1);
    c.expect_silence();
}

#[test]
fn a_report_without_an_mtu_steps_down_the_plateau_table() {
    // B7.4 (RFC 1191 §7): a pre-1191 router says 0; from a 1500-byte path the next
    // plateau is 1492.
    let mut c = in_flight();
    let una = c.seq(1);
    frag_needed(&mut c, una, 0);
    assert_eq!(c.socket.path_mss(), 1492 - 40);
    frag_needed(&mut c, una, 0);
    assert_eq!(c.socket.path_mss(), 1006 - 40);
}

#[test]
fn an_ipv6_packet_too_big_never_goes_below_1280() {
    // B7.8 (RFC 8201 §4): a report under 1280 still means 1280.
    let mut c = in_flight();
    let now = c.now;
    c.socket
        .on_packet_too_big(now, "2001:db8::2".parse().unwrap(), 600);
    assert_eq!(c.socket.path_mss(), 1280 - 60);
}

#[test]
fn a_lowered_estimate_is_tried_larger_again_after_ten_minutes() {
    // B7.5: the interface's MSS again after PMTU_AGE with no new report.
    let mut c = in_flight();
    let una = c.seq(1);
    frag_needed(&mut c, una, 800);
    let resent = c.out_all();
    let acked: usize = resent.iter().map(|s| s.payload.len()).sum();
    c.feed(&seg(1, c.ack(1 + acked)));
    c.at_ms(9 * 60 * 1000);
    c.socket.send_slice(&DATA[..2000]).unwrap();
    assert!(
        c.out_all().iter().all(|s| s.payload.len() <= 760),
        "still lowered"
    );
    assert_eq!(c.socket.path_mss(), 760);
    c.at_ms(11 * 60 * 1000);
    c.socket.send_slice(&DATA[..2000]).unwrap();
    c.out_all();
    assert_eq!(c.socket.path_mss(), 1460);
}
