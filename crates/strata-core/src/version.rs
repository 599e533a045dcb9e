//! Migration versions: the leading number of a file name, ordered numerically.
//!
//! A version is a sequence of numeric parts. Most schemes have one part
//! (`20240101120000`, `0042`); Flyway's dotted versions (`V1.2.3__x.sql`,
//! `V1_2__x.sql`) have several. Ordering compares part by part, numerically,
//! with trailing zero parts ignored, so `V1__` and `V1.0__` are the same version
//! (as Flyway treats them) and `0042` equals `42`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A migration version, as written in the file name.
#[derive(Clone, Debug)]
pub struct Version {
    parts: Vec<u64>,
    text: String,
}

/// Why a version string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The string was empty or had an empty part.
    #[error("version `{0}` is empty or has an empty part")]
    Empty(String),
    /// A character other than a digit or `.` appeared.
    #[error("version `{0}` contains something other than digits and dots")]
    NotNumeric(String),
    /// A part does not fit in 64 bits.
    #[error("version `{0}` is too large (at most 19 digits per part)")]
    TooLarge(String),
}

impl Version {
    /// Reads a version such as `20240101120000`, `0042` or `1.2.3`.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        if text.is_empty() {
            return Err(VersionError::Empty(text.to_owned()));
        }
        let mut parts = Vec::with_capacity(1);
        for part in text.split('.') {
            if part.is_empty() {
                return Err(VersionError::Empty(text.to_owned()));
            }
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::NotNumeric(text.to_owned()));
            }
            let value = part
                .parse::<u64>()
                .map_err(|_| VersionError::TooLarge(text.to_owned()))?;
            parts.push(value);
        }
        Ok(Self {
            parts,
            text: text.to_owned(),
        })
    }

    /// The version as written (after separators of a date prefix were removed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The numeric parts, as written (trailing zeros included).
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// The parts that take part in comparison: trailing zero parts removed.
    fn significant(&self) -> &[u64] {
        let mut end = self.parts.len();
        while end > 1 && self.parts[end - 1] == 0 {
            end -= 1;
        }
        &self.parts[..end]
    }

    /// The number of digits of a single-part version (the zero-padded width).
    pub fn width(&self) -> usize {
        self.text.len()
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
        let (a, b) = (self.significant(), other.significant());
        for (x, y) in a.iter().zip(b) {
            match x.cmp(y) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        a.len().cmp(&b.len())
    }
}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.significant().hash(state);
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
        assert!(matches!(
            Version::parse("1a"),
            Err(VersionError::NotNumeric(_))
        ));
        assert!(matches!(
            Version::parse("99999999999999999999999"),
            Err(VersionError::TooLarge(_))
        ));
    }
}
