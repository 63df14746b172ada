//! Conversations for the CONFORMANCE items the topic files left without one: every A.0
//! core rule and A.1 MUST has a test that asserts it, cited by ID (the table in
//! `docs/tcp-conformance.md` points here).

use super::*;

/// An ESTABLISHED connection with keep-alive after `idle_s` of silence.
fn keep_alive_conn(idle_s: u64) -> Conv {
    let config = TcpConfig {
        keep_alive: Some(Duration::from_secs(idle_s)),
        keep_alive_interval: Duration::from_secs(5),
        keep_alive_probes: 3,
        ..plain_config()
    };
    Conv::established(config, 64, 64)
}

#[test]
fn unanswered_keep_alive_probes_end_the_connection_with_a_rst_and_timed_out() {
    // RFC 1122 §4.2.3.6, MUST-29: probes every keep_alive_interval after the idle time;
    // only after keep_alive_probes unanswered ones is the peer declared dead.
    let mut c = keep_alive_conn(60);
    let probe = c.ours(TcpFlags::empty(), 0, Some(1), 64);
    c.at_ms(59_999).expect_silence();
    for (n, ms) in [60_000, 65_000, 70_000].into_iter().enumerate() {
        assert_eq!(c.at_ms(ms).out(), Some(probe), "probe {}", n + 1);
        assert_eq!(c.socket.keep_alive_unanswered(), n as u32 + 1);
        assert_eq!(c.socket.state(), State::Established);
        c.expect_silence();
    }
    c.at_ms(74_999).expect_silence();
    let rst = c.at_ms(75_000).out().expect("RST");
    assert_eq!(rst.flags, TcpFlags::RST);
    assert_eq!(rst.seq_number, c.seq(1));
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::TimedOut));
    assert_eq!(c.socket.recv_slice(&mut [0; 4]), Err(RecvError::Reset));
    c.expect_silence();
}

#[test]
fn an_answered_keep_alive_probe_resets_the_count_and_the_idle_clock() {
    // MUST-26, MUST-29: any acceptable arrival is an answer.
    let mut c = keep_alive_conn(60);
    c.at_ms(60_000).out().expect("probe 1");
    c.at_ms(65_000).out().expect("probe 2");
    assert_eq!(c.socket.keep_alive_unanswered(), 2);
    c.at_ms(65_100);
    assert_eq!(c.feed(&seg(1, c.ack(1))), None);
    assert_eq!(c.socket.keep_alive_unanswered(), 0);
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(125_100)));
    c.at_ms(125_099).expect_silence();
    assert!(c.at_ms(125_100).out().is_some());
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn a_keep_alive_probe_count_below_two_still_allows_a_second_probe() {
    // MUST-29: one unanswered probe never declares the connection dead.
    let config = TcpConfig {
        keep_alive: Some(Duration::from_secs(10)),
        keep_alive_interval: Duration::from_secs(1),
        keep_alive_probes: 0,
        ..plain_config()
    };
    let mut c = Conv::established(config, 64, 64);
    assert!(c.at_ms(10_000).out().is_some());
    assert!(c.at_ms(11_000).out().is_some());
    assert_eq!(c.socket.state(), State::Established);
    assert_eq!(c.at_ms(12_000).out().map(|s| s.flags), Some(TcpFlags::RST));
    assert_eq!(c.socket.close_reason(), Some(CloseReason::TimedOut));
}

#[test]
fn keep_alive_is_off_by_default_and_never_probes_while_data_is_outstanding() {
    // MUST-25: no timer without keep-alive; MUST-26: with data in flight the
    // retransmission timer, not keep-alive, watches the connection.
    let mut c = Conv::established(plain_config(), 64, 64);
    assert_eq!(c.socket.config().keep_alive, None);
    assert_eq!(c.socket.poll_at(), None);
    assert!(KEEP_ALIVE_IDLE >= Duration::from_secs(7200), "MUST-28");
    let mut c2 = keep_alive_conn(1);
    c2.socket.set_user_timeout(None);
    c2.socket.send_slice(b"x").unwrap();
    let first = c2.out().unwrap();
    // Every send is a retransmission of the data, never a probe at SND.UNA-1.
    for ms in [1000, 3000, 7000, 15_000] {
        let out = c2.at_ms(ms).out_all();
        assert!(out.iter().all(|s| s == &first), "at {ms}: {out:?}");
    }
    assert_eq!(c2.socket.keep_alive_unanswered(), 0);
    assert_eq!(c2.socket.state(), State::Established);
    c.expect_silence();
}

