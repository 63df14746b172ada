use skiff::iface::{Config, Interface};
use skiff::phy::{Loopback, Medium};
use skiff::socket::{SocketSet, tcp};
use skiff::time::Instant;

fn main() {
    // One interface on an in-memory loopback (what it sends, it receives): no root.
    let mut device = Loopback::new(Medium::Ip, 64);
    let mut iface = Interface::new(Config::new(None, 0x5eed), &mut device, Instant::ZERO);
    iface.add_ip_addr("192.0.2.1/24".parse().unwrap());
    let mut sockets = SocketSet::with_capacity(2, 0x5eed);
    let mut server = tcp::Socket::with_capacity(4096, 4096);
    server.listen(7).unwrap();
    let server = sockets.add_socket(server).unwrap();
    let client = sockets
        .add_socket(tcp::Socket::with_capacity(4096, 4096))
        .unwrap();
    let mut now = Instant::ZERO; // The clock is yours; this one is virtual.
    iface
        .tcp_connect(now, &mut sockets, client, "192.0.2.1:7".parse().unwrap())
        .unwrap();

    let (mut buf, mut echoed) = ([0; 512], Vec::new());
    sockets
        .get_mut_as::<tcp::Socket>(client)
        .unwrap()
        .send_slice(b"hello\n")
        .unwrap();
    while echoed != b"hello\n" {
        // Wait for the device (a frame) or the deadline, then poll. Loopback frames
        // are there at once; a real program sleeps in epoll/tokio on the device fd.
        if device.queued() == 0 {
            now += iface.poll_delay(now, &sockets).expect("a timer is armed");
        }
        iface.poll(now, &mut device, &mut sockets);
        // Your code runs here, between polls: the server echoes what its buffer takes.
        let mut s = sockets.get_mut_as::<tcp::Socket>(server).unwrap();
        let n = s.peek(&mut buf).unwrap_or(0);
        let n = s.send_slice(&buf[..n]).unwrap_or(0);
        let _ = s.recv_slice(&mut buf[..n]);
        drop(s);
        let mut c = sockets.get_mut_as::<tcp::Socket>(client).unwrap();
        let n = c.recv_slice(&mut buf).unwrap_or(0);
        echoed.extend_from_slice(&buf[..n]);
    }
    println!("echoed {:?} at {now}", String::from_utf8_lossy(&echoed));
}
