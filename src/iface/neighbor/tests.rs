//! Neighbour cache tests, written as conversations with explicit times.

use super::*;
use crate::wire::{Ipv4Address, Ipv6Address};
use std::string::{String, ToString};
use std::vec::Vec;

use NeighborAction::{Failed, SolicitMulticast, SolicitUnicast};
use NeighborState::{Delay, Incomplete, Probe, Reachable, Stale};

fn t(ms: i64) -> Instant {
    Instant::from_millis(ms)
}

fn v4(n: u8) -> IpAddress {
    IpAddress::V4(Ipv4Address::new(192, 0, 2, n))
}

fn v6(n: u16) -> IpAddress {
    IpAddress::V6(Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n))
}

fn mac(n: u8) -> EthernetAddress {
    EthernetAddress([0x02, 0, 0, 0, 0, n])
}

fn cache(entries: usize, packets: usize) -> NeighborCache<'static> {
    NeighborCache::with_capacity(entries, packets, 64, NeighborConfig::default(), 7)
}

fn poll(c: &mut NeighborCache<'_>, now: Instant) -> Vec<NeighborAction> {
    let mut out = Vec::new();
    c.poll(now, |a| out.push(a));
    out
}

fn drain(c: &mut NeighborCache<'_>, addr: IpAddress) -> Vec<(EthernetAddress, Vec<u8>)> {
    let mut out = Vec::new();
    c.drain_queued(addr, |hw, p| out.push((hw, p.to_vec())));
    out
}

fn state(c: &NeighborCache<'_>, addr: IpAddress) -> Option<NeighborState> {
    c.get(addr).map(|e| e.state)
}

const PENDING_SEND: NeighborLookup = NeighborLookup::Pending { send_solicit: true };
const PENDING_QUIET: NeighborLookup = NeighborLookup::Pending {
    send_solicit: false,
};

#[test]
fn first_lookup_solicits_then_at_most_once_per_second_and_fails_after_three_tries() {
    let mut c = cache(4, 8);
    let a = v4(2);
    assert_eq!(c.lookup(a, t(0)), PENDING_SEND);
    assert_eq!(c.enqueue(a, b"one", t(0)), Ok(QueueOutcome::Queued));
    assert_eq!(c.poll_at(), Some(t(1000)));
    assert_eq!(c.lookup(a, t(500)), PENDING_QUIET);
    assert_eq!(c.enqueue(a, b"two", t(500)), Ok(QueueOutcome::Queued));
    assert_eq!(poll(&mut c, t(999)), []);
    // Due again after retrans_timer: whichever of lookup or poll comes first sends it.
    assert_eq!(c.lookup(a, t(1000)), PENDING_SEND);
    assert_eq!(poll(&mut c, t(1000)), []);
    assert_eq!(c.lookup(a, t(1500)), PENDING_QUIET);
    assert_eq!(poll(&mut c, t(2000)), [SolicitMulticast(a)]);
    assert_eq!(c.lookup(a, t(2500)), PENDING_QUIET);
    assert_eq!(poll(&mut c, t(2999)), []);
    // Third try unanswered for retrans_timer: resolution fails, both packets dropped.
    assert_eq!(
        poll(&mut c, t(3000)),
        [Failed {
            addr: a,
            dropped_packets: 2
        }]
    );
    assert!(c.is_empty());
    assert_eq!(c.queued_len(), 0);
    assert_eq!(c.poll_at(), None);
}

#[test]
fn retransmissions_driven_only_by_poll_are_spaced_by_retrans_timer() {
    let mut c = cache(4, 8);
    let a = v6(2);
    assert_eq!(c.lookup(a, t(0)), PENDING_SEND);
    assert_eq!(poll(&mut c, t(1000)), [SolicitMulticast(a)]);
    assert_eq!(poll(&mut c, t(1500)), []);
    assert_eq!(poll(&mut c, t(2000)), [SolicitMulticast(a)]);
    assert_eq!(
        poll(&mut c, t(3000)),
        [Failed {
            addr: a,
            dropped_packets: 0
        }]
    );
    // A later packet starts a fresh resolution.
    assert_eq!(c.lookup(a, t(3001)), PENDING_SEND);
}

