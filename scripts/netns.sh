#!/usr/bin/env bash
# Private network namespaces for running skiff against the Linux kernel.
#
#   scripts/netns.sh up NAME     # create (needs root)
#   scripts/netns.sh down NAME   # delete; safe to repeat
#
# `up` makes two namespaces; nothing is created in, or routed out of, the root namespace:
#
#   NAME       tap0   TAP device. Linux's side: 192.0.2.1/24, 2001:db8::1/64.
#                     Run skiff inside it:  ip netns exec NAME <prog> --tap tap0 \
#                                             --ip 192.0.2.2/24 --ip 2001:db8::2/64
#   NAME-veth  veth0  Linux's end of a veth pair: 192.0.2.1/24, 2001:db8::1/64
#                     (TX checksum offload off, so AF_PACKET sees complete checksums).
#              veth1  skiff's end: up, no addresses, IPv6 off so the kernel stays quiet.
#                     ip netns exec NAME-veth <prog> --af-packet veth1 --ip 192.0.2.2/24 ...
#
# Linux tools then run inside the same namespace: ip netns exec NAME ping 192.0.2.2
set -euo pipefail

usage() { echo "usage: $0 up|down NAME" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 name=$2
case "$name" in ''|*/*|*' '*) echo "bad namespace name: $name" >&2; exit 2 ;; esac
tap_ns=$name
veth_ns=$name-veth

down() {
  for ns in "$tap_ns" "$veth_ns"; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      ip netns del "$ns"
    fi
  done
}

address_linux_side() { # NS DEV
  ip -n "$1" link set "$2" up
  ip -n "$1" addr add 192.0.2.1/24 dev "$2"
  ip -n "$1" addr add 2001:db8::1/64 dev "$2" nodad
}

up() {
  down
  # If anything below fails, leave nothing half-made behind.
  trap 'down; echo "netns.sh: setup failed, cleaned up" >&2' ERR
  ip netns add "$tap_ns"
  ip -n "$tap_ns" link set lo up
  ip -n "$tap_ns" tuntap add dev tap0 mode tap
  address_linux_side "$tap_ns" tap0

  ip netns add "$veth_ns"
  ip -n "$veth_ns" link set lo up
  ip -n "$veth_ns" link add veth0 type veth peer name veth1
  ip netns exec "$veth_ns" sysctl -qw net.ipv6.conf.veth1.disable_ipv6=1
  ip -n "$veth_ns" link set veth1 up
  if command -v ethtool >/dev/null 2>&1; then
    ip netns exec "$veth_ns" ethtool -K veth0 tx off >/dev/null
  else
    echo "netns.sh: ethtool missing; UDP from Linux over AF_PACKET may arrive with partial checksums" >&2
  fi
  address_linux_side "$veth_ns" veth0
  trap - ERR
  echo "namespaces $tap_ns (tap0) and $veth_ns (veth0 <-> veth1) are up"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
