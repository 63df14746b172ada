//! D-SACK (RFC 2883) on the receiving side: a duplicate segment is reported in the
//! first SACK block of the next ACK, once, so that the sender can tell a spurious
//! retransmission or reordering from a loss (CONFORMANCE B5.3 widens RACK's reorder
//! window on it; Linux undoes a spurious window reduction).

use super::*;

/// ESTABLISHED with SACK agreed (passive open), our receive ring `rx` bytes.
fn with_sack(rx: usize) -> Conv {
    let mut c = Conv::passive_sack(rx, 4096);
    let ack = c.ack(1);
    c.feed(&seg(1, ack));
    assert_eq!(c.socket.state(), State::Established);
    c
}

/// The peer's sequence number `n` (relative to its ISN), as a SACK block edge.
fn peer(n: u32) -> u32 {
    PEER_ISN.wrapping_add(n)
}

#[test]
fn a_segment_that_arrives_twice_is_reported_in_a_dsack_block_of_the_ack_it_draws() {
    let mut c = with_sack(4096);
    c.feed(&data(seg(1, c.ack(1)), b"abcd"));
    let first = c.out().unwrap();
    assert_eq!(first.sack_ranges, [None; 4]);
    // The same segment again lies wholly below RCV.NXT: the immediate ACK reports it.
    let reply = c
        .feed(&data(seg(1, c.ack(1)), b"abcd"))
        .expect("an ACK at once");
    assert_eq!(reply.ack_number, Some(SeqNumber(peer(5))));
    assert_eq!(
        reply.sack_ranges,
        [Some((peer(1), peer(5))), None, None, None]
    );
    // Reported once: nothing more to say.
    assert_eq!(c.out(), None);
    c.feed(&data(seg(5, c.ack(1)), b"e"));
    assert_eq!(c.out().unwrap().sack_ranges, [None; 4]);
}

#[test]
fn a_segment_partly_below_rcv_nxt_reports_only_its_old_part() {
    let mut c = with_sack(4096);
    c.feed(&data(seg(1, c.ack(1)), b"abcd"));
    c.out();
    c.feed(&data(seg(3, c.ack(1)), b"cdef"));
    let ack = c.out().unwrap();
    assert_eq!(ack.ack_number, Some(SeqNumber(peer(7))));
    assert_eq!(
        ack.sack_ranges,
        [Some((peer(3), peer(5))), None, None, None]
    );
    assert_eq!(c.socket.recv_queue(), 6);
}

#[test]
fn a_duplicate_of_out_of_order_data_comes_first_then_the_block_holding_it() {
    // RFC 2883 §4: the second block is the (larger) block the duplicate lies in.
    let mut c = with_sack(4096);
    c.feed(&data(seg(11, c.ack(1)), b"klmn"));
    c.feed(&data(seg(15, c.ack(1)), b"op"));
    let ack = c.out_all();
    assert_eq!(
        ack.last().unwrap().sack_ranges,
        [Some((peer(11), peer(17))), None, None, None]
    );
    c.feed(&data(seg(13, c.ack(1)), b"mn"));
    let ack = c.out().unwrap();
    assert_eq!(ack.ack_number, Some(SeqNumber(peer(1))));
    assert_eq!(
        ack.sack_ranges,
        [
            Some((peer(13), peer(15))),
            Some((peer(11), peer(17))),
            None,
            None
        ]
    );
}

#[test]
fn a_segment_beyond_the_window_is_not_reported_as_a_duplicate() {
    let mut c = with_sack(64);
    let reply = c.feed(&data(seg(200, c.ack(1)), b"far")).expect("an ACK");
    assert_eq!(reply.sack_ranges, [None; 4]);
}

#[test]
fn without_sack_a_duplicate_draws_a_plain_ack() {
    let mut c = Conv::established(plain_config(), 4096, 4096);
    c.feed(&data(seg(1, c.ack(1)), b"abcd"));
    c.out();
    let reply = c.feed(&data(seg(1, c.ack(1)), b"abcd")).unwrap();
    assert_eq!(reply.sack_ranges, [None; 4]);
}
