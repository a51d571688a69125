//! The IP and TCP packets a capture's bytes are written as: a three-way
//! handshake, then one segment per write or joined reads.

use std::net::{IpAddr, SocketAddr};

/// The TCP state of the synthesized packets: each end's next sequence
/// number.
pub(super) struct Tcp {
    client: SocketAddr,
    server: SocketAddr,
    seq: [u32; 2],
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

impl Tcp {
    pub(super) fn new(client: SocketAddr, server: SocketAddr) -> Self {
        Tcp {
            client,
            server,
            seq: [1_000, 2_000],
        }
    }

    /// SYN, SYN-ACK, ACK at `at`.
    pub(super) fn open(&mut self, at: u64) -> Vec<(u64, Vec<u8>)> {
        let syn = self.packet(true, SYN, &[]);
        self.seq[0] += 1;
        let syn_ack = self.packet(false, SYN | ACK, &[]);
        self.seq[1] += 1;
        let ack = self.packet(true, ACK, &[]);
        vec![(at, syn), (at, syn_ack), (at, ack)]
    }

    pub(super) fn data(&mut self, from_client: bool, payload: &[u8]) -> Vec<u8> {
        let packet = self.packet(from_client, PSH_ACK, payload);
        let i = usize::from(!from_client);
        self.seq[i] = self.seq[i].wrapping_add(payload.len() as u32);
        packet
    }

    fn packet(&self, from_client: bool, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (src, dst) = if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let (seq, ack) = if from_client {
            (self.seq[0], self.seq[1])
        } else {
            (self.seq[1], self.seq[0])
        };
        let mut tcp = Vec::with_capacity(20 + payload.len());
        tcp.extend_from_slice(&src.port().to_be_bytes());
        tcp.extend_from_slice(&dst.port().to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&(if flags & ACK != 0 { ack } else { 0 }).to_be_bytes());
        tcp.push(5 << 4);
        tcp.push(flags);
        tcp.extend_from_slice(&65535u16.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0]);
        tcp.extend_from_slice(payload);
        ip(src.ip(), dst.ip(), &tcp)
    }
}

/// An IP packet carrying `tcp`, IPv4 or IPv6 as the addresses are.
fn ip(src: IpAddr, dst: IpAddr, tcp: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + tcp.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&[0x45, 0]);
            p.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            let sum = checksum(&p);
            p[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            p.extend_from_slice(&[0x60, 0, 0, 0]);
            p.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
            p.extend_from_slice(&[6, 64]);
            p.extend_from_slice(&v6(s).octets());
            p.extend_from_slice(&v6(d).octets());
        }
    }
    p.extend_from_slice(tcp);
    p
}

/// The Internet checksum of an IPv4 header.
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies() {
        let p = ip(
            "127.0.0.1".parse().unwrap(),
            "127.0.0.2".parse().unwrap(),
            &[0u8; 20],
        );
        // A header with its checksum in place sums to all ones.
        assert_eq!(checksum(&p[..20]), 0);
    }
}
