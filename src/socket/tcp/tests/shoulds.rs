//! Conversations for A.2 SHOULDs and section B items (RFC 6298, 5681, 7323, 2018, 5961,
//! 1337) that had none in the topic files; cited by ID, listed in
//! `docs/tcp-conformance.md`.

use super::*;

#[test]
fn a_rst_carrying_data_is_accepted_as_a_reset() {
    // SHLD-2: a RST with data (a diagnostic text) is not malformed.
    let mut c = Conv::established(plain_config(), 64, 64);
    assert_eq!(
        c.feed(&data(with(seg(1, None), TcpFlags::RST), b"bye")),
        None
    );
    assert_eq!(c.socket.close_reason(), Some(CloseReason::Reset));
}

#[test]
fn the_count_of_timeouts_is_visible_before_the_user_timeout() {
    // SHLD-9 (the application can learn of delivery trouble before R2) through
    // `rto_backoffs`, which the application or interface compares with R1 (>= 3).
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.send_slice(b"lost").unwrap();
    c.out().unwrap();
    for (n, ms) in [1000, 3000, 7000].into_iter().enumerate() {
        c.at_ms(ms).out().unwrap();
        assert_eq!(c.socket.rto_backoffs(), n as u32 + 1);
    }
    c.at_ms(7100);
    c.feed(&seg(1, c.ack(5)));
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn data_in_a_shrunk_window_is_retransmitted_normally() {
    // SHLD-16: old unacknowledged data inside [SND.UNA, SND.UNA+SND.WND) is still
    // retransmitted at the timeout; nothing goes beyond the new right edge (SHLD-15).
    let mut c = Conv::established(plain_config(), 64, 4096);
    c.socket.set_nodelay(true);
    c.socket.send_slice(&[3u8; 2000]).unwrap();
    assert_eq!(c.out_all().len(), 2);
    c.feed(&window(300, seg(1, c.ack(1))));
    let resent = c.at_ms(1000).out_all();
    assert_eq!(resent.len(), 1);
    assert_eq!(
        (resent[0].seq_number, resent[0].payload.len()),
        (c.seq(1), 300)
    );
}

#[test]
fn a_dup_ack_that_changes_the_window_or_carries_data_is_not_counted() {
    // B2.1: a duplicate ACK has no data and an unchanged window.
    let mut c = Conv::established(plain_config(), 1024, 8192);
    c.socket.send_slice(&[0u8; 5000]).unwrap();
    assert_eq!(c.out_all().len(), 5);
    c.feed(&seg(1, c.ack(1001)));
    c.feed(&window(8000, seg(1, c.ack(1001))));
    c.feed(&data(seg(1, c.ack(1001)), b"a"));
    c.out_all();
    c.feed(&window(8000, seg(2, c.ack(1001))));
    c.out_all();
    assert_eq!(c.socket.counters().fast_retransmits, 0);
    // Only the third true duplicate (same window, no data) retransmits.
    for _ in 0..2 {
        c.feed(&window(8000, seg(2, c.ack(1001))));
    }
    assert_eq!(c.socket.counters().fast_retransmits, 0);
    c.feed(&window(8000, seg(2, c.ack(1001))));
    assert_eq!(c.socket.counters().fast_retransmits, 1);
}

#[test]
fn an_out_of_order_segment_does_not_move_ts_recent() {
    // B3.10: TS.Recent follows only segments at or before Last.ACK.sent, so the ACK
    // for a hole echoes the segment that left it.
    let mut c = with_timestamps();
    c.feed(&ts(1005, data(seg(11, c.ack(1)), b"later")));
    let dup = c.out().unwrap();
    assert_eq!(dup.timestamp.map(|t| t.tsecr), Some(1000));
    c.feed(&ts(1006, data(seg(1, c.ack(1)), b"0123456789")));
    let ack = c.out().unwrap();
    assert_eq!(ack.ack_number, Some(SeqNumber(PEER_ISN + 16)));
    assert_eq!(ack.timestamp.map(|t| t.tsecr), Some(1006));
}

#[test]
fn a_timestamp_on_a_connection_that_did_not_negotiate_it_is_ignored() {
    // B3.8: the option is ignored and the segment processed.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&ts(5, data(seg(1, c.ack(1)), b"ts")));
    assert_eq!(c.socket.recv_queue(), 2);
    assert_eq!(c.out().unwrap().timestamp, None);
}

#[test]
fn no_sack_blocks_go_to_a_peer_that_did_not_permit_them() {
    // B4.3.
    let config = TcpConfig {
        sack: true,
        ..plain_config()
    };
    let mut c = Conv::established(config, 1024, 64);
    c.feed(&data(seg(11, c.ack(1)), b"hole before"));
    let dup = c.out().unwrap();
    assert_eq!(dup, c.ours(TcpFlags::empty(), 1, Some(1), 1024));
}

#[test]
fn an_in_window_rst_in_syn_received_draws_a_challenge_ack() {
    // B8.4: the RFC 5961 RST rules apply in SYN-RECEIVED too.
    let mut c = Conv::passive(plain_config(), 64, 64);
    let reply = c.feed(&with(seg(5, None), TcpFlags::RST));
    assert_eq!(reply, Some(c.ours(TcpFlags::empty(), 1, Some(1), 64)));
    assert_eq!(c.socket.state(), State::SynReceived);
}

/// Takes an ESTABLISHED connection through our active close to TIME-WAIT; `stamp` gives
/// the peer's FIN its timestamp (TSval 1001 with timestamps on).
fn into_time_wait(mut c: Conv, stamp: fn(TcpRepr<'static>) -> TcpRepr<'static>) -> Conv {
    c.socket.close().unwrap();
    c.out().unwrap();
    c.feed(&stamp(with(seg(1, c.ack(2)), TcpFlags::FIN)));
    c.out().unwrap();
    assert_eq!(c.socket.state(), State::TimeWait);
    c
}

#[test]
fn time_wait_answers_a_new_syn_with_a_challenge_ack_and_applies_paws() {
    // B8.5 in TIME-WAIT for a SYN that RFC 6191 does not let reopen (its TSval equals
    // TS.Recent and its ISN is not above RCV.NXT), B12.3 (F2: PAWS in TIME-WAIT keeps
    // old duplicates out).
    let mut c = into_time_wait(with_timestamps(), |r| ts(1001, r));
    let reply = c
        .feed(&ts(1001, with(seg(1, None), TcpFlags::SYN)))
        .unwrap();
    assert_eq!(reply.ack_number, Some(SeqNumber(PEER_ISN + 2)));
    assert_eq!(c.socket.state(), State::TimeWait);
    let before = c.socket.counters().dropped;
    let old = c.feed(&ts(900, with(seg(1, c.ack(2)), TcpFlags::FIN)));
    assert!(old.is_some(), "PAWS drop answered with an ACK");
    assert_eq!(c.socket.counters().dropped, before + 1);
    assert_eq!(c.socket.state(), State::TimeWait);
}

#[test]
fn a_syn_with_a_newer_timestamp_or_a_higher_isn_ends_time_wait_per_rfc_6191() {
    // SHLD-4 (RFC 6191 §2): with timestamps, a TSval above TS.Recent (1001), or equal
    // with an ISN above RCV.NXT (PEER_ISN + 2), ends TIME-WAIT at once and leaves the
    // SYN to a listener; a lower TSval, or an equal one with a lower ISN, does not.
    for (tsval, isn, reopens) in [
        (1002, 0, true),
        (1001, 900, true),
        (1001, 1, false),
        (1000, 900, false),
    ] {
        let mut c = into_time_wait(with_timestamps(), |r| ts(1001, r));
        let reply = c.feed(&ts(tsval, with(seg(isn, None), TcpFlags::SYN)));
        let case = std::format!("TSval {tsval}, ISN {isn}");
        assert_eq!(reply.is_none(), reopens, "{case}");
        let expected = if reopens {
            State::Closed
        } else {
            State::TimeWait
        };
        assert_eq!(c.socket.state(), expected, "{case}");
        assert_eq!(c.socket.counters().time_wait_reopened, u64::from(reopens));
        assert_eq!(c.socket.close_reason(), None, "{case}: not an error");
    }
    // Without timestamps, RFC 9293 §3.10.7.4's rule (MAY-2): an ISN above RCV.NXT.
    for (isn, reopens) in [(900, true), (2, false), (0, false)] {
        let mut c = into_time_wait(Conv::established(plain_config(), 64, 64), |r| r);
        c.feed(&with(seg(isn, None), TcpFlags::SYN));
        let expected = if reopens {
            State::Closed
        } else {
            State::TimeWait
        };
        assert_eq!(c.socket.state(), expected, "ISN {isn}");
    }
}

#[test]
fn every_round_trip_of_a_flight_gives_an_rtt_sample_and_the_handshake_leaves_cwnd_alone() {
    // B1.7 (at least one RTT measurement per RTT: one segment of each flight is
    // timed), B2.3 (neither the SYN-ACK nor its ACK grows cwnd).
    let mut c = Conv::established(plain_config(), 64, 8192);
    assert_eq!(c.socket.cwnd(), congestion::initial_window(1000));
    let mut last = c.socket.rtt_estimate();
    for round in 1..=4i64 {
        let start = round * 1000;
        c.at_ms(start);
        c.socket.send_slice(&[0u8; 3000]).unwrap();
        let flight = c.out_all();
        assert!(flight.len() >= 3, "one flight of several segments");
        c.at_ms(start + 100 * round);
        let tail = flight.last().unwrap();
        let end = tail.seq_number + tail.payload.len();
        assert_eq!(c.feed(&seg(1, Some(end))), None);
        let now = c.socket.rtt_estimate();
        assert_ne!(now, last, "round {round} gave no sample");
        last = now;
    }
}

#[test]
fn a_window_scale_option_on_a_non_syn_segment_is_ignored() {
    // B3.1: window scale counts only on SYNs.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&TcpRepr {
        window_scale: Some(7),
        ..window(100, seg(1, c.ack(1)))
    });
    assert_eq!(c.socket.snd_wnd, 100);
}

