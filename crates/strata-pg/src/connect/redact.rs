//! Taking passwords out of text before it is printed.

/// What a secret is replaced with.
const MASK: &str = "***";

/// Replaces, in `text`, every occurrence of each of `secrets` (empty ones are skipped),
/// the password part of any URL (`scheme://user:PASSWORD@host`), and the value of any
/// `password=...` setting (`PGPASSWORD=...` included, any case), with `***`.
///
/// A belt-and-braces pass for every message strata prints; pass
/// [`Target::secrets`](super::Target::secrets).
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    // Longest first, so that a secret holding another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in secrets {
        out = out.replace(secret, MASK);
    }
    let out = redact_url_passwords(&out);
    let out = redact_password_settings(&out);
    redact_sql_password_literals(&out)
}

/// Masks the literal in SQL's `PASSWORD 'secret'` (`CREATE ROLE`, `ALTER ROLE`), so a
/// migration line quoted in an error does not print a role's password.
fn redact_sql_password_literals(text: &str) -> String {
    const KEY: &str = "password";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(KEY) {
        let key_end = search + found + KEY.len();
        search = key_end;
        let after = &text[key_end..];
        let spaces = after.len() - after.trim_start().len();
        if spaces == 0 {
            continue;
        }
        let mut quote = key_end + spaces;
        if text[quote..].starts_with(['E', 'e']) && text[quote + 1..].starts_with('\'') {
            quote += 1;
        }
        if !text[quote..].starts_with('\'') {
            continue;
        }
        // The literal ends at a quote not doubled.
        let body = quote + 1;
        let bytes = text.as_bytes();
        let mut end = body;
        while end < bytes.len() {
            if bytes[end] == b'\'' {
                if bytes.get(end + 1) == Some(&b'\'') {
                    end += 2;
                    continue;
                }
                break;
            }
            end += 1;
        }
        out.push_str(&text[copied..body]);
        out.push_str(MASK);
        copied = end.min(text.len());
        search = copied;
    }
    out.push_str(&text[copied..]);
    out
}

/// Masks `PASSWORD` in `scheme://user:PASSWORD@host...`. The URL ends at white space or a
/// quote; its user information at the last `@`, since a password may hold an unencoded `@`
/// or `/`.
fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = at + 3;
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after
            .find(|c: char| c.is_whitespace() || "\"'`<>".contains(c))
            .unwrap_or(after.len());
        let token = &after[..end];
        match (token.rfind('@'), token.find(':')) {
            (Some(last_at), Some(colon)) if colon < last_at => {
                out.push_str(&token[..=colon]);
                out.push_str(MASK);
                out.push_str(&token[last_at..]);
            }
            _ => out.push_str(token),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Masks the value of `password=value`, `password = 'quoted value'` and `PGPASSWORD=value`.
fn redact_password_settings(text: &str) -> String {
    const KEY: &str = "password";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(KEY) {
        let key_end = search + found + KEY.len();
        search = key_end;
        let after = &text[key_end..];
        let trimmed = after.trim_start_matches([' ', '\t']);
        let Some(value) = trimmed.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start_matches([' ', '\t']);
        let value_start = text.len() - value.len();
        let value_len = if let Some(quoted) = value.strip_prefix('\'') {
            quoted_len(quoted) + 1
        } else {
            value
                .find(|c: char| c.is_whitespace() || "&\"'`".contains(c))
                .unwrap_or(value.len())
        };
        if value_len == 0 {
            continue;
        }
        out.push_str(&text[copied..value_start]);
        out.push_str(MASK);
        copied = value_start + value_len;
        search = copied;
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of a single-quoted value after its opening quote, the closing quote included
/// (or to the end when it is not closed); `\` escapes the next character.
fn quoted_len(quoted: &str) -> usize {
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' => return i + 1,
            _ => {}
        }
    }
    quoted.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_password_literals_are_masked() {
        assert_eq!(
            redact(
                "create role app login password 'hun''ter2' valid until 'x';",
                &[]
            ),
            "create role app login password '***' valid until 'x';"
        );
        assert_eq!(
            redact("ALTER ROLE a PASSWORD E'p'; select 'password';", &[]),
            "ALTER ROLE a PASSWORD E'***'; select 'password';"
        );
        assert_eq!(redact("password 'unterminated", &[]), "password '***");
    }

    #[test]
    fn secrets_are_masked_wherever_they_appear() {
        assert_eq!(
            redact(
                "auth failed: hunter2 and hunter22",
                &["hunter2", "", "hunter22"]
            ),
            "auth failed: *** and ***"
        );
    }

    #[test]
    fn url_passwords_are_masked_without_knowing_them() {
        assert_eq!(
            redact(
                "cannot connect to postgres://app:s3cret@db:5432/x today",
                &[]
            ),
            "cannot connect to postgres://app:***@db:5432/x today"
        );
        assert_eq!(
            redact("'postgresql://app:p@ss/w@db/x' and mysql://u@h/x", &[]),
            "'postgresql://app:***@db/x' and mysql://u@h/x"
        );
        assert_eq!(
            redact("postgres://db:5432/x postgres://app@db/x", &[]),
            "postgres://db:5432/x postgres://app@db/x"
        );
    }

    #[test]
    fn password_settings_are_masked_without_knowing_them() {
        assert_eq!(
            redact(r"host=db password='it\'s secret' user=app", &[]),
            "host=db password=*** user=app"
        );
        assert_eq!(
            redact(
                "PGPASSWORD=hunter2 psql; Password = abc&sslmode=require",
                &[]
            ),
            "PGPASSWORD=*** psql; Password = ***&sslmode=require"
        );
        assert_eq!(
            redact("password authentication failed; password=", &[]),
            "password authentication failed; password="
        );
        assert_eq!(redact("password='unterminated", &[]), "password=***");
    }

    #[test]
    fn non_ascii_text_survives() {
        assert_eq!(
            redact("mot de passe é password=ü postgres://ü:é@h", &["ß"]),
            "mot de passe é password=*** postgres://ü:***@h"
        );
    }
}
