//! `tcp::Listener` between two skiff interfaces: many clients to one port served from a
//! small pool of sockets, with the backlog full part of the time (CONFORMANCE B11).

mod common;

use common::{Host, cable, run};
use skiff::socket::SocketSet;
use skiff::socket::tcp::{self, Listener, State};
use skiff::time::{Duration, Instant};

const CLIENTS: usize = 20;

/// `CLIENTS` clients each connect to port 80, send a line, read it back and close; the
/// server accepts from a listener over `pool` sockets with `backlog`, echoes and closes.
/// Returns the listener's counters and the SYNs the clients resent after the server
/// dropped them.
fn echo_through_listener(pool: usize, backlog: usize) -> (tcp::ListenerCounters, u64) {
    let (a, b) = cable();
    let (mut a, mut b) = (Host::new(a, 1, 11), Host::new(b, 2, 22));
    a.sockets = SocketSet::with_capacity(CLIENTS + 4, 11);
    let handles: Vec<_> = (0..pool)
        .map(|_| {
            b.sockets
                .add_socket(tcp::Socket::with_capacity(4096, 4096))
                .unwrap()
        })
        .collect();
    let mut listener = Listener::from_handles(80, backlog, handles.clone()).unwrap();

    let server: core::net::SocketAddr = "192.0.2.2:80".parse().unwrap();
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let local: core::net::SocketAddr = format!("192.0.2.1:{}", 40000 + i).parse().unwrap();
        let mut c = tcp::Socket::with_capacity(4096, 4096);
        let cx = a.iface.tcp_context(Instant::ZERO, server.ip());
        c.connect(&cx, server, local).unwrap();
        c.send_slice(format!("hello from client {i}\n").as_bytes())
            .unwrap();
        clients.push((a.sockets.add_socket(c).unwrap(), Vec::new()));
    }

    let mut accepted = Vec::new();
    let mut now = Instant::ZERO;
    let mut max_in_use = 0;
    for _ in 0..120_000 {
        run(&mut a, &mut b, &mut now, 1, Duration::from_millis(1));
        // The server app: echo whatever arrives, close when the client has closed and
        // give the connection back; the listener reuses the socket once it is CLOSED.
        accepted.retain(|&h| {
            let mut s = b.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
            let mut buf = [0u8; 512];
            while let Ok(n) = s.recv_slice(&mut buf) {
                if n == 0 {
                    break;
                }
                assert_eq!(s.send_slice(&buf[..n]).unwrap(), n);
            }
            if s.state() == State::CloseWait {
                s.close().unwrap();
                drop(s);
                assert!(listener.retire(h));
                return false;
            }
            true
        });
        listener.poll(&mut b.sockets);
        assert!(
            listener.half_open() + listener.ready() <= backlog,
            "backlog exceeded"
        );
        while let Some(h) = listener.accept() {
            accepted.push(h);
        }
        max_in_use = max_in_use.max(accepted.len());
        // The clients: read the echo, close once it is complete.
        let mut done = 0;
        for (i, (h, got)) in clients.iter_mut().enumerate() {
            let mut c = a.sockets.get_mut_as::<tcp::Socket>(*h).unwrap();
            let mut buf = [0u8; 512];
            while let Ok(n) = c.recv_slice(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            let line = format!("hello from client {i}\n");
            if got.as_slice() == line.as_bytes() && c.state() == State::Established {
                c.close().unwrap();
            }
            assert_ne!(c.state(), State::Closed, "client {i} refused or reset");
            if c.state() == State::TimeWait {
                done += 1;
            }
        }
        if done == CLIENTS && listener.idle() + 1 == pool {
            break;
        }
    }
    assert!(max_in_use < pool, "one pool socket stays the gate");
    let mut syn_retransmits = 0;
    for (i, (h, got)) in clients.iter().enumerate() {
        let c = a.sockets.get_as::<tcp::Socket>(*h).unwrap();
        assert_eq!(c.state(), State::TimeWait, "client {i} did not finish");
        assert_eq!(
            got.as_slice(),
            format!("hello from client {i}\n").as_bytes()
        );
        syn_retransmits += c.counters().retransmits;
    }
    for &h in &handles {
        let s = b.sockets.get_as::<tcp::Socket>(h).unwrap();
        assert!(matches!(s.state(), State::Listen | State::Closed));
    }
    let counters = listener.counters();
    assert_eq!(counters.accepted, CLIENTS as u64);
    assert_eq!(counters.syns_received, CLIENTS as u64);
    assert_eq!(counters.recycled, CLIENTS as u64);
    assert_eq!(counters.half_open_failed, 0);
    // Every SYN the clients resent was lost once: dropped at the gate, or by the
    // client's own interface while the server's address was being resolved.
    let lost_locally = a.iface.counters().neighbor_queue_full;
    (counters, syn_retransmits - lost_locally)
}

