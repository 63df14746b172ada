//! What the examples on real devices share: command-line options for the device and
//! addresses, a device that is either a TAP or an AF_PACKET socket, interface setup, and
//! (in [`http`]) the HTTP body framing of `httpd` and `client`.

#![allow(dead_code)]

pub mod http;

use skiff::iface::{Config, Interface};
use skiff::phy::{Device, DeviceCapabilities};
use skiff::time::Instant;
use skiff::wire::{EthernetAddress, IpAddress, IpCidr};
use skiff_phy::{AfPacketDevice, FdRxToken, FdTxToken, PhyError, TapDevice};

/// The options every example takes.
pub struct CommonOptions {
    /// `--tap NAME` or `--af-packet NAME`.
    pub wire: Option<Wire>,
    /// `--ip CIDR`, repeatable.
    pub ips: Vec<IpCidr>,
    /// `--gateway IP`, at most one per IP version.
    pub gateways: Vec<IpAddress>,
    /// `--mac MAC`; a locally administered address by default.
    pub mac: EthernetAddress,
}

/// Which device to open.
pub enum Wire {
    Tap(String),
    AfPacket(String),
}

pub const COMMON_USAGE: &str = "\
  --tap NAME          use TAP interface NAME (created if missing)
  --af-packet NAME    use existing interface NAME through an AF_PACKET socket
  --ip CIDR           address of the stack, e.g. 192.0.2.2/24 (repeatable)
  --gateway IP        default route for that IP version (repeatable)
  --mac MAC           hardware address (default 02:00:5e:00:00:02)";

impl CommonOptions {
    pub fn new() -> CommonOptions {
        CommonOptions {
            wire: None,
            ips: Vec::new(),
            gateways: Vec::new(),
            mac: EthernetAddress([0x02, 0x00, 0x5e, 0x00, 0x00, 0x02]),
        }
    }

    /// Takes `flag` (and its value from `args`) if it is a common option. `Ok(false)` when
    /// the flag is not one of ours.
    pub fn take(
        &mut self,
        flag: &str,
        args: &mut impl Iterator<Item = String>,
    ) -> Result<bool, String> {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag {
            "--tap" => self.wire = Some(Wire::Tap(value()?)),
            "--af-packet" => self.wire = Some(Wire::AfPacket(value()?)),
            "--ip" => {
                let v = value()?;
                self.ips.push(
                    v.parse()
                        .map_err(|_| format!("--ip {v}: not an address/prefix"))?,
                );
            }
            "--gateway" => {
                let v = value()?;
                self.gateways.push(
                    v.parse()
                        .map_err(|_| format!("--gateway {v}: not an address"))?,
                );
            }
            "--mac" => {
                let v = value()?;
                self.mac = parse_mac(&v).ok_or_else(|| format!("--mac {v}: not a MAC"))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks that a device and an address were given.
    pub fn validate(&self) -> Result<(), String> {
        if self.wire.is_none() {
            return Err("one of --tap NAME or --af-packet NAME is required".into());
        }
        if self.ips.is_empty() {
            return Err("at least one --ip CIDR is required".into());
        }
        Ok(())
    }

    /// Opens the device.
    pub fn open(&self) -> Result<AnyDevice, PhyError> {
        match &self.wire {
            Some(Wire::Tap(name)) => TapDevice::open(name).map(AnyDevice::Tap),
            Some(Wire::AfPacket(name)) => AfPacketDevice::bind(name).map(AnyDevice::AfPacket),
            None => unreachable!("validate() checked"),
        }
    }

    /// An interface with the options' addresses and default routes.
    pub fn interface(&self, device: &mut AnyDevice, now: Instant) -> Interface<'static> {
        let seed = u64::from(std::process::id()) ^ 0x5eed_5eed;
        let mut iface = Interface::new(Config::new(self.mac, seed), device, now);
        for cidr in &self.ips {
            if !iface.add_ip_addr(*cidr) {
                log::warn!("no room for address {cidr}");
            }
        }
        for gateway in &self.gateways {
            let added = match gateway {
                IpAddress::V4(gw) => iface.routes_mut().add_default_ipv4_route(*gw),
                IpAddress::V6(gw) => iface.routes_mut().add_default_ipv6_route(*gw),
            };
            if added.is_err() {
                log::warn!("no room for the route via {gateway}");
            }
        }
        iface
    }
}

fn parse_mac(text: &str) -> Option<EthernetAddress> {
    let mut bytes = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut bytes {
        *byte = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(EthernetAddress(bytes))
}

/// A TAP or an AF_PACKET device behind one type, so the event loop is written once.
pub enum AnyDevice {
    Tap(TapDevice),
    AfPacket(AfPacketDevice),
}

impl Device for AnyDevice {
    type RxToken<'a> = FdRxToken<'a>;
    type TxToken<'a> = FdTxToken<'a>;

    fn receive(&mut self, now: Instant) -> Option<(FdRxToken<'_>, FdTxToken<'_>)> {
        match self {
            AnyDevice::Tap(d) => d.receive(now),
            AnyDevice::AfPacket(d) => d.receive(now),
        }
    }

    fn transmit(&mut self, now: Instant) -> Option<FdTxToken<'_>> {
        match self {
            AnyDevice::Tap(d) => d.transmit(now),
            AnyDevice::AfPacket(d) => d.transmit(now),
        }
    }

    fn capabilities(&self) -> DeviceCapabilities {
        match self {
            AnyDevice::Tap(d) => d.capabilities(),
            AnyDevice::AfPacket(d) => d.capabilities(),
        }
    }
}

impl std::os::fd::AsFd for AnyDevice {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            AnyDevice::Tap(d) => d.as_fd(),
            AnyDevice::AfPacket(d) => d.as_fd(),
        }
    }
}

/// For `tokio::io::unix::AsyncFd`, which asks for `AsRawFd` (examples/tokio_echo.rs).
impl std::os::fd::AsRawFd for AnyDevice {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            AnyDevice::Tap(d) => d.as_raw_fd(),
            AnyDevice::AfPacket(d) => d.as_raw_fd(),
        }
    }
}

/// Parses a number of seconds like ping(8)'s `-i 0.2`.
pub fn parse_seconds(text: &str) -> Option<std::time::Duration> {
    let secs: f64 = text.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| std::time::Duration::from_secs_f64(secs))
}
