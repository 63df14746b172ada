//! Data transfer both ways: segmentation by the send MSS, Nagle, the receive window
//! (never shrinking), out-of-order data with SACK, window updates (CORE-1/3/4/6/11/16,
//! MUST-15/16/17/34/38/39/61, SHLD-31).

use super::*;

const DATA: &[u8; 4096] = &[0x5a; 4096];

#[test]
fn data_is_cut_to_the_peer_mss_and_nagle_holds_the_small_tail() {
    // MUST-16: payload <= send MSS (the peer said 1000). SHLD-7: Nagle holds a small
    // segment while data is unacknowledged; MUST-61: the segment that empties the
    // queue carries PSH.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    assert_eq!(c.socket.send_slice(&DATA[..2500]), Ok(2500));
    let out = c.out_all();
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0],
        data(c.ours(TcpFlags::empty(), 1, Some(1), 1024), &DATA[..1000])
    );
    assert_eq!(out[1].seq_number, c.seq(1001));
    assert_eq!(out[1].payload.len(), 1000);
    // The ACK of everything sent releases the tail, with PSH.
    c.feed(&seg(1, c.ack(2001)));
    let tail = c.out().unwrap();
    assert_eq!(
        tail,
        data(c.ours(TcpFlags::PSH, 2001, Some(1), 1024), &DATA[..500])
    );
    c.expect_silence();
}

#[test]
fn with_nodelay_the_small_tail_goes_at_once() {
    // MUST-17.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.socket.set_nodelay(true);
    c.socket.send_slice(&DATA[..2500]).unwrap();
    let out = c.out_all();
    let sizes: Vec<usize> = out.iter().map(|s| s.payload.len()).collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    assert!(out[2].flags.contains(TcpFlags::PSH));
}

#[test]
fn without_an_mss_option_the_send_mss_is_536() {
    // MUST-15.
    let mut c = Conv::new(plain_config(), 1024, 4096);
    c.socket.listen(80).unwrap();
    c.feed(&with(seg(0, None), TcpFlags::SYN));
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    c.out().unwrap();
    c.feed(&seg(1, c.ack(1)));
    c.socket.send_slice(&DATA[..600]).unwrap();
    assert_eq!(c.out().unwrap().payload.len(), 536);
}

#[test]
fn the_sender_respects_the_peer_window_and_survives_its_shrinking() {
    // MUST-34: a window that shrinks below what is in flight gives a usable window of
    // 0, not an underflow; SHLD-15: no new data beyond the new right edge.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.socket.set_nodelay(true);
    c.feed(&TcpRepr {
        window_len: 2000,
        ..seg(1, c.ack(1))
    });
    c.socket.send_slice(&DATA[..3000]).unwrap();
    let sizes: Vec<usize> = c.out_all().iter().map(|s| s.payload.len()).collect();
    assert_eq!(sizes, [1000, 1000]);
    // The peer acknowledges 100 bytes and shrinks its window to 200.
    c.feed(&TcpRepr {
        window_len: 200,
        ..seg(1, c.ack(101))
    });
    c.expect_silence();
    c.feed(&TcpRepr {
        window_len: 4000,
        ..seg(1, c.ack(2001))
    });
    let sizes: Vec<usize> = c.out_all().iter().map(|s| s.payload.len()).collect();
    assert_eq!(sizes, [1000]);
}

#[test]
fn in_order_data_is_acked_with_the_window_reduced_by_what_is_buffered() {
    let mut c = Conv::established(plain_config(), 1024, 1024);
    assert_eq!(c.feed(&data(seg(1, c.ack(1)), b"hello")), None);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(6), 1019)));
    let mut buf = [0u8; 16];
    assert_eq!(c.socket.peek(&mut buf), Ok(5));
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(5));
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(0));
    // 1019 of 1024 is still more than half: no window update is owed (MUST-39).
    c.expect_silence();
}

#[test]
fn out_of_order_data_is_kept_acked_at_once_and_reported_in_sack_blocks() {
    // SHLD-31, CORE-6, RFC 5681 §4.2, RFC 2018 §4.
    let mut c = Conv::passive_sack(1024, 1024);
    c.feed(&seg(1, c.ack(1)));
    c.feed(&data(seg(11, c.ack(1)), b"klmno"));
    c.feed(&data(seg(21, c.ack(1)), b"uvw"));
    let dup = c.out().unwrap();
    assert_eq!(dup.ack_number, Some(SeqNumber(PEER_ISN + 1)));
    assert_eq!(
        dup.sack_ranges,
        [
            Some((PEER_ISN + 21, PEER_ISN + 24)),
            Some((PEER_ISN + 11, PEER_ISN + 16)),
            None,
            None
        ]
    );
    // Filling the first hole delivers through the second island's start.
    c.feed(&data(seg(1, c.ack(1)), b"abcdefghij"));
    let ack = c.out().unwrap();
    assert_eq!(ack.ack_number, Some(SeqNumber(PEER_ISN + 16)));
    assert_eq!(ack.sack_ranges[0], Some((PEER_ISN + 21, PEER_ISN + 24)));
    let mut buf = [0u8; 32];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(15));
    assert_eq!(&buf[..15], b"abcdefghijklmno");
}