#[test]
fn arp_reply_fills_the_entry_and_releases_queued_packets_in_order() {
    let mut c = cache(4, 8);
    let a = v4(2);
    assert_eq!(c.lookup(a, t(0)), PENDING_SEND);
    for p in [&b"p1"[..], b"p2", b"p3"] {
        assert_eq!(c.enqueue(a, p, t(10)), Ok(QueueOutcome::Queued));
    }
    // Nothing leaves before the address is known.
    assert!(drain(&mut c, a).is_empty());
    assert!(c.fill(a, mac(2), t(300), NeighborFill::Confirmed));
    assert_eq!(state(&c, a), Some(Reachable));
    let sent = drain(&mut c, a);
    let expected: Vec<(EthernetAddress, Vec<u8>)> = [b"p1", b"p2", b"p3"]
        .iter()
        .map(|p| (mac(2), p.to_vec()))
        .collect();
    assert_eq!(sent, expected);
    assert_eq!(c.queued_len(), 0);
    assert_eq!(c.lookup(a, t(400)), NeighborLookup::Found(mac(2)));
    // A second reply for a resolved entry releases nothing new.
    assert!(!c.fill(a, mac(2), t(500), NeighborFill::Confirmed));
}

#[test]
fn per_neighbor_queue_keeps_only_the_newest_packets() {
    let mut c = cache(4, 16);
    let a = v4(2);
    c.lookup(a, t(0));
    let mut outcomes = Vec::new();
    for n in 0..6u8 {
        outcomes.push(c.enqueue(a, &[n], t(0)));
    }
    use QueueOutcome::{Queued, QueuedDroppedOldest};
    assert_eq!(
        outcomes,
        [
            Ok(Queued),
            Ok(Queued),
            Ok(Queued),
            Ok(Queued),
            Ok(QueuedDroppedOldest),
            Ok(QueuedDroppedOldest)
        ]
    );
    assert_eq!(c.get(a).map(|e| e.queued_packets), Some(4));
    c.fill(a, mac(2), t(100), NeighborFill::Confirmed);
    let sent: Vec<Vec<u8>> = drain(&mut c, a).into_iter().map(|(_, p)| p).collect();
    assert_eq!(sent, [[2], [3], [4], [5]]);
}

#[test]
fn an_unresolvable_neighbor_does_not_prevent_queueing_and_resolving_another() {
    let mut c = cache(4, 6);
    let (dead, live) = (v4(66), v4(2));
    c.lookup(dead, t(0));
    for n in 0..10u8 {
        c.enqueue(dead, &[n], t(0)).ok();
    }
    assert_eq!(c.lookup(live, t(100)), PENDING_SEND);
    assert_eq!(c.enqueue(live, b"x", t(100)), Ok(QueueOutcome::Queued));
    assert_eq!(c.enqueue(live, b"y", t(100)), Ok(QueueOutcome::Queued));
    // The pool is now full with other neighbours' packets: refuse the new one, but
    // never take theirs, and resolution itself carries on.
    let other = v4(3);
    assert_eq!(c.lookup(other, t(100)), PENDING_SEND);
    assert_eq!(c.enqueue(other, b"z", t(100)), Err(QueueError::PoolFull));
    assert_eq!(poll(&mut c, t(1000)), [SolicitMulticast(dead)]);
    assert!(c.fill(live, mac(2), t(1050), NeighborFill::Confirmed));
    assert_eq!(drain(&mut c, live).len(), 2);
    assert_eq!(c.enqueue(other, b"z", t(1060)), Ok(QueueOutcome::Queued));
    assert_eq!(c.lookup(live, t(1100)), NeighborLookup::Found(mac(2)));
    assert!(poll(&mut c, t(2000)).contains(&SolicitMulticast(dead)));
    let actions = poll(&mut c, t(3000));
    assert!(actions.contains(&Failed {
        addr: dead,
        dropped_packets: 4
    }));
    assert_eq!(c.lookup(live, t(3000)), NeighborLookup::Found(mac(2)));
}

