//! Simulator tests with small nodes: a sender of numbered frames that records what
//! arrives, an echo node, and a node that always wants a poll.

use alloc::string::String;
use alloc::vec::Vec;

use super::*;
use crate::pcap::PcapReader;
use crate::phy::{Device, RxToken, TxToken};
use crate::time::Duration;

/// A test node: sends `to_send` numbered frames of `size` bytes, the first at `next_send`
/// and then every `interval` (all at once if zero); records every arrival; echoes
/// arrivals back if `echo`; always wants a poll if `spin`.
#[derive(Debug, Clone, Default)]
struct TestNode {
    tag: u8,
    to_send: u32,
    sent: u32,
    next_send: Instant,
    interval: Duration,
    size: usize,
    echo: bool,
    spin: bool,
    received: Vec<(Instant, Vec<u8>)>,
}

impl TestNode {
    fn sender(tag: u8, count: u32, interval: Duration, size: usize) -> TestNode {
        TestNode {
            tag,
            to_send: count,
            interval,
            size: size.max(5),
            ..TestNode::default()
        }
    }

    fn sink(tag: u8) -> TestNode {
        TestNode {
            tag,
            ..TestNode::default()
        }
    }

    fn echo(tag: u8) -> TestNode {
        TestNode {
            tag,
            echo: true,
            ..TestNode::default()
        }
    }

    /// Sequence numbers of the arrived frames, in arrival order.
    fn seqs(&self) -> Vec<u32> {
        self.received.iter().map(|(_, f)| seq_of(f)).collect()
    }
}

fn frame_for(tag: u8, seq: u32, size: usize) -> Vec<u8> {
    let mut frame = alloc::vec![0x55; size.max(5)];
    frame[..4].copy_from_slice(&seq.to_be_bytes());
    frame[4] = tag;
    frame
}

fn seq_of(frame: &[u8]) -> u32 {
    u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]])
}

impl SimNode for TestNode {
    fn poll(&mut self, now: Instant, device: &mut SimDevice) {
        while let Some((rx, tx)) = device.receive(now) {
            let frame = rx.consume(|f| f.to_vec());
            if self.echo {
                tx.consume(frame.len(), |buf| buf.copy_from_slice(&frame));
            }
            self.received.push((now, frame));
        }
        while self.sent < self.to_send && self.next_send <= now {
            let frame = frame_for(self.tag, self.sent, self.size);
            if let Some(tx) = device.transmit(now) {
                tx.consume(frame.len(), |buf| buf.copy_from_slice(&frame));
            }
            self.sent += 1;
            self.next_send += self.interval;
        }
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.spin {
            Some(now)
        } else if self.sent < self.to_send {
            Some(self.next_send)
        } else {
            None
        }
    }
}

/// A sender joined to a sink by one link with `config`.
fn pair(seed: u64, sender: TestNode, config: LinkConfig) -> (Network<TestNode>, LinkId) {
    let mut net = Network::new(seed);
    let a = net.add_node(sender);
    let b = net.add_node(TestNode::sink(2));
    let link = net.connect(a, b, config);
    (net, link)
}

fn node(net: &Network<TestNode>, index: usize) -> &TestNode {
    net.node(NodeId(index)).unwrap()
}

const A: usize = 0;
const B: usize = 1;

#[test]
fn the_same_seed_gives_byte_identical_deliveries_and_captures() {
    let run = |seed| {
        let config = LinkConfig {
            loss_ppm: 100_000,
            duplicate_ppm: 50_000,
            reorder_ppm: 100_000,
            corrupt_ppm: 50_000,
            latency: Duration::from_millis(2),
            jitter: Duration::from_micros(500),
            bandwidth_bytes_per_sec: Some(1_000_000),
            ..LinkConfig::default()
        };
        let mut net = Network::new(seed);
        let a = net.add_node(TestNode::sender(1, 500, Duration::from_micros(200), 100));
        let b = net.add_node(TestNode::echo(2));
        let link = net.connect(a, b, config);
        net.link_mut(link).unwrap().enable_capture();
        net.run_for(Duration::from_secs(1));
        let capture = net.link(link).unwrap().capture().unwrap().to_vec();
        let stats = net.link(link).unwrap().stats();
        (
            node(&net, A).received.clone(),
            node(&net, B).received.clone(),
            capture,
            stats,
        )
    };
    let first = run(7);
    assert_eq!(first, run(7));
    assert!(first.3.lost > 0 && first.3.duplicated > 0 && first.3.corrupted > 0);
    assert_ne!(first.2, run(8).2);
}

