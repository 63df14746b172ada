//! RFC 5961 blind-attack rules (B8), PAWS (B3.12), hostile flag combinations, and a
//! pseudo-random segment storm against every state (no panic, invariants hold).

use super::*;

#[test]
fn a_rst_at_rcv_nxt_resets_the_connection() {
    // B8.2, CORE-15, MUST-12.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.send_slice(b"pending").unwrap();
    assert_eq!(c.feed(&with(seg(1, None), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::Reset));
    assert_eq!(c.socket.recv_slice(&mut [0; 4]), Err(RecvError::Reset));
    assert_eq!(c.socket.send_slice(b"x"), Err(SendError::Reset));
    c.expect_silence();
}

#[test]
fn an_in_window_rst_that_misses_rcv_nxt_draws_a_challenge_ack() {
    // B8.3: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no state change.
    let mut c = Conv::established(plain_config(), 64, 64);
    let reply = c.feed(&with(seg(10, None), TcpFlags::RST));
    assert_eq!(reply, Some(c.ours(TcpFlags::empty(), 1, Some(1), 64)));
    assert_eq!(c.socket.state(), State::Established);
    assert_eq!(c.socket.counters().challenge_acks, 1);
}

#[test]
fn a_rst_outside_the_window_is_dropped_silently() {
    // B8.1.
    let mut c = Conv::established(plain_config(), 64, 64);
    assert_eq!(c.feed(&with(seg(1000, None), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn a_syn_in_a_synchronized_state_draws_a_challenge_ack() {
    // B8.5: whatever its sequence number.
    let mut c = Conv::established(plain_config(), 64, 64);
    let challenge = c.ours(TcpFlags::empty(), 1, Some(1), 64);
    assert_eq!(c.feed(&with(seg(5, None), TcpFlags::SYN)), Some(challenge));
    assert_eq!(
        c.feed(&with(seg(5000, None), TcpFlags::SYN)),
        Some(challenge)
    );
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn challenge_acks_are_rate_limited_per_connection() {
    // B8.7: 10 per 5 s by default; the budget refills after 5 s.
    let mut c = Conv::established(plain_config(), 64, 64);
    let rst = with(seg(10, None), TcpFlags::RST);
    for _ in 0..10 {
        assert!(c.feed(&rst).is_some());
    }
    assert_eq!(c.feed(&rst), None);
    assert_eq!(c.socket.counters().challenge_acks_suppressed, 1);
    c.at_ms(5000);
    assert!(c.feed(&rst).is_some());
}

#[test]
fn an_ack_older_than_the_largest_window_draws_an_ack() {
    // B8.6 (RFC 5961 §5, MAY-12): SEG.ACK < SND.UNA - MAX.SND.WND is dropped with an ACK.
    let mut c = Conv::established(plain_config(), 64, 64);
    let old = Some(c.iss - 9000);
    let reply = c.feed(&data(seg(1, old), b"data"));
    assert_eq!(reply, Some(c.ours(TcpFlags::empty(), 1, Some(1), 64)));
    assert_eq!(c.socket.recv_queue(), 0);
}

#[test]
fn paws_drops_a_segment_with_an_old_timestamp_or_none_but_not_a_rst() {
    // B3.12, B3.13.
    let mut c = with_timestamps();
    let old = ts(900, data(seg(1, c.ack(1)), b"stale"));
    let reply = c.feed(&old).expect("an ACK for the PAWS drop");
    assert_eq!(reply.ack_number, Some(SeqNumber(PEER_ISN + 1)));
    assert_eq!(c.socket.recv_queue(), 0);
    // B3.7: a segment without TS is dropped silently once TS is negotiated.
    assert_eq!(c.feed(&data(seg(1, c.ack(1)), b"nots")), None);
    assert_eq!(c.socket.recv_queue(), 0);
    assert_eq!(c.socket.state(), State::Established);
    let rst = ts(900, with(seg(1, None), TcpFlags::RST));
    c.feed(&rst);
    assert_eq!(c.socket.state(), State::Closed);
}

#[test]
fn after_24_days_idle_paws_takes_the_first_segment_and_its_timestamp_as_ts_recent() {
    // B3.14 (RFC 7323 §5.5): TS.Recent is invalid once the connection was idle for 24
    // days, so the peer's timestamp clock, which may have wrapped past it, is no longer
    // judged against it. Just before that, PAWS still applies.
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let mut c = with_timestamps();
    c.at_ms(24 * DAY_MS);
    let our_ack = c.ack(1);
    let late = |tsval| ts(tsval, data(seg(1, our_ack), b"late"));
    assert!(c.feed(&late(900)).is_some(), "an ACK for the PAWS drop");
    assert_eq!(c.socket.recv_queue(), 0);
    c.at_ms(25 * DAY_MS);
    assert_eq!(c.feed(&late(900)), None);
    assert_eq!(c.socket.recv_queue(), 4);
    let ack = c.out().expect("the ACK of the data");
    assert_eq!(ack.ack_number, Some(SeqNumber(PEER_ISN + 5)));
    assert_eq!(
        ack.timestamp.map(|t| t.tsecr),
        Some(900),
        "TS.Recent from it"
    );
    // TS.Recent is valid again: PAWS judges the next segments against 900.
    let next = |tsval| ts(tsval, data(seg(5, our_ack), b"next"));
    assert!(c.feed(&next(899)).is_some());
    assert_eq!(c.socket.recv_queue(), 4);
    assert_eq!(c.feed(&next(901)), None);
    assert_eq!(c.socket.recv_queue(), 8);
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn null_and_xmas_segments_are_handled_per_the_rfc() {
    // A segment with no flags is dropped (no ACK bit); SYN+FIN+RST+URG+PSH acts as RST.
    let mut c = Conv::established(plain_config(), 64, 64);
    assert_eq!(c.feed(&data(seg(1, None), b"null")), None);
    assert_eq!(c.socket.recv_queue(), 0);
    let xmas = with(
        seg(1, c.ack(1)),
        TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST | TcpFlags::PSH | TcpFlags::URG,
    );
    assert_eq!(c.feed(&xmas), None);
    assert_eq!(c.socket.state(), State::Closed);
    // A SYN+FIN to a listener opens (the FIN is not processed on a SYN).
    let mut l = Conv::new(plain_config(), 64, 64);
    l.socket.listen(80).unwrap();
    l.feed(&with(seg(0, None), TcpFlags::SYN | TcpFlags::FIN));
    assert_eq!(l.socket.state(), State::SynReceived);
}

/// A small xorshift, so the storm needs no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Checks the sequence-variable invariants the fuzz target will also check.
fn assert_consistent(s: &Socket<'_>) {
    if s.state.is_synchronized() {
        assert!(
            s.snd_una <= s.snd_nxt,
            "snd_una {} snd_nxt {}",
            s.snd_una,
            s.snd_nxt
        );
        assert!(s.snd_nxt <= s.snd_max);
        assert!(s.rcv_nxt <= s.rcv_edge);
    }
    assert!(s.rx_buffer.len() <= s.rx_buffer.capacity());
}

#[test]
fn a_storm_of_random_segments_never_panics_and_keeps_the_invariants() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    static PAYLOAD: [u8; 300] = [7u8; 300];
    let payload = &PAYLOAD;
    for round in 0..200 {
        let mut c = match round % 4 {
            0 => Conv::established(plain_config(), 256, 256),
            1 => Conv::passive(plain_config(), 256, 256),
            2 => Conv::active(plain_config(), 256, 256).0,
            _ => {
                let mut c = Conv::new(plain_config(), 256, 256);
                c.socket.listen(80).unwrap();
                c
            }
        };
        let _ = c.socket.send_slice(&payload[..100]);
        for step in 0..60 {
            let r = rng.next();
            let near = |x: u64| (x % 600) as usize;
            let flags = TcpFlags::from_bits_truncate((r >> 8) as u16 & 0x3f);
            let ack = (r & 1 == 1).then(|| c.iss + near(r >> 20) - 300);
            let seq = (near(r >> 32) as u32).wrapping_sub(100);
            let repr = TcpRepr {
                flags,
                window_len: (r >> 40) as u16,
                window_scale: (r & 2 == 2).then_some((r >> 50) as u8),
                max_seg_size: (r & 4 == 4).then_some((r >> 44) as u16),
                ..data(seg(seq, ack), &payload[..near(r >> 56) % 300])
            };
            let repr = TcpRepr {
                ack_number: repr.ack_number.or(None),
                ..repr
            };
            c.feed(&repr);
            assert_consistent(&c.socket);
            if step % 7 == 0 {
                c.at_ms(step * 400 + round);
            }
            let _ = c.out_all();
            assert_consistent(&c.socket);
            let _ = c.socket.recv_slice(&mut [0u8; 64]);
        }
    }
}
