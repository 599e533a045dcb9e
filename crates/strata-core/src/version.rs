//! Migration versions: the leading number of a file name, or (with
//! `[migrations] versions = "name"`) the whole name.
//!
//! A number is a sequence of numeric parts. Most schemes have one part
//! (`20240101120000`, `0042`); Flyway's dotted versions (`V1.2.3__x.sql`,
//! `V1_2__x.sql`) have several. A name (`0001_create_table_a`) is any other
//! text of letters, digits, `_`, `-` and `.`, such as the stem of a file
//! whose runner takes whole names as versions.
//!
//! [`Version`]'s own order is numeric: part by part, with trailing zero parts
//! ignored, so `V1__` and `V1.0__` are the same version (as Flyway treats
//! them) and `0042` equals `42`; a name is placed by its leading number, then
//! by the rest of its text. A project may order its versions another way:
//! [`VersionOrder`] says how, and [`MigrationSet`](crate::MigrationSet) keeps
//! its migrations in the project's order.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The longest version strata takes: a history column holds it, a table
/// shows it.
pub const MAX_VERSION_LEN: usize = 255;

/// A migration version, as written in the file name.
#[derive(Clone, Debug)]
pub struct Version {
    /// A number's parts; a name's leading number, when it has one.
    parts: Vec<u64>,
    /// For a name, where the text after its leading number starts; `None`
    /// for a number.
    rest_at: Option<usize>,
    text: String,
}

/// Why a version string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The string was empty or had an empty part.
    #[error("version `{0}` is empty or has an empty part")]
    Empty(String),
    /// A character other than a letter, a digit, `_`, `-` or `.` appeared.
    #[error("version `{0}` may hold only letters, digits, `_`, `-` and `.`")]
    NotNumeric(String),
    /// A part does not fit in 64 bits, or the text is over [`MAX_VERSION_LEN`].
    #[error("version `{0}` is too large (at most 19 digits per number, 255 characters in all)")]
    TooLarge(String),
}

/// How a project's versions are ordered: the rule of the tool that applied
/// them, so strata applies (and rolls back) in the same order.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum VersionOrder {
    /// As numbers (`9` before `10`): [`Version`]'s own order. golang-migrate,
    /// sqlx, dbmate, goose and Flyway compare versions so.
    #[default]
    Numeric,
    /// As text, character by character (`10` before `9`, `20250103` after
    /// `20240101000002`): the Supabase CLI compares versions so, and runners
    /// that take whole file names as versions order them so.
    Text,
}

impl VersionOrder {
    /// Compares two versions by this rule. Under [`VersionOrder::Text`], two
    /// versions are equal only when written the same (`0042` is not `42`).
    pub fn compare(self, a: &Version, b: &Version) -> Ordering {
        match self {
            Self::Numeric => a.cmp(b),
            Self::Text => a.text.cmp(&b.text),
        }
    }

    /// The setting's value, as written in `strata.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Numeric => "numeric",
            Self::Text => "text",
        }
    }
}

