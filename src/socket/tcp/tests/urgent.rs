//! Urgent data as a conversation (MUST-30..33, MUST-62, MUST-66, CORE-14): the receive
//! mark and signal, hostile pointers, and URG on the segments we send.

use super::*;

/// A segment from the peer with URG set and urgent pointer `up`.
fn urgent(repr: TcpRepr<'static>, up: u16) -> TcpRepr<'static> {
    TcpRepr {
        urgent_pointer: up,
        ..with(repr, TcpFlags::URG)
    }
}

#[test]
fn urgent_data_is_delivered_inline_and_the_mark_counts_to_the_octet_after_it() {
    // MUST-30 (URG and the pointer are processed), MUST-62 (the pointer names the octet
    // just after the urgent data), MUST-33 (how much is pending), never out of band.
    let mut c = Conv::established(plain_config(), 1024, 64);
    assert_eq!(c.socket.urgent_pending(), None);
    assert!(!c.socket.take_urgent_signal());
    c.feed(&data(seg(1, c.ack(1)), b"ab"));
    c.feed(&urgent(data(seg(3, c.ack(1)), b"cdIPxy"), 4));
    // "cdIP" is urgent: 2 unread bytes before it, so the mark is 6 bytes away.
    assert_eq!(c.socket.urgent_pending(), Some(6));
    assert!(c.socket.take_urgent_signal());
    assert!(!c.socket.take_urgent_signal(), "the signal is taken once");
    let mut buf = [0u8; 4];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(4));
    assert_eq!(&buf, b"abcd");
    assert_eq!(c.socket.urgent_pending(), Some(2));
    assert_eq!(c.socket.recv_slice(&mut buf[..2]), Ok(2));
    assert_eq!(&buf[..2], b"IP");
    assert_eq!(c.socket.urgent_pending(), None);
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(2));
    assert_eq!(&buf[..2], b"xy");
    // The ACK is an ordinary one: URG changes nothing on the way back.
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(9), 1016)));
}

#[test]
fn urgent_data_may_outrun_the_data_received_and_each_advance_signals_again() {
    // MUST-31 (any length: the pointer may point past this segment), MUST-32 (a
    // signal when urgent data first appears and each time the pointer advances).
    let mut c = Conv::established(plain_config(), 4096, 64);
    c.feed(&urgent(data(seg(1, c.ack(1)), b"0123456789"), 3000));
    assert_eq!(c.socket.recv_queue(), 10);
    assert_eq!(c.socket.urgent_pending(), Some(3000));
    assert!(c.socket.take_urgent_signal());
    // The next segment repeats the same point: no news.
    c.feed(&urgent(data(seg(11, c.ack(1)), b"abcdefghij"), 2990));
    assert_eq!(c.socket.urgent_pending(), Some(3000));
    assert!(!c.socket.take_urgent_signal());
    // A lower point is old news too.
    c.feed(&urgent(data(seg(21, c.ack(1)), b"klmno"), 5));
    assert!(!c.socket.take_urgent_signal());
    // The pointer advances: signalled again.
    c.feed(&urgent(data(seg(26, c.ack(1)), b"pqrst"), 3100));
    assert_eq!(c.socket.urgent_pending(), Some(3125));
    assert!(c.socket.take_urgent_signal());
}

#[test]
fn hostile_urgent_pointers_neither_underflow_nor_signal_stale_data() {
    // MUST-62 [!] (CVE-2019-12255 class): a pointer of 0 names no urgent octet; the
    // largest pointer is taken at face value without overflow; a pointer into bytes
    // the application already read, or on a segment without URG, is no signal.
    let mut c = Conv::established(plain_config(), 1024, 64);
    c.feed(&urgent(data(seg(1, c.ack(1)), b"abc"), 0));
    assert_eq!(c.socket.urgent_pending(), None);
    assert!(!c.socket.take_urgent_signal());
    c.socket.recv_slice(&mut [0u8; 3]).unwrap();
    // An old duplicate pointing into what was read: nothing.
    c.feed(&urgent(data(seg(1, c.ack(1)), b"abc"), 2));
    assert_eq!(c.socket.urgent_pending(), None);
    assert!(!c.socket.take_urgent_signal());
    // A pointer without URG is not significant.
    c.feed(&TcpRepr {
        urgent_pointer: 9,
        ..data(seg(4, c.ack(1)), b"d")
    });
    assert_eq!(c.socket.urgent_pending(), None);
    // The largest pointer, on an empty segment.
    c.feed(&urgent(seg(5, c.ack(1)), 0xffff));
    assert_eq!(c.socket.urgent_pending(), Some(0xffff + 1));
    assert!(c.socket.take_urgent_signal());
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn urg_is_processed_with_a_zero_receive_window() {
    // MUST-66, CORE-5: RCV.WND == 0, a segment at RCV.NXT still carries URG.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&data(seg(1, c.ack(1)), &[b'.'; 64]));
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(65), 0)));
    let reply = c.feed(&urgent(data(seg(65, c.ack(1)), b"!"), 1));
    assert_eq!(reply, Some(c.ours(TcpFlags::empty(), 1, Some(65), 0)));
    assert_eq!(c.socket.recv_queue(), 64, "the byte did not fit");
    assert_eq!(c.socket.urgent_pending(), Some(65));
    assert!(c.socket.take_urgent_signal());
}