/// A cache holding `addr` at `mac(1)` in `state`, at t = 100 s.
fn entry_in(state: NeighborState, addr: IpAddress) -> (NeighborCache<'static>, Instant) {
    let mut c = cache(4, 8);
    let start = t(100_000);
    c.lookup(addr, start);
    match state {
        Incomplete => {}
        Reachable => {
            c.fill(addr, mac(1), start, NeighborFill::Confirmed);
        }
        Stale | Delay | Probe => {
            c.fill(addr, mac(1), start, NeighborFill::Unconfirmed);
            if state != Stale {
                c.lookup(addr, start);
            }
            if state == Probe {
                poll(&mut c, start + Duration::from_secs(5));
            }
        }
    }
    assert_eq!(self::state(&c, addr), Some(state));
    (c, start + Duration::from_secs(5))
}

#[test]
fn neighbor_advertisements_follow_the_rfc_4861_section_7_2_5_table() {
    #[derive(Clone, Copy, Debug)]
    enum Tlla {
        None,
        Same,
        Different,
    }
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Then {
        Keep,
        Reachable,
        Stale,
        /// REACHABLE goes STALE, any other state is kept.
        StaleIfReachable,
    }
    // (TLLA, S, O) -> (state, whether the address becomes the advertised one)
    let table = [
        (Tlla::None, false, false, Then::Keep, false),
        (Tlla::None, false, true, Then::Keep, false),
        (Tlla::None, true, false, Then::Reachable, false),
        (Tlla::None, true, true, Then::Reachable, false),
        (Tlla::Same, false, false, Then::Keep, false),
        (Tlla::Same, false, true, Then::Keep, false),
        (Tlla::Same, true, false, Then::Reachable, false),
        (Tlla::Same, true, true, Then::Reachable, false),
        (Tlla::Different, false, false, Then::StaleIfReachable, false),
        (Tlla::Different, true, false, Then::StaleIfReachable, false),
        (Tlla::Different, false, true, Then::Stale, true),
        (Tlla::Different, true, true, Then::Reachable, true),
    ];
    let a = v6(2);
    for initial in [Reachable, Stale, Delay, Probe] {
        for (tlla, s, o, then, new_hw) in table {
            let (mut c, now) = entry_in(initial, a);
            let tlla_hw = match tlla {
                Tlla::None => None,
                Tlla::Same => Some(mac(1)),
                Tlla::Different => Some(mac(9)),
            };
            let released = c.handle_na(a, tlla_hw, s, o, now);
            let expected_state = match then {
                Then::Keep => initial,
                Then::Reachable => Reachable,
                Then::Stale => Stale,
                Then::StaleIfReachable if initial == Reachable => Stale,
                Then::StaleIfReachable => initial,
            };
            let expected_hw = if new_hw { mac(9) } else { mac(1) };
            let case = (initial, tlla, s, o);
            assert!(!released, "{case:?}");
            assert_eq!(state(&c, a), Some(expected_state), "{case:?}");
            assert_eq!(c.get(a).and_then(|e| e.hw), Some(expected_hw), "{case:?}");
        }
    }
    // INCOMPLETE: a TLLA is recorded, S decides REACHABLE or STALE; none is ignored.
    for s in [false, true] {
        for o in [false, true] {
            let (mut c, now) = entry_in(Incomplete, a);
            assert!(!c.handle_na(a, None, s, o, now));
            assert_eq!(c.get(a).map(|e| (e.state, e.hw)), Some((Incomplete, None)));
            assert!(c.handle_na(a, Some(mac(9)), s, o, now));
            let want = if s { Reachable } else { Stale };
            assert_eq!(
                c.get(a).map(|e| (e.state, e.hw)),
                Some((want, Some(mac(9))))
            );
        }
    }
    // No entry: the advertisement is ignored, whatever its flags (C9.8).
    let mut c = cache(4, 8);
    assert!(!c.handle_na(a, Some(mac(9)), true, true, t(0)));
    assert!(!c.handle_na(a, Some(mac(9)), false, true, t(0)));
    assert!(c.is_empty());
}