// ------------------------------------------------------------------ A.0 core rules

#[test]
fn our_own_sequence_numbers_cross_the_wrap_with_an_iss_of_ffffff00() {
    // CORE-1: the ISS is M + F; pick the clock so that ISS = 0xFFFFFF00 and send
    // across 2^32.
    let f = initial_seq_number(KEY, Instant::ZERO, local(), remote()).0;
    let ticks = 0xffff_ff00u32.wrapping_sub(f);
    let mut c = Conv::new(plain_config(), 1024, 4096);
    c.now = Instant::from_micros(i64::from(ticks) * 4);
    c.socket.listen(80).unwrap();
    c.feed(&TcpRepr {
        max_seg_size: Some(100),
        ..with(seg(0, None), TcpFlags::SYN)
    });
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    assert_eq!(c.iss, SeqNumber(0xffff_ff00));
    c.out().unwrap();
    c.feed(&seg(1, c.ack(1)));
    c.socket.set_nodelay(true);
    c.socket.send_slice(&[7u8; 600]).unwrap();
    let sent = c.out_all();
    let seqs: Vec<u32> = sent.iter().map(|s| s.seq_number.0).collect();
    assert_eq!(seqs[..4], [0xffff_ff01, 0xffff_ff65, 0xffff_ffc9, 0x2d]);
    // ACKs on both sides of the wrap advance SND.UNA and free the ring.
    c.feed(&seg(1, c.ack(201)));
    assert_eq!(c.socket.send_queue(), 400);
    c.feed(&seg(1, c.ack(601)));
    assert_eq!(c.socket.send_queue(), 0);
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn only_an_ack_in_snd_una_to_snd_nxt_is_acceptable() {
    // CORE-2, CORE-11: SND.UNA < SEG.ACK <= SND.NXT advances; SEG.ACK == SND.UNA is a
    // duplicate; SEG.ACK > SND.NXT draws an ACK and the segment is dropped.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.socket.set_nodelay(true);
    c.socket.send_slice(&[1u8; 300]).unwrap();
    c.out().unwrap();
    assert_eq!(c.feed(&seg(1, c.ack(1))), None);
    assert_eq!(c.socket.send_queue(), 300);
    assert_eq!(c.feed(&seg(1, c.ack(101))), None);
    assert_eq!(c.socket.send_queue(), 200);
    assert_eq!(c.feed(&seg(1, c.ack(301))), None);
    assert_eq!(c.socket.send_queue(), 0);
    let too_far = data(seg(1, c.ack(302)), b"x");
    assert_eq!(
        c.feed(&too_far),
        Some(c.ours(TcpFlags::empty(), 301, Some(1), 1024))
    );
    assert_eq!(c.socket.recv_queue(), 0);
}

#[test]
fn the_acceptability_test_follows_all_four_rows_of_the_table() {
    // CORE-3, with SEG.LEN counting SYN and FIN. Window 64 from RCV.NXT = 1.
    let mut c = Conv::established(plain_config(), 64, 64);
    let ack = c.ours(TcpFlags::empty(), 1, Some(1), 64);
    // len 0, wnd > 0: RCV.NXT <= SEG.SEQ < RCV.NXT + RCV.WND.
    assert_eq!(c.feed(&seg(1, c.ack(1))), None);
    assert_eq!(c.feed(&seg(64, c.ack(1))), None);
    assert_eq!(c.feed(&seg(65, c.ack(1))), Some(ack));
    assert_eq!(c.feed(&seg(0, c.ack(1))), Some(ack));
    // len > 0, wnd > 0: the first or the last octet in the window.
    assert_eq!(
        c.feed(&data(seg(0, c.ack(1)), b"ab")),
        None,
        "last octet in"
    );
    assert_eq!(c.socket.recv_queue(), 1);
    assert_eq!(c.out().unwrap().ack_number, Some(SeqNumber(PEER_ISN + 2)));
    assert_eq!(
        c.feed(&data(seg(64, c.ack(1)), b"cd")),
        None,
        "first octet in"
    );
    c.out();
    assert_eq!(
        c.feed(&data(seg(66, c.ack(1)), b"e")),
        Some(c.ours(TcpFlags::empty(), 1, Some(2), 63))
    );
    // A FIN counts one: a bare FIN just past the window is unacceptable.
    assert_eq!(
        c.feed(&with(seg(66, c.ack(1)), TcpFlags::FIN)),
        Some(c.ours(TcpFlags::empty(), 1, Some(2), 63))
    );
    // Fill the window: wnd 0.
    c.feed(&data(seg(2, c.ack(1)), &[b'.'; 63]));
    let zero = c.ours(TcpFlags::empty(), 1, Some(65), 0);
    assert_eq!(c.out(), Some(zero));
    // len 0, wnd 0: only SEG.SEQ == RCV.NXT.
    assert_eq!(c.feed(&seg(65, c.ack(1))), None);
    assert_eq!(c.feed(&seg(66, c.ack(1))), Some(zero));
    // len > 0, wnd 0: never (the ACK says so).
    assert_eq!(c.feed(&data(seg(65, c.ack(1)), b"z")), Some(zero));
    assert_eq!(c.socket.recv_queue(), 64);
}

#[test]
fn a_rst_is_acted_on_with_a_zero_receive_window() {
    // CORE-5, MUST-66: RCV.WND == 0, a RST at RCV.NXT still resets.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&data(seg(1, c.ack(1)), &[b'.'; 64]));
    c.out().unwrap();
    assert_eq!(c.socket.rcv_wnd(), 0);
    assert_eq!(c.feed(&with(seg(65, None), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::Reset));
}

#[test]
fn a_segment_running_past_the_window_is_trimmed_and_a_fin_beyond_it_ignored() {
    // CORE-6: only the part inside the window is taken; a FIN outside it is not
    // processed.
    let mut c = Conv::established(plain_config(), 8, 64);
    c.feed(&data(with(seg(1, c.ack(1)), TcpFlags::FIN), b"0123456789"));
    assert_eq!(c.socket.state(), State::Established, "the FIN lay outside");
    assert_eq!(c.socket.recv_queue(), 8);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(9), 0)));
    let mut buf = [0u8; 8];
    c.socket.recv_slice(&mut buf).unwrap();
    assert_eq!(&buf, b"01234567");
    // Resent once the window opens, the tail and the FIN are taken.
    c.out();
    c.feed(&data(with(seg(9, c.ack(1)), TcpFlags::FIN), b"89"));
    assert_eq!(c.socket.state(), State::CloseWait);
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(2));
}

