//! The `source-address` critical option: the networks a certificate may be
//! used from.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// The most networks one certificate may name.
pub const MAX_SOURCE_NETWORKS: usize = 64;

/// A checked list of networks in CIDR form (`10.0.0.0/8`, `2001:db8::/32`,
/// or a single address), written in the certificate as OpenSSH expects:
/// comma-separated, each with its prefix length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceAddresses {
    networks: Vec<(IpAddr, u8)>,
}

/// Why a source address list was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceAddressError {
    /// No network at all.
    #[error("the source address list is empty; leave the option out to allow any address")]
    Empty,
    /// An empty entry between commas.
    #[error("entry {position} of the source address list is empty (a doubled or trailing comma?)")]
    EmptyEntry {
        /// Its position, counting from 1.
        position: usize,
    },
    /// An entry whose address does not parse.
    #[error("{entry:?} is not an IPv4 or IPv6 address (host names are not allowed here)")]
    Address {
        /// The entry.
        entry: String,
    },
    /// An entry whose prefix length is not a number within the address's size.
    #[error("{entry:?} has an invalid prefix length; it must be 0 to {max}")]
    Prefix {
        /// The entry.
        entry: String,
        /// The largest prefix for the address family.
        max: u8,
    },
    /// An entry with bits set past its prefix.
    #[error("{entry:?} has host bits set past its prefix; did you mean {network}?")]
    HostBits {
        /// The entry.
        entry: String,
        /// The network it probably means.
        network: String,
    },
    /// Too many networks.
    #[error(
        "the source address list has {found} networks; at most {MAX_SOURCE_NETWORKS} are allowed"
    )]
    TooMany {
        /// The number given.
        found: usize,
    },
}

impl SourceAddresses {
    /// Parses a comma-separated list of addresses and CIDR networks.
    /// Whitespace around entries is ignored.
    pub fn parse(list: &str) -> Result<SourceAddresses, SourceAddressError> {
        if list.trim().is_empty() {
            return Err(SourceAddressError::Empty);
        }
        let entries: Vec<&str> = list.split(',').map(str::trim).collect();
        if entries.len() > MAX_SOURCE_NETWORKS {
            return Err(SourceAddressError::TooMany {
                found: entries.len(),
            });
        }
        let mut networks = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            if entry.is_empty() {
                return Err(SourceAddressError::EmptyEntry { position: i + 1 });
            }
            let network = parse_network(entry)?;
            if !networks.contains(&network) {
                networks.push(network);
            }
        }
        Ok(SourceAddresses { networks })
    }

    /// The list as the critical option's value: `a/len,b/len`.
    pub fn to_option_value(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SourceAddresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (addr, prefix)) in self.networks.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{addr}/{prefix}")?;
        }
        Ok(())
    }
}

impl FromStr for SourceAddresses {
    type Err = SourceAddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceAddresses::parse(s)
    }
}

fn parse_network(entry: &str) -> Result<(IpAddr, u8), SourceAddressError> {
    let (addr_text, prefix_text) = match entry.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (entry, None),
    };
    let addr: IpAddr = addr_text.parse().map_err(|_| SourceAddressError::Address {
        entry: entry.to_owned(),
    })?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max && !p.starts_with('+') => n,
            _ => {
                return Err(SourceAddressError::Prefix {
                    entry: entry.to_owned(),
                    max,
                });
            }
        },
    };
    let network = masked(addr, prefix);
    if network != addr {
        return Err(SourceAddressError::HostBits {
            entry: entry.to_owned(),
            network: format!("{network}/{prefix}"),
        });
    }
    Ok((addr, prefix))
}

fn masked(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}