#[test]
fn different_seeds_lose_different_frames() {
    let lost_pattern = |seed| {
        let sender = TestNode::sender(1, 200, Duration::from_millis(1), 64);
        let config = LinkConfig {
            loss_ppm: 300_000,
            ..LinkConfig::default()
        };
        let (mut net, _) = pair(seed, sender, config);
        net.run_for(Duration::from_secs(1));
        node(&net, B).seqs()
    };
    assert_ne!(lost_pattern(1), lost_pattern(2));
}

#[test]
fn a_perfect_link_delivers_everything_in_order() {
    let sender = TestNode::sender(1, 1000, Duration::from_micros(100), 64);
    let (mut net, link) = pair(3, sender, LinkConfig::default());
    net.run_for(Duration::from_secs(1));
    assert_eq!(node(&net, B).seqs(), (0..1000).collect::<Vec<_>>());
    let stats = net.link(link).unwrap().stats();
    assert_eq!(stats.delivered, 1000);
    assert_eq!(stats, net.link(link).unwrap().direction_stats(true));
}

#[test]
fn a_twenty_percent_loss_rate_loses_about_a_fifth_of_ten_thousand_frames() {
    for_each_seed(3, |seed| {
        let sender = TestNode::sender(1, 10_000, Duration::from_micros(100), 64);
        let config = LinkConfig {
            loss_ppm: 200_000,
            latency: Duration::from_millis(1),
            ..LinkConfig::default()
        };
        let (mut net, link) = pair(seed, sender, config);
        net.run_for(Duration::from_secs(2));
        let stats = net.link(link).unwrap().stats();
        let arrived = node(&net, B).received.len() as u64;
        if stats.lost + arrived != 10_000 || !(1_800..=2_200).contains(&stats.lost) {
            return Err(alloc::format!("lost {} arrived {arrived}", stats.lost));
        }
        Ok(())
    });
}

#[test]
fn latency_is_respected_exactly_without_jitter() {
    let interval = Duration::from_micros(1_250);
    let latency = Duration::from_micros(5_321);
    let sender = TestNode::sender(1, 100, interval, 64);
    let config = LinkConfig {
        latency,
        ..LinkConfig::default()
    };
    let (mut net, _) = pair(4, sender, config);
    net.run_for(Duration::from_secs(1));
    let b = node(&net, B);
    assert_eq!(b.received.len(), 100);
    for (at, frame) in &b.received {
        let sent = Instant::ZERO + interval * seq_of(frame);
        assert_eq!(*at, sent + latency);
    }
}

#[test]
fn bandwidth_spaces_frames_by_their_serialisation_time() {
    // Five 1000-byte frames sent at once over 1 MB/s: one frame per millisecond, each
    // arriving after its own serialisation plus the 1 ms latency.
    let sender = TestNode::sender(1, 5, Duration::ZERO, 1000);
    let config = LinkConfig {
        latency: Duration::from_millis(1),
        bandwidth_bytes_per_sec: Some(1_000_000),
        ..LinkConfig::default()
    };
    let (mut net, _) = pair(5, sender, config);
    net.run_for(Duration::from_secs(1));
    let times: Vec<i64> = node(&net, B)
        .received
        .iter()
        .map(|(t, _)| t.total_micros())
        .collect();
    assert_eq!(times, [2_000, 3_000, 4_000, 5_000, 6_000]);
}

#[test]
fn reordering_lets_later_frames_overtake_a_held_frame() {
    let sender = TestNode::sender(1, 500, Duration::from_micros(100), 64);
    let config = LinkConfig {
        reorder_ppm: 100_000,
        reorder_delay: Duration::from_millis(1),
        latency: Duration::from_millis(1),
        ..LinkConfig::default()
    };
    let (mut net, link) = pair(6, sender, config);
    net.run_for(Duration::from_secs(1));
    let seqs = node(&net, B).seqs();
    assert_eq!(seqs.len(), 500);
    assert!(seqs.windows(2).any(|w| w[0] > w[1]), "nothing overtook");
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..500).collect::<Vec<_>>());
    assert!(net.link(link).unwrap().stats().reordered > 0);
}