#[test]
fn syn_sent_drops_a_segment_with_neither_syn_nor_rst_and_never_takes_a_fin() {
    // CORE-9 (neither SYN nor RST: drop), CORE-13 (no FIN processing in SYN-SENT).
    let (mut c, syn) = Conv::active(plain_config(), 64, 64);
    assert_eq!(c.feed(&seg(0, c.ack(1))), None);
    assert_eq!(c.feed(&with(seg(0, c.ack(1)), TcpFlags::FIN)), None);
    assert_eq!(c.feed(&data(seg(0, None), b"data")), None);
    assert_eq!(c.socket.state(), State::SynSent);
    assert_eq!(c.socket.recv_queue(), 0);
    // The SYN still goes again at its timeout, and the open still completes.
    assert_eq!(c.at_ms(1000).out(), Some(syn));
    c.feed(&with(seg(0, c.ack(1)), TcpFlags::SYN));
    assert_eq!(c.socket.state(), State::Established);
    assert!(!c.socket.rx_fin);
}

#[test]
fn data_on_a_syn_ack_is_delivered() {
    // CORE-21: data on the SYN (here the SYN-ACK) is kept, never discarded.
    let (mut c, _) = Conv::active(plain_config(), 64, 64);
    c.feed(&data(with(seg(0, c.ack(1)), TcpFlags::SYN), b"hello"));
    assert_eq!(c.socket.state(), State::Established);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(6), 59)));
    let mut buf = [0u8; 8];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(5));
}