#[test]
fn stale_entry_used_goes_delay_then_probes_three_times_then_is_deleted() {
    let mut c = cache(4, 8);
    let a = v6(2);
    c.fill(a, mac(2), t(0), NeighborFill::Unconfirmed);
    assert_eq!(state(&c, a), Some(Stale));
    assert_eq!(c.lookup(a, t(10_000)), NeighborLookup::Found(mac(2)));
    assert_eq!(state(&c, a), Some(Delay));
    assert_eq!(c.poll_at(), Some(t(15_000)));
    assert_eq!(poll(&mut c, t(14_999)), []);
    assert_eq!(poll(&mut c, t(15_000)), [SolicitUnicast(a, mac(2))]);
    assert_eq!(state(&c, a), Some(Probe));
    // Still usable while probing.
    assert_eq!(c.lookup(a, t(15_500)), NeighborLookup::Found(mac(2)));
    assert_eq!(poll(&mut c, t(16_000)), [SolicitUnicast(a, mac(2))]);
    assert_eq!(poll(&mut c, t(17_000)), [SolicitUnicast(a, mac(2))]);
    assert_eq!(
        poll(&mut c, t(18_000)),
        [Failed {
            addr: a,
            dropped_packets: 0
        }]
    );
    assert!(c.get(a).is_none());
}

#[test]
fn probe_returns_to_reachable_on_a_solicited_advertisement() {
    let mut c = cache(4, 8);
    let a = v4(2);
    c.fill(a, mac(2), t(0), NeighborFill::Unconfirmed);
    c.lookup(a, t(1000));
    assert_eq!(poll(&mut c, t(6000)), [SolicitUnicast(a, mac(2))]);
    assert!(!c.handle_na(a, Some(mac(2)), true, false, t(6100)));
    assert_eq!(state(&c, a), Some(Reachable));
    assert_eq!(poll(&mut c, t(7000)), []);
    // An ARP reply does the same for IPv4.
    let b = v4(3);
    c.fill(b, mac(3), t(0), NeighborFill::Unconfirmed);
    c.lookup(b, t(1000));
    poll(&mut c, t(6000));
    assert_eq!(state(&c, b), Some(Probe));
    c.fill(b, mac(3), t(6100), NeighborFill::Confirmed);
    assert_eq!(state(&c, b), Some(Reachable));
}

#[test]
fn negative_advice_probes_a_resolved_entry_at_once_and_keeps_it_usable() {
    // RFC 9293 MUST-20 (R1) through RFC 4861 §7.3.3: REACHABLE, STALE or DELAY go to
    // PROBE with the first unicast solicitation due now; the entry carries packets
    // all along and fails only after MAX_UNICAST_SOLICIT probes.
    for from in [Reachable, Stale, Delay] {
        let (mut c, now) = entry_in(from, v4(2));
        assert_eq!(c.reverify(v4(2), now), Some(mac(1)), "from {from}");
        assert_eq!(state(&c, v4(2)), Some(Probe));
        assert_eq!(c.lookup(v4(2), now), NeighborLookup::Found(mac(1)));
        assert_eq!(c.poll_at(), Some(now + Duration::from_secs(1)));
        let second = now + Duration::from_secs(1);
        assert_eq!(poll(&mut c, second), [SolicitUnicast(v4(2), mac(1))]);
        let third = second + Duration::from_secs(1);
        assert_eq!(poll(&mut c, third), [SolicitUnicast(v4(2), mac(1))]);
        let end = third + Duration::from_secs(1);
        assert_eq!(
            poll(&mut c, end),
            [Failed {
                addr: v4(2),
                dropped_packets: 0
            }]
        );
    }
    // Upper-layer progress ends the probing.
    let (mut c, now) = entry_in(Reachable, v6(2));
    assert!(c.reverify(v6(2), now).is_some());
    c.confirm_reachable(v6(2), now + Duration::from_millis(10));
    assert_eq!(state(&c, v6(2)), Some(Reachable));
    // Nothing to re-verify: already probing, still resolving, or unknown.
    for from in [Probe, Incomplete] {
        let (mut c, now) = entry_in(from, v4(2));
        assert_eq!(c.reverify(v4(2), now), None, "from {from}");
        assert_eq!(state(&c, v4(2)), Some(from));
    }
    assert_eq!(cache(4, 8).reverify(v4(9), t(0)), None);
}

