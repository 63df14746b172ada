//! Tests of `set`, kept apart so the protocol file stays readable.

use super::*;
use std::vec::Vec;

#[derive(Debug, Default)]
struct Fake {
    key: Option<DemuxKey>,
    wants: bool,
    deadline: Option<Instant>,
}

impl Indexed for Fake {
    fn demux_key(&self) -> Option<DemuxKey> {
        self.key
    }
    fn wants_dispatch(&self) -> bool {
        self.wants
    }
    fn poll_at(&self) -> Option<Instant> {
        self.deadline
    }
}

fn udp(port: u16) -> DemuxKey {
    DemuxKey::Udp(IpListenEndpoint { addr: None, port })
}

fn bound(port: u16) -> Fake {
    Fake {
        key: Some(udp(port)),
        ..Fake::default()
    }
}

#[test]
fn a_handle_to_a_removed_socket_is_detected_even_after_its_slot_is_reused() {
    let mut set: Set<Fake> = Set::with_capacity(1, 1);
    let old = set.add(bound(1)).unwrap();
    assert!(set.remove(old).is_some());
    let new = set.add(bound(2)).unwrap();
    assert_eq!(old.index(), new.index());
    assert!(set.get(old).is_none());
    assert!(set.get_mut(old).is_none());
    assert!(set.remove(old).is_none());
    assert!(set.get(new).is_some());
}

#[test]
fn a_full_set_refuses_new_sockets() {
    let mut set: Set<Fake> = Set::with_capacity(2, 1);
    set.add(Fake::default()).unwrap();
    set.add(Fake::default()).unwrap();
    assert_eq!(set.add(Fake::default()), Err(InsertError::Full));
}

#[test]
fn rebinding_through_the_guard_moves_the_socket_in_the_index() {
    let mut set: Set<Fake> = Set::with_capacity(8, 1);
    let h = set.add(bound(7)).unwrap();
    assert_eq!(set.lookup(&udp(7)), Some(h));
    set.get_mut(h).unwrap().key = Some(udp(8));
    assert_eq!(set.lookup(&udp(7)), None);
    assert_eq!(set.lookup(&udp(8)), Some(h));
    set.remove(h);
    assert_eq!(set.lookup(&udp(8)), None);
}

#[test]
fn the_first_socket_to_take_a_key_keeps_it_and_the_clash_is_counted() {
    let mut set: Set<Fake> = Set::with_capacity(8, 1);
    let first = set.add(bound(53)).unwrap();
    let second = set.add(bound(53)).unwrap();
    assert_eq!(set.lookup(&udp(53)), Some(first));
    assert_eq!(set.index_stats().duplicate_keys, 1);
    set.remove(first);
    assert_eq!(set.lookup(&udp(53)), Some(second));
}

#[test]
fn a_socket_that_leaves_and_retakes_a_shared_key_queues_behind_the_other_holder() {
    // The lookup cache remembers `first`; once `first` rebinds and comes back it is
    // behind `second` in the chain, and the lookup must say so.
    let mut set: Set<Fake> = Set::with_capacity(8, 1);
    let first = set.add(bound(53)).unwrap();
    let second = set.add(bound(53)).unwrap();
    assert_eq!(set.lookup(&udp(53)), Some(first));
    set.get_mut(first).unwrap().key = Some(udp(54));
    set.get_mut(first).unwrap().key = Some(udp(53));
    assert_eq!(set.lookup(&udp(53)), Some(second));
    assert_eq!(set.lookup(&udp(53)), Some(second));
    set.remove(second);
    assert_eq!(set.lookup(&udp(53)), Some(first));
}

