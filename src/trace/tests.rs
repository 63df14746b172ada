use std::string::String;
use std::vec::Vec;

use super::*;
use crate::pcap::PcapReader;
use crate::wire::ChecksumCapabilities;
use crate::wire::frame::dissect_ethernet;
use crate::wire::{TcpFlags, TcpTimestampRepr};

const HANDSHAKE: &[u8] = include_bytes!("../../tests/fixtures/linux/tcp_handshake.pcap");
const RST: &[u8] = include_bytes!("../../tests/fixtures/linux/tcp_rst.pcap");
const IPV6: &[u8] = include_bytes!("../../tests/fixtures/linux/tcp_ipv6.pcap");

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

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A segment between `src` and `dst` with the given flags and numbers; ACK is set with
/// `ack`.
fn seg<'a>(
    src: SocketAddr,
    dst: SocketAddr,
    flags: TcpFlags,
    seq: u32,
    ack: Option<u32>,
    payload: &'a [u8],
) -> TcpRepr<'a> {
    let mut flags = flags;
    flags.set(TcpFlags::ACK, ack.is_some());
    TcpRepr {
        src_port: src.port(),
        dst_port: dst.port(),
        flags,
        seq_number: SeqNumber(seq),
        ack_number: ack.map(SeqNumber),
        window_len: 1000,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload,
    }
}

/// Feeds `(from_client, repr)` pairs between a client and a server; returns the text.
fn converse(ladder: &mut LadderRenderer, segments: &[(bool, TcpRepr)]) -> String {
    let (client, server) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut text = String::new();
    for (i, (from_client, repr)) in segments.iter().enumerate() {
        let (src, dst) = if *from_client {
            (client, server)
        } else {
            (server, client)
        };
        let time = Instant::from_millis(i as i64);
        ladder.segment(time, src, dst, repr, &mut text).unwrap();
    }
    text
}

/// A handshake with ISNs 1000 (client) and 5000 (server), as `converse` input.
fn handshake() -> Vec<(bool, TcpRepr<'static>)> {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    std::vec![
        (true, seg(c, s, TcpFlags::SYN, 1000, None, b"")),
        (false, seg(s, c, TcpFlags::SYN, 5000, Some(1001), b"")),
        (true, seg(c, s, TcpFlags::empty(), 1001, Some(5001), b"")),
    ]
}

#[test]
fn linux_handshake_capture_draws_the_textbook_ladder() {
    let expected = "\
192.0.2.1:40001                                                                 192.0.2.2:7777
SYN_SENT      --[SYN] seq=0 win=64240 mss=1460 ws=10 sackOK ts -------------->  LISTEN
ESTABLISHED   <--[SYN,ACK] seq=0 ack=1 win=65160 mss=1460 ws=10 sackOK ts ----  SYN_RECEIVED
              --[ACK] seq=1 ack=1 ------------------------------------------->  ESTABLISHED
              --[PSH,ACK] seq=1 ack=1 len=13 -------------------------------->
              <--[ACK] seq=1 ack=14 ------------------------------------------
              <--[PSH,ACK] seq=1 ack=14 len=13 -------------------------------
              --[ACK] seq=14 ack=14 ----------------------------------------->
FIN_WAIT_1    --[FIN,ACK] seq=14 ack=14 ------------------------------------->  CLOSE_WAIT
TIME_WAIT     <--[FIN,ACK] seq=14 ack=15 -------------------------------------  LAST_ACK
              --[ACK] seq=15 ack=15 ----------------------------------------->  CLOSED
";
    assert_eq!(render(HANDSHAKE, LadderOptions::default()), expected);
}

#[test]
fn linux_reset_capture_closes_both_columns() {
    // A SYN to a closed port: the reset's sequence number is shown as 1, as Wireshark
    // does for an endpoint whose SYN was never seen.
    let expected = "\
192.0.2.1:40003                                                                 192.0.2.2:9
SYN_SENT      --[SYN] seq=0 win=64240 mss=1460 ws=10 sackOK ts -------------->  LISTEN
CLOSED        <--[RST,ACK] seq=1 ack=1 ---------------------------------------  CLOSED
";
    assert_eq!(render(RST, LadderOptions::default()), expected);
}

