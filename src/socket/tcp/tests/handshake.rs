//! Opening: passive, active, simultaneous; option negotiation; the RST rules of
//! CLOSED, LISTEN, SYN-SENT and SYN-RECEIVED (CORE-7..10, CORE-17, MUST-10/11/14/15).

use super::*;

#[test]
fn a_passive_open_answers_a_syn_with_a_syn_ack_and_an_ack_establishes() {
    // CORE-8: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; MUST-14: MSS on the SYN-ACK.
    let mut c = Conv::new(plain_config(), 1024, 1024);
    c.socket.listen(80).unwrap();
    assert_eq!(c.feed(&with(seg(0, None), TcpFlags::SYN)), None);
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    let expected = TcpRepr {
        max_seg_size: Some(1460),
        ..c.ours(TcpFlags::SYN, 0, Some(1), 1024)
    };
    assert_eq!(c.out(), Some(expected));
    c.expect_silence();
    assert!(c.socket.poll_at().is_some(), "SYN-ACK retransmission armed");
    assert_eq!(c.feed(&seg(1, c.ack(1))), None);
    assert_eq!(c.socket.state(), State::Established);
    assert_eq!(c.socket.local_endpoint(), Some(local()));
    assert_eq!(c.socket.remote_endpoint(), Some(remote()));
    c.expect_silence();
}

#[test]
fn an_active_open_sends_a_syn_and_acks_the_syn_ack() {
    // CORE-9: SYN with acceptable ACK: ESTABLISHED and ACK it.
    let (mut c, syn) = Conv::active(plain_config(), 1024, 1024);
    let expected = TcpRepr {
        max_seg_size: Some(1460),
        ..c.ours(TcpFlags::SYN, 0, None, 1024)
    };
    assert_eq!(syn, expected);
    assert_eq!(c.socket.state(), State::SynSent);
    let synack = TcpRepr {
        max_seg_size: Some(1200),
        ..with(seg(0, c.ack(1)), TcpFlags::SYN)
    };
    assert_eq!(c.feed(&synack), None);
    assert_eq!(c.socket.state(), State::Established);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(1), 1024)));
    c.expect_silence();
}

#[test]
fn syn_options_offer_window_scale_timestamps_and_sack_and_a_syn_ack_without_them_turns_them_off() {
    // B3.1, B3.6, RFC 2018 §2: offered on the SYN; on only if both sides sent them.
    let config = TcpConfig {
        window_scale: true,
        timestamps: true,
        sack: true,
        ..plain_config()
    };
    let (mut c, syn) = Conv::active(config, 256 * 1024, 1024);
    assert_eq!(syn.window_scale, Some(3)); // 65535 << 3 covers 256 KiB (B3.5)
    assert_eq!(syn.window_len, 65535); // B3.3: a SYN's window is never scaled
    assert!(syn.sack_permitted);
    assert_eq!(syn.timestamp.map(|t| t.tsecr), Some(0));
    let synack = with(seg(0, c.ack(1)), TcpFlags::SYN);
    c.feed(&synack);
    let ack = c.out().unwrap();
    assert_eq!(ack.timestamp, None, "no TS once the peer declined");
    assert_eq!(ack.window_len, 65535, "no scaling: the field saturates");
}

#[test]
fn a_negotiated_window_scale_shifts_both_directions() {
    // B3.4: SND.WND = SEG.WND << Snd.Wind.Shift; SEG.WND = RCV.WND >> Rcv.Wind.Shift.
    let config = TcpConfig {
        window_scale: true,
        ..plain_config()
    };
    let (mut c, _) = Conv::active(config, 256 * 1024, 64 * 1024);
    let synack = TcpRepr {
        window_scale: Some(20), // B3.2: treated as 14
        ..with(seg(0, c.ack(1)), TcpFlags::SYN)
    };
    c.feed(&synack);
    let ack = c.out().unwrap();
    assert_eq!(ack.window_len, ((256 * 1024) >> 3) as u16);
    // The peer's window of 2 << 14 lets us send 32 KiB although the field says 2.
    let update = TcpRepr {
        window_len: 2,
        ..seg(1, c.ack(1))
    };
    c.feed(&update);
    assert_eq!(c.socket.snd_wnd, 2 << 14);
}

#[test]
fn a_passive_open_offers_back_only_what_the_syn_carried() {
    // B3.1/B3.6: WS and TS on a SYN-ACK only when the SYN had them.
    let config = TcpConfig {
        window_scale: true,
        timestamps: true,
        sack: true,
        ..plain_config()
    };
    let mut c = Conv::passive(config, 1024, 1024);
    let cx = c.cx();
    let _ = cx;
    c.socket.abort();
    let mut c = Conv::new(config, 1024, 1024);
    c.socket.listen(80).unwrap();
    let syn = TcpRepr {
        sack_permitted: true,
        window_scale: Some(2),
        ..with(seg(0, None), TcpFlags::SYN)
    };
    c.feed(&syn);
    let synack = c.out().unwrap();
    assert_eq!(synack.window_scale, Some(0));
    assert!(synack.sack_permitted);
    assert_eq!(synack.timestamp, None);
}