#[test]
fn a_partition_stops_traffic_and_heal_restores_it() {
    let sender = TestNode::sender(1, 300, Duration::from_millis(1), 64);
    let config = LinkConfig {
        latency: Duration::from_micros(500),
        ..LinkConfig::default()
    };
    let (mut net, link) = pair(7, sender, config);
    net.run_for(Duration::from_millis(100));
    let before = node(&net, B).received.len();
    assert!(before >= 99);
    assert_eq!(net.partition(NodeId(A), NodeId(B)), 1);
    net.run_for(Duration::from_millis(100));
    assert_eq!(node(&net, B).received.len(), before);
    assert!(net.link(link).unwrap().stats().partition_drops >= 100);
    assert_eq!(net.heal(NodeId(B), NodeId(A)), 1);
    net.run_for(Duration::from_millis(200));
    let after = node(&net, B).received.len();
    assert!(after >= before + 99, "{before} -> {after}");
}

#[test]
fn an_idle_network_runs_a_minute_in_a_few_steps() {
    let mut net: Network<TestNode> = Network::new(8);
    let a = net.add_node(TestNode::sink(1));
    let b = net.add_node(TestNode::sink(2));
    // A third node with a timer every 10 s, like a keep-alive.
    let c = net.add_node(TestNode::sender(3, 6, Duration::from_secs(10), 64));
    let hub = net.add_hub();
    for n in [a, b, c] {
        net.connect(n, hub, LinkConfig::default());
    }
    net.run_for(Duration::from_secs(60));
    assert_eq!(net.now(), Instant::from_secs(60));
    assert!(net.steps() < 100, "{} steps", net.steps());
    assert_eq!(node(&net, a.index()).received.len(), 6);
}

#[test]
fn a_hub_joins_three_nodes_on_one_segment() {
    let mut net = Network::new(9);
    let a = net.add_node(TestNode::sender(1, 10, Duration::from_millis(1), 64));
    let b = net.add_node(TestNode::echo(2));
    let c = net.add_node(TestNode::sink(3));
    let hub = net.add_hub();
    let config = LinkConfig {
        latency: Duration::from_micros(100),
        ..LinkConfig::default()
    };
    for n in [a, b, c] {
        net.connect(n, hub, config);
    }
    net.run_for(Duration::from_secs(1));
    // A hears B's echoes; B hears A; C hears both A's frames and B's echoes.
    assert_eq!(node(&net, A).seqs(), (0..10).collect::<Vec<_>>());
    assert_eq!(node(&net, B).received.len(), 10);
    assert_eq!(node(&net, 2).received.len(), 20);
}

#[test]
fn the_livelock_guard_trips_on_a_node_that_always_wants_a_poll() {
    let mut net = Network::new(10);
    let spinner = TestNode {
        spin: true,
        ..TestNode::sink(1)
    };
    let s = net.add_node(spinner);
    let a = net.add_node(TestNode::sender(2, 5, Duration::from_millis(1), 64));
    let b = net.add_node(TestNode::sink(3));
    net.connect(a, b, LinkConfig::default());
    net.connect(s, b, LinkConfig::default());
    net.set_max_steps_per_instant(50);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.now(), Instant::from_secs(1));
    assert!(net.livelocks() >= 1);
    assert!(net.steps() <= 50 * 10, "{} steps", net.steps());
    // Traffic between the other nodes still flows.
    assert_eq!(node(&net, b.index()).received.len(), 5);
}

#[test]
fn corruption_flips_exactly_one_bit() {
    let sender = TestNode::sender(1, 50, Duration::from_millis(1), 100);
    let config = LinkConfig {
        corrupt_ppm: 1_000_000,
        ..LinkConfig::default()
    };
    let (mut net, link) = pair(11, sender, config);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.link(link).unwrap().stats().corrupted, 50);
    for (i, (_, frame)) in node(&net, B).received.iter().enumerate() {
        let original = frame_for(1, i as u32, 100);
        let flipped: u32 = frame
            .iter()
            .zip(&original)
            .map(|(x, y)| (x ^ y).count_ones())
            .sum();
        assert_eq!(flipped, 1);
    }
}

#[test]
fn duplicated_frames_arrive_twice_and_are_counted() {
    let sender = TestNode::sender(1, 20, Duration::from_millis(1), 64);
    let config = LinkConfig {
        duplicate_ppm: 1_000_000,
        ..LinkConfig::default()
    };
    let (mut net, link) = pair(12, sender, config);
    net.run_for(Duration::from_secs(1));
    let expected: Vec<u32> = (0..20).flat_map(|i| [i, i]).collect();
    assert_eq!(node(&net, B).seqs(), expected);
    let stats = net.link(link).unwrap().stats();
    assert_eq!((stats.duplicated, stats.delivered), (20, 40));
}

