//! SHA-256 checksums of migration sections.
//!
//! The checksum is taken over the section's text after normalisation (UTF-8
//! BOM removed, CRLF turned into LF), so a file checked out on Windows has the
//! same checksum as on Linux.

use std::fmt;

use sha2::{Digest, Sha256};

/// The SHA-256 of a section's normalised text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum([u8; 32]);

impl Checksum {
    /// The checksum of already-normalised text.
    pub fn of(text: &str) -> Self {
        Self(Sha256::digest(text.as_bytes()).into())
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads a 64-digit hex checksum (as stored in the history table).
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

impl serde::Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// As serialised: 64 lowercase hex digits.
impl schemars::JsonSchema for Checksum {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Checksum".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "SHA-256 of the section's normalised text, as 64 lowercase hex digits.",
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
        })
    }
}

/// Removes a UTF-8 byte-order mark and turns CRLF line ends into LF.
pub fn normalize(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains("\r\n") {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        assert_eq!(
            Checksum::of("").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn bom_and_crlf_do_not_change_the_checksum() {
        let unix = "create table t (id int);\nselect 1;\n";
        let windows = "\u{feff}create table t (id int);\r\nselect 1;\r\n";
        assert_eq!(
            Checksum::of(&normalize(unix)),
            Checksum::of(&normalize(windows))
        );
        assert_ne!(
            Checksum::of(&normalize(unix)),
            Checksum::of(&normalize("create table t (id bigint);\nselect 1;\n"))
        );
    }

    #[test]
    fn hex_round_trip() {
        let c = Checksum::of("x");
        assert_eq!(Checksum::from_hex(&c.to_string()), Some(c));
        assert_eq!(Checksum::from_hex("zz"), None);
        assert_eq!(Checksum::from_hex(&"g".repeat(64)), None);
    }
}