impl Version {
    /// Reads a version: a number such as `20240101120000`, `0042` or `1.2.3`,
    /// else a name such as `0001_create_table_a`.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        if text.is_empty() {
            return Err(VersionError::Empty(text.to_owned()));
        }
        if text.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLarge(text.to_owned()));
        }
        if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Self::number(text);
        }
        Self::name(text)
    }

    /// A version made of numeric parts.
    fn number(text: &str) -> Result<Self, VersionError> {
        let mut parts = Vec::with_capacity(1);
        for part in text.split('.') {
            if part.is_empty() {
                return Err(VersionError::Empty(text.to_owned()));
            }
            let value = part
                .parse::<u64>()
                .map_err(|_| VersionError::TooLarge(text.to_owned()))?;
            parts.push(value);
        }
        Ok(Self {
            parts,
            rest_at: None,
            text: text.to_owned(),
        })
    }

    /// A version that is a name: ordered by its leading number, if any, then
    /// by the rest of its text.
    fn name(text: &str) -> Result<Self, VersionError> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
        if !text.bytes().all(allowed) {
            return Err(VersionError::NotNumeric(text.to_owned()));
        }
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let parts = if digits == 0 {
            Vec::new()
        } else {
            vec![
                text[..digits]
                    .parse::<u64>()
                    .map_err(|_| VersionError::TooLarge(text.to_owned()))?,
            ]
        };
        Ok(Self {
            parts,
            rest_at: Some(digits),
            text: text.to_owned(),
        })
    }

    /// The version as written (after separators of a date prefix were removed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The numeric parts, as written (trailing zeros included); for a name,
    /// its leading number (none when it starts with a letter).
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// Whether the version is a name rather than a number.
    pub fn is_name(&self) -> bool {
        self.rest_at.is_some()
    }

    /// Whether the version is the number zero (`0`, `000`, `0.0`): `--to 0`,
    /// before every migration. A name never is.
    pub fn is_zero(&self) -> bool {
        !self.is_name() && self.parts.iter().all(|&p| p == 0)
    }

    /// What follows a name's leading number (empty for a number).
    fn rest(&self) -> &str {
        self.rest_at.map_or("", |at| &self.text[at..])
    }

    /// The parts that take part in comparison: trailing zero parts removed.
    fn significant(&self) -> &[u64] {
        let mut end = self.parts.len();
        while end > 1 && self.parts[end - 1] == 0 {
            end -= 1;
        }
        &self.parts[..end]
    }

    /// The number of digits of a single-part version (the zero-padded width);
    /// for a name, of its leading number.
    pub fn width(&self) -> usize {
        match self.rest_at {
            Some(at) => at,
            None => self.text.len(),
        }
    }

    /// What numeric order compares: a name without a leading number after
    /// every numbered version, then the numbers, then the rest of a name.
    fn key(&self) -> (bool, &[u64], &str) {
        (self.parts.is_empty(), self.significant(), self.rest())
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn orders_numerically_not_lexically() {
        assert!(v("9") < v("10"));
        assert!(v("0009") < v("10"));
        assert!(v("20240101120000") > v("999"));
    }

    #[test]
    fn dotted_versions_compare_part_by_part() {
        assert!(v("1.2") < v("1.10"));
        assert!(v("1.9.9") < v("2"));
        assert!(v("1") < v("1.1"));
    }

    #[test]
    fn leading_and_trailing_zeros_do_not_make_a_new_version() {
        assert_eq!(v("0042"), v("42"));
        assert_eq!(v("1"), v("1.0"));
        assert_eq!(v("1.0").as_str(), "1.0");
    }

    #[test]
    fn rejects_bad_versions() {
        assert!(matches!(Version::parse(""), Err(VersionError::Empty(_))));
        assert!(matches!(
            Version::parse("1..2"),
            Err(VersionError::Empty(_))
        ));
        for bad in ["1 a", "1/a", "0001_é", "a;b"] {
            assert!(
                matches!(Version::parse(bad), Err(VersionError::NotNumeric(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Version::parse("99999999999999999999999"),
            Err(VersionError::TooLarge(_))
        ));
        assert!(matches!(
            Version::parse("99999999999999999999999_x"),
            Err(VersionError::TooLarge(_))
        ));
        assert!(matches!(
            Version::parse(&"a".repeat(256)),
            Err(VersionError::TooLarge(_))
        ));
    }

    #[test]
    fn names_order_by_their_number_then_their_text() {
        let a = v("0001_create_table_a");
        let b = v("0001_create_table_b");
        assert!(a.is_name() && !v("0001").is_name());
        assert!(a < b && b < v("0002") && v("0002") < v("0002_x"));
        assert!(v("9_x") < v("10_x"));
        assert!(v("10_x") < v("init"), "a name without a number comes last");
        assert_eq!(a.parts(), [1]);
        assert_eq!(a.width(), 4);
        assert_ne!(a, b);
    }

    #[test]
    fn zero_is_a_number_never_a_name() {
        assert!(v("0").is_zero() && v("000").is_zero() && v("0.0").is_zero());
        assert!(!v("0_init").is_zero() && !v("init").is_zero() && !v("1").is_zero());
    }

    #[test]
    fn text_order_compares_as_written() {
        use VersionOrder::{Numeric, Text};
        let (date, timestamp) = (v("20250103"), v("20240101000002"));
        assert_eq!(Numeric.compare(&date, &timestamp), Ordering::Less);
        assert_eq!(Text.compare(&date, &timestamp), Ordering::Greater);
        assert_eq!(Text.compare(&v("0009"), &v("0010")), Ordering::Less);
        assert_eq!(Text.compare(&v("10_b"), &v("9_a")), Ordering::Less);
        assert_eq!(Numeric.compare(&v("0042"), &v("42")), Ordering::Equal);
        assert_ne!(Text.compare(&v("0042"), &v("42")), Ordering::Equal);
    }
}
