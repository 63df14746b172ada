#!/usr/bin/env bash
# Capture reference frames produced by the Linux kernel, for use as test
# fixtures (tests/fixtures/linux/).
#
# Must be run as root. All traffic stays inside two network namespaces that
# this script creates (and always deletes on exit):
#
#   ns A: vA 02:00:00:00:00:01  192.0.2.1/24  2001:db8::1/64
#   ns B: vB 02:00:00:00:00:02  192.0.2.2/24  2001:db8::2/64
#
# Nothing is configured in, or sent from, the root namespace. tcpdump runs
# inside B on vB and writes one pcap per scenario; for each pcap a text
# dissection (tshark) is written next to it.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "capture-fixtures.sh: must be run as root" >&2
    exit 1
fi

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="${1:-$REPO_ROOT/tests/fixtures/linux}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# --- tools -----------------------------------------------------------------
need=()
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v tshark  >/dev/null || need+=(tshark)
command -v socat   >/dev/null || need+=(socat)
command -v ip      >/dev/null || need+=(iproute2)
command -v ping    >/dev/null || need+=(iputils-ping)
command -v arping  >/dev/null || need+=(iputils-arping)
command -v ethtool >/dev/null || need+=(ethtool)
[[ -x /usr/bin/python3 ]]     || need+=(python3)
if ((${#need[@]})); then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
fi
PY=/usr/bin/python3

# --- namespaces --------------------------------------------------------------
NSA="skiffA-$$"
NSB="skiffB-$$"
TCPDUMP_PID=""
BG_PIDS=()

cleanup() {
    set +e
    if [[ -n "$TCPDUMP_PID" ]]; then kill "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; fi
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
}
trap cleanup EXIT

inA() { ip netns exec "$NSA" "$@"; }
inB() { ip netns exec "$NSB" "$@"; }

ip netns add "$NSA"
ip netns add "$NSB"

# Quiet IPv6 defaults in both namespaces before the devices exist, so the new
# devices inherit them: no router solicitations, no RA processing, no DAD.
for ns in "$NSA" "$NSB"; do
    for scope in all default; do
        ip netns exec "$ns" sysctl -q -w \
            "net.ipv6.conf.$scope.accept_ra=0" \
            "net.ipv6.conf.$scope.router_solicitations=0" \
            "net.ipv6.conf.$scope.accept_dad=0" \
            "net.ipv6.conf.$scope.dad_transmits=0"
    done
    ip -n "$ns" link set lo up
done

# The veth pair is created inside A with its peer placed directly in B.
ip -n "$NSA" link add vA address 02:00:00:00:00:01 type veth \
    peer name vB address 02:00:00:00:00:02 netns "$NSB"

for side in A B; do
    ns=$([[ $side == A ]] && echo "$NSA" || echo "$NSB")
    dev=v$side
    ip netns exec "$ns" sysctl -q -w \
        "net.ipv6.conf.$dev.accept_ra=0" \
        "net.ipv6.conf.$dev.router_solicitations=0" \
        "net.ipv6.conf.$dev.accept_dad=0" \
        "net.ipv6.conf.$dev.dad_transmits=0"
    # Compute checksums in software and never coalesce/segment, so the
    # captured frames carry real checksums and are real on-wire sizes.
    ip netns exec "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off sg off >/dev/null 2>&1 || true
done

ip -n "$NSA" addr add 192.0.2.1/24 dev vA
ip -n "$NSB" addr add 192.0.2.2/24 dev vB
ip -n "$NSA" -6 addr add 2001:db8::1/64 dev vA nodad
ip -n "$NSB" -6 addr add 2001:db8::2/64 dev vB nodad
ip -n "$NSA" link set vA up
ip -n "$NSB" link set vB up

# Let link-up noise (MLD reports) die down before any capture.
sleep 3

flush_neigh() {
    ip -n "$NSA" neigh flush all
    ip -n "$NSB" neigh flush all
    ip -n "$NSA" -6 neigh flush all
    ip -n "$NSB" -6 neigh flush all
}

# start_capture NAME FILTER...
start_capture() {
    local name=$1; shift
    CUR="$name"
    rm -f "$OUT/$name.pcap"
    # --immediate-mode: without it, frames that arrive shortly before tcpdump
    # is stopped can sit in the capture ring and never reach the file.
    # Started directly (not through a shell function) so that $! is the PID
    # of tcpdump itself (ip netns exec execs it).
    ip netns exec "$NSB" tcpdump -i vB -n -s 0 -U --immediate-mode -Z root -w "$OUT/$name.pcap" "$@" 2>"$OUT/.tcpdump.err" &
    TCPDUMP_PID=$!
    local i
    for i in $(seq 50); do
        grep -q "listening on" "$OUT/.tcpdump.err" 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.5
}

stop_capture() {
    sleep 1
    # SIGTERM rather than SIGINT: a non-interactive bash starts background
    # jobs with SIGINT ignored. tcpdump handles SIGTERM the same way (flushes
    # and closes the capture file).
    kill -TERM "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=""
    local captured received
    captured=$(sed -n 's/^\([0-9]*\) packets\? captured.*/\1/p' "$OUT/.tcpdump.err")
    received=$(sed -n 's/^\([0-9]*\) packets\? received by filter.*/\1/p' "$OUT/.tcpdump.err")
    rm -f "$OUT/.tcpdump.err"
    if [[ -z "$captured" || "$captured" == 0 || "$captured" != "$received" ]]; then
        echo "capture $CUR: captured=$captured received=$received" >&2
        exit 1
    fi
    echo "captured $CUR.pcap ($captured frames)"
}

# bg_B CMD...: start a background listener in B, remember its PID.
bg_B() {
    ip netns exec "$NSB" "$@" &
    BG_PIDS+=($!)
    sleep 0.5
}

wait_bg() {
    local p
    for p in "${BG_PIDS[@]}"; do wait "$p" || true; done
    BG_PIDS=()
}

# --- scenarios ---------------------------------------------------------------

# ARP request (A -> broadcast) and reply (B -> A).
flush_neigh
start_capture arp arp
inA arping -c 1 -w 2 -I vA 192.0.2.2 >/dev/null
stop_capture

# ICMPv4 echo, two request/reply pairs.
start_capture icmpv4_echo icmp
inA ping -n -c 2 -i 0.2 192.0.2.2 >/dev/null
stop_capture

# ICMPv4 echo request and reply, each fragmented (3000 bytes payload, MTU 1500).
start_capture icmpv4_frag icmp
inA ping -n -c 1 -s 3000 192.0.2.2 >/dev/null
stop_capture

# UDP to a closed port and the ICMP port unreachable answer.
start_capture icmpv4_port_unreachable udp or icmp
inA "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 40000))
s.sendto(b"hello skiff\n", ("192.0.2.2", 9))
'
stop_capture

# TCP over IPv4: handshake, data both ways, client closes first.
TCP_SERVER='
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
l = socket.socket(fam, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 7777)); l.listen(1); l.settimeout(10)
c, _ = l.accept(); c.settimeout(10)
data = c.recv(1024)
c.sendall(b"hello from B\n")
while c.recv(1024):
    pass
c.close(); l.close()
'
TCP_CLIENT='
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((sys.argv[2], 40001))
s.settimeout(10)
s.connect((sys.argv[1], 7777))
s.sendall(b"hello from A\n")
s.recv(1024)
time.sleep(0.1)
s.close()
time.sleep(0.3)
'
start_capture tcp_handshake tcp
bg_B "$PY" -c "$TCP_SERVER" 192.0.2.2
inA "$PY" -c "$TCP_CLIENT" 192.0.2.2 192.0.2.1
wait_bg
stop_capture

# IPv6 NDP: neighbour solicitation / advertisement, then echo request/reply.
flush_neigh
start_capture ipv6_ndp icmp6
inA ping -6 -n -c 1 2001:db8::2 >/dev/null
stop_capture

# TCP over IPv6.
start_capture tcp_ipv6 tcp
bg_B "$PY" -c "$TCP_SERVER" 2001:db8::2
inA "$PY" -c "$TCP_CLIENT" 2001:db8::2 2001:db8::1
wait_bg
stop_capture

# UDP: one datagram over IPv4, one over IPv6, to a listening socket in B.
UDP_SERVER='
import socket
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.bind(("192.0.2.2", 5000))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s6.bind(("2001:db8::2", 5000))
s4.settimeout(10); s6.settimeout(10)
s4.recv(2048); s6.recv(2048)
'
start_capture udp udp
bg_B "$PY" -c "$UDP_SERVER"
inA "$PY" -c '
import socket, time
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.bind(("192.0.2.1", 40002))
s4.sendto(b"hello skiff\n", ("192.0.2.2", 5000))
time.sleep(0.1)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s6.bind(("2001:db8::1", 40002))
s6.sendto(b"hello skiff\n", ("2001:db8::2", 5000))
'
wait_bg
stop_capture

# TCP SYN to a closed port and the RST,ACK answer.
start_capture tcp_rst tcp
inA "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("192.0.2.1", 40003)); s.settimeout(5)
try:
    s.connect(("192.0.2.2", 9))
except ConnectionRefusedError:
    pass
else:
    raise SystemExit("unexpected: port 9 accepted")
'
stop_capture

# --- text dissections ----------------------------------------------------------
# Have tshark verify every checksum, so the dumps say "[correct]" or "[incorrect]".
TSHARK_OPTS=(
    -o ip.check_checksum:TRUE
    -o tcp.check_checksum:TRUE
    -o udp.check_checksum:TRUE
)
status=0
for pcap in "$OUT"/*.pcap; do
    txt="${pcap%.pcap}.txt"
    {
        echo "# $(basename "$pcap"): one line per frame (tshark -r)"
        tshark "${TSHARK_OPTS[@]}" -r "$pcap" 2>/dev/null
        echo
        echo "# full dissection and hex bytes (tshark -r $(basename "$pcap") -V -x, checksum validation on)"
        tshark "${TSHARK_OPTS[@]}" -r "$pcap" -V -x 2>/dev/null
    } >"$txt"
    # (tcp_rst's "Connection reset (RST)" expert warning is expected.)
    if grep -qiE 'malformed|\[incorrect|Checksum Status: Bad' "$txt" ||
        grep -E 'Expert Info \((Error|Warning)' "$txt" | grep -qv 'Connection reset (RST)'; then
        echo "ERROR: malformed frame, bad checksum or tshark warning in $pcap" >&2
        status=1
    fi
done

# --- README ------------------------------------------------------------------
describe() {
    case $1 in
    arp) echo 'ARP request A -> broadcast (who-has 192.0.2.2) and ARP reply B -> A (`arping -c 1` after flushing the neighbour caches).' ;;
    icmpv4_echo) echo 'Two ICMPv4 echo request/reply pairs A -> B (`ping -c 2`, 56 data bytes, filter `icmp`).' ;;
    icmpv4_frag) echo 'ICMPv4 echo request and reply with 3000 data bytes, each sent as 3 IPv4 fragments (1480 + 1480 + 48 IP payload bytes, MTU 1500) (`ping -c 1 -s 3000`).' ;;
    icmpv4_port_unreachable) echo 'UDP datagram 192.0.2.1:40000 -> 192.0.2.2:9 (closed port, payload "hello skiff\n") and the ICMPv4 destination unreachable (port unreachable) Linux answers with, quoting the IP header and UDP datagram.' ;;
    tcp_handshake) echo 'Full TCP/IPv4 connection 192.0.2.1:40001 -> 192.0.2.2:7777: SYN (MSS, SACK-permitted, timestamps, window scale), SYN-ACK, ACK, 13 bytes each way ("hello from A\n", "hello from B\n") with their ACKs, then client FIN, server FIN, final ACK.' ;;
    tcp_ipv6) echo 'The same TCP connection over IPv6, [2001:db8::1]:40001 -> [2001:db8::2]:7777 (MSS 1440).' ;;
    ipv6_ndp) echo 'IPv6 neighbour solicitation (to solicited-node multicast ff02::1:ff00:2, source link-layer address option) and solicited neighbour advertisement (target link-layer address option), then ICMPv6 echo request/reply (`ping -6 -c 1` after flushing the neighbour caches, filter `icmp6`).' ;;
    udp) echo 'One UDP datagram over IPv4 (192.0.2.1:40002 -> 192.0.2.2:5000) and one over IPv6 ([2001:db8::1]:40002 -> [2001:db8::2]:5000), both with payload "hello skiff\n" (12 bytes), to a listening socket.' ;;
    tcp_rst) echo 'TCP SYN 192.0.2.1:40003 -> 192.0.2.2:9 (closed port) and the RST,ACK Linux answers with.' ;;
    *) echo '' ;;
    esac
}
{
    cat <<README_HEAD
# Linux-captured fixtures

Real Ethernet frames produced by the Linux kernel, captured with tcpdump, for
use as test fixtures. Generated by \`scripts/capture-fixtures.sh\` (run as
root; it installs tcpdump, tshark, socat, iputils and ethtool if missing).

- Kernel: \`$(uname -r)\`
- Date: $(date -u +%Y-%m-%d) (UTC)
- tcpdump $(tcpdump --version 2>&1 | head -n 1 | sed 's/^tcpdump version //'), $(tshark --version 2>/dev/null | head -n 1)

## Setup

Two network namespaces created by the script, joined by a veth pair; nothing
else is involved (no root-namespace addresses or routes):

| host | interface | MAC | IPv4 | IPv6 |
| --- | --- | --- | --- | --- |
| A | vA | 02:00:00:00:00:01 | 192.0.2.1/24 | 2001:db8::1/64 |
| B | vB | 02:00:00:00:00:02 | 192.0.2.2/24 | 2001:db8::2/64 |

- Capture point: inside B on vB (\`tcpdump -i vB -s 0 -U --immediate-mode -w\`),
  link type Ethernet (DLT_EN10MB), classic pcap format, full frames.
- Checksum offload, TSO/GSO/GRO and scatter-gather are switched off on both
  veth ends, so every frame carries its real, software-computed checksum and
  has a real on-wire size. The .txt dumps are made with tshark's checksum
  validation on: every IPv4/ICMP/TCP/UDP/ICMPv6 checksum shows \`[correct]\`.
- IPv6: router solicitations, RA processing and DAD are disabled in both
  namespaces, and the addresses are added with \`nodad\`. Neighbour caches are
  flushed before \`arp\` and \`ipv6_ndp\`, so real ARP and NS/NA exchanges happen.
- Different on every run (so they change if you regenerate): TCP initial
  sequence numbers, TCP timestamp values, IPv4 identification fields, ICMP echo
  identifiers, ping's timestamp payload, frame timestamps. MACs, addresses and
  ports are fixed (client ports 40000-40003).
- The SYNs advertise window scale 10 (WS=1024): Linux derives the shift from
  the machine's memory (tcp_rmem), not only from the kernel version.

## Files

Each \`NAME.pcap\` has a \`NAME.txt\` beside it: first the one-line-per-frame
summary (\`tshark -r NAME.pcap\`), then the full dissection with hex bytes
(\`tshark -r NAME.pcap -V -x\`), so exact expected field values (lengths,
options, checksums) can be read off.

| file | frames | contents |
| --- | --- | --- |
README_HEAD
    for pcap in "$OUT"/*.pcap; do
        name=$(basename "$pcap" .pcap)
        n=$(tshark -r "$pcap" 2>/dev/null | wc -l)
        echo "| \`$name.pcap\` | $n | $(describe "$name") |"
    done
} >"$OUT/README.md"

echo "kernel: $(uname -r)"
echo "done: fixtures in $OUT"
exit "$status"