#[test]
fn simultaneous_open_goes_through_syn_received_to_established() {
    // MUST-10, CORE-9: SYN without ACK in SYN-SENT: SYN-RECEIVED, <SEQ=ISS><ACK><SYN,ACK>.
    let (mut c, _) = Conv::active(plain_config(), 1024, 1024);
    assert_eq!(c.feed(&with(seg(0, None), TcpFlags::SYN)), None);
    assert_eq!(c.socket.state(), State::SynReceived);
    let synack = TcpRepr {
        max_seg_size: Some(1460),
        ..c.ours(TcpFlags::SYN, 0, Some(1), 1024)
    };
    assert_eq!(c.out(), Some(synack));
    // The peer's SYN-ACK crossing ours acknowledges our SYN.
    let theirs = with(seg(0, c.ack(1)), TcpFlags::SYN);
    // CORE-10: its SYN is a retransmission of the peer's (fails CORE-3): an ACK ...
    let reply = c.feed(&theirs);
    assert_eq!(reply, Some(c.ours(TcpFlags::empty(), 1, Some(1), 1024)));
    // ... and the peer's ACK of our SYN-ACK completes the open.
    assert_eq!(c.feed(&seg(1, c.ack(1))), None);
    assert_eq!(c.socket.state(), State::Established);
}

#[test]
fn a_closed_socket_answers_with_the_two_rst_forms_and_ignores_rst() {
    // CORE-7.
    let mut c = Conv::new(plain_config(), 64, 64);
    let with_ack = seg(5, Some(SeqNumber(777)));
    let rst = c.feed(&with_ack).unwrap();
    assert_eq!(rst.flags, TcpFlags::RST);
    assert_eq!(rst.seq_number, SeqNumber(777));
    assert_eq!(rst.ack_number, None);
    let no_ack = data(with(seg(5, None), TcpFlags::FIN), b"abc");
    let rst = c.feed(&no_ack).unwrap();
    assert_eq!(rst.flags, TcpFlags::RST | TcpFlags::ACK);
    assert_eq!(rst.seq_number, SeqNumber(0));
    assert_eq!(rst.ack_number, Some(SeqNumber(PEER_ISN + 5 + 4)));
    assert_eq!(c.feed(&with(seg(5, None), TcpFlags::RST)), None);
}

#[test]
fn a_listener_resets_any_ack_ignores_rst_and_drops_the_rest() {
    // CORE-8: ACK (also SYN+ACK) draws <SEQ=SEG.ACK><RST>; RST ignored; others dropped.
    let mut c = Conv::new(plain_config(), 64, 64);
    c.socket.listen(80).unwrap();
    let rst = c.feed(&seg(0, Some(SeqNumber(42)))).unwrap();
    assert_eq!((rst.flags, rst.seq_number), (TcpFlags::RST, SeqNumber(42)));
    let rst = c
        .feed(&with(seg(0, Some(SeqNumber(43))), TcpFlags::SYN))
        .unwrap();
    assert_eq!(rst.seq_number, SeqNumber(43));
    assert_eq!(c.feed(&with(seg(0, None), TcpFlags::RST)), None);
    assert_eq!(c.feed(&with(seg(0, None), TcpFlags::FIN)), None);
    assert_eq!(c.socket.state(), State::Listen);
    c.expect_silence();
}

