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

/// An IP packet carrying `tcp` (its checksum field zero), IPv4 or IPv6 as
/// the addresses are, with the TCP checksum filled in: tools that drop
/// segments with a bad one (Zeek, Snort, Suricata) would see nothing.
fn ip(src: IpAddr, dst: IpAddr, tcp: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + tcp.len());
    // What the TCP checksum covers besides the segment (RFC 793 section
    // 3.1; RFC 8200 section 8.1 for IPv6).
    let mut pseudo = Vec::with_capacity(40 + tcp.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&[0x45, 0]);
            p.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            let sum = checksum(&p);
            p[10..12].copy_from_slice(&sum.to_be_bytes());
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, 6]);
            pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
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
            pseudo.extend_from_slice(&v6(s).octets());
            pseudo.extend_from_slice(&v6(d).octets());
            pseudo.extend_from_slice(&(tcp.len() as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, 6]);
        }
    }
    pseudo.extend_from_slice(tcp);
    let at = p.len() + 16;
    p.extend_from_slice(tcp);
    p[at..at + 2].copy_from_slice(&checksum(&pseudo).to_be_bytes());
    p
}

/// The Internet checksum (RFC 1071) of `bytes`, an odd last byte padded
/// with a zero.
fn checksum(bytes: &[u8]) -> u16 {
    // A u64 holds the sum of any segment's words without a carry lost.
    let mut sum: u64 = bytes
        .chunks(2)
        .map(|w| u64::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
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

    /// RFC 1071's check, written apart from [`checksum`]: the one's
    /// complement sum, carried as it goes, of the pseudo-header and the
    /// segment with its checksum in place is all ones.
    fn verifies(pseudo: &[u8], segment: &[u8]) -> bool {
        let mut bytes = [pseudo, segment].concat();
        if bytes.len() % 2 == 1 {
            bytes.push(0);
        }
        let mut sum = 0u16;
        for w in bytes.chunks_exact(2) {
            let (s, carry) = sum.overflowing_add(u16::from(w[0]) << 8 | u16::from(w[1]));
            sum = s + u16::from(carry);
        }
        sum == 0xffff
    }

    /// The pseudo-header and segment of an IPv4 packet, read back from
    /// its header fields.
    fn v4_parts(p: &[u8]) -> (Vec<u8>, &[u8]) {
        let header = usize::from(p[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([p[2], p[3]]));
        let segment = &p[header..total];
        let mut pseudo = p[12..20].to_vec();
        pseudo.extend_from_slice(&[0, p[9]]);
        pseudo.extend_from_slice(&(segment.len() as u16).to_be_bytes());
        (pseudo, segment)
    }

    /// The same of an IPv6 packet.
    fn v6_parts(p: &[u8]) -> (Vec<u8>, &[u8]) {
        let segment = &p[40..];
        let mut pseudo = p[8..40].to_vec();
        pseudo.extend_from_slice(&(segment.len() as u32).to_be_bytes());
        pseudo.extend_from_slice(&[0, 0, 0, p[6]]);
        (pseudo, segment)
    }

    #[test]
    fn tcp_checksums_verify_over_ipv4_and_ipv6() {
        for (client, server) in [
            ("127.0.0.1:50000", "127.0.0.2:443"),
            ("[::1]:50000", "[2001:db8::1]:443"),
        ] {
            let mut tcp = Tcp::new(client.parse().unwrap(), server.parse().unwrap());
            let mut packets: Vec<Vec<u8>> = tcp.open(0).into_iter().map(|(_, p)| p).collect();
            // Even and odd lengths, both ways.
            packets.push(tcp.data(true, b"hello"));
            packets.push(tcp.data(false, &[0xab; 1200]));
            for p in &packets {
                let (pseudo, segment) = if p[0] >> 4 == 4 {
                    v4_parts(p)
                } else {
                    v6_parts(p)
                };
                assert_ne!(&segment[16..18], &[0, 0], "{client}: no checksum");
                assert!(verifies(&pseudo, segment), "{client}: {p:02x?}");
                // The check tells a wrong checksum from a right one.
                let mut broken = segment.to_vec();
                broken[17] ^= 1;
                assert!(!verifies(&pseudo, &broken), "{client}");
            }
        }
    }
}