#[test]
fn demux_work_per_lookup_does_not_grow_with_the_number_of_sockets() {
    // Probes per lookup (chain entries compared) for 1 and for 10,000 bound sockets.
    let mut probes_per_lookup = Vec::new();
    for n in [1u16, 10_000] {
        let mut set: Set<Fake> = Set::with_capacity(n as usize, 99);
        for port in 0..n {
            set.add(bound(port + 1)).unwrap();
        }
        let before = set.index_stats();
        for port in 0..n {
            assert!(set.lookup(&udp(port + 1)).is_some());
        }
        let after = set.index_stats();
        let probes =
            (after.probes - before.probes) as f64 / (after.lookups - before.lookups) as f64;
        probes_per_lookup.push(probes);
    }
    // A chained table with one bucket per socket expects 1 + load/2 = 1.5 probes.
    assert_eq!(probes_per_lookup[0], 1.0);
    assert!(probes_per_lookup[1] < 1.7, "{probes_per_lookup:?}");
}

#[test]
fn sockets_with_data_are_dispatched_in_fifo_order_once_each() {
    let mut set: Set<Fake> = Set::with_capacity(4, 1);
    let a = set.add(Fake::default()).unwrap();
    let b = set.add(Fake::default()).unwrap();
    set.get_mut(b).unwrap().wants = true;
    set.get_mut(a).unwrap().wants = true;
    set.get_mut(b).unwrap().wants = true; // already queued: no duplicate
    assert_eq!(set.pop_ready(), Some(b.index()));
    assert_eq!(set.pop_ready(), Some(a.index()));
    assert_eq!(set.pop_ready(), None);
    // A socket that no longer wants to send is skipped.
    set.get_mut(a).unwrap().wants = true;
    set.slots[a.index()].item.as_mut().unwrap().wants = false;
    assert_eq!(set.pop_ready(), None);
}

#[test]
fn the_timer_heap_always_yields_the_earliest_deadline() {
    let mut set: Set<Fake> = Set::with_capacity(64, 1);
    let handles: Vec<_> = (0..64).map(|_| set.add(Fake::default()).unwrap()).collect();
    let mut model: Vec<Option<Instant>> = std::vec![None; 64];
    let mut rng = crate::rand::Rng::new(5);
    for _ in 0..5_000 {
        let i = rng.below(64) as usize;
        let deadline = if rng.chance(1, 4) {
            None
        } else {
            Some(Instant::from_micros(rng.below(1_000) as i64))
        };
        set.get_mut(handles[i]).unwrap().deadline = deadline;
        model[i] = deadline;
        assert_eq!(set.next_deadline(), model.iter().flatten().min().copied());
    }
    // Expire everything up to t=500 and check each comes out in order.
    let now = Instant::from_micros(500);
    let mut last = Instant::from_micros(i64::MIN);
    while let Some(index) = set.pop_expired(now) {
        let d = model[index].unwrap();
        assert!(d <= now && d >= last);
        last = d;
        model[index] = None;
        set.slots[index].item.as_mut().unwrap().deadline = None;
        set.resync(index);
    }
    assert!(model.iter().flatten().all(|d| *d > now));
    assert_eq!(set.next_deadline(), model.iter().flatten().min().copied());
}

#[test]
fn removing_a_socket_clears_its_timer() {
    let mut set: Set<Fake> = Set::with_capacity(4, 1);
    let a = set
        .add(Fake {
            deadline: Some(Instant::from_millis(5)),
            ..Fake::default()
        })
        .unwrap();
    let _b = set
        .add(Fake {
            deadline: Some(Instant::from_millis(9)),
            ..Fake::default()
        })
        .unwrap();
    assert_eq!(set.next_deadline(), Some(Instant::from_millis(5)));
    set.remove(a);
    assert_eq!(set.next_deadline(), Some(Instant::from_millis(9)));
}

#[test]
fn borrowed_storage_works_without_a_heap() {
    let mut slots: [SlotStorage<Fake>; 4] = Default::default();
    let mut index = [IndexStorage::EMPTY; 4];
    let mut set = Set::new(&mut slots[..], &mut index[..], 3);
    let h = set.add(bound(9)).unwrap();
    assert_eq!(set.lookup(&udp(9)), Some(h));
}