#[test]
fn a_segment_straddling_rcv_nxt_contributes_only_its_new_bytes() {
    // CORE-6.
    let mut c = Conv::established(plain_config(), 1024, 1024);
    c.feed(&data(seg(1, c.ack(1)), b"abcd"));
    c.out();
    c.feed(&data(seg(3, c.ack(1)), b"cdef"));
    assert_eq!(c.out().unwrap().ack_number, Some(SeqNumber(PEER_ISN + 7)));
    let mut buf = [0u8; 16];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(6));
    assert_eq!(&buf[..6], b"abcdef");
}

#[test]
fn an_unacceptable_segment_draws_an_ack_and_changes_nothing() {
    // CORE-3, CORE-4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    let mut c = Conv::established(plain_config(), 64, 64);
    let ack = c.ours(TcpFlags::empty(), 1, Some(1), 64);
    // Entirely beyond the window, and entirely old.
    assert_eq!(c.feed(&data(seg(200, c.ack(1)), b"x")), Some(ack));
    assert_eq!(c.feed(&data(seg(0, c.ack(1)), b"")), Some(ack));
    assert_eq!(c.socket.recv_queue(), 0);
    // An unacceptable RST is dropped silently.
    assert_eq!(c.feed(&with(seg(200, None), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn a_full_receive_buffer_closes_the_window_and_reading_reopens_it() {
    // CORE-3 (wnd 0), CORE-5 (ACKs still processed), MUST-39 (window update).
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&data(seg(1, c.ack(1)), &DATA[..64]));
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(65), 0)));
    // A zero-window probe with data is unacceptable: ACK.
    let probe = data(seg(65, c.ack(1)), b"z");
    assert_eq!(
        c.feed(&probe),
        Some(c.ours(TcpFlags::empty(), 1, Some(65), 0))
    );
    // Its ACK field still counts (CORE-5): our data gets acknowledged.
    c.socket.send_slice(b"q").unwrap();
    c.out().unwrap();
    assert!(c.feed(&data(seg(65, c.ack(2)), b"z")).is_some());
    assert_eq!(c.socket.send_queue(), 0);
    // Reading 40 bytes opens the window past the SWS threshold (32): update.
    c.socket.recv_slice(&mut [0u8; 40]).unwrap();
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 2, Some(65), 40)));
}

#[test]
fn the_advertised_right_edge_never_moves_left_under_window_scaling() {
    // CORE-16, B3.4: rounding the scaled window must not retract the edge.
    let config = TcpConfig {
        window_scale: true,
        ..plain_config()
    };
    let (mut c, _) = Conv::active(config, 100_000, 1024);
    c.feed(&TcpRepr {
        window_scale: Some(0),
        ..with(seg(0, c.ack(1)), TcpFlags::SYN)
    });
    let first = c.out().unwrap();
    let shift = 1u32; // 65535 << 1 covers 100000
    let edge = |s: &TcpRepr| s.ack_number.unwrap().0 as u64 + ((s.window_len as u64) << shift);
    let mut last_edge = edge(&first);
    for i in 0..40u32 {
        let r = data(seg(1 + i * 3, c.ack(1)), b"abc");
        c.feed(&r);
        let ack = c.out().unwrap();
        assert!(edge(&ack) >= last_edge, "edge moved left at {i}");
        last_edge = edge(&ack);
    }
}

#[test]
fn an_old_segment_does_not_reset_the_send_window() {
    // CORE-11: SND.WL1/SND.WL2.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.feed(&TcpRepr {
        window_len: 3000,
        ..data(seg(1, c.ack(1)), b"ab")
    });
    assert_eq!(c.socket.snd_wnd, 3000);
    // A reordered older segment (lower SEQ) with another window is not used.
    c.feed(&TcpRepr {
        window_len: 10,
        ..seg(1, c.ack(1))
    });
    assert_eq!(c.socket.snd_wnd, 3000);
}

#[test]
fn an_ack_for_data_never_sent_draws_an_ack_and_the_data_is_dropped() {
    // CORE-11: SEG.ACK > SND.NXT.
    let mut c = Conv::established(plain_config(), 1024, 1024);
    let reply = c.feed(&data(seg(1, c.ack(500)), b"data"));
    assert_eq!(reply, Some(c.ours(TcpFlags::empty(), 1, Some(1), 1024)));
    assert_eq!(c.socket.recv_queue(), 0);
}

