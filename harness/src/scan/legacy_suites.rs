//! The suites OpenSSL 3.0 no longer implements (3DES, RC4, DES, IDEA,
//! SEED and the export suites), which an old server may still accept and a
//! policy must be able to forbid. The scan asks for them with hellos of its
//! own (`own_hello.rs`) and names them as OpenSSL 1.0 named them, the names
//! sslscan and testssl.sh use (testssl.sh's cipher-mapping.txt agrees with
//! every row, which a test checks). OpenSSL 1.1 renamed the six EDH- ones
//! DHE-; a policy may use either (`ssl3.h` defines both, a test checks).

/// A suite by its wire id and OpenSSL name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacySuite {
    /// The two-byte id.
    pub id: u16,
    /// OpenSSL 1.0's name.
    pub name: &'static str,
    /// OpenSSL 1.1's, where it differs.
    pub alias: Option<&'static str>,
}

impl LegacySuite {
    /// Whether it authenticates no server (`ADH-*`, `AECDH-*`).
    pub fn is_anonymous(&self) -> bool {
        self.name.contains("ADH-") || self.name.starts_with("AECDH-")
    }
}

const fn s(id: u16, name: &'static str) -> LegacySuite {
    LegacySuite {
        id,
        name,
        alias: None,
    }
}

const fn renamed(id: u16, name: &'static str, alias: &'static str) -> LegacySuite {
    LegacySuite {
        id,
        name,
        alias: Some(alias),
    }
}

/// Strongest first, as a client that still offered them would list them.
pub const LEGACY_SUITES: [LegacySuite; 30] = [
    s(0xc012, "ECDHE-RSA-DES-CBC3-SHA"),
    s(0xc008, "ECDHE-ECDSA-DES-CBC3-SHA"),
    renamed(0x0016, "EDH-RSA-DES-CBC3-SHA", "DHE-RSA-DES-CBC3-SHA"),
    renamed(0x0013, "EDH-DSS-DES-CBC3-SHA", "DHE-DSS-DES-CBC3-SHA"),
    s(0x000a, "DES-CBC3-SHA"),
    s(0x009a, "DHE-RSA-SEED-SHA"),
    s(0x0099, "DHE-DSS-SEED-SHA"),
    s(0x0096, "SEED-SHA"),
    s(0x0007, "IDEA-CBC-SHA"),
    s(0xc011, "ECDHE-RSA-RC4-SHA"),
    s(0xc007, "ECDHE-ECDSA-RC4-SHA"),
    s(0x0066, "DHE-DSS-RC4-SHA"),
    s(0x0005, "RC4-SHA"),
    s(0x0004, "RC4-MD5"),
    renamed(0x0015, "EDH-RSA-DES-CBC-SHA", "DHE-RSA-DES-CBC-SHA"),
    renamed(0x0012, "EDH-DSS-DES-CBC-SHA", "DHE-DSS-DES-CBC-SHA"),
    s(0x0009, "DES-CBC-SHA"),
    renamed(0x0014, "EXP-EDH-RSA-DES-CBC-SHA", "EXP-DHE-RSA-DES-CBC-SHA"),
    renamed(0x0011, "EXP-EDH-DSS-DES-CBC-SHA", "EXP-DHE-DSS-DES-CBC-SHA"),
    s(0x0008, "EXP-DES-CBC-SHA"),
    s(0x0006, "EXP-RC2-CBC-MD5"),
    s(0x0003, "EXP-RC4-MD5"),
    s(0xc017, "AECDH-DES-CBC3-SHA"),
    s(0x001b, "ADH-DES-CBC3-SHA"),
    s(0x009b, "ADH-SEED-SHA"),
    s(0xc016, "AECDH-RC4-SHA"),
    s(0x0018, "ADH-RC4-MD5"),
    s(0x001a, "ADH-DES-CBC-SHA"),
    s(0x0019, "EXP-ADH-DES-CBC-SHA"),
    s(0x0017, "EXP-ADH-RC4-MD5"),
];

/// `name` as the table names its suite: OpenSSL 1.1's name for one it
/// renamed gives 1.0's; any other name is returned as it is.
pub fn canonical(name: &str) -> &str {
    LEGACY_SUITES
        .iter()
        .find(|s| s.alias == Some(name))
        .map_or(name, |s| s.name)
}

/// The legacy suite with wire id `id`.
pub fn by_id(id: u16) -> Option<&'static LegacySuite> {
    LEGACY_SUITES.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests;
