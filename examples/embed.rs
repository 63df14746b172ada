//! skiff in a loop of your own: a TCP echo between two sockets of one interface, over
//! the in-memory loopback: no root, no OS device. `cargo run --example embed`
use skiff::iface::{Config, Interface};
use skiff::phy::{Loopback, Medium};
use skiff::socket::{SocketSet, tcp::Socket};
use skiff::time::Instant;

fn main() {
    let mut device = Loopback::new(Medium::Ip, 64); // What it sends, it receives.
    let mut iface = Interface::new(Config::new(None, 7), &mut device, Instant::ZERO);
    iface.add_ip_addr("192.0.2.1/24".parse().unwrap());
    let mut sockets = SocketSet::with_capacity(2, 7);
    let new_socket = || Socket::with_capacity(4096, 4096);
    let (mut listener, client) = (new_socket(), new_socket());
    listener.listen(7).unwrap();
    let server = sockets.add_socket(listener).unwrap();
    let client = sockets.add_socket(client).unwrap();
    let mut now = Instant::ZERO; // The clock is yours; this one is virtual.
    let to = "192.0.2.1:7".parse().unwrap();
    iface.tcp_connect(now, &mut sockets, client, to).unwrap();
    let mut c = sockets.get_mut_as::<Socket>(client).unwrap();
    c.send_slice(b"hello\n").unwrap(); // Queued now, sent once connected.
    drop(c); // The set re-reads a socket when its guard drops.

    let (mut buf, mut echoed) = ([0; 512], Vec::new());
    while echoed != b"hello\n" {
        // Wait for a frame (a loopback has it at once) or for the stack's deadline.
        if device.queued() == 0 {
            now += iface.poll_delay(now, &sockets).expect("a timer is armed");
        }
        iface.poll(now, &mut device, &mut sockets);
        // Your code, between polls: the server echoes what its send buffer takes.
        let mut s = sockets.get_mut_as::<Socket>(server).unwrap();
        let n = s.peek(&mut buf).unwrap_or(0);
        let n = s.send_slice(&buf[..n]).unwrap_or(0);
        s.recv_slice(&mut buf[..n]).ok();
        drop(s);
        let mut c = sockets.get_mut_as::<Socket>(client).unwrap();
        let n = c.recv_slice(&mut buf).unwrap_or(0);
        echoed.extend_from_slice(&buf[..n]);
    }
    println!("echoed {:?} at {now}", String::from_utf8_lossy(&echoed));
}
