//! Superuser passwords: generating them, keeping them in files only their owner can read,
//! and keeping them out of error messages.

use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use crate::Error;

/// 32 hexadecimal digits from the system's random source (URL-safe as is).
pub(crate) fn random_password() -> Result<String, Error> {
    let source = Path::new("/dev/urandom");
    let mut bytes = [0_u8; 16];
    fs::File::open(source)
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("read", source, e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes a file only its owner can read and write: created with mode 0600, so it is never
/// readable by others, even for a moment (an existing file keeps its mode: callers write new
/// files or their own).
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// The line of a libpq password file (`~/.pgpass` format) giving `password` to `user` on
/// every host, port and database.
pub(crate) fn passfile_line(user: &str, password: &str) -> String {
    let escape = |field: &str| field.replace('\\', "\\\\").replace(':', "\\:");
    format!("*:*:*:{}:{}\n", escape(user), escape(password))
}

/// `text` with `password` (as written, and as quoted in an SQL literal) masked.
pub(crate) fn redact(text: &str, password: &str) -> String {
    if password.is_empty() {
        return text.to_owned();
    }
    let quoted = password.replace('\'', "''");
    text.replace(&quoted, "***").replace(password, "***")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn random_passwords_are_hex_and_differ() {
        let first = random_password().expect("random");
        let second = random_password().expect("random");
        assert_eq!(first.len(), 32);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");
        assert_ne!(first, second);
    }

    #[test]
    fn private_files_are_created_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("secret");
        write_private(&file, "s3cret").expect("write");
        let mode = fs::metadata(&file).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(fs::read_to_string(&file).expect("read"), "s3cret");
    }

    #[test]
    fn passfile_fields_escape_colons_and_backslashes() {
        assert_eq!(
            passfile_line("postgres", r"a:b\c"),
            "*:*:*:postgres:a\\:b\\\\c\n"
        );
    }

    #[test]
    fn redaction_masks_the_password_and_its_quoted_form() {
        let text = "STATEMENT: ALTER ROLE postgres PASSWORD 'it''s'\nit's";
        assert_eq!(
            redact(text, "it's"),
            "STATEMENT: ALTER ROLE postgres PASSWORD '***'\n***"
        );
        assert_eq!(redact("nothing", ""), "nothing");
    }
}
