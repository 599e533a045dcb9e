//! Reading connection strings into libpq keywords.
//!
//! Two forms are accepted, as libpq accepts them: URLs
//! (`postgres://user:password@host:port,host2/dbname?key=value`) and key=value strings
//! (`host=db.example.com user=app password='s p'`). Both become the same ordered list of
//! libpq keywords, so everything after this module deals with one form only.
//!
//! Error messages name the part of the string that is wrong but never quote a value from
//! it: a value may be the password, or a piece of one that was not percent-encoded.

use std::collections::BTreeMap;

/// The libpq keywords of a connection string, with the password as it was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Params {
    /// Keyword to value; a later occurrence of a keyword replaces an earlier one.
    pub(crate) values: BTreeMap<String, String>,
    /// The password exactly as written in a URL (still percent-encoded), for redaction.
    pub(crate) raw_password: Option<String>,
}

impl Params {
    /// Reads a URL or a key=value string.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the connection string is empty".to_owned());
        }
        if let Some(rest) = strip_scheme(text) {
            return parse_url(rest);
        }
        if let Some((scheme, _)) = text.split_once("://")
            && !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(format!(
                "unsupported url scheme `{scheme}` (expected postgres:// or postgresql://)"
            ));
        }
        if text.contains('=') {
            return parse_key_values(text);
        }
        Err("expected a postgres:// url or libpq key=value settings".to_owned())
    }

    /// Sets `key` unless it is set already.
    pub(crate) fn fill(&mut self, key: &str, value: String) {
        self.values.entry(key.to_owned()).or_insert(value);
    }
}

/// The part of `text` after `postgres://` or `postgresql://` (scheme in any case).
fn strip_scheme(text: &str) -> Option<&str> {
    ["postgresql://", "postgres://"].iter().find_map(|scheme| {
        text.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| &text[scheme.len()..])
    })
}

/// Reads what follows the scheme of a URL.
fn parse_url(rest: &str) -> Result<Params, String> {
    let mut params = Params::default();
    // The authority ends at the path or the query. A password holding `/` or `?` must be
    // percent-encoded, as in any URL; one holding `@` is tolerated by splitting the user
    // information at the last `@`.
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let hosts = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                params
                    .values
                    .insert("user".to_owned(), decode(user, "the user name")?);
            }
            if let Some(password) = password {
                params.raw_password = Some(password.to_owned());
                params
                    .values
                    .insert("password".to_owned(), decode(password, "the password")?);
            }
            &authority[at + 1..]
        }
        None => authority,
    };
    parse_hosts(hosts, &mut params)?;

    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let dbname = path.strip_prefix('/').unwrap_or(path);
    if !dbname.is_empty() {
        params
            .values
            .insert("dbname".to_owned(), decode(dbname, "the database name")?);
    }
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if pair.is_empty() {
            continue;
        }
        let Some((key, raw_value)) = pair.split_once('=') else {
            return Err(format!(
                "url parameter `{}` has no value",
                decode(pair, "a url parameter name")?
            ));
        };
        let key = decode(key, "a url parameter name")?;
        let value = decode(raw_value, &format!("url parameter `{key}`"))?;
        if key == "password" {
            params.raw_password = Some(raw_value.to_owned());
        }
        // JDBC's `ssl=true`, which libpq accepts in URLs for compatibility.
        if key == "ssl" {
            if value != "true" {
                return Err("url parameter `ssl` only accepts `true` (use sslmode)".to_owned());
            }
            params
                .values
                .insert("sslmode".to_owned(), "require".to_owned());
            continue;
        }
        params.values.insert(key, value);
    }
    Ok(params)
}

/// Reads `host:port,[::1]:port,...` into the `host` and `port` keywords.
fn parse_hosts(list: &str, params: &mut Params) -> Result<(), String> {
    if list.is_empty() {
        return Ok(());
    }
    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    for spec in list.split(',') {
        let (host, port) = if let Some(inner) = spec.strip_prefix('[') {
            let Some((host, after)) = inner.split_once(']') else {
                return Err("an IPv6 address in the url lacks its closing `]`".to_owned());
            };
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(|| {
                    "unexpected text after an IPv6 address in the url".to_owned()
                })?),
            };
            (host.to_owned(), port)
        } else {
            let (host, port) = match spec.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (spec, None),
            };
            (decode(host, "a host name")?, port)
        };
        let port = match port {
            None | Some("") => String::new(),
            Some(port) if port.bytes().all(|b| b.is_ascii_digit()) && port.len() <= 5 => {
                port.to_owned()
            }
            Some(_) => {
                return Err(
                    "the url has an invalid port (a number is expected after the \
                            host's `:`); a password holding `/`, `?`, `#` or `@` must be \
                            percent-encoded"
                        .to_owned(),
                );
            }
        };
        hosts.push(host);
        ports.push(port);
    }
    if hosts.iter().any(|h| !h.is_empty()) {
        params.values.insert("host".to_owned(), hosts.join(","));
    }
    if ports.iter().any(|p| !p.is_empty()) {
        params.values.insert("port".to_owned(), ports.join(","));
    }
    Ok(())
}

