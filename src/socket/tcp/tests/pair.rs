//! Two sockets talking to each other through a lossy, virtual-time wire: whole
//! transfers, simultaneous close and self-connect end in defined states (CORE-23, B1,
//! B2, MUST-13), with every byte delivered once and in order.

use std::vec;

use super::*;

/// A segment in flight: its addresses and an owned copy.
struct Wire {
    src: IpAddress,
    dst: IpAddress,
    repr: TcpRepr<'static>,
}

/// A deterministic lossy link between sockets, driven by a virtual clock.
struct Pair {
    a: Socket<'static>,
    b: Socket<'static>,
    now: Instant,
    rng: u64,
    /// Drop one segment in `loss` (0: none).
    loss: u64,
    /// Also reorder and duplicate segments now and then.
    chaos: bool,
    delivered: usize,
}

impl Pair {
    fn cx(&self) -> TcpContext {
        TcpContext {
            now: self.now,
            isn_key: KEY,
            mss: 536,
            ecn: 0,
        }
    }

    /// True once in `n` (pseudo-randomly).
    fn roll(&mut self, n: u64) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        n != 0 && self.rng % n == 0
    }

    fn lost(&mut self) -> bool {
        let loss = self.loss;
        self.roll(loss)
    }

    /// Everything `from` wants to send now.
    fn drain(from: &mut Socket<'static>, cx: &TcpContext) -> Vec<Wire> {
        let mut out = Vec::new();
        for _ in 0..256 {
            let mut sent = None;
            from.dispatch(cx, |src, dst, _, repr| {
                let payload: &'static [u8] = repr.payload.to_vec().leak();
                sent = Some(Wire {
                    src,
                    dst,
                    repr: TcpRepr { payload, ..*repr },
                });
                Ok(())
            })
            .unwrap();
            match sent {
                Some(w) => out.push(w),
                None => break,
            }
        }
        out
    }

    /// Delivers segments to `to`, and its immediate replies back to `back`.
    fn deliver(&mut self, to_a: bool, mut wires: Vec<Wire>) {
        if self.chaos && wires.len() > 1 && self.roll(4) {
            wires.reverse();
        }
        if self.chaos && !wires.is_empty() && self.roll(8) {
            let w = &wires[0];
            let copy = Wire {
                src: w.src,
                dst: w.dst,
                repr: w.repr,
            };
            wires.push(copy);
        }
        for w in wires {
            if self.lost() {
                continue;
            }
            self.delivered += 1;
            let cx = self.cx();
            let (to, back) = if to_a {
                (&mut self.a, &mut self.b)
            } else {
                (&mut self.b, &mut self.a)
            };
            if let Some(reply) = to.process(&cx, w.src, w.dst, &w.repr) {
                back.process(&cx, w.dst, w.src, &reply);
            }
        }
    }

    /// One round: both sides send, both receive; then time moves to the next deadline
    /// if nobody had anything to say.
    fn step(&mut self) {
        let cx = self.cx();
        let from_a = Pair::drain(&mut self.a, &cx);
        let from_b = Pair::drain(&mut self.b, &cx);
        let idle = from_a.is_empty() && from_b.is_empty();
        self.deliver(false, from_a);
        self.deliver(true, from_b);
        if idle {
            let next = [self.a.poll_at(), self.b.poll_at()]
                .into_iter()
                .flatten()
                .min();
            self.now = next
                .unwrap_or(self.now + Duration::from_millis(1))
                .max(self.now);
        } else {
            self.now += Duration::from_millis(1);
        }
    }
}

fn pair(loss: u64, seed: u64) -> Pair {
    let config = TcpConfig {
        msl: Duration::from_secs(1),
        timestamps: true,
        window_scale: true,
        sack: true,
        ..TcpConfig::default()
    };
    let mut a = Socket::with_capacity(4096, 4096);
    let mut b = Socket::with_capacity(4096, 4096);
    a.set_config(config);
    b.set_config(config);
    b.listen(80).unwrap();
    let p = Pair {
        a,
        b,
        now: Instant::ZERO,
        rng: seed | 1,
        loss,
        chaos: false,
        delivered: 0,
    };
    let cx = p.cx();
    let mut p = p;
    p.a.connect(&cx, local(), remote()).unwrap();
    p
}

/// Sends `total` bytes from a to b, then both close; checks every byte arrives once, in
/// order, and both sides end CLOSED or TIME-WAIT.
fn transfer(loss: u64, seed: u64, total: usize) {
    transfer_with(loss, false, seed, total)
}