#[test]
fn linux_ipv6_capture_draws_the_same_ladder_with_bracketed_addresses() {
    let expected = "\
[2001:db8::1]:40001                                                             [2001:db8::2]:7777
SYN_SENT      --[SYN] seq=0 win=64800 mss=1440 ws=10 sackOK ts -------------->  LISTEN
ESTABLISHED   <--[SYN,ACK] seq=0 ack=1 win=64260 mss=1440 ws=10 sackOK ts ----  SYN_RECEIVED
              --[ACK] seq=1 ack=1 ------------------------------------------->  ESTABLISHED
              --[PSH,ACK] seq=1 ack=1 len=13 -------------------------------->
              <--[ACK] seq=1 ack=14 ------------------------------------------
              <--[PSH,ACK] seq=1 ack=14 len=13 -------------------------------
              --[ACK] seq=14 ack=14 ----------------------------------------->
FIN_WAIT_1    --[FIN,ACK] seq=14 ack=14 ------------------------------------->  CLOSE_WAIT
TIME_WAIT     <--[FIN,ACK] seq=14 ack=15 -------------------------------------  LAST_ACK
              --[ACK] seq=15 ack=15 ----------------------------------------->  CLOSED
";
    assert_eq!(render(IPV6, LadderOptions::default()), expected);
}

#[test]
fn absolute_numbering_shows_the_raw_sequence_numbers_and_time_column() {
    let options = LadderOptions {
        absolute: true,
        time: true,
        arrow_width: 0,
        headers: false,
    };
    let text = render(HANDSHAKE, options);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(
        lines[0],
        "   0.000000  SYN_SENT      --[SYN] seq=93717395 win=64240 mss=1460 ws=10 sackOK ts -->  LISTEN"
    );
    assert_eq!(
        lines[1],
        "   0.000025  ESTABLISHED   <--[SYN,ACK] seq=473823451 ack=93717396 win=65160 \
         mss=1460 ws=10 sackOK ts --  SYN_RECEIVED"
    );
    assert_eq!(
        lines[9],
        "   0.100720                --[ACK] seq=93717410 ack=473823466 -->  CLOSED"
    );
}

#[test]
fn relative_numbering_survives_a_wrap_of_the_sequence_space() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut ladder = LadderRenderer::new(LadderOptions {
        arrow_width: 0,
        headers: false,
        ..LadderOptions::default()
    });
    let text = converse(
        &mut ladder,
        &[
            (true, seg(c, s, TcpFlags::SYN, u32::MAX - 1, None, b"")),
            (false, seg(s, c, TcpFlags::SYN, 7, Some(u32::MAX), b"")),
            (true, seg(c, s, TcpFlags::PSH, u32::MAX, Some(8), b"abc")),
        ],
    );
    assert!(
        text.ends_with("--[PSH,ACK] seq=1 ack=1 len=3 -->  ESTABLISHED\n"),
        "{text}"
    );
}

#[test]
fn a_retransmitted_segment_is_marked() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut segments = handshake();
    segments.push((
        true,
        seg(c, s, TcpFlags::PSH, 1001, Some(5001), b"0123456789"),
    ));
    segments.push((
        true,
        seg(c, s, TcpFlags::PSH, 1001, Some(5001), b"0123456789"),
    ));
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let text = converse(&mut ladder, &segments);
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines[4].contains("retransmission"), "{text}");
    assert!(lines[5].contains("len=10 (retransmission) --"), "{text}");
}

#[test]
fn a_retransmitted_syn_is_marked_and_changes_no_state() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let syn = seg(c, s, TcpFlags::SYN, 1000, None, b"");
    let mut ladder = LadderRenderer::new(LadderOptions {
        arrow_width: 0,
        headers: false,
        ..LadderOptions::default()
    });
    let text = converse(&mut ladder, &[(true, syn), (true, syn)]);
    assert_eq!(
        text,
        "SYN_SENT      --[SYN] seq=0 win=1000 -->  LISTEN\n              \
         --[SYN] seq=0 win=1000 (retransmission) -->\n"
    );
}

#[test]
fn a_hole_filled_later_is_out_of_order_not_a_retransmission() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut segments = handshake();
    segments.push((
        true,
        seg(c, s, TcpFlags::empty(), 1011, Some(5001), &[1; 10]),
    ));
    segments.push((
        true,
        seg(c, s, TcpFlags::empty(), 1001, Some(5001), &[0; 10]),
    ));
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let text = converse(&mut ladder, &segments);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[4].contains("seq=11 ack=1 len=10 (previous segment not seen)"),
        "{text}"
    );
    assert!(
        lines[5].contains("seq=1 ack=1 len=10 (out-of-order)"),
        "{text}"
    );
}

