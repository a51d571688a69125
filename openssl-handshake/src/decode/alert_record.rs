//! An alert record's content (RFC 8446 section 6), as the message callback
//! passes it.

use serde::{Deserialize, Serialize};

/// The two bytes of an alert: its level and its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AlertRecord {
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// The alert description code.
    pub description: u8,
}

impl AlertRecord {
    /// The alert in `bytes`; `None` unless there are exactly two, which
    /// OpenSSL checks before it reports an alert record.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<AlertRecord> {
        match *bytes {
            [level, description] => Some(AlertRecord { level, description }),
            _ => None,
        }
    }

    /// The level as `openssl s_client -msg` names it: "warning", "fatal",
    /// or "???".
    pub fn level_name(&self) -> &'static str {
        match self.level {
            1 => "warning",
            2 => "fatal",
            _ => "???",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_two_bytes_make_an_alert() {
        let fatal = AlertRecord::from_bytes(&[2, 40]).expect("two bytes");
        assert_eq!((fatal.level_name(), fatal.description), ("fatal", 40));
        assert_eq!(
            AlertRecord::from_bytes(&[1, 0]).map(|a| a.level_name()),
            Some("warning")
        );
        assert_eq!(
            AlertRecord::from_bytes(&[3, 0]).map(|a| a.level_name()),
            Some("???")
        );
        for bytes in [&[][..], &[2], &[2, 40, 0]] {
            assert_eq!(AlertRecord::from_bytes(bytes), None, "{bytes:?}");
        }
    }
}