#[test]
fn the_ack_that_ends_syn_received_sets_the_send_window_from_the_segment() {
    // CORE-10: SND.WND, SND.WL1, SND.WL2 come from the ACK that establishes.
    let mut c = Conv::passive(plain_config(), 64, 4096);
    c.feed(&window(1500, seg(1, c.ack(1))));
    assert_eq!(c.socket.state(), State::Established);
    assert_eq!(c.socket.snd_wnd, 1500);
    assert_eq!(
        (c.socket.snd_wl1, c.socket.snd_wl2),
        (SeqNumber(PEER_ISN + 1), c.iss + 1)
    );
    c.socket.set_nodelay(true);
    c.socket.send_slice(&[0u8; 3000]).unwrap();
    let sizes: Vec<usize> = c.out_all().iter().map(|s| s.payload.len()).collect();
    // The 500 bytes left of the window are held by sender SWS avoidance (MUST-38).
    assert_eq!(sizes, [1000]);
    c.feed(&window(1500, seg(1, c.ack(1001))));
    assert_eq!(c.out().map(|s| s.payload.len()), Some(1000));
}

/// Drives a fresh connection into `state` (no data pending), and returns it.
fn conn_in(state: State) -> Conv {
    let mut c = Conv::established(plain_config(), 64, 64);
    let fin = with(seg(1, c.ack(1)), TcpFlags::FIN);
    match state {
        State::Established => {}
        State::FinWait1 => c.socket.close().unwrap(),
        State::FinWait2 => {
            c.socket.close().unwrap();
            c.out();
            c.feed(&seg(1, c.ack(2)));
        }
        State::CloseWait => {
            c.feed(&fin);
        }
        State::Closing => {
            c.socket.close().unwrap();
            c.out();
            c.feed(&fin);
        }
        State::LastAck => {
            c.feed(&fin);
            c.socket.close().unwrap();
        }
        _ => unreachable!(),
    }
    c.out_all();
    assert_eq!(c.socket.state(), state);
    c
}

#[test]
fn a_retransmitted_fin_is_acked_in_close_wait_closing_and_last_ack_and_the_state_stays() {
    // CORE-13: CLOSE-WAIT, CLOSING and LAST-ACK stay where they are on a FIN (it is
    // a duplicate, so CORE-4 answers it with an ACK).
    for (state, snd_nxt) in [
        (State::CloseWait, 1),
        (State::Closing, 2),
        (State::LastAck, 2),
    ] {
        let mut c = conn_in(state);
        let fin = with(seg(1, c.ack(1)), TcpFlags::FIN);
        let ack = c.ours(TcpFlags::empty(), snd_nxt, Some(2), 63);
        assert_eq!(c.feed(&fin), Some(ack), "{state}");
        assert_eq!(c.socket.state(), state);
    }
}

#[test]
fn an_accepted_rst_closes_every_synchronized_state_but_time_wait() {
    // CORE-15 (TIME-WAIT is B12's deviation, tested in close.rs).
    for state in [
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
    ] {
        let mut c = conn_in(state);
        let rcv_nxt = c.socket.rcv_nxt;
        let rst = TcpRepr {
            seq_number: rcv_nxt,
            ..with(seg(0, None), TcpFlags::RST)
        };
        assert_eq!(c.feed(&rst), None, "{state}");
        assert_eq!(c.socket.state(), State::Closed, "{state}");
        assert_eq!(c.socket.close_reason(), Some(CloseReason::Reset), "{state}");
        assert_eq!(c.socket.send_queue(), 0, "{state}: queues flushed");
        c.expect_silence();
    }
}