#[test]
fn reachable_goes_stale_after_a_randomised_reachable_time() {
    let mut seen = Vec::new();
    for seed in 0..20 {
        let mut c = NeighborCache::with_capacity(2, 0, 0, NeighborConfig::default(), seed as u64);
        let a = v4(2);
        c.fill(a, mac(2), t(0), NeighborFill::Unconfirmed);
        c.fill(a, mac(2), t(0), NeighborFill::Confirmed);
        let deadline = c.poll_at().unwrap_or(Instant::MAX);
        assert!(deadline >= t(15_000) && deadline <= t(45_000), "{deadline}");
        assert_eq!(poll(&mut c, deadline - Duration::from_micros(1)), []);
        assert_eq!(state(&c, a), Some(Reachable));
        assert_eq!(poll(&mut c, deadline), []);
        assert_eq!(state(&c, a), Some(Stale));
        assert_eq!(c.lookup(a, deadline), NeighborLookup::Found(mac(2)));
        seen.push(deadline);
    }
    seen.sort();
    seen.dedup();
    assert!(
        seen.len() > 10,
        "reachable_time is not randomised: {seen:?}"
    );
}

#[test]
fn stale_entries_are_flushed_after_the_stale_timeout() {
    let config = NeighborConfig {
        stale_timeout: Duration::from_secs(60),
        ..NeighborConfig::default()
    };
    let mut c = NeighborCache::with_capacity(4, 4, 64, config, 1);
    let a = v4(2);
    c.fill(a, mac(2), t(0), NeighborFill::Unconfirmed);
    assert_eq!(c.poll_at(), Some(t(60_000)));
    assert_eq!(poll(&mut c, t(59_999)), []);
    assert!(c.get(a).is_some());
    assert_eq!(poll(&mut c, t(60_000)), []);
    assert!(c.get(a).is_none());
}

#[test]
fn update_only_never_creates_an_entry() {
    let mut c = cache(4, 8);
    let a = v4(2);
    assert!(!c.fill(a, mac(2), t(0), NeighborFill::UpdateOnly));
    assert!(c.is_empty());
    // It refreshes an existing entry (RFC 826 merge), and fills an INCOMPLETE one.
    c.lookup(a, t(0));
    c.enqueue(a, b"p", t(0)).ok();
    assert!(c.fill(a, mac(2), t(10), NeighborFill::UpdateOnly));
    assert_eq!(
        c.get(a).map(|e| (e.state, e.hw)),
        Some((Stale, Some(mac(2))))
    );
    assert_eq!(drain(&mut c, a).len(), 1);
    c.fill(a, mac(2), t(20), NeighborFill::Confirmed);
    assert!(!c.fill(a, mac(5), t(30), NeighborFill::UpdateOnly));
    assert_eq!(
        c.get(a).map(|e| (e.state, e.hw)),
        Some((Stale, Some(mac(5))))
    );
}

#[test]
fn unconfirmed_addresses_create_stale_entries_and_keep_the_state_when_unchanged() {
    let mut c = cache(4, 8);
    let a = v6(2);
    assert!(!c.fill(a, mac(2), t(0), NeighborFill::Unconfirmed));
    assert_eq!(state(&c, a), Some(Stale));
    c.fill(a, mac(2), t(10), NeighborFill::Confirmed);
    c.fill(a, mac(2), t(20), NeighborFill::Unconfirmed);
    assert_eq!(state(&c, a), Some(Reachable));
    c.fill(a, mac(3), t(30), NeighborFill::Unconfirmed);
    assert_eq!(
        c.get(a).map(|e| (e.state, e.hw)),
        Some((Stale, Some(mac(3))))
    );
    // Confirmed for an address we never asked about is only STALE.
    let b = v4(9);
    c.fill(b, mac(9), t(40), NeighborFill::Confirmed);
    assert_eq!(state(&c, b), Some(Stale));
}

#[test]
fn a_full_cache_evicts_a_stale_entry_before_an_incomplete_one_with_queued_packets() {
    let mut c = cache(2, 4);
    let (waiting, stale, new) = (v4(1), v4(2), v4(3));
    c.lookup(waiting, t(0));
    c.enqueue(waiting, b"p", t(0)).ok();
    c.fill(stale, mac(2), t(100), NeighborFill::Unconfirmed);
    assert_eq!(c.lookup(new, t(200)), PENDING_SEND);
    assert!(c.get(stale).is_none());
    assert_eq!(c.get(waiting).map(|e| e.queued_packets), Some(1));
    // An INCOMPLETE entry without packets goes next (oldest first).
    let newer = v4(4);
    assert_eq!(c.lookup(newer, t(300)), PENDING_SEND);
    assert!(c.get(new).is_none());
    assert!(c.get(waiting).is_some());
}

