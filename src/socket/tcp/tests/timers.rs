//! Time: retransmission (RFC 6298, Karn, backoff), fast retransmit, delayed ACK,
//! zero-window probing, keep-alive, user timeout (B1, B2, MUST-18..29, MUST-35..40).

use super::*;

const DATA: &[u8; 8192] = &[0x42; 8192];

#[test]
fn an_unacknowledged_segment_is_resent_after_one_rto_then_with_the_rto_doubled() {
    // B1.1 (initial RTO 1 s), B1.9, B1.11, MUST-19.
    let mut c = Conv::established(plain_config(), 1024, 1024);
    let handshake_rtt = c.socket.rtt_estimate();
    c.socket.send_slice(b"hello").unwrap();
    let first = c.out().unwrap();
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(1000)));
    c.at_ms(999).expect_silence();
    assert_eq!(c.at_ms(1000).out(), Some(first));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(3000)));
    c.at_ms(2999).expect_silence();
    assert_eq!(c.at_ms(3000).out(), Some(first));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(7000)));
    assert_eq!(c.socket.counters().retransmits, 2);
    assert_eq!(c.socket.counters().timeouts, 2);
    // Karn (B1.6): the ACK of a resent segment gives no sample.
    c.at_ms(3100);
    c.feed(&seg(1, c.ack(6)));
    assert_eq!(c.socket.rtt_estimate(), handshake_rtt);
    assert_eq!(
        c.socket.poll_at(),
        None,
        "timer stops when all is acknowledged"
    );
}

#[test]
fn a_clean_ack_gives_an_rtt_sample_and_restarts_the_timer() {
    // B1.2, B1.10.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.socket.set_nodelay(true);
    c.socket.send_slice(b"abc").unwrap();
    c.out().unwrap();
    c.at_ms(100);
    c.socket.send_slice(b"def").unwrap();
    c.out().unwrap();
    c.at_ms(300);
    c.feed(&seg(1, c.ack(4)));
    // The handshake gave a first sample of 0; this one: SRTT = 7/8 * 0 + 1/8 * 300 ms.
    assert_eq!(c.socket.rtt_estimate(), Some(Duration::from_micros(37_500)));
    // RTTVAR = 75 ms, RTO = 37.5 + 300 ms, floored to 1 s (B1.4); restarted now.
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(1300)));
}

#[test]
fn a_syn_is_retransmitted_with_backoff() {
    // MUST-22, B1.11.
    let (mut c, syn) = Conv::active(plain_config(), 64, 64);
    assert_eq!(c.at_ms(1000).out(), Some(syn));
    assert_eq!(c.at_ms(3000).out(), Some(syn));
    c.at_ms(3500);
    c.feed(&with(seg(0, c.ack(1)), TcpFlags::SYN));
    assert_eq!(c.socket.state(), State::Established);
    // B1.12: after a SYN timeout, data transfer starts with an RTO of at least 3 s.
    assert_eq!(c.socket.rto(), Duration::from_secs(3));
}

#[test]
fn after_a_lost_syn_the_first_flight_is_one_segment() {
    // B2.4 (RFC 5681 §3.1, RFC 6928 §2): IW = 1 SMSS when the SYN was retransmitted.
    let (mut c, syn) = Conv::active(plain_config(), 64, 8192);
    assert_eq!(c.at_ms(1000).out(), Some(syn));
    c.feed(&with(seg(0, c.ack(1)), TcpFlags::SYN));
    let _ack = c.out();
    c.socket.send_slice(&DATA[..8000]).unwrap();
    let flight = c.out_all();
    assert_eq!(flight.len(), 1, "one segment, not the initial window");
    let first = flight[0].payload.len();
    // Slow start from there (the handshake's timeouts left ssthresh unbounded): its ACK
    // lets two more go, and theirs four.
    c.feed(&seg(1, c.ack(1 + first)));
    let second = c.out_all();
    assert_eq!(second.len(), 2);
    // One ACK per segment: slow start adds one SMSS for each (RFC 5681 §3.1).
    let mut acked = 1 + first;
    for s in &second {
        acked += s.payload.len();
        c.feed(&seg(1, c.ack(acked)));
    }
    assert_eq!(c.out_all().len(), 4, "slow start, not congestion avoidance");
}