#[test]
fn time_wait_lasts_four_minutes_with_the_default_msl() {
    // CORE-19, MUST-13: MSL is 2 minutes unless configured.
    let mut c = Conv::established(
        TcpConfig {
            msl: TcpConfig::default().msl,
            ..plain_config()
        },
        64,
        64,
    );
    c.socket.close().unwrap();
    c.out();
    c.feed(&with(seg(1, c.ack(2)), TcpFlags::FIN));
    assert_eq!(c.socket.state(), State::TimeWait);
    assert_eq!(c.socket.poll_at(), Some(Instant::from_secs(240)));
    c.at_ms(239_999).out_all();
    assert_eq!(c.socket.state(), State::TimeWait);
    c.at_ms(240_000).expect_silence();
    assert_eq!(c.socket.state(), State::Closed);
}

#[test]
fn reserved_bits_ece_and_cwr_are_ignored_on_receipt_and_never_sent() {
    // CORE-22: without ECN negotiated, CWR and ECE (and NS) change nothing.
    let mut c = Conv::established(plain_config(), 64, 64);
    let odd = with(
        data(seg(1, c.ack(1)), b"ecn"),
        TcpFlags::ECE | TcpFlags::CWR | TcpFlags::NS,
    );
    assert_eq!(c.feed(&odd), None);
    assert_eq!(c.socket.recv_queue(), 3);
    let ack = c.out().unwrap();
    assert_eq!(ack, c.ours(TcpFlags::empty(), 1, Some(4), 61));
    assert!(
        !ack.flags
            .intersects(TcpFlags::ECE | TcpFlags::CWR | TcpFlags::NS)
    );
}

// ------------------------------------------------------------------ A.1 MUSTs

