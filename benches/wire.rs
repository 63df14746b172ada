//! Wire-format throughput: parsing and emitting a full-size TCP/IPv4/Ethernet frame, with
//! and without software checksums, and the internet checksum itself against a naive
//! 16-bit-at-a-time reference.
//!
//! Run with `cargo bench --bench wire`. Frame figures are per frame (ns) with
//! `Throughput::Bytes` of the 1514-byte frame; checksum figures are bytes per second.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use skiff::wire::checksum;
use skiff::wire::ethernet::{EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr};
use skiff::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use skiff::wire::tcp::{TcpFlags, TcpPacket, TcpRepr};
use skiff::wire::{ChecksumCapabilities, IpAddress, IpProtocol, Ipv4Address, SeqNumber};

/// TCP payload bytes: a full 1500-byte MTU less 20 bytes of IPv4 and 20 of TCP.
const PAYLOAD_LEN: usize = 1460;
/// Ethernet II (14) + IPv4 (20) + TCP (20) + payload.
const FRAME_LEN: usize = 14 + 20 + 20 + PAYLOAD_LEN;

const SRC_IP: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const DST_IP: Ipv4Address = Ipv4Address::new(198, 51, 100, 7);

/// Deterministic filler (xorshift64) so the checksum sees realistic, non-zero data.
fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The three headers of a bulk-data segment, as a Linux sender would fill them (DF set,
/// TTL 64, ACK|PSH, no options so the payload is exactly 1460 bytes).
struct Headers<'a> {
    eth: EthernetRepr,
    ip: Ipv4Repr,
    tcp: TcpRepr<'a>,
}

fn headers(payload: &[u8]) -> Headers<'_> {
    let eth = EthernetRepr {
        src_addr: EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]),
        dst_addr: EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]),
        ethertype: EthernetProtocol::Ipv4,
        vlan: None,
    };
    let mut ip = Ipv4Repr::new(SRC_IP, DST_IP, IpProtocol::Tcp, 20 + payload.len(), 64);
    ip.ident = 0x1c46;
    ip.dont_frag = true;
    let tcp = TcpRepr {
        src_port: 49152,
        dst_port: 80,
        flags: TcpFlags::ACK | TcpFlags::PSH,
        seq_number: SeqNumber(0x1234_5678),
        ack_number: Some(SeqNumber(0x9abc_def0)),
        window_len: 502,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload,
    };
    Headers { eth, ip, tcp }
}

/// Writes the headers and copies the payload into `buf` (at least `FRAME_LEN` bytes).
fn emit_frame(h: &Headers<'_>, buf: &mut [u8], caps: &ChecksumCapabilities) {
    let src = IpAddress::V4(h.ip.src_addr);
    let dst = IpAddress::V4(h.ip.dst_addr);
    let mut frame = EthernetFrame::new_unchecked(buf);
    h.eth.emit(&mut frame);
    let mut ip = Ipv4Packet::new_unchecked(frame.payload_mut());
    h.ip.emit(&mut ip, caps);
    let mut tcp = TcpPacket::new_unchecked(ip.payload_mut());
    h.tcp.emit(&mut tcp, &src, &dst, caps);
}

/// Full receive path for one frame: every view checked, every repr parsed.
fn parse_frame<'a>(
    bytes: &'a [u8],
    caps: &ChecksumCapabilities,
) -> (EthernetRepr, Ipv4Repr, TcpRepr<'a>) {
    let frame = EthernetFrame::new_checked(bytes).expect("ethernet");
    let eth = EthernetRepr::parse(&frame).expect("ethernet repr");
    let frame_bytes: &'a [u8] = frame.into_inner();
    let ip_bytes = &frame_bytes[eth.buffer_len()..];
    let ip_packet = Ipv4Packet::new_checked(ip_bytes).expect("ipv4");
    let ip = Ipv4Repr::parse(&ip_packet, caps).expect("ipv4 repr");
    let tcp_bytes = &ip_bytes[ip.buffer_len()..ip.buffer_len() + ip.payload_len];
    let tcp_packet = TcpPacket::new_checked(tcp_bytes).expect("tcp");
    let src = IpAddress::V4(ip.src_addr);
    let dst = IpAddress::V4(ip.dst_addr);
    let tcp = TcpRepr::parse(&tcp_packet, &src, &dst, caps).expect("tcp repr");
    (eth, ip, tcp)
}

/// RFC 1071 §4.1 as plainly as its C: one big-endian 16-bit word per step.
fn reference_16bit(data: &[u8]) -> u16 {
    let mut acc: u64 = 0;
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u64::from(*last) << 8;
    }
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

fn bench_frame(c: &mut Criterion) {
    let payload = pseudo_random_bytes(0x5eed, PAYLOAD_LEN);
    let h = headers(&payload);
    let with = ChecksumCapabilities::default();
    let without = ChecksumCapabilities::ignored();

    let mut wire = vec![0u8; FRAME_LEN];
    emit_frame(&h, &mut wire, &with);
    // The frame must be valid as received, checksums included, and round-trip exactly.
    let (eth, ip, tcp) = parse_frame(&wire, &with);
    assert_eq!((eth, ip, tcp), (h.eth, h.ip, h.tcp));
    assert_ne!(u16::from_be_bytes([wire[24], wire[25]]), 0, "IPv4 checksum");
    assert_ne!(u16::from_be_bytes([wire[50], wire[51]]), 0, "TCP checksum");
    assert_eq!(reference_16bit(&wire[14..34]), 0xffff, "IPv4 header sums");

    let mut group = c.benchmark_group("frame");
    group.throughput(Throughput::Bytes(FRAME_LEN as u64));
    for (suffix, caps) in [("", with), ("_no_checksum", without)] {
        group.bench_function(format!("parse_tcp_ipv4_ethernet_1460{suffix}"), |b| {
            b.iter(|| black_box(parse_frame(black_box(&wire), black_box(&caps))))
        });
        let mut out = vec![0u8; FRAME_LEN];
        group.bench_function(format!("emit_tcp_ipv4_ethernet_1460{suffix}"), |b| {
            b.iter(|| {
                emit_frame(black_box(&h), black_box(&mut out), black_box(&caps));
                black_box(&out);
            })
        });
        if caps == with {
            assert_eq!(out, wire, "emit reproduces the frame");
        }
    }
    group.finish();
}

fn bench_checksum(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum");
    for len in [64usize, 576, 1460, 9000, 65536] {
        let data = pseudo_random_bytes(len as u64, len);
        assert_eq!(checksum::sum(&data), reference_16bit(&data));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::new("sum", len), &data, |b, d| {
            b.iter(|| checksum::sum(black_box(d)))
        });
        group.bench_with_input(BenchmarkId::new("reference_16bit", len), &data, |b, d| {
            b.iter(|| reference_16bit(black_box(d)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_frame, bench_checksum);
criterion_main!(benches);
