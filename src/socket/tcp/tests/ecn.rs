//! ECN (RFC 3168 §6.1, CONFORMANCE SHLD-8): negotiation on the handshake, ECT(0) on
//! new data only, CE echoed with ECE until CWR, one window reduction per window.

use super::*;
use crate::socket::tcp::EcnMode;
use crate::socket::tcp::congestion::CongestionControl;

const NOT_ECT: u8 = 0b00;
const ECT0: u8 = 0b10;
const CE: u8 = 0b11;

fn ecn_config(ecn: EcnMode) -> TcpConfig {
    TcpConfig {
        ecn,
        ..plain_config()
    }
}

/// A passive open from an ECN-setup SYN (ECE and CWR), our SYN-ACK returned.
fn passive_from_ecn_syn(ecn: EcnMode) -> (Conv, TcpRepr<'static>) {
    let mut c = Conv::new(ecn_config(ecn), 64 * 1024, 64 * 1024);
    c.socket.listen(80).unwrap();
    let syn = TcpRepr {
        max_seg_size: Some(1000),
        ..with(seg(0, None), TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR)
    };
    assert_eq!(c.feed(&syn), None);
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    let synack = c.out().expect("SYN-ACK");
    (c, synack)
}

/// ESTABLISHED with ECN agreed (passive open), cwnd large enough to send freely.
fn agreed() -> Conv {
    let (mut c, synack) = passive_from_ecn_syn(EcnMode::Accept);
    assert!(synack.flags.contains(TcpFlags::ECE));
    let ack = c.ack(1);
    c.feed(&window(60_000, seg(1, ack)));
    assert_eq!(c.socket.state(), State::Established);
    assert!(c.socket.ecn_agreed());
    c
}

#[test]
fn an_ecn_setup_syn_gets_an_ecn_setup_syn_ack_with_ece_alone() {
    let (c, synack) = passive_from_ecn_syn(EcnMode::Accept);
    assert_eq!(
        synack.flags,
        TcpFlags::SYN | TcpFlags::ACK | TcpFlags::ECE,
        "§6.1.1: ECE set, CWR clear"
    );
    // §6.1.1: the SYN-ACK itself is not ECN-capable.
    assert_eq!(c.sent_ecn, NOT_ECT);
}

#[test]
fn with_ecn_off_an_ecn_setup_syn_gets_a_plain_syn_ack() {
    let (mut c, synack) = passive_from_ecn_syn(EcnMode::Off);
    assert_eq!(synack.flags, TcpFlags::SYN | TcpFlags::ACK);
    let ack = c.ack(1);
    c.feed(&seg(1, ack));
    assert!(!c.socket.ecn_agreed());
    c.socket.send_slice(b"data").unwrap();
    c.out().unwrap();
    assert_eq!(c.sent_ecn, NOT_ECT);
}

#[test]
fn a_syn_with_only_one_of_ece_and_cwr_does_not_set_up_ecn() {
    for flag in [TcpFlags::ECE, TcpFlags::CWR] {
        let mut c = Conv::new(ecn_config(EcnMode::Request), 4096, 4096);
        c.socket.listen(80).unwrap();
        c.feed(&with(seg(0, None), TcpFlags::SYN | flag));
        assert_eq!(c.out().unwrap().flags, TcpFlags::SYN | TcpFlags::ACK);
    }
}

#[test]
fn by_default_an_active_open_does_not_ask_for_ecn() {
    let (_, syn) = Conv::active(plain_config(), 4096, 4096);
    assert_eq!(syn.flags, TcpFlags::SYN);
}

#[test]
fn an_active_open_that_requests_ecn_sends_ece_and_cwr_and_agrees_on_an_ecn_setup_syn_ack() {
    let (mut c, syn) = Conv::active(ecn_config(EcnMode::Request), 4096, 4096);
    assert_eq!(syn.flags, TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR);
    assert_eq!(c.sent_ecn, NOT_ECT, "§6.1.1: the SYN is not ECT");
    let ack = c.ack(1);
    c.feed(&with(seg(0, ack), TcpFlags::SYN | TcpFlags::ECE));
    assert_eq!(c.socket.state(), State::Established);
    assert!(c.socket.ecn_agreed());
    // The handshake's last ACK is a pure ACK: Not-ECT, no ECE/CWR.
    let last = c.out().unwrap();
    assert_eq!(last, c.ours(TcpFlags::empty(), 1, Some(1), 4096));
    assert_eq!(c.sent_ecn, NOT_ECT);
}