/// Dispatches once from `socket` with any addresses; the segment sent, if any.
fn out_any(socket: &mut Socket<'static>, cx: &TcpContext) -> Option<TcpRepr<'static>> {
    let mut sent = None;
    socket
        .dispatch(cx, |_, _, _, repr| {
            let payload: &'static [u8] = repr.payload.to_vec().leak();
            sent = Some(TcpRepr { payload, ..*repr });
            Ok(())
        })
        .unwrap();
    sent
}

#[test]
fn a_window_field_above_0x8000_is_a_large_window() {
    // MUST-1: the window field is unsigned.
    let mut c = Conv::established(plain_config(), 64, 100_000);
    c.socket.set_nodelay(true);
    c.feed(&window(0xf000, seg(1, c.ack(1))));
    assert_eq!(c.socket.snd_wnd, 0xf000);
    c.socket.send_slice(&[0u8; 20_000]).unwrap();
    let sent: usize = c.out_all().iter().map(|s| s.payload.len()).sum();
    // Congestion control, not the window, bounds the first flight (IW 4 * 1000).
    assert_eq!(sent, c.socket.cwnd().min(20_000));
    assert!(sent > 0);
}

#[test]
fn without_an_mss_option_the_send_mss_over_ipv6_is_1220() {
    // MUST-15 (IPv6 half; the IPv4 half is in data.rs).
    let mut s = Socket::with_capacity(4096, 4096);
    s.set_config(plain_config());
    s.listen(80).unwrap();
    let cx = TcpContext {
        now: Instant::ZERO,
        isn_key: KEY,
        mss: 1440,
        ecn: 0,
    };
    let (ours, theirs): (IpAddress, IpAddress) = (
        "2001:db8::1".parse().unwrap(),
        "2001:db8::2".parse().unwrap(),
    );
    s.process(&cx, theirs, ours, &with(seg(0, None), TcpFlags::SYN));
    let synack = out_any(&mut s, &cx).unwrap();
    assert_eq!(synack.max_seg_size, Some(1440));
    s.process(&cx, theirs, ours, &seg(1, Some(synack.seq_number + 1)));
    assert_eq!(s.state(), State::Established);
    s.send_slice(&[0u8; 2000]).unwrap();
    assert_eq!(out_any(&mut s, &cx).unwrap().payload.len(), 1220);
}

#[test]
fn the_advertised_mss_is_clamped_to_what_the_interface_can_receive() {
    // MUST-67: at most MMS_R - 20; the interface passes MTU less the headers.
    let mut s = Socket::with_capacity(4096, 4096);
    s.set_config(plain_config());
    let cx = TcpContext {
        now: Instant::ZERO,
        isn_key: KEY,
        mss: 536,
        ecn: 0,
    };
    s.connect(&cx, remote(), local()).unwrap();
    assert_eq!(out_any(&mut s, &cx).unwrap().max_seg_size, Some(536));
}

#[test]
fn with_timestamps_the_payload_shrinks_by_the_option_and_mss_never_leaves_a_syn() {
    // MUST-16, B3.16: payload <= MSS - 12 when TS rides on every segment; MUST-65: MSS
    // only on SYNs.
    let config = TcpConfig {
        timestamps: true,
        ..plain_config()
    };
    let mut c = Conv::new(config, 4096, 4096);
    c.socket.listen(80).unwrap();
    let ts = |v| Some(TcpTimestampRepr { tsval: v, tsecr: 0 });
    c.feed(&TcpRepr {
        max_seg_size: Some(1000),
        timestamp: ts(1),
        ..with(seg(0, None), TcpFlags::SYN)
    });
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    assert!(c.out().unwrap().max_seg_size.is_some());
    c.feed(&TcpRepr {
        timestamp: ts(2),
        ..seg(1, c.ack(1))
    });
    c.socket.set_nodelay(true);
    c.socket.send_slice(&[0u8; 2000]).unwrap();
    let sent = c.out_all();
    let sizes: Vec<usize> = sent.iter().map(|s| s.payload.len()).collect();
    assert_eq!(sizes, [988, 988, 24]);
    assert!(sent.iter().all(|s| s.max_seg_size.is_none()));
}

#[test]
fn a_user_timeout_of_never_keeps_retransmitting() {
    // MUST-21: R2 may be set to "never".
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.set_user_timeout(None);
    c.socket.send_slice(b"lost").unwrap();
    let first = c.out().unwrap();
    let mut resent = 0;
    for s in 1..=3600 {
        resent += c.at_ms(s * 1000).out_all().len();
    }
    assert_eq!(c.socket.state(), State::Established);
    assert!(resent >= 60, "{resent} retransmissions in an hour");
    assert_eq!(c.at_ms(3_600_000 + 60_000).out(), Some(first));
}

#[test]
fn a_syn_that_goes_unanswered_is_retried_for_the_user_timeout_then_reported() {
    // MUST-22 (SYNs go through R2 and the application is told), MUST-23 (with the
    // default R2, at least 3 minutes of retries).
    let config = TcpConfig {
        user_timeout: TcpConfig::default().user_timeout,
        ..plain_config()
    };
    let (mut c, syn) = Conv::active(config, 64, 64);
    let mut last = Instant::ZERO;
    for s in 1..=299 {
        if let Some(again) = c.at_ms(s * 1000).out() {
            assert_eq!(again, syn);
            last = c.now;
        }
    }
    assert!(last >= Instant::from_secs(180), "last SYN at {last}");
    assert_eq!(c.socket.state(), State::SynSent);
    c.at_ms(300_000).expect_silence();
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::TimedOut));
    assert_eq!(c.socket.recv_slice(&mut [0; 4]), Err(RecvError::Reset));
}

#[test]
fn a_zero_window_holding_back_data_in_flight_never_times_the_connection_out() {
    // MUST-37, SHLD-17: the data was sent, the peer then closed its window and keeps
    // answering the probes with window 0 for longer than R2: the connection stays.
    let mut c = Conv::established(plain_config(), 64, 4096);
    c.socket.set_user_timeout(Some(Duration::from_secs(30)));
    c.socket.send_slice(&[1u8; 500]).unwrap();
    c.out().unwrap();
    c.at_ms(10);
    c.feed(&window(0, seg(1, c.ack(1))));
    for s in 1..=600 {
        for out in c.at_ms(s * 1000).out_all() {
            assert!(out.payload.is_empty() || out.seq_number == c.seq(1));
            c.feed(&window(0, seg(1, c.ack(1))));
        }
    }
    assert_eq!(c.socket.state(), State::Established);
    c.feed(&seg(1, c.ack(1)));
    assert_eq!(c.out().map(|s| s.payload.len()), Some(500));
}