#[test]
fn with_all_entries_busy_new_lookups_return_full() {
    let mut c = cache(2, 4);
    let (waiting, reachable, new) = (v4(1), v4(2), v4(3));
    c.lookup(waiting, t(0));
    c.enqueue(waiting, b"p", t(0)).ok();
    c.lookup(reachable, t(0));
    c.fill(reachable, mac(2), t(10), NeighborFill::Confirmed);
    for _ in 0..3 {
        assert_eq!(c.lookup(new, t(20)), NeighborLookup::Full);
    }
    assert_eq!(c.enqueue(new, b"q", t(20)), Err(QueueError::NotPending));
    assert!(!c.fill(new, mac(3), t(20), NeighborFill::Unconfirmed));
    assert_eq!(c.len(), 2);
    // An empty cache of capacity zero answers the same.
    let mut empty = cache(0, 0);
    assert_eq!(empty.lookup(new, t(0)), NeighborLookup::Full);
    assert_eq!(empty.poll_at(), None);
}

#[test]
fn group_and_unspecified_addresses_are_never_cached() {
    let mut c = cache(4, 4);
    let group = IpAddress::V4(Ipv4Address::new(224, 0, 0, 1));
    for addr in [
        group,
        IpAddress::V4(Ipv4Address::UNSPECIFIED),
        IpAddress::V4(Ipv4Address::BROADCAST),
        IpAddress::V6(Ipv6Address::UNSPECIFIED),
        IpAddress::V6(Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
    ] {
        assert_eq!(c.lookup(addr, t(0)), NeighborLookup::NotUnicast);
        assert!(!c.fill(addr, mac(1), t(0), NeighborFill::Unconfirmed));
    }
    // A group MAC is never recorded for a unicast IP either (C2.11).
    assert!(!c.fill(
        v4(2),
        EthernetAddress::BROADCAST,
        t(0),
        NeighborFill::Unconfirmed
    ));
    c.lookup(v4(2), t(0));
    assert!(!c.handle_na(v4(2), Some(EthernetAddress::BROADCAST), true, true, t(0)));
    assert_eq!(state(&c, v4(2)), Some(Incomplete));
}

#[test]
fn borrowed_storage_bounds_packet_length_and_enqueue_needs_a_pending_entry() {
    let mut entries = [NeighborSlot::EMPTY; 2];
    let mut packets = [QueuedPacket::EMPTY; 2];
    let mut bytes = [0u8; 2 * 8];
    let mut c = NeighborCache::new(
        &mut entries[..],
        &mut packets[..],
        &mut bytes[..],
        NeighborConfig::default(),
        3,
    );
    let a = v4(2);
    assert_eq!(c.enqueue(a, b"p", t(0)), Err(QueueError::NotPending));
    c.lookup(a, t(0));
    assert_eq!(c.enqueue(a, &[0; 9], t(0)), Err(QueueError::TooLong));
    assert_eq!(c.enqueue(a, &[1; 8], t(0)), Ok(QueueOutcome::Queued));
    assert_eq!(c.enqueue(a, &[], t(0)), Ok(QueueOutcome::Queued));
    // Pool full, but the neighbour's own oldest packet can make room.
    assert_eq!(
        c.enqueue(a, &[3], t(0)),
        Ok(QueueOutcome::QueuedDroppedOldest)
    );
    c.fill(a, mac(2), t(1), NeighborFill::Confirmed);
    assert_eq!(c.enqueue(a, b"p", t(2)), Err(QueueError::NotPending));
    let sent: Vec<Vec<u8>> = drain(&mut c, a).into_iter().map(|(_, p)| p).collect();
    assert_eq!(sent, [Vec::new(), std::vec![3]]);
}

#[test]
fn remove_and_flush_drop_entries_and_their_packets() {
    let mut c = cache(4, 8);
    c.lookup(v4(1), t(0));
    c.enqueue(v4(1), b"a", t(0)).ok();
    c.enqueue(v4(1), b"b", t(0)).ok();
    c.lookup(v6(1), t(0));
    c.enqueue(v6(1), b"c", t(0)).ok();
    c.fill(v4(2), mac(2), t(0), NeighborFill::Unconfirmed);
    assert_eq!(c.remove(v4(1)), 2);
    assert_eq!(c.len(), 2);
    assert_eq!(c.flush(), 1);
    assert!(c.is_empty());
    assert_eq!(c.queued_len(), 0);
}

#[test]
fn entries_display_like_ip_neigh() {
    let mut c = cache(4, 4);
    c.fill(v4(2), mac(2), t(0), NeighborFill::Unconfirmed);
    c.fill(v4(2), mac(2), t(0), NeighborFill::Confirmed);
    c.lookup(v6(3), t(0));
    let lines: Vec<String> = c.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        lines,
        [
            "192.0.2.2 lladdr 02:00:00:00:00:02 REACHABLE",
            "2001:db8::3 INCOMPLETE"
        ]
    );
    assert_eq!(
        QueueError::PoolFull.to_string(),
        "neighbour packet queue full"
    );
}

