//! Closing in all its forms: FIN-WAIT-1/2, CLOSE-WAIT half-close, CLOSING, LAST-ACK,
//! TIME-WAIT for 2·MSL, simultaneous close, abort (CORE-12..15, CORE-19, MUST-12/13,
//! B12).

use super::*;

/// Quick MSL for the tests: TIME-WAIT lasts 2 s.
fn short_msl() -> TcpConfig {
    TcpConfig {
        msl: Duration::from_secs(1),
        ..plain_config()
    }
}

#[test]
fn an_active_close_goes_through_fin_wait_to_time_wait_and_closes_after_2_msl() {
    // CORE-12, CORE-13, MUST-13, CORE-19 (the MSL knob).
    let mut c = Conv::established(short_msl(), 64, 64);
    c.socket.close().unwrap();
    assert_eq!(c.socket.state(), State::FinWait1);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::FIN, 1, Some(1), 64)));
    c.expect_silence();
    assert_eq!(c.socket.send_slice(b"late"), Err(SendError::InvalidState));
    c.feed(&seg(1, c.ack(2)));
    assert_eq!(c.socket.state(), State::FinWait2);
    // The peer may still send while we wait for its FIN.
    c.feed(&data(seg(1, c.ack(2)), b"more"));
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 2, Some(5), 60)));
    c.at_ms(100);
    c.feed(&with(seg(5, c.ack(2)), TcpFlags::FIN));
    assert_eq!(c.socket.state(), State::TimeWait);
    // The FIN took one sequence number under a fixed right edge (CORE-16, MUST-39).
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 2, Some(6), 59)));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(2100)));
    let mut buf = [0u8; 8];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(4));
    assert_eq!(c.socket.recv_slice(&mut buf), Err(RecvError::Finished));
    c.at_ms(2099).expect_silence();
    assert_eq!(c.socket.state(), State::TimeWait);
    c.at_ms(2100).expect_silence();
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), None, "an orderly close (MUST-12)");
    assert_eq!(c.socket.demux_key(), None);
}

#[test]
fn the_fin_follows_the_queued_data_on_the_last_segment() {
    // RFC 9293 §3.10.4: FIN after the queued data.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.send_slice(b"bye").unwrap();
    c.socket.close().unwrap();
    assert_eq!(
        c.out(),
        Some(data(
            c.ours(TcpFlags::FIN | TcpFlags::PSH, 1, Some(1), 64),
            b"bye"
        ))
    );
    c.feed(&seg(1, c.ack(5)));
    assert_eq!(c.socket.state(), State::FinWait2);
    assert_eq!(c.socket.send_queue(), 0);
}

#[test]
fn a_half_closed_connection_still_sends_in_close_wait_and_ends_in_last_ack() {
    // CORE-13 (ESTABLISHED -> CLOSE-WAIT), CORE-12 (LAST-ACK -> CLOSED).
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&data(with(seg(1, c.ack(1)), TcpFlags::FIN), b"req"));
    assert_eq!(c.socket.state(), State::CloseWait);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 1, Some(5), 60)));
    let mut buf = [0u8; 8];
    assert_eq!(c.socket.recv_slice(&mut buf), Ok(3));
    assert_eq!(c.socket.recv_slice(&mut buf), Err(RecvError::Finished));
    assert!(!c.socket.may_recv());
    assert!(c.socket.may_send());
    c.socket.send_slice(b"response").unwrap();
    let out = c.out().unwrap();
    assert_eq!(out.payload, b"response");
    c.feed(&seg(5, c.ack(9)));
    c.socket.close().unwrap();
    assert_eq!(c.socket.state(), State::LastAck);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::FIN, 9, Some(5), 60)));
    c.feed(&seg(5, c.ack(10)));
    assert_eq!(c.socket.state(), State::Closed);
    assert_eq!(c.socket.close_reason(), None);
}

#[test]
fn a_simultaneous_close_goes_through_closing_to_time_wait() {
    // CORE-13 (FIN-WAIT-1 + FIN, ours unacknowledged: CLOSING), CORE-12, CORE-23.
    let mut c = Conv::established(short_msl(), 64, 64);
    c.socket.close().unwrap();
    c.out().unwrap();
    // The peer's FIN crosses ours: it acknowledges only our SYN.
    c.feed(&with(seg(1, c.ack(1)), TcpFlags::FIN));
    assert_eq!(c.socket.state(), State::Closing);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 2, Some(2), 63)));
    c.feed(&seg(2, c.ack(2)));
    assert_eq!(c.socket.state(), State::TimeWait);
    c.at_ms(2000).expect_silence();
    assert_eq!(c.socket.state(), State::Closed);
}