#[test]
fn twenty_clients_share_a_pool_of_eight_and_the_full_backlog_drops_then_recovers() {
    let (counters, syn_retransmits) = echo_through_listener(8, 8);
    // 7 serving sockets for 20 clients: SYNs were dropped at the gate, and every drop
    // was a client SYN that its sender retransmitted.
    assert!(counters.syn_dropped_full > 0);
    assert_eq!(counters.syn_dropped_full, syn_retransmits);
}

#[test]
fn a_backlog_smaller_than_the_pool_bounds_the_queues_and_still_serves_everyone() {
    let (counters, syn_retransmits) = echo_through_listener(8, 4);
    assert!(counters.syn_dropped_full > 0);
    assert_eq!(counters.syn_dropped_full, syn_retransmits);
}

#[test]
fn a_listener_refuses_port_zero() {
    assert!(Listener::from_handles(0, 4, []).is_err());
}

/// Connects one client to port 80 through `listener` and returns (client, accepted).
fn connect_one(
    a: &mut Host,
    b: &mut Host,
    listener: &mut Listener<'_>,
    now: &mut Instant,
    port: u16,
) -> (skiff::socket::SocketHandle, skiff::socket::SocketHandle) {
    let server: core::net::SocketAddr = "192.0.2.2:80".parse().unwrap();
    let local: core::net::SocketAddr = format!("192.0.2.1:{port}").parse().unwrap();
    let mut c = tcp::Socket::with_capacity(4096, 4096);
    let cx = a.iface.tcp_context(*now, server.ip());
    c.connect(&cx, server, local).unwrap();
    let client = a.sockets.add_socket(c).unwrap();
    for _ in 0..2_000 {
        listener.poll(&mut b.sockets);
        if let Some(h) = listener.accept() {
            return (client, h);
        }
        run(a, b, now, 1, Duration::from_millis(1));
    }
    panic!("no connection accepted");
}

#[test]
fn a_closed_connection_the_user_still_holds_is_never_handed_to_another_client() {
    let (a, b) = cable();
    let (mut a, mut b) = (Host::new(a, 1, 11), Host::new(b, 2, 22));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            b.sockets
                .add_socket(tcp::Socket::with_capacity(4096, 4096))
                .unwrap()
        })
        .collect();
    let mut listener = Listener::from_handles(80, 4, handles).unwrap();
    let mut now = Instant::ZERO;
    let (client, first) = connect_one(&mut a, &mut b, &mut listener, &mut now, 40000);
    // The client aborts: the server socket goes CLOSED (reset) with nothing to read.
    a.sockets.get_mut_as::<tcp::Socket>(client).unwrap().abort();
    for _ in 0..50 {
        run(&mut a, &mut b, &mut now, 1, Duration::from_millis(1));
        listener.poll(&mut b.sockets);
    }
    let s = b.sockets.get_as::<tcp::Socket>(first).unwrap();
    assert_eq!(s.state(), State::Closed, "the RST reached the server");
    // A pool of 3 keeps one gate; one more connection fits beside the held one.
    let (_, second) = connect_one(&mut a, &mut b, &mut listener, &mut now, 40001);
    assert_ne!(second, first, "the held socket was reused");
    let s = b.sockets.get_as::<tcp::Socket>(first).unwrap();
    assert_eq!(
        s.state(),
        State::Closed,
        "still the user's closed connection"
    );
    // Once given back, the socket serves again.
    assert!(listener.retire(first));
    assert!(!listener.retire(first), "retired twice");
    listener.poll(&mut b.sockets);
    assert_eq!(listener.counters().recycled, 1);
}
