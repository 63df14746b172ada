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