#[test]
fn a_transfer_crosses_the_sequence_wrap() {
    // CORE-1: sequence space wraps at 2^32 (peer ISN 0xFFFFFF00).
    let mut c = Conv::new(plain_config(), 4096, 1024);
    c.socket.listen(80).unwrap();
    let base = 0xffff_ff00u32.wrapping_sub(PEER_ISN);
    c.feed(&with(seg(base, None), TcpFlags::SYN));
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    c.out().unwrap();
    c.feed(&seg(base.wrapping_add(1), c.ack(1)));
    for i in 0..3u32 {
        let s = data(seg(base.wrapping_add(1 + i * 200), c.ack(1)), &DATA[..200]);
        c.feed(&s);
        let ack = c.out().unwrap();
        assert_eq!(
            ack.ack_number,
            Some(SeqNumber(0xffff_ff01u32.wrapping_add((i + 1) * 200)))
        );
    }
    assert_eq!(c.socket.recv_queue(), 600);
}

#[test]
fn send_with_and_recv_with_work_in_place() {
    let mut c = Conv::established(plain_config(), 64, 64);
    let n = c
        .socket
        .send_with(|buf| {
            buf[..3].copy_from_slice(b"abc");
            (3, 3)
        })
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(c.out().unwrap().payload, b"abc");
    c.feed(&data(seg(1, c.ack(4)), b"xyz"));
    let got = c.socket.recv_with(|buf| (buf.len(), buf.to_vec())).unwrap();
    assert_eq!(got, b"xyz");
}

#[test]
fn the_receive_window_reopens_only_by_the_sws_threshold() {
    // MUST-39: the right edge moves when the gain reaches min(RCV.BUFF/2, MSS) = 512.
    let mut c = Conv::established(plain_config(), 1024, 64);
    c.feed(&data(seg(1, c.ack(1)), &DATA[..1000]));
    assert_eq!(c.out().unwrap().window_len, 24);
    c.socket.recv_slice(&mut [0u8; 100]).unwrap();
    c.expect_silence();
    c.socket.recv_slice(&mut [0u8; 500]).unwrap();
    let update = c.out().unwrap();
    assert_eq!(update, c.ours(TcpFlags::empty(), 1, Some(1001), 624));
}

#[test]
fn a_small_window_with_nothing_in_flight_is_filled_at_once() {
    // MUST-38 (4): the override, here with a zero timeout.
    let mut c = Conv::established(plain_config(), 1024, 4096);
    c.feed(&TcpRepr {
        window_len: 100,
        ..seg(1, c.ack(1))
    });
    c.socket.send_slice(&DATA[..500]).unwrap();
    let out = c.out_all();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].payload.len(), 100);
    assert_eq!(c.socket.rto_backoffs(), 0);
}

#[test]
fn draining_a_full_receive_buffer_sends_a_window_update() {
    // MUST-39 / RFC 9293 §3.8.6.2.2: the window closed to 0; once the application
    // reads, the reopened window is advertised at once, without waiting for data.
    let mut c = Conv::established(plain_config(), 1024, 64);
    c.feed(&data(seg(1, c.ack(1)), &DATA[..512]));
    assert_eq!(c.out().unwrap().window_len, 512);
    c.feed(&data(seg(513, c.ack(1)), &DATA[..512]));
    // The ACK of the data that filled the buffer advertises 0, not a stale window.
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(1025), 0)));
    c.expect_silence();
    let mut buf = [0u8; 1024];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(1024));
    assert_eq!(
        c.out(),
        Some(c.ours(TcpFlags::empty(), 1, Some(1025), 1024))
    );
    c.expect_silence();
}

#[test]
fn buffer_sizes_change_while_closed_and_the_next_open_offers_the_new_window() {
    // Issue API: buffer sizes as a socket option (`SO_RCVBUF`/`SO_SNDBUF` elsewhere).
    let mut c = Conv::new(plain_config(), 1024, 1024);
    c.socket.set_buffer_sizes(600, 4096).unwrap();
    c.socket.listen(80).unwrap();
    assert_eq!(
        c.socket.set_buffer_sizes(64, 64),
        Err(BufferError::InvalidState),
        "LISTEN holds a connection's place: only CLOSED may change"
    );
    c.feed(&with(seg(0, None), TcpFlags::SYN));
    let synack = c.out().expect("SYN-ACK");
    assert_eq!(synack.window_len, 600, "the new receive ring's window");
    c.feed(&seg(1, c.ack(1)));
    assert_eq!(
        c.socket.send_slice(&DATA[..4096]),
        Ok(4096),
        "the new send ring"
    );
}