#[test]
fn a_syn_ack_with_both_ece_and_cwr_is_not_an_ecn_setup_syn_ack() {
    let (mut c, _) = Conv::active(ecn_config(EcnMode::Request), 4096, 4096);
    let ack = c.ack(1);
    c.feed(&with(
        seg(0, ack),
        TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR,
    ));
    assert_eq!(c.socket.state(), State::Established);
    assert!(!c.socket.ecn_agreed());
}

#[test]
fn a_plain_syn_ack_leaves_ecn_off_after_asking() {
    let (mut c, _) = Conv::active(ecn_config(EcnMode::Request), 4096, 4096);
    let ack = c.ack(1);
    c.feed(&with(seg(0, ack), TcpFlags::SYN));
    assert!(!c.socket.ecn_agreed());
    c.out();
    c.socket.send_slice(b"hello").unwrap();
    c.out().unwrap();
    assert_eq!(c.sent_ecn, NOT_ECT);
}

#[test]
fn new_data_is_ect0_but_pure_acks_and_retransmissions_are_not() {
    let mut c = agreed();
    c.socket.set_nodelay(true);
    c.socket.send_slice(b"first").unwrap();
    let first = c.out().unwrap();
    assert_eq!(first.payload, b"first");
    assert_eq!(c.sent_ecn, ECT0, "§6.1.4: data is ECN-capable");
    // A pure ACK for the peer's data.
    c.feed(&data(seg(1, c.ack(1)), b"x"));
    let ack = c.out().unwrap();
    assert!(ack.payload.is_empty());
    assert_eq!(c.sent_ecn, NOT_ECT, "§6.1.4: pure ACKs are not");
    // The RTO resends "first": a retransmission is not ECT (§6.1.5).
    let rto = c.socket.rto();
    c.at_ms(rto.total_millis() as i64 + 10);
    let again = c.out().unwrap();
    assert_eq!(again.payload, b"first");
    assert_eq!(c.sent_ecn, NOT_ECT, "§6.1.5: retransmissions are not");
}

#[test]
fn a_ce_mark_is_echoed_with_ece_on_every_ack_until_cwr_arrives() {
    let mut c = agreed();
    // Data marked CE: the ACK (sent at once) carries ECE.
    assert_eq!(c.feed_ecn(&data(seg(1, c.ack(1)), b"aa"), CE), None);
    let ack = c.out().unwrap();
    assert_eq!(ack, c.ours(TcpFlags::ECE, 1, Some(3), ack.window_len));
    assert!(c.socket.ecn_echoing());
    // Unmarked data after it: still ECE, the sender has not answered.
    c.feed_ecn(&data(seg(3, c.ack(1)), b"bb"), ECT0);
    assert!(c.out().unwrap().flags.contains(TcpFlags::ECE));
    // CWR: the echo stops.
    c.feed_ecn(&with(data(seg(5, c.ack(1)), b"cc"), TcpFlags::CWR), ECT0);
    let ack = c.out().unwrap();
    assert!(!ack.flags.contains(TcpFlags::ECE));
    assert!(!c.socket.ecn_echoing());
    assert_eq!(c.socket.counters().ecn_ce_received, 1);
}

#[test]
fn a_cwr_segment_that_is_itself_ce_marked_keeps_the_echo_on() {
    let mut c = agreed();
    c.feed_ecn(&data(seg(1, c.ack(1)), b"aa"), CE);
    c.out();
    c.feed_ecn(&with(data(seg(3, c.ack(1)), b"bb"), TcpFlags::CWR), CE);
    assert!(c.out().unwrap().flags.contains(TcpFlags::ECE));
}

#[test]
fn without_ecn_agreed_a_ce_mark_is_not_echoed() {
    // CORE-22: ECE/CWR stay clear when ECN was not negotiated.
    let mut c = Conv::established(plain_config(), 4096, 4096);
    c.feed_ecn(&data(seg(1, c.ack(1)), b"aa"), CE);
    assert!(!c.out().unwrap().flags.contains(TcpFlags::ECE));
}