#[test]
fn oversized_frames_and_a_full_link_queue_are_dropped_and_counted() {
    let sender = TestNode::sender(1, 4, Duration::ZERO, 200);
    let config = LinkConfig {
        mtu: 100,
        ..LinkConfig::default()
    };
    let (mut net, link) = pair(13, sender, config);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.link(link).unwrap().stats().too_big, 4);
    assert!(node(&net, B).received.is_empty());

    let sender = TestNode::sender(1, 10, Duration::ZERO, 1000);
    let config = LinkConfig {
        queue_limit: 3,
        bandwidth_bytes_per_sec: Some(10_000),
        ..LinkConfig::default()
    };
    let (mut net, link) = pair(13, sender, config);
    net.run_for(Duration::from_secs(2));
    let stats = net.link(link).unwrap().stats();
    assert_eq!((stats.delivered, stats.queue_drops), (3, 7));
}

#[test]
fn the_capture_is_a_readable_pcap_stamped_with_delivery_times() {
    let sender = TestNode::sender(1, 30, Duration::from_millis(1), 80);
    let config = LinkConfig {
        latency: Duration::from_millis(3),
        loss_ppm: 100_000,
        ..LinkConfig::default()
    };
    let (mut net, link) = pair(14, sender, config);
    net.link_mut(link).unwrap().enable_capture();
    net.run_for(Duration::from_secs(1));
    let capture = net.link(link).unwrap().capture().unwrap();
    let records: Vec<(Instant, Vec<u8>)> = PcapReader::new(capture)
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.timestamp, r.data.to_vec())
        })
        .collect();
    assert_eq!(records, node(&net, B).received);
}

#[test]
fn adding_a_link_does_not_change_the_faults_on_another() {
    let config = LinkConfig {
        loss_ppm: 300_000,
        jitter: Duration::from_millis(2),
        ..LinkConfig::default()
    };
    // Links draw from streams keyed by their index: link 0 behaves the same whether or
    // not a link 1 exists and carries traffic.
    let outcome = |with_second: bool| {
        let mut net = Network::new(15);
        let a = net.add_node(TestNode::sender(1, 100, Duration::from_millis(1), 64));
        let b = net.add_node(TestNode::sink(2));
        net.connect(a, b, config);
        if with_second {
            let c = net.add_node(TestNode::sender(3, 100, Duration::from_millis(1), 64));
            let d = net.add_node(TestNode::sink(4));
            net.connect(c, d, config);
        }
        net.run_for(Duration::from_secs(1));
        node(&net, B).received.clone()
    };
    let alone = outcome(false);
    assert!(alone.len() < 100);
    assert_eq!(alone, outcome(true));
}

#[test]
#[should_panic(expected = "SKIFF_SEED=")]
fn for_each_seed_names_the_seed_of_a_failure() {
    for_each_seed(5, |seed| Err(alloc::format!("seed {seed} always fails")));
}

#[test]
fn for_each_seed_runs_every_seed_unless_one_is_given() {
    let mut seen = Vec::new();
    for_each_seed(4, |seed| {
        seen.push(seed);
        Ok::<(), String>(())
    });
    match std::env::var("SKIFF_SEED")
        .ok()
        .as_deref()
        .and_then(parse_seed)
    {
        Some(seed) => assert_eq!(seen, [seed]),
        None => assert_eq!(seen, [0, 1, 2, 3]),
    }
}

#[test]
fn seeds_parse_in_decimal_and_hex() {
    assert_eq!(parse_seed("42"), Some(42));
    assert_eq!(parse_seed(" 0x2a\n"), Some(42));
    assert_eq!(parse_seed("forty-two"), None);
}

#[cfg(feature = "std")]
#[test]
fn captures_are_written_as_files_named_by_seed_and_link() {
    let sender = TestNode::sender(1, 3, Duration::from_millis(1), 64);
    let (mut net, link) = pair(16, sender, LinkConfig::default());
    net.connect(NodeId(A), NodeId(B), LinkConfig::default());
    net.link_mut(link).unwrap().enable_capture();
    net.run_for(Duration::from_secs(1));
    let dir = std::env::temp_dir().join(alloc::format!("skiff-sim-{}", std::process::id()));
    let written = net.write_captures(&dir).unwrap();
    assert_eq!(written, [dir.join("sim-16-link0.pcap")]);
    let bytes = std::fs::read(&written[0]).unwrap();
    assert_eq!(bytes, net.link(link).unwrap().capture().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}