#[test]
fn tsval_ticks_in_milliseconds_from_a_per_connection_offset() {
    // B3.15: the TS clock is derived from `now` (1 ms per tick) plus a keyed offset per
    // connection, so TSval reveals neither uptime nor other connections' clocks.
    let mut c = with_timestamps();
    c.socket.send_slice(b"a").unwrap();
    let first = c.out().unwrap().timestamp.unwrap().tsval;
    c.at_ms(250);
    c.feed(&ts(1001, seg(1, c.ack(2))));
    c.socket.send_slice(b"b").unwrap();
    let second = c.out().unwrap().timestamp.unwrap().tsval;
    assert_eq!(second.wrapping_sub(first), 250);
    let other: SocketAddr = "192.0.2.3:49500".parse().unwrap();
    assert_ne!(
        options::timestamp_offset(KEY, local(), remote()),
        options::timestamp_offset(KEY, local(), other)
    );
    assert_ne!(first, 0);
}

#[test]
fn sack_permitted_rides_only_on_the_syn_of_a_sack_connection() {
    // B4.1: SACK-permitted only on SYN and SYN-ACK, never later (MUST NOT).
    let mut c = Conv::passive_sack(1024, 1024);
    c.feed(&seg(1, c.ack(1)));
    c.feed(&data(seg(11, c.ack(1)), b"ooo"));
    c.socket.send_slice(b"data").unwrap();
    let later = c.out_all();
    assert!(!later.is_empty());
    assert!(
        later
            .iter()
            .all(|s| !s.sack_permitted && s.sack_ranges[0].is_some())
    );
}