fn transfer_with(loss: u64, chaos: bool, seed: u64, total: usize) {
    let mut p = pair(loss, seed);
    p.chaos = chaos;
    let mut sent = 0usize;
    let mut got = Vec::new();
    let mut closed = false;
    for _ in 0..200_000 {
        if p.a.may_send() && sent < total {
            let chunk: Vec<u8> = (sent..total.min(sent + 1000)).map(|i| i as u8).collect();
            sent += p.a.send_slice(&chunk).unwrap();
        }
        if sent == total && !closed && p.a.state() == State::Established {
            p.a.close().unwrap();
            closed = true;
        }
        let mut buf = [0u8; 2048];
        if let Ok(n) = p.b.recv_slice(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        if p.b.state() == State::CloseWait && !p.b.can_recv() {
            p.b.close().unwrap();
        }
        if p.a.state() == State::Closed && p.b.state() == State::Closed {
            break;
        }
        p.step();
    }
    if got.len() != total {
        for s in [&p.a, &p.b] {
            std::println!(
                "{} una {} nxt {} max {} wnd {} rcv_nxt {} edge {} tx {} rx {} timers {:?} probe {} ack_now {} wu {}",
                s.state,
                s.snd_una,
                s.snd_nxt,
                s.snd_max,
                s.snd_wnd,
                s.rcv_nxt,
                s.rcv_edge,
                s.tx_buffer.len(),
                s.rx_buffer.len(),
                s.timers,
                s.probe_now,
                s.ack_now,
                s.window_update
            );
        }
    }
    assert_eq!(got.len(), total, "seed {seed} loss 1/{loss}");
    assert!(
        got.iter().enumerate().all(|(i, &b)| b == i as u8),
        "seed {seed}"
    );
    assert_eq!(p.a.state(), State::Closed, "seed {seed}: a");
    assert_eq!(p.b.state(), State::Closed, "seed {seed}: b");
    assert_eq!(p.a.close_reason(), None);
    assert!(p.delivered > 0);
}

#[test]
fn a_transfer_over_a_clean_link_delivers_every_byte_and_both_sides_close() {
    transfer(0, 1, 50_000);
}

#[test]
fn transfers_over_a_lossy_link_deliver_every_byte_once_and_in_order() {
    // B1 (timeouts), B2 (fast retransmit), SHLD-31 (out-of-order kept), over many seeds.
    for seed in 1..=200 {
        transfer(10, seed, 20_000);
    }
    for seed in 1000..=1100 {
        transfer(3, seed, 5_000);
    }
}

#[test]
fn transfers_survive_reordering_and_duplication() {
    // SHLD-31 with SACK blocks, duplicate segments (CORE-3/6), RFC 5681 dup-ACK rules.
    for seed in 1..=100 {
        transfer_with(8, true, seed, 20_000);
    }
}

#[test]
fn a_simultaneous_close_over_the_wire_ends_closed_on_both_sides() {
    // CORE-23: simultaneous close ends in a defined state, no livelock.
    let mut p = pair(0, 7);
    for _ in 0..20 {
        p.step();
    }
    assert_eq!(p.a.state(), State::Established);
    assert_eq!(p.b.state(), State::Established);
    p.a.close().unwrap();
    p.b.close().unwrap();
    for _ in 0..1000 {
        p.step();
        if p.a.state() == State::Closed && p.b.state() == State::Closed {
            break;
        }
    }
    assert_eq!((p.a.state(), p.b.state()), (State::Closed, State::Closed));
}

#[test]
fn a_self_connect_ends_established_without_a_livelock() {
    // CORE-23: connecting to one's own ip:port (simultaneous open with itself).
    let mut s = Socket::with_capacity(256, 256);
    s.set_config(plain_config());
    let cx = TcpContext {
        now: Instant::ZERO,
        isn_key: KEY,
        mss: 536,
        ecn: 0,
    };
    s.connect(&cx, local(), local()).unwrap();
    let mut rounds = 0;
    let mut now = Instant::ZERO;
    while rounds < 100 {
        rounds += 1;
        let cx = TcpContext { now, ..cx };
        let mut out = vec![];
        s.dispatch(&cx, |src, dst, _, repr| {
            out.push((
                src,
                dst,
                TcpRepr {
                    payload: &[],
                    ..*repr
                },
            ));
            Ok(())
        })
        .unwrap();
        for (src, dst, repr) in out.iter() {
            if let Some(reply) = s.process(&cx, *src, *dst, repr) {
                s.process(&cx, *dst, *src, &reply);
            }
        }
        if s.state() == State::Established && !s.wants_dispatch() {
            break;
        }
        if out.is_empty() {
            now = s.poll_at().unwrap_or(now + Duration::from_millis(1));
        }
    }
    assert_eq!(s.state(), State::Established);
    assert!(rounds < 100);
}