#[test]
fn repeated_pure_acks_are_counted_as_duplicates() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut segments = handshake();
    for _ in 0..3 {
        segments.push((false, seg(s, c, TcpFlags::empty(), 5001, Some(1001), b"")));
    }
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let text = converse(&mut ladder, &segments);
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines[4].contains("dup"), "{text}");
    assert!(lines[5].contains("ack=1 (dup ack #1)"), "{text}");
    assert!(lines[6].contains("ack=1 (dup ack #2)"), "{text}");
}

#[test]
fn sack_blocks_are_shown_relative_to_the_peer() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut segments = handshake();
    let mut ack = seg(s, c, TcpFlags::empty(), 5001, Some(1001), b"");
    ack.sack_ranges[0] = Some((1100, 1200));
    segments.push((false, ack));
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let text = converse(&mut ladder, &segments);
    assert!(
        text.contains("<--[ACK] seq=1 ack=1 sack=[100-200] --"),
        "{text}"
    );
}

#[test]
fn a_connection_picked_up_mid_stream_starts_established() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut ladder = LadderRenderer::new(LadderOptions {
        arrow_width: 0,
        headers: false,
        ..LadderOptions::default()
    });
    let text = converse(
        &mut ladder,
        &[(false, seg(s, c, TcpFlags::PSH, 77, Some(99), b"hi"))],
    );
    // The first speaker goes on the left; the peer's base is unknown, so ack is raw.
    assert_eq!(
        text,
        "ESTABLISHED   --[PSH,ACK] seq=1 ack=99 len=2 -->  ESTABLISHED\n"
    );
    let key = Connection::new(c, s);
    let [left, right] = ladder.states(&key).unwrap();
    assert_eq!(left, (s, LadderState::Established));
    assert_eq!(right, (c, LadderState::Established));
}

#[test]
fn simultaneous_open_passes_through_syn_received_on_both_sides() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    converse(
        &mut ladder,
        &[
            (true, seg(c, s, TcpFlags::SYN, 1000, None, b"")),
            (false, seg(s, c, TcpFlags::SYN, 5000, None, b"")),
            (true, seg(c, s, TcpFlags::SYN, 1000, Some(5001), b"")),
            (false, seg(s, c, TcpFlags::SYN, 5000, Some(1001), b"")),
        ],
    );
    let [left, right] = ladder.states(&Connection::new(c, s)).unwrap();
    assert_eq!(
        (left.1, right.1),
        (LadderState::Established, LadderState::Established)
    );
}

#[test]
fn the_handshake_capture_ends_in_time_wait_and_closed() {
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let mut sink = String::new();
    for record in PcapReader::new(HANDSHAKE).unwrap() {
        let record = record.unwrap();
        let frame = dissect_ethernet(record.data, &ChecksumCapabilities::default()).unwrap();
        ladder.frame(record.timestamp, &frame, &mut sink).unwrap();
    }
    let keys: Vec<Connection> = ladder.connections().collect();
    assert_eq!(keys.len(), 1);
    let [left, right] = ladder.states(&keys[0]).unwrap();
    assert_eq!(left, (addr("192.0.2.1:40001"), LadderState::TimeWait));
    assert_eq!(right, (addr("192.0.2.2:7777"), LadderState::Closed));
}

#[test]
fn a_new_syn_after_the_close_starts_a_new_incarnation_with_a_header() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut segments = handshake();
    segments.push((false, seg(s, c, TcpFlags::RST, 5001, None, b"")));
    segments.push((true, seg(c, s, TcpFlags::SYN, 90_000, None, b"")));
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let text = converse(&mut ladder, &segments);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    assert!(
        lines[4].starts_with("CLOSED        <--[RST] seq=1 --"),
        "{text}"
    );
    assert!(lines[5].starts_with("10.0.0.1:5000"), "{text}");
    assert!(
        lines[6].starts_with("SYN_SENT      --[SYN] seq=0 win=1000"),
        "{text}"
    );
    assert!(lines[6].ends_with(">  LISTEN"), "{text}");
}

#[test]
fn interleaved_connections_repeat_their_headers() {
    let (a, b, c) = (addr("10.0.0.1:1"), addr("10.0.0.1:2"), addr("10.0.0.9:80"));
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let mut text = String::new();
    for src in [a, b, a, a] {
        let repr = seg(src, c, TcpFlags::SYN, 1, None, b"");
        ladder
            .segment(Instant::ZERO, src, c, &repr, &mut text)
            .unwrap();
    }
    let headers = text.lines().filter(|l| l.starts_with("10.0.0.1:")).count();
    assert_eq!(headers, 3, "{text}");
    assert_eq!(ladder.connections().count(), 2);
}