#[test]
fn without_a_lost_syn_the_first_flight_is_the_initial_window() {
    // B2.4's other half: the RFC 6928 window when the handshake lost nothing.
    let (mut c, _syn) = Conv::active(plain_config(), 64, 8192);
    c.feed(&with(seg(0, c.ack(1)), TcpFlags::SYN));
    let _ack = c.out();
    c.socket.send_slice(&DATA[..4000]).unwrap();
    assert!(c.out_all().len() > 1);
}

#[test]
fn syn_timeouts_leave_no_sack_recovery_state_when_the_syn_ack_refuses_sack() {
    // Found by fuzzing (tcp_conversation): SACK is only offered in SYN-SENT, yet the
    // SYN's timeouts went to the RFC 6675 state, where a RecoveryPoint stayed behind on
    // a connection that then ran without SACK.
    let config = TcpConfig {
        sack: true,
        ..plain_config()
    };
    let (mut c, syn) = Conv::active(config, 64, 64);
    assert_eq!(c.at_ms(1000).out(), Some(syn));
    assert_eq!(c.at_ms(3000).out(), Some(syn));
    c.at_ms(3500);
    c.feed(&with(seg(0, c.ack(1)), TcpFlags::SYN));
    assert_eq!(c.socket.state(), State::Established);
    assert!(!c.socket.sack_ok);
    assert_eq!(c.socket.sack, SackRecovery::new());
    assert_eq!(c.socket.debug_invariants(), Ok(()));
}

#[test]
fn three_duplicate_acks_trigger_a_fast_retransmit() {
    // B2 (RFC 5681 §3.2), via the congestion controller.
    let mut c = Conv::established(plain_config(), 1024, 8192);
    c.socket.send_slice(&DATA[..5000]).unwrap();
    let sent = c.out_all();
    assert_eq!(sent.len(), 5);
    // One ACK of new data, then two duplicates: nothing yet.
    for _ in 0..3 {
        c.feed(&seg(1, c.ack(1001)));
    }
    c.expect_silence();
    c.feed(&seg(1, c.ack(1001)));
    let again = c.out().unwrap();
    assert_eq!(again.seq_number, c.seq(1001));
    assert_eq!(again.payload.len(), 1000);
    assert_eq!(c.socket.counters().fast_retransmits, 1);
    // A partial ACK (RFC 6582) resends the next hole.
    c.feed(&seg(1, c.ack(2001)));
    let hole = c.out().unwrap();
    assert_eq!(hole.seq_number, c.seq(2001));
    // The full ACK ends recovery.
    c.feed(&seg(1, c.ack(5001)));
    assert_eq!(c.socket.send_queue(), 0);
}

#[test]
fn a_single_segment_is_acked_after_the_delay_and_two_full_ones_at_once() {
    // SHLD-18/19, MUST-40, MUST-58.
    let config = TcpConfig {
        delayed_ack: Some(Duration::from_millis(40)),
        mss: 100,
        ..plain_config()
    };
    let mut c = Conv::established(config, 1024, 64);
    c.feed(&data(seg(1, c.ack(1)), &DATA[..100]));
    c.expect_silence();
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(40)));
    let ack = c.at_ms(40).out().unwrap();
    assert_eq!(ack.ack_number, Some(SeqNumber(PEER_ISN + 101)));
    c.feed(&data(seg(101, c.ack(1)), &DATA[..100]));
    c.feed(&data(seg(201, c.ack(1)), &DATA[..100]));
    let ack = c.out().unwrap();
    assert_eq!(ack.ack_number, Some(SeqNumber(PEER_ISN + 301)));
    c.expect_silence();
    // Data we send carries the ACK, which stops the delayed-ACK timer.
    c.feed(&data(seg(301, c.ack(1)), &DATA[..10]));
    c.socket.send_slice(b"x").unwrap();
    let out = c.out().unwrap();
    assert_eq!(out.ack_number, Some(SeqNumber(PEER_ISN + 311)));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(1040)));
}

