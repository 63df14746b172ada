//! The routing table: which next hop a destination is reached through.
//!
//! Longest-prefix match over a small fixed table. Destinations inside one of the
//! interface's own subnets are on-link and never consult it (CONFORMANCE C3.12: the stack
//! works with no gateway at all).

use core::fmt;

use crate::wire::{IpAddress, IpCidr, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr};

/// How many routes a table holds.
pub const MAX_ROUTES: usize = 16;

/// One route: destinations inside `cidr` go through `via_router`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The destination prefix (`0.0.0.0/0` or `::/0` for a default route).
    pub cidr: IpCidr,
    /// The gateway; must be on-link.
    pub via_router: IpAddress,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} via {}", self.cidr, self.via_router)
    }
}

/// The table is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTableFull;

impl fmt::Display for RouteTableFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "route table full ({MAX_ROUTES} routes)")
    }
}

/// A fixed-size routing table.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: [Option<Route>; MAX_ROUTES],
}

impl Routes {
    /// An empty table.
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Adds a route. A route for a prefix already present is added beside it (more than
    /// one default route is allowed, C3.12); the first one added is preferred.
    pub fn add(&mut self, route: Route) -> Result<(), RouteTableFull> {
        let slot = self
            .routes
            .iter_mut()
            .find(|r| r.is_none())
            .ok_or(RouteTableFull)?;
        *slot = Some(route);
        Ok(())
    }

    /// Adds `0.0.0.0/0 via gateway`.
    pub fn add_default_ipv4_route(&mut self, gateway: Ipv4Address) -> Result<(), RouteTableFull> {
        // A prefix length of 0 is always valid, so `new` cannot fail here.
        let cidr = IpCidr::V4(Ipv4Cidr::new(Ipv4Address::UNSPECIFIED, 0).ok_or(RouteTableFull)?);
        self.add(Route {
            cidr,
            via_router: IpAddress::V4(gateway),
        })
    }

    /// Adds `::/0 via gateway`.
    pub fn add_default_ipv6_route(&mut self, gateway: Ipv6Address) -> Result<(), RouteTableFull> {
        // A prefix length of 0 is always valid, so `new` cannot fail here.
        let cidr = IpCidr::V6(Ipv6Cidr::new(Ipv6Address::UNSPECIFIED, 0).ok_or(RouteTableFull)?);
        self.add(Route {
            cidr,
            via_router: IpAddress::V6(gateway),
        })
    }

    /// Removes every route for exactly `cidr`; returns how many went.
    pub fn remove(&mut self, cidr: &IpCidr) -> usize {
        let mut removed = 0;
        for slot in self.routes.iter_mut() {
            if slot.as_ref().is_some_and(|r| r.cidr == *cidr) {
                *slot = None;
                removed += 1;
            }
        }
        removed
    }

    /// Removes all routes.
    pub fn clear(&mut self) {
        self.routes = Default::default();
    }

    /// The gateway for `dst` by longest-prefix match, first-added among equals.
    pub fn lookup(&self, dst: &IpAddress) -> Option<IpAddress> {
        let mut best: Option<&Route> = None;
        for route in self.routes.iter().flatten() {
            if route.cidr.contains_addr(dst)
                && best.is_none_or(|b| route.cidr.prefix_len() > b.cidr.prefix_len())
            {
                best = Some(route);
            }
        }
        best.map(|r| r.via_router)
    }

    /// The routes, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_prefix_wins_over_the_default_route() {
        let mut routes = Routes::new();
        routes
            .add_default_ipv4_route(Ipv4Address::new(192, 0, 2, 1))
            .unwrap();
        routes
            .add(Route {
                cidr: "198.51.100.0/24".parse().unwrap(),
                via_router: IpAddress::V4(Ipv4Address::new(192, 0, 2, 254)),
            })
            .unwrap();
        let gw = |a: [u8; 4]| routes.lookup(&IpAddress::V4(Ipv4Address::from(a)));
        assert_eq!(
            gw([198, 51, 100, 7]),
            Some(IpAddress::V4(Ipv4Address::new(192, 0, 2, 254)))
        );
        assert_eq!(
            gw([203, 0, 113, 9]),
            Some(IpAddress::V4(Ipv4Address::new(192, 0, 2, 1)))
        );
        assert_eq!(routes.lookup(&"2001:db8::1".parse().unwrap()), None);
    }

    #[test]
    fn two_default_routes_prefer_the_first_and_survive_its_removal() {
        let mut routes = Routes::new();
        routes
            .add_default_ipv6_route("fe80::1".parse().unwrap())
            .unwrap();
        routes
            .add(Route {
                cidr: "::/0".parse().unwrap(),
                via_router: "fe80::2".parse().unwrap(),
            })
            .unwrap();
        let dst: IpAddress = "2001:db8::9".parse().unwrap();
        assert_eq!(routes.lookup(&dst), Some("fe80::1".parse().unwrap()));
        assert_eq!(routes.remove(&"::/0".parse().unwrap()), 2);
        assert_eq!(routes.lookup(&dst), None);
    }

    #[test]
    fn a_full_table_refuses_more_routes() {
        let mut routes = Routes::new();
        for i in 0..MAX_ROUTES {
            routes
                .add_default_ipv4_route(Ipv4Address::new(10, 0, 0, i as u8))
                .unwrap();
        }
        assert_eq!(
            routes.add_default_ipv4_route(Ipv4Address::new(10, 0, 1, 1)),
            Err(RouteTableFull)
        );
    }
}