#[test]
fn syn_sent_resets_a_bad_ack_and_honours_only_an_acceptable_rst() {
    // CORE-9.
    let (mut c, _) = Conv::active(plain_config(), 64, 64);
    let iss = c.iss;
    for bad in [iss, iss + 2, iss - 100] {
        let rst = c.feed(&seg(0, Some(bad))).unwrap();
        assert_eq!((rst.flags, rst.seq_number), (TcpFlags::RST, bad));
    }
    // A RST with a bad ACK, or with none, is dropped.
    assert_eq!(c.feed(&with(seg(0, Some(iss)), TcpFlags::RST)), None);
    assert_eq!(c.feed(&with(seg(0, None), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::SynSent);
    // With an acceptable ACK: refused.
    assert_eq!(c.feed(&with(seg(0, c.ack(1)), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::Refused));
    assert_eq!(c.socket.recv_slice(&mut [0; 4]), Err(RecvError::Reset));
}

#[test]
fn syn_received_resets_an_unacceptable_ack_and_stays() {
    // CORE-10, CORE-17.
    let mut c = Conv::passive(plain_config(), 64, 64);
    let bad = c.iss + 5;
    let rst = c.feed(&seg(1, Some(bad))).unwrap();
    assert_eq!((rst.flags, rst.seq_number), (TcpFlags::RST, bad));
    assert_eq!(c.socket.state(), State::SynReceived);
}

#[test]
fn a_reset_passive_syn_received_returns_to_listen() {
    // CORE-10, MUST-11: a passive open remembers where it came from.
    let mut c = Conv::passive(plain_config(), 64, 64);
    assert_eq!(c.feed(&with(seg(1, None), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::Listen);
    assert_eq!(c.socket.listen_endpoint(), Some(IpListenEndpoint::from(80)));
}

#[test]
fn a_reset_active_syn_received_is_refused() {
    // CORE-10, MUST-11.
    let (mut c, _) = Conv::active(plain_config(), 64, 64);
    c.feed(&with(seg(0, None), TcpFlags::SYN));
    assert_eq!(c.socket.state(), State::SynReceived);
    c.feed(&with(seg(1, None), TcpFlags::RST));
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), Some(CloseReason::Refused));
}

#[test]
fn data_on_a_syn_is_kept_and_delivered() {
    // CORE-21, CORE-8: data on the SYN is queued, not discarded.
    let mut c = Conv::new(plain_config(), 64, 64);
    c.socket.listen(80).unwrap();
    c.feed(&data(with(seg(0, None), TcpFlags::SYN), b"early"));
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    let synack = c.out().unwrap();
    assert_eq!(synack.ack_number, Some(SeqNumber(PEER_ISN + 6)));
    c.feed(&seg(6, c.ack(1)));
    let mut buf = [0u8; 8];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(5));
    assert_eq!(&buf[..5], b"early");
}

#[test]
fn connect_refuses_group_and_unspecified_endpoints_and_a_second_open() {
    // MUST-46.
    let mut c = Conv::new(plain_config(), 64, 64);
    let cx = c.cx();
    let group: SocketAddr = "224.0.0.1:80".parse().unwrap();
    let bcast: SocketAddr = "255.255.255.255:80".parse().unwrap();
    let zero: SocketAddr = "192.0.2.2:0".parse().unwrap();
    for bad in [group, bcast, zero] {
        assert_eq!(
            c.socket.connect(&cx, bad, local()),
            Err(ConnectError::Unaddressable)
        );
    }
    c.socket.connect(&cx, remote(), local()).unwrap();
    assert_eq!(
        c.socket.connect(&cx, remote(), local()),
        Err(ConnectError::InvalidState)
    );
    assert_eq!(c.socket.listen(80), Err(ListenError::InvalidState));
    let mut d = Conv::new(plain_config(), 64, 64);
    assert_eq!(d.socket.listen(0), Err(ListenError::Unaddressable));
    assert_eq!(d.socket.send_slice(b"x"), Err(SendError::InvalidState));
    assert_eq!(d.socket.recv_slice(&mut [0]), Err(RecvError::InvalidState));
    assert_eq!(d.socket.close(), Err(CloseError::InvalidState));
}

#[test]
fn a_syn_to_a_broadcast_address_is_ignored() {
    // MUST-57.
    let mut c = Conv::new(plain_config(), 64, 64);
    c.socket.listen(80).unwrap();
    let cx = c.cx();
    let bcast = IpAddress::V4(crate::wire::Ipv4Address::BROADCAST);
    let r = c.socket.process(
        &cx,
        remote().ip(),
        bcast,
        &with(seg(0, None), TcpFlags::SYN),
    );
    assert_eq!(r, None);
    assert_eq!(c.socket.state(), State::Listen);
}

#[test]
fn a_listener_not_accepting_drops_a_syn_silently_and_counts_it() {
    // B11.2: a full backlog drops new SYNs (the peer retransmits) instead of refusing.
    let mut c = Conv::new(plain_config(), 1024, 1024);
    c.socket.set_accept_syn(false);
    c.socket.listen(80).unwrap();
    assert!(!c.socket.accepts_syn(), "listen keeps the flag");
    assert_eq!(c.feed(&with(seg(0, None), TcpFlags::SYN)), None);
    assert_eq!(c.socket.state(), State::Listen);
    assert_eq!(c.socket.counters().syns_dropped, 1);
    c.expect_silence();
    // CORE-8 still applies to everything else: an ACK draws a RST.
    let rst = c.feed(&seg(0, Some(SeqNumber(42)))).unwrap();
    assert_eq!((rst.flags, rst.seq_number), (TcpFlags::RST, SeqNumber(42)));
    // Accepting again, the retransmitted SYN opens.
    c.socket.set_accept_syn(true);
    assert_eq!(c.feed(&with(seg(0, None), TcpFlags::SYN)), None);
    assert_eq!(c.socket.state(), State::SynReceived);
    assert_eq!(c.socket.counters().syns_dropped, 1);
}