#[test]
fn a_zero_window_is_probed_with_backoff_and_the_connection_stays_open() {
    // MUST-35/36/37, SHLD-29/30: first probe after one RTO, then exponential.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&TcpRepr {
        window_len: 0,
        ..seg(1, c.ack(1))
    });
    c.socket.send_slice(b"wait").unwrap();
    c.expect_silence();
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(1000)));
    let probe = c.at_ms(1000).out().unwrap();
    assert_eq!(probe, c.ours(TcpFlags::empty(), 0, Some(1), 64));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(3000)));
    let zero = TcpRepr {
        window_len: 0,
        ..seg(1, c.ack(1))
    };
    c.feed(&zero);
    assert_eq!(c.at_ms(3000).out(), Some(probe));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(7000)));
    // Hours of zero window do not close the connection (MUST-37).
    for i in 0..20 {
        c.at_ms(7000 + i * 60_000).out_all();
        c.feed(&zero);
    }
    assert_eq!(c.socket.state(), State::Established);
    // The window opens: the data goes.
    c.feed(&seg(1, c.ack(1)));
    let out = c.out().unwrap();
    assert_eq!(out.payload, b"wait");
}

#[test]
fn keep_alive_probes_an_idle_connection_and_one_lost_probe_is_not_fatal() {
    // CORE-20, MUST-24..29, SHLD-12: <SEQ=SND.NXT-1>, no data.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.set_keep_alive(Some(Duration::from_secs(10)));
    c.expect_silence();
    assert_eq!(c.socket.poll_at(), Some(Instant::from_secs(10)));
    let probe = c.at_ms(10_000).out().unwrap();
    assert_eq!(probe, c.ours(TcpFlags::empty(), 0, Some(1), 64));
    // Unanswered, the next probe follows after keep_alive_interval (75 s by default).
    assert_eq!(c.socket.poll_at(), Some(Instant::from_secs(85)));
    assert_eq!(c.at_ms(85_000).out(), Some(probe));
    assert_eq!(c.socket.state(), State::Established);
    // Any arrival restarts the idle clock (MUST-26).
    c.at_ms(86_000);
    c.feed(&seg(1, c.ack(1)));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_secs(96)));
    c.socket.set_keep_alive(None);
    c.expect_silence();
    assert_eq!(c.socket.poll_at(), None, "MUST-25: off means no timer");
}

#[test]
fn the_user_timeout_closes_a_connection_whose_data_goes_unacknowledged() {
    // MUST-20/21, CORE-18.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.set_user_timeout(Some(Duration::from_secs(10)));
    c.socket.send_slice(b"lost").unwrap();
    c.out().unwrap();
    for ms in [1000, 3000, 7000] {
        c.at_ms(ms).out().unwrap();
    }
    c.at_ms(10_000).expect_silence();
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::TimedOut));
    assert_eq!(c.socket.recv_slice(&mut [0; 4]), Err(RecvError::Reset));
}

#[test]
fn timestamps_give_rtt_samples_even_for_retransmitted_segments() {
    // B1.6, B3.11: TSecr identifies the copy; RTTM on each ACK advancing SND.UNA.
    let config = TcpConfig {
        timestamps: true,
        ..plain_config()
    };
    let mut c = Conv::new(config, 64, 64);
    c.socket.listen(80).unwrap();
    let ts = |v, e| Some(TcpTimestampRepr { tsval: v, tsecr: e });
    c.feed(&TcpRepr {
        timestamp: ts(1, 0),
        ..with(seg(0, None), TcpFlags::SYN)
    });
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    let synack = c.out().unwrap();
    let our_ts = synack.timestamp.unwrap().tsval;
    c.at_ms(250);
    c.feed(&TcpRepr {
        timestamp: ts(2, our_ts),
        ..seg(1, c.ack(1))
    });
    assert_eq!(c.socket.rtt_estimate(), Some(Duration::from_millis(250)));
}

