//! Where in the analysed text an effect's object is named.
//!
//! PostgreSQL's parser records only where a node starts (`location`, a byte
//! offset, `-1` when unknown). [`Sink::name_at`] turns such a start into the
//! byte range of the name written there by scanning the identifier: quoted or
//! not, and with the dots of a qualified name.

use std::ops::Range;

use pg_query::protobuf::{self, node::Node};

use super::Effect;

/// Where the effects of one analysed text are collected, beside the text
/// their locations point into.
pub(super) struct Sink<'a> {
    text: &'a str,
    effects: Vec<Effect>,
}

impl<'a> Sink<'a> {
    /// An empty sink for effects of `text`.
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            text,
            effects: Vec::new(),
        }
    }

    /// A second, empty sink over the same text, for effects that are
    /// gathered and then reworked before they are kept.
    pub(super) fn scratch(&self) -> Self {
        Self::new(self.text)
    }

    pub(super) fn push(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    pub(super) fn effects(&self) -> &[Effect] {
        &self.effects
    }

    pub(super) fn into_effects(self) -> Vec<Effect> {
        self.effects
    }

    /// The range of the name that starts at the parser's `location`; `None`
    /// when the parser gave none or no name starts there.
    pub(super) fn name_at(&self, location: i32) -> Option<Range<usize>> {
        name_range(self.text, location)
    }

    /// Where a relation is named.
    pub(super) fn relation_at(
        &self,
        relation: Option<&protobuf::RangeVar>,
    ) -> Option<Range<usize>> {
        self.name_at(relation?.location)
    }

    /// Where an object node (of `DROP`, `COMMENT ON`, `GRANT`...) names its
    /// object: only relations and types carry a location.
    pub(super) fn object_at(&self, node: &protobuf::Node) -> Option<Range<usize>> {
        match node.node.as_ref()? {
            Node::RangeVar(relation) => self.name_at(relation.location),
            Node::TypeName(type_name) => self.name_at(type_name.location),
            _ => None,
        }
    }

    /// Like [`Sink::name_at`], for a constraint: a named constraint's
    /// location is its `CONSTRAINT` keyword, which is stepped over to the
    /// name. An unnamed constraint gets its first keyword (`CHECK`,
    /// `UNIQUE`, `PRIMARY`, `FOREIGN`, `REFERENCES`...).
    pub(super) fn constraint_name_at(&self, location: i32) -> Option<Range<usize>> {
        let first = self.name_at(location)?;
        if !self.text[first.clone()].eq_ignore_ascii_case("constraint") {
            return Some(first);
        }
        let bytes = self.text.as_bytes();
        let name = skip_space(bytes, first.end);
        let end = identifier_end(bytes, name)?;
        Some(name..end)
    }
}

/// The range of the (possibly qualified) name starting at `location` in
/// `text`.
pub(super) fn name_range(text: &str, location: i32) -> Option<Range<usize>> {
    let start = usize::try_from(location).ok()?;
    if !text.is_char_boundary(start) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut end = identifier_end(bytes, start)?;
    // `schema.name`, `catalog.schema.name`: PostgreSQL allows space around
    // the dots, which belongs to the name only when another part follows.
    loop {
        let dot = skip_space(bytes, end);
        if bytes.get(dot) != Some(&b'.') {
            break;
        }
        match identifier_end(bytes, skip_space(bytes, dot + 1)) {
            Some(next) => end = next,
            None => break,
        }
    }
    Some(start..end)
}

/// The end of the identifier starting at `start`: `"quoted"` (with `""` for
/// a quote), `U&"unicode"`, or unquoted (letters, digits, `_`, `$` and any
/// non-ASCII character, not starting with a digit or `$`).
fn identifier_end(bytes: &[u8], start: usize) -> Option<usize> {
    let first = *bytes.get(start)?;
    let unicode = matches!(first, b'u' | b'U')
        && bytes.get(start + 1) == Some(&b'&')
        && bytes.get(start + 2) == Some(&b'"');
    if unicode {
        return quoted_end(bytes, start + 2);
    }
    if first == b'"' {
        return quoted_end(bytes, start);
    }
    if !(first.is_ascii_alphabetic() || first == b'_' || first >= 0x80) {
        return None;
    }
    let length = bytes[start..]
        .iter()
        .take_while(|&&byte| {
            byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
        })
        .count();
    Some(start + length)
}

/// The end of the quoted identifier whose opening quote is at `open`.
fn quoted_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut at = open + 1;
    loop {
        match bytes.get(at)? {
            b'"' if bytes.get(at + 1) == Some(&b'"') => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
}

/// The first offset from `from` on that is not white space.
fn skip_space(bytes: &[u8], from: usize) -> usize {
    from + bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|byte| byte.is_ascii_whitespace())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str, location: usize) -> Option<&str> {
        let location = i32::try_from(location).expect("small");
        name_range(text, location).map(|range| &text[range])
    }

    #[test]
    fn names_are_scanned_to_their_end() {
        assert_eq!(named("DROP TABLE users;", 11), Some("users"));
        assert_eq!(named("x app.orders y", 2), Some("app.orders"));
        assert_eq!(named("x app . orders y", 2), Some("app . orders"));
        assert_eq!(named("x a.b.c, d", 2), Some("a.b.c"));
        assert_eq!(
            named(r#"x "My ""Table""".t2 y"#, 2),
            Some(r#""My ""Table""".t2"#)
        );
        assert_eq!(named(r#"x U&"d\0061t" y"#, 2), Some(r#"U&"d\0061t""#));
        assert_eq!(named("x café_1$ y", 2), Some("café_1$"));
        assert_eq!(
            named("x t. (", 2),
            Some("t"),
            "a dot without a name after it"
        );
    }

    #[test]
    fn no_name_no_range() {
        assert_eq!(named("x (a)", 2), None);
        assert_eq!(named("x 1a", 2), None);
        assert_eq!(named("x", 5), None);
        assert_eq!(named(r#"x "open"#, 2), None);
        assert_eq!(name_range("x", -1), None);
        assert_eq!(named("é", 1), None, "not a character boundary");
    }
}