#[test]
fn connections_beyond_the_bound_are_ignored_and_counted() {
    let server = addr("10.0.0.9:80");
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let mut text = String::new();
    let extra = 5;
    for port in 1..=(LADDER_MAX_CONNECTIONS + extra) as u16 {
        let client = SocketAddr::new(addr("10.0.0.1:1").ip(), port);
        let repr = seg(client, server, TcpFlags::SYN, 1, None, b"");
        ladder
            .segment(Instant::ZERO, client, server, &repr, &mut text)
            .unwrap();
        let reply = seg(server, client, TcpFlags::SYN, 9, Some(2), b"");
        ladder
            .segment(Instant::ZERO, server, client, &reply, &mut text)
            .unwrap();
    }
    assert_eq!(ladder.connections().count(), LADDER_MAX_CONNECTIONS);
    assert_eq!(ladder.ignored(), 2 * extra as u64);
    assert_eq!(text.lines().count(), 3 * LADDER_MAX_CONNECTIONS);
}

/// A tiny xorshift, so the test needs no dependency.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn random_segments_never_panic() {
    let endpoints = [
        addr("10.0.0.1:1"),
        addr("10.0.0.2:2"),
        addr("[2001:db8::1]:3"),
        addr("10.0.0.1:4"),
    ];
    let payload = [0u8; 64];
    let mut state = 0x9e37_79b9_7f4a_7c15;
    for round in 0..200 {
        let options = LadderOptions {
            absolute: round % 2 == 0,
            arrow_width: (round * 7) % 90,
            time: round % 3 == 0,
            headers: round % 5 != 0,
        };
        let mut ladder = LadderRenderer::new(options);
        let mut text = String::new();
        for _ in 0..100 {
            let r = xorshift(&mut state);
            let src = endpoints[(r & 3) as usize];
            let dst = endpoints[((r >> 2) & 3) as usize];
            let n = xorshift(&mut state);
            // Small numbers collide often, so states and remarks get exercised.
            let seq = if r & 0x10 == 0 {
                (n >> 32) as u32
            } else {
                (n % 8) as u32
            };
            let repr = TcpRepr {
                src_port: src.port(),
                dst_port: dst.port(),
                flags: TcpFlags::from_bits_truncate((r >> 8) as u16),
                seq_number: SeqNumber(seq),
                ack_number: (r & 0x20 != 0).then_some(SeqNumber((n % 16) as u32)),
                window_len: (r >> 24) as u16 % 3,
                window_scale: (r & 0x40 != 0).then_some((r >> 40) as u8),
                max_seg_size: (r & 0x80 != 0).then_some((r >> 44) as u16),
                sack_permitted: r & 0x100 != 0,
                sack_ranges: [Some(((n >> 8) as u32, n as u32)), None, None, None],
                timestamp: (r & 0x200 != 0).then_some(TcpTimestampRepr { tsval: 1, tsecr: 2 }),
                urgent_pointer: 0,
                payload: &payload[..(n >> 58) as usize],
            };
            let time = Instant::from_micros((n as i64) >> (r % 64));
            ladder.segment(time, src, dst, &repr, &mut text).unwrap();
        }
        assert!(ladder.connections().count() <= LADDER_MAX_CONNECTIONS);
    }
}

#[test]
fn several_holes_are_remembered_and_each_filling_is_out_of_order() {
    let (c, s) = (addr("10.0.0.1:5000"), addr("10.0.0.2:80"));
    let mut segments = handshake();
    for seq in [1011, 1031, 1001, 1021, 1001] {
        segments.push((
            true,
            seg(c, s, TcpFlags::empty(), seq, Some(5001), &[0; 10]),
        ));
    }
    let mut ladder = LadderRenderer::new(LadderOptions::default());
    let text = converse(&mut ladder, &segments);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[4].contains("seq=11 ack=1 len=10 (previous segment not seen)"),
        "{text}"
    );
    assert!(
        lines[5].contains("seq=31 ack=1 len=10 (previous segment not seen)"),
        "{text}"
    );
    assert!(
        lines[6].contains("seq=1 ack=1 len=10 (out-of-order)"),
        "{text}"
    );
    assert!(
        lines[7].contains("seq=21 ack=1 len=10 (out-of-order)"),
        "{text}"
    );
    assert!(
        lines[8].contains("seq=1 ack=1 len=10 (retransmission)"),
        "{text}"
    );
}