#[test]
fn an_ack_echoing_a_copy_older_than_the_retransmission_gives_no_rtt_sample() {
    // B1.6, B3.11, found by the soak: the first copy arrived but its ACK was lost; the
    // timeout's resend reaches the peer as a duplicate, which does not move TS.Recent,
    // so the ACK it draws echoes the first copy. "now - TSecr" would span the timeout
    // (1 s on a 10 ms path) and inflate SRTT, and the next, longer timeout would inflate
    // it further. No sample: the backoff stays until a clean one.
    let config = TcpConfig {
        timestamps: true,
        ..plain_config()
    };
    let mut c = Conv::new(config, 1024, 1024);
    c.socket.listen(80).unwrap();
    let ts = |v, e| Some(TcpTimestampRepr { tsval: v, tsecr: e });
    c.feed(&TcpRepr {
        timestamp: ts(1, 0),
        ..with(seg(0, None), TcpFlags::SYN)
    });
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    let synack = c.out().unwrap();
    c.at_ms(10);
    c.feed(&TcpRepr {
        timestamp: ts(2, synack.timestamp.unwrap().tsval),
        ..seg(1, c.ack(1))
    });
    assert_eq!(c.socket.rtt_estimate(), Some(Duration::from_millis(10)));
    c.socket.send_slice(&DATA[..100]).unwrap();
    let first = c.out().unwrap().timestamp.unwrap().tsval;
    let resend = c.at_ms(1010).out().unwrap();
    assert_eq!(resend.seq_number, c.seq(1));
    assert_eq!(c.socket.rto(), Duration::from_secs(2));
    // The ACK of the data echoes the first copy.
    c.at_ms(1020);
    c.feed(&TcpRepr {
        timestamp: ts(3, first),
        ..seg(1, c.ack(101))
    });
    assert_eq!(c.socket.rtt_estimate(), Some(Duration::from_millis(10)));
    assert_eq!(c.socket.rto(), Duration::from_secs(2));
    // New data, ACKed with its own TSval: a clean sample ends the backoff.
    c.socket.send_slice(&DATA[..100]).unwrap();
    let fresh = c.out().unwrap().timestamp.unwrap().tsval;
    c.at_ms(1030);
    c.feed(&TcpRepr {
        timestamp: ts(4, fresh),
        ..seg(1, c.ack(201))
    });
    assert_eq!(c.socket.rtt_estimate(), Some(Duration::from_millis(10)));
    assert_eq!(c.socket.rto(), Duration::from_secs(1));
}

#[test]
fn a_passive_handshake_that_times_out_returns_the_socket_to_listen() {
    // CORE-10 (MUST-11): a passive SYN-RECEIVED falls back to LISTEN.
    let config = TcpConfig {
        user_timeout: Some(Duration::from_secs(5)),
        ..plain_config()
    };
    let mut c = Conv::passive(config, 64, 64);
    for ms in [1000, 3000] {
        assert!(c.at_ms(ms).out().unwrap().flags.contains(TcpFlags::SYN));
    }
    c.at_ms(5000).expect_silence();
    assert_eq!(c.socket.state(), State::Listen);
}

#[test]
fn after_an_idle_rto_the_congestion_window_restarts() {
    // RFC 5681 §4.1.
    let mut c = Conv::established(plain_config(), 1024, 8192);
    // Fill the initial window so that its ACK grows it (RFC 7661: a used window).
    c.socket.send_slice(&DATA[..8000]).unwrap();
    let flight: usize = c.out_all().iter().map(|s| s.payload.len()).sum();
    c.feed(&seg(1, c.ack(1 + flight)));
    let grown = c.socket.cwnd();
    c.at_ms(5000);
    c.socket.send_slice(&DATA[..3000]).unwrap();
    c.out_all();
    assert!(c.socket.cwnd() < grown, "{} vs {grown}", c.socket.cwnd());
}