#[test]
fn ece_halves_the_window_once_per_window_and_the_next_new_data_carries_cwr() {
    let mut c = agreed();
    c.socket.set_nodelay(true);
    c.socket.send_slice(&[7u8; 8000]).unwrap();
    let flight = c.out_all();
    let sent: usize = flight.iter().map(|s| s.payload.len()).sum();
    assert!(sent >= 4000, "initial window in flight ({sent} bytes)");
    let cwnd_before = c.socket.cc.cwnd();
    // The first segment is acknowledged with ECE: one reduction.
    let first_end = flight[0].payload.len() + 1;
    c.feed(&with(
        window(60_000, seg(1, c.ack(first_end))),
        TcpFlags::ECE,
    ));
    let in_flight = sent + 1 - first_end;
    let expected = (in_flight / 2).max(2 * 1000);
    assert_eq!(c.socket.cc.cwnd(), expected);
    assert_eq!(c.socket.counters().ecn_reductions, 1);
    assert_ne!(c.socket.cc.cwnd(), cwnd_before);
    // More ECE within the same window: no further reduction.
    let second_end = first_end + flight[1].payload.len();
    c.feed(&with(
        window(60_000, seg(1, c.ack(second_end))),
        TcpFlags::ECE,
    ));
    assert_eq!(c.socket.counters().ecn_reductions, 1);
    // §6.1.2: CWR rides on the first new data segment, once, and it is ECT(0).
    let acked_all = sent + 1;
    c.feed(&window(60_000, seg(1, c.ack(acked_all))));
    c.socket.send_slice(&[8u8; 4000]).unwrap();
    let next = c.out().unwrap();
    assert!(!next.payload.is_empty());
    assert!(next.flags.contains(TcpFlags::CWR));
    assert_eq!(c.sent_ecn, ECT0);
    let after = c.out().unwrap();
    assert!(!after.flags.contains(TcpFlags::CWR));
    // ECE for data sent after the reduction is a new window: reduced again.
    let end = acked_all + next.payload.len();
    c.feed(&with(window(60_000, seg(1, c.ack(end))), TcpFlags::ECE));
    assert_eq!(c.socket.counters().ecn_reductions, 2);
    // Nothing was retransmitted for ECN.
    assert_eq!(c.socket.counters().retransmits, 0);
}

#[test]
fn a_syn_that_times_out_goes_again_without_ece_and_cwr() {
    // RFC 3168 §6.1.1.1 (MAY): an unanswered ECN-setup SYN is resent as a plain SYN.
    let (mut c, syn) = Conv::active(ecn_config(EcnMode::Request), 4096, 4096);
    assert!(syn.flags.contains(TcpFlags::ECE | TcpFlags::CWR));
    c.at_ms(1_100);
    let again = c.out().expect("the SYN again");
    assert_eq!(again.flags, TcpFlags::SYN);
    // An ECN-setup SYN-ACK to it no longer turns ECN on: we did not ask.
    let ack = c.ack(1);
    c.feed(&with(seg(0, ack), TcpFlags::SYN | TcpFlags::ECE));
    assert_eq!(c.socket.state(), State::Established);
    assert!(!c.socket.ecn_agreed());
}

#[test]
fn a_window_reduced_by_a_timeout_is_signalled_with_cwr_on_new_data() {
    // §6.1.2: CWR follows any reduction, a loss's too, once ECN is agreed.
    let mut c = agreed();
    c.socket.set_nodelay(true);
    c.socket.send_slice(b"first").unwrap();
    c.out().unwrap();
    let rto = c.socket.rto();
    c.at_ms(rto.total_millis() as i64 + 10);
    let again = c.out().unwrap();
    assert!(
        !again.flags.contains(TcpFlags::CWR),
        "a retransmission carries no CWR"
    );
    c.feed(&window(60_000, seg(1, c.ack(6))));
    c.socket.send_slice(b"second").unwrap();
    let next = c.out().unwrap();
    assert_eq!(next.payload, b"second");
    assert!(next.flags.contains(TcpFlags::CWR));
    assert_eq!(c.sent_ecn, ECT0);
}