#[test]
fn urg_after_the_peers_fin_is_ignored() {
    // CORE-14: data or URG after the FIN (CLOSE-WAIT here) is ignored.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&with(seg(1, c.ack(1)), TcpFlags::FIN));
    assert_eq!(c.socket.state(), State::CloseWait);
    c.feed(&urgent(data(seg(2, c.ack(1)), b"late"), 4));
    assert_eq!(c.socket.urgent_pending(), None);
    assert!(!c.socket.take_urgent_signal());
    assert_eq!(c.socket.recv_queue(), 0);
}

#[test]
fn send_urgent_marks_every_segment_before_the_pointer_and_skips_nagle() {
    // RFC 9293 §3.8.5, MUST-62 on the sending side: URG with a pointer to the octet
    // after the urgent data, on each segment that starts before it (bare ACKs too),
    // until the urgent data is acknowledged.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.socket.send_slice(&[b'n'; 1500]).unwrap();
    assert_eq!(c.out().unwrap().payload.len(), 1000);
    // Nagle holds the 500-byte tail while the first segment is unacknowledged ...
    c.expect_silence();
    // ... but not urgent data.
    assert_eq!(c.socket.send_urgent(b"U"), Ok(1));
    let tail = c.out().unwrap();
    assert_eq!(tail.seq_number, c.seq(1001));
    assert_eq!(tail.payload.len(), 501);
    assert_eq!(tail.flags, TcpFlags::ACK | TcpFlags::PSH | TcpFlags::URG);
    assert_eq!(tail.urgent_pointer, 501);
    // A segment that starts at or after SND.UP carries no mark ...
    c.feed(&data(seg(1, c.ack(1001)), b"q"));
    assert_eq!(
        c.out(),
        Some(c.ours(TcpFlags::empty(), 1502, Some(2), 1023))
    );
    // ... and once the urgent data is acknowledged, nothing does.
    c.feed(&seg(2, c.ack(1502)));
    c.socket.send_slice(b"plain").unwrap();
    assert_eq!(
        c.out().map(|s| s.flags),
        Some(TcpFlags::ACK | TcpFlags::PSH)
    );
}

#[test]
fn urgent_data_held_by_a_closed_window_is_announced_on_bare_acks() {
    // MUST-32 seen from the sender: the peer learns of urgent data as soon as any
    // segment goes, even if the urgent bytes themselves must wait for the window.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.feed(&window(0, seg(1, c.ack(1))));
    assert_eq!(c.socket.send_urgent(b"HELP"), Ok(4));
    c.expect_silence();
    c.feed(&window(0, data(seg(1, c.ack(1)), b"?")));
    let ack = c.out().unwrap();
    assert_eq!(
        ack,
        TcpRepr {
            urgent_pointer: 4,
            ..c.ours(TcpFlags::URG, 1, Some(2), 1023)
        }
    );
}

#[test]
fn an_urgent_pointer_beyond_64_kib_is_sent_as_ffff_and_closes_in() {
    // RFC 9293 §3.8.5: the field holds 16 bits; a farther pointer is sent as 0xFFFF
    // (as BSD and Linux do) until the segments come within reach.
    let mut c = Conv::established(plain_config(), 1024, 80_000);
    c.feed(&window(0xffff, seg(1, c.ack(1))));
    static BIG: [u8; 70_000] = [b'u'; 70_000];
    assert_eq!(c.socket.send_urgent(&BIG), Ok(70_000));
    // Each segment's pointer is the distance from its first octet to the octet after
    // the urgent data (70 001 relative to the ISS), at most 0xFFFF.
    let check = |c: &Conv, segments: &[TcpRepr<'static>]| {
        for s in segments {
            let rel = s.seq_number.0.wrapping_sub(c.iss.0) as usize;
            assert!(s.flags.contains(TcpFlags::URG));
            assert_eq!(
                s.urgent_pointer as usize,
                (70_001 - rel).min(0xffff),
                "at {rel}"
            );
        }
    };
    let first = c.out_all();
    assert_eq!(first[0].urgent_pointer, 0xffff);
    check(&c, &first);
    c.feed(&window(0xffff, seg(1, c.ack(10_001))));
    let later = c.out_all();
    assert!(
        later.iter().any(|s| s.urgent_pointer < 0xffff),
        "within reach"
    );
    check(&c, &later);
}