#[test]
fn three_duplicate_acks_with_sack_blocks_trigger_a_fast_retransmit_of_snd_una() {
    // B2.1, B2.10 (RFC 5681 §3.2), B4: SACK blocks that grow from one duplicate to the
    // next do not make the ACKs "new": the third retransmits the segment at SND.UNA.
    let config = TcpConfig {
        sack: true,
        ..plain_config()
    };
    let mut c = Conv::new(config, 1024, 8192);
    c.socket.listen(80).unwrap();
    let syn = TcpRepr {
        max_seg_size: Some(1000),
        sack_permitted: true,
        ..with(seg(0, None), TcpFlags::SYN)
    };
    c.feed(&syn);
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    assert!(c.out().unwrap().sack_permitted);
    c.feed(&seg(1, c.ack(1)));
    assert_eq!(c.socket.state(), State::Established);
    c.socket.send_slice(&DATA[..5000]).unwrap();
    assert_eq!(c.out_all().len(), 5);
    // The first segment is lost; each later one draws a duplicate ACK with SACK.
    let mut limited = Vec::new();
    for k in 1..=3usize {
        let left = c.seq(1001).0;
        let right = c.seq(1001 + 1000 * k).0;
        let dup = TcpRepr {
            sack_ranges: [Some((left, right)), None, None, None],
            ..seg(1, c.ack(1))
        };
        assert_eq!(c.feed(&dup), None);
        limited.extend(c.out_all());
    }
    let again = limited
        .iter()
        .find(|s| s.seq_number == c.seq(1))
        .expect("fast retransmit of SND.UNA's segment");
    assert_eq!(again.payload.len(), 1000);
    assert_eq!(c.socket.counters().fast_retransmits, 1);
    assert_eq!(c.socket.counters().timeouts, 0);
}

#[test]
fn a_zero_window_with_data_in_flight_is_probed_after_the_timeout_and_sending_resumes() {
    // MUST-35/36, SHLD-29: data is in flight when the window closes (here: a reordered
    // window-0 ACK overtook the window update, as found by simulation). The timeout
    // rewinds SND.NXT, go-back-N cannot resend into the zero window, so the persist
    // timer must take over; its probe draws the window update and the data goes again.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.socket.send_slice(&DATA[..1000]).unwrap();
    let first = c.out().unwrap();
    assert_eq!(first.payload.len(), 1000);
    c.at_ms(10);
    c.feed(&TcpRepr {
        window_len: 0,
        ..seg(1, c.ack(1))
    });
    // The segment was lost; the timeout fires but nothing fits the window.
    c.at_ms(1000).expect_silence();
    assert_eq!(c.socket.counters().timeouts, 1);
    // One (backed-off) RTO later, a probe <SEQ=SND.UNA-1>.
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(3000)));
    c.at_ms(2999).expect_silence();
    let probe = c.at_ms(3000).out().expect("zero-window probe");
    assert_eq!(probe, c.ours(TcpFlags::empty(), 0, Some(1), 1024));
    // The answer reopens the window: the data is resent.
    c.at_ms(3010);
    c.feed(&seg(1, c.ack(1)));
    let again = c.out().expect("data after the window update");
    assert_eq!(again.seq_number, c.seq(1));
    assert_eq!(again.payload.len(), 1000);
    c.feed(&seg(1, c.ack(1001)));
    assert_eq!(c.socket.send_queue(), 0);
}

#[test]
fn data_queued_after_the_window_closed_asks_for_a_dispatch_that_arms_the_persist_timer() {
    // MUST-35/36: the window closes while nothing is queued (all data acknowledged);
    // the application queues more afterwards. `send` has no clock, so the socket must
    // ask the interface for a dispatch, which arms the persist timer; otherwise the
    // interface never polls it again and the connection stalls for good (found by
    // simulation, SKIFF_SEED=9 in the soak).
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.socket.send_slice(&DATA[..1000]).unwrap();
    c.out().unwrap();
    c.at_ms(10);
    c.feed(&TcpRepr {
        window_len: 0,
        ..seg(1, c.ack(1001))
    });
    assert_eq!(c.socket.poll_at(), None);
    assert!(!c.socket.wants_dispatch());
    c.socket.send_slice(&DATA[..1000]).unwrap();
    assert!(c.socket.wants_dispatch(), "the interface must dispatch");
    c.expect_silence();
    assert!(!c.socket.wants_dispatch());
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(1010)));
    let probe = c.at_ms(1010).out().expect("zero-window probe");
    assert_eq!(probe, c.ours(TcpFlags::empty(), 1000, Some(1), 1024));
    c.feed(&seg(1, c.ack(1001)));
    let out = c.out().expect("data after the window update");
    assert_eq!(out.seq_number, c.seq(1001));
}