/// A connection whose peer offered `syn_window` on its SYN and then `window`, with
/// 8 KiB queued (Nagle off) and the first 1000-byte segment sent.
fn sws_conn(syn_window: u16, window_len: u16) -> Conv {
    let mut c = Conv::new(plain_config(), 64, 8192);
    c.socket.listen(80).unwrap();
    c.feed(&TcpRepr {
        max_seg_size: Some(1000),
        ..window(syn_window, with(seg(0, None), TcpFlags::SYN))
    });
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    c.out().unwrap();
    c.feed(&window(window_len, seg(1, c.ack(1))));
    c.socket.set_nodelay(true);
    c.socket.send_slice(&[0u8; 8192]).unwrap();
    assert_eq!(c.out().map(|s| s.payload.len()), Some(1000));
    c
}

#[test]
fn a_small_segment_goes_once_it_reaches_half_the_largest_window_seen() {
    // MUST-38 (3): with data in flight, a segment that is neither full nor the end of
    // the queued data goes once it reaches Fs * max(SND.WND), Fs = 1/2.
    let mut c = sws_conn(1200, 1200);
    c.expect_silence(); // 200 usable < 1200 / 2
    c.feed(&window(1200, seg(1, c.ack(501))));
    assert_eq!(c.out().map(|s| s.payload.len()), Some(700));
    // The same 700 bytes wait while the largest window seen was 8192 (700 < 4096):
    // they go when the flight is acknowledged (MUST-38 (4), the override).
    let mut c = sws_conn(8192, 1200);
    c.expect_silence();
    c.feed(&window(1200, seg(1, c.ack(501))));
    c.expect_silence();
    c.feed(&window(1200, seg(1, c.ack(1001))));
    assert_eq!(c.out().map(|s| s.payload.len()), Some(1000));
}

#[test]
fn zero_window_probes_left_unanswered_for_the_user_timeout_end_the_connection() {
    // MUST-37's other side (CORE-18): answered probes keep the connection, but a peer
    // that stops answering them is given up after R2, counted from the first
    // unanswered probe.
    let mut c = Conv::established(plain_config(), 64, 4096);
    c.socket.set_user_timeout(Some(Duration::from_secs(30)));
    c.feed(&window(0, seg(1, c.ack(1))));
    c.socket.send_slice(b"waiting").unwrap();
    c.expect_silence();
    for ms in [1000, 3000] {
        let probe = c.at_ms(ms).out().expect("probe");
        assert_eq!(probe.seq_number, c.seq(0));
        c.feed(&window(0, seg(1, c.ack(1))));
    }
    // From here on the peer is silent.
    assert!(c.at_ms(7000).out().is_some());
    c.at_ms(36_999).out_all();
    assert_eq!(c.socket.state(), State::Established);
    c.at_ms(37_000).out_all();
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::TimedOut));
}

#[test]
fn a_configured_ack_delay_of_half_a_second_or_more_is_cut_below_it() {
    // MUST-40: ACKs are delayed by less than 0.5 s, whatever the configuration says.
    let config = TcpConfig {
        delayed_ack: Some(Duration::from_secs(2)),
        ..plain_config()
    };
    let mut c = Conv::established(config, 1024, 64);
    assert_eq!(c.socket.config().delayed_ack, Some(MAX_ACK_DELAY));
    c.feed(&data(seg(1, c.ack(1)), b"x"));
    c.expect_silence();
    assert!(c.socket.poll_at().unwrap() < Instant::from_millis(500));
    let ack = c.at_ms(500).out().expect("the delayed ACK");
    assert_eq!(ack.ack_number, Some(SeqNumber(PEER_ISN + 2)));
}