#[test]
fn upper_layer_confirmation_refreshes_a_resolved_entry_only() {
    let mut c = cache(4, 4);
    c.fill(v4(2), mac(2), t(0), NeighborFill::Unconfirmed);
    c.confirm_reachable(v4(2), t(5));
    assert_eq!(state(&c, v4(2)), Some(Reachable));
    c.lookup(v4(3), t(5));
    c.confirm_reachable(v4(3), t(6));
    assert_eq!(state(&c, v4(3)), Some(Incomplete));
    c.confirm_reachable(v4(4), t(6));
    assert!(c.get(v4(4)).is_none());
}

/// Checks every structural invariant the cache promises.
fn check_invariants(c: &NeighborCache<'_>, step: usize) {
    let entries: Vec<NeighborEntry> = c.iter().collect();
    assert!(entries.len() <= c.capacity(), "step {step}");
    let limit = c.config().queue_per_neighbor;
    let mut total = 0;
    for (i, e) in entries.iter().enumerate() {
        assert!(
            entries[..i].iter().all(|o| o.addr != e.addr),
            "duplicate at {step}"
        );
        assert!(e.queued_packets <= limit, "step {step}");
        assert_eq!(e.hw.is_none(), e.state == Incomplete, "step {step}");
        total += e.queued_packets;
    }
    assert_eq!(total, c.queued_len(), "step {step}");
    assert!(c.queued_len() <= c.packets.len(), "step {step}");
    for p in c.packets.iter().filter(|p| p.owner.is_some()) {
        assert!(
            entries.iter().any(|e| Some(e.addr) == p.owner),
            "orphan at {step}"
        );
    }
    assert_eq!(c.poll_at().is_some(), !entries.is_empty(), "step {step}");
}

#[test]
fn a_random_operation_sequence_never_panics_or_exceeds_capacity() {
    let seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut c = NeighborCache::with_capacity(5, 7, 16, NeighborConfig::default(), seed);
    let mut now = t(0);
    let payload = [0xabu8; 20];
    for step in 0..10_000 {
        let r = next();
        let n = (r >> 8) % 9;
        let addr = if r & 0x10000 == 0 {
            v4(n as u8)
        } else {
            v6(n as u16)
        };
        let hw = mac((r >> 20) as u8 % 4 * 2);
        now += Duration::from_millis((r >> 32) % 700);
        match r % 8 {
            0 | 1 => {
                c.lookup(addr, now);
            }
            2 => {
                let len = ((r >> 40) % 20) as usize;
                c.enqueue(addr, &payload[..len], now).ok();
            }
            3 => {
                let how = [
                    NeighborFill::Confirmed,
                    NeighborFill::Unconfirmed,
                    NeighborFill::UpdateOnly,
                ][(r >> 44) as usize % 3];
                if c.fill(addr, hw, now, how) {
                    c.drain_queued(addr, |_, _| {});
                }
            }
            4 => {
                let tlla = (r & 0x100_0000 != 0).then_some(hw);
                c.handle_na(addr, tlla, r & 0x200_0000 != 0, r & 0x400_0000 != 0, now);
            }
            5 | 6 => c.poll(now, |_| {}),
            _ => match (r >> 48) % 4 {
                0 => {
                    c.remove(addr);
                }
                1 => {
                    c.drain_queued(addr, |_, _| {});
                }
                2 => c.confirm_reachable(addr, now),
                3 if (r >> 50) % 2 == 0 => {
                    c.reverify(addr, now);
                }
                _ => {
                    if (r >> 50) % 50 == 0 {
                        c.flush();
                    }
                }
            },
        }
        check_invariants(&c, step);
    }
}