#[test]
fn a_fin_that_also_acknowledges_ours_goes_straight_to_time_wait() {
    // CORE-13: FIN-WAIT-1 with our FIN acknowledged -> TIME-WAIT.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.close().unwrap();
    c.out().unwrap();
    c.feed(&with(seg(1, c.ack(2)), TcpFlags::FIN));
    assert_eq!(c.socket.state(), State::TimeWait);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::empty(), 2, Some(2), 63)));
}

#[test]
fn time_wait_acks_a_retransmitted_fin_and_restarts_its_timer() {
    // CORE-12: the only expected arrival is the FIN again: ACK it, restart 2·MSL.
    let mut c = Conv::established(short_msl(), 64, 64);
    c.socket.close().unwrap();
    c.out().unwrap();
    c.feed(&with(seg(1, c.ack(2)), TcpFlags::FIN));
    c.out().unwrap();
    c.at_ms(1500);
    let ack = c.feed(&with(seg(1, c.ack(2)), TcpFlags::FIN));
    assert_eq!(ack, Some(c.ours(TcpFlags::empty(), 2, Some(2), 63)));
    assert_eq!(c.socket.poll_at(), Some(Instant::from_millis(3500)));
    c.at_ms(2500).expect_silence();
    assert_eq!(c.socket.state(), State::TimeWait);
}

#[test]
fn time_wait_ignores_a_rst_per_rfc_1337() {
    // B12.2 (F1, our documented choice): a RST, even at RCV.NXT, leaves TIME-WAIT alone.
    let mut c = Conv::established(short_msl(), 64, 64);
    c.socket.close().unwrap();
    c.out().unwrap();
    c.feed(&with(seg(1, c.ack(2)), TcpFlags::FIN));
    assert_eq!(c.feed(&with(seg(2, None), TcpFlags::RST)), None);
    assert_eq!(c.socket.state(), State::TimeWait);
}

#[test]
fn data_after_the_peers_fin_is_ignored() {
    // CORE-14.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.feed(&with(seg(1, c.ack(1)), TcpFlags::FIN));
    c.out();
    c.feed(&data(seg(2, c.ack(1)), b"ghost"));
    assert_eq!(c.socket.recv_queue(), 0);
    assert_eq!(c.socket.state(), State::CloseWait);
}

#[test]
fn abort_sends_a_rst_and_reports_the_abort() {
    // RFC 9293 §3.10.5, MUST-12: the application tells an abort from a close.
    let mut c = Conv::established(plain_config(), 64, 64);
    c.socket.send_slice(b"unsent").unwrap();
    c.socket.abort();
    assert_eq!(c.socket.state(), State::Closed);
    let rst = c.out().unwrap();
    assert_eq!(rst.flags, TcpFlags::RST);
    assert_eq!(rst.seq_number, c.seq(1));
    assert_eq!(rst.ack_number, None);
    c.expect_silence();
    assert_eq!(c.socket.close_reason(), Some(CloseReason::Aborted));
    assert_eq!(c.socket.send_slice(b"x"), Err(SendError::Reset));
}

#[test]
fn closing_a_listener_or_a_syn_sent_socket_just_closes() {
    let mut c = Conv::new(plain_config(), 64, 64);
    c.socket.listen(80).unwrap();
    c.socket.close().unwrap();
    assert_eq!(c.socket.state(), State::Closed);
    let (mut c, _) = Conv::active(plain_config(), 64, 64);
    c.socket.close().unwrap();
    assert_eq!(c.socket.state(), State::Closed);
    c.expect_silence();
}

#[test]
fn a_close_in_syn_received_sends_the_fin_once_established() {
    // RFC 9293 §3.10.4: CLOSE in SYN-RECEIVED waits for ESTABLISHED.
    let mut c = Conv::passive(plain_config(), 64, 64);
    c.socket.close().unwrap();
    assert_eq!(c.socket.state(), State::SynReceived);
    c.feed(&seg(1, c.ack(1)));
    assert_eq!(c.socket.state(), State::FinWait1);
    assert_eq!(c.out(), Some(c.ours(TcpFlags::FIN, 1, Some(1), 64)));
}