/// Percent-decodes `text`; `what` names it in errors, which never quote it.
fn decode(text: &str, what: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = hex else {
                return Err(format!(
                    "{what} in the url has a `%` not followed by two hex digits (write `%25` for `%`)"
                ));
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{what} in the url is not valid UTF-8 once decoded"))
}

/// Reads libpq's `key=value key='quoted value'` form.
fn parse_key_values(text: &str) -> Result<Params, String> {
    let mut params = Params::default();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("setting `{key}` lacks `=` and a value"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(format!("the quoted value of `{key}` is not closed")),
                    Some('\'') => break,
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(c) = chars.next() {
                        value.push(c);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        if key.is_empty() {
            return Err("a setting has no name before `=`".to_owned());
        }
        params.values.insert(key, value);
    }
    Ok(params)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        Params::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .values
            .into_iter()
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn urls_become_keywords() {
        assert_eq!(
            values("postgres://app:pw@db.example.com:5433/shop?sslmode=require&application_name=x"),
            pairs(&[
                ("application_name", "x"),
                ("dbname", "shop"),
                ("host", "db.example.com"),
                ("password", "pw"),
                ("port", "5433"),
                ("sslmode", "require"),
                ("user", "app"),
            ])
        );
        assert_eq!(values("postgresql://"), pairs(&[]));
        assert_eq!(
            values("POSTGRESQL://[::1]:6543,other/db"),
            pairs(&[("dbname", "db"), ("host", "::1,other"), ("port", "6543,")])
        );
        assert_eq!(
            values("postgres://%2Fvar%2Frun%2Fpostgresql/db"),
            pairs(&[("dbname", "db"), ("host", "/var/run/postgresql")])
        );
        assert_eq!(
            values("postgres:///db?host=/tmp&ssl=true"),
            pairs(&[("dbname", "db"), ("host", "/tmp"), ("sslmode", "require")])
        );
    }

    #[test]
    fn url_passwords_are_decoded_and_kept_as_written() {
        let params = Params::parse("postgres://app:p%40ss%2Fw%3Ard@host/db")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(params.values["password"], "p@ss/w:rd");
        assert_eq!(params.raw_password.as_deref(), Some("p%40ss%2Fw%3Ard"));
        // An unencoded `@` in the password: the user information ends at the last `@`.
        let params = Params::parse("postgres://app:p@ss@host/db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(params.values["password"], "p@ss");
        assert_eq!(params.values["host"], "host");
    }

    #[test]
    fn key_value_strings_follow_libpq_quoting() {
        assert_eq!(
            values(r"host=localhost  port = 5432 password='it\'s a secret' dbname=a\ b user=''"),
            pairs(&[
                ("dbname", "a b"),
                ("host", "localhost"),
                ("password", "it's a secret"),
                ("port", "5432"),
                ("user", ""),
            ])
        );
    }

    #[test]
    fn errors_never_quote_values() {
        for (text, needle) in [
            ("postgres://app:se/cret@host/db", "invalid port"),
            (
                "postgres://app:sec%zzret@host/db",
                "the password in the url has a `%`",
            ),
            ("postgres://app:secret@[::1/db", "closing `]`"),
            (
                "host=h password='secret",
                "quoted value of `password` is not closed",
            ),
            ("host=h password", "`password` lacks `=`"),
            (
                "mysql://app:secret@host/db",
                "unsupported url scheme `mysql`",
            ),
            ("secret", "expected a postgres:// url"),
            ("", "empty"),
            ("postgres://h/db?ssl=secret", "`ssl` only accepts `true`"),
        ] {
            let error = Params::parse(text).err().unwrap_or_default();
            assert!(error.contains(needle), "{text}: {error}");
            assert!(!error.contains("secret"), "{text}: {error}");
            assert!(!error.contains("cret"), "{text}: {error}");
        }
    }

    #[test]
    fn percent_encoding_round_trips_through_decoding() {
        let password = "p@ss:w/rd é%";
        let encoded = percent_encode(password);
        assert_eq!(encoded, "p%40ss%3Aw%2Frd%20%C3%A9%25");
        assert_eq!(decode(&encoded, "x").as_deref(), Ok(password));
    }
}
