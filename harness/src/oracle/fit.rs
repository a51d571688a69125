//! A case as one pairing plays it: a side allowed a range of versions
//! that reaches above every version its implementation speaks in that
//! range is capped at the highest one it speaks, and leaves out the
//! suites only the versions cut off would use. Botan 2, which has no TLS
//! 1.3, so plays a server allowed TLS 1.2 and 1.3 as one allowed TLS 1.2,
//! which is what its policy would make of it anyway; a side whose range
//! it speaks nothing of is left as it is, for the oracle to call
//! unsupported.

use crate::case::{Case, Endpoint, Role, Version};
use crate::peer::capabilities::Capabilities;

/// `case` fitted to a client that declares `client` and a server that
/// declares `server`; each side it caps gets a note saying so.
pub fn fit_to_pairing(case: &Case, client: &Capabilities, server: &Capabilities) -> Case {
    let mut out = case.clone();
    for (role, caps) in [(Role::Client, client), (Role::Server, server)] {
        let ep = match role {
            Role::Client => &mut out.client,
            Role::Server => &mut out.server,
        };
        if let Some(note) = cap(ep, caps, role) {
            out.notes.push(note);
        }
    }
    out
}

/// Caps `ep` at the highest version `caps` speaks in its range, when that
/// is below the range's top and leaves it a suite; says what it did.
fn cap(ep: &mut Endpoint, caps: &Capabilities, role: Role) -> Option<String> {
    let (lo, hi) = ep.version_range();
    let top = Version::ALL
        .into_iter()
        .rev()
        .find(|v| (lo..=hi).contains(v) && caps.versions.contains(v))?;
    if top == hi {
        return None;
    }
    let kept: Vec<_> = ep
        .suites
        .iter()
        .filter(|s| {
            Version::ALL
                .iter()
                .any(|v| (lo..=top).contains(v) && s.allows(*v))
        })
        .cloned()
        .collect();
    if kept.is_empty() && !ep.suites.is_empty() {
        return None;
    }
    let dropped: Vec<&str> = ep
        .suites
        .iter()
        .filter(|s| !kept.contains(s))
        .map(|s| s.name.as_str())
        .collect();
    let mut note = format!(
        "the {role} ({}) runs at {} at most, the highest version it speaks of {} to {}",
        caps.implementation_as(role),
        top.display(),
        lo.display(),
        hi.display()
    );
    if !dropped.is_empty() {
        note += &format!(", without {}", dropped.join(", "));
    }
    ep.max_version = Some(top);
    ep.suites = kept;
    Some(note)
}
