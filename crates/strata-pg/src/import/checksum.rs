//! The checksums other tools record of a migration file, computed again from
//! the file so that an edit made after the tool applied it is seen.
//!
//! Each is compared as the tool itself compares it, and line endings never
//! count: a checkout on another system turns LF into CRLF without changing
//! a statement, and sqlx and Prisma on such a checkout accept the file too
//! (Prisma by trying both endings, Flyway by reading lines).

/// A checksum an old tool recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recorded {
    /// SHA-384 of the file's bytes (sqlx), as hex.
    Sha384(String),
    /// SHA-256 of the file's bytes (Prisma), as hex; an old Prisma wrote
    /// each byte without its leading zero.
    Sha256(String),
    /// CRC-32 of the file's lines without their line ends and without a
    /// byte-order mark, as a signed 32-bit number (Flyway).
    Crc32(i32),
}

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sha384(hex) | Self::Sha256(hex) => f.write_str(hex),
            Self::Crc32(n) => write!(f, "{n}"),
        }
    }
}

impl Recorded {
    /// Whether `file` (its bytes as on disk) has this checksum.
    pub fn matches(&self, file: &[u8]) -> bool {
        match self {
            Self::Sha384(hex) => line_endings(file)
                .iter()
                .any(|v| same_hex(hex, &to_hex(&sha2::Sha384::digest(v)))),
            Self::Sha256(hex) => line_endings(file).iter().any(|v| {
                let digest = sha2::Sha256::digest(v);
                same_hex(hex, &to_hex(&digest)) || same_hex(hex, &to_unpadded_hex(&digest))
            }),
            Self::Crc32(n) => flyway_crc32(file) == *n,
        }
    }
}

use sha2::Digest as _;

/// The file as it is, with CRLF turned into LF, and with LF into CRLF.
fn line_endings(file: &[u8]) -> [Vec<u8>; 3] {
    let mut lf = Vec::with_capacity(file.len());
    let mut i = 0;
    while i < file.len() {
        if file[i] == b'\r' && file.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        lf.push(file[i]);
        i += 1;
    }
    let mut crlf = Vec::with_capacity(lf.len() + lf.len() / 16);
    for &b in &lf {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    [file.to_vec(), lf, crlf]
}

fn same_hex(recorded: &str, computed: &str) -> bool {
    recorded.trim().eq_ignore_ascii_case(computed)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Each byte as hex without its leading zero, as Prisma before 2.20 wrote
/// checksums.
fn to_unpadded_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:x}")).collect()
}

/// Flyway's checksum: it reads the file line by line (a line ends at LF, CR
/// or CRLF, which are not part of it), drops a byte-order mark, and feeds
/// each line's UTF-8 bytes to one CRC-32, so the checksum is the CRC-32 of
/// the file without its BOM and without any CR or LF byte.
fn flyway_crc32(file: &[u8]) -> i32 {
    let body = file.strip_prefix(b"\xef\xbb\xbf").unwrap_or(file);
    let mut crc = Crc32::new();
    for chunk in body.split(|b| *b == b'\r' || *b == b'\n') {
        crc.update(chunk);
    }
    // Java's `(int) crc.getValue()`: the same 32 bits, read as signed.
    crc.finish().cast_signed()
}

/// CRC-32 as zlib and Java's `java.util.zip.CRC32` compute it (reflected,
/// polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).
struct Crc32 {
    state: u32,
}

impl Crc32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };

    fn new() -> Self {
        Self { state: 0xFFFF_FFFF }
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let index = usize::from((self.state as u8) ^ b);
            self.state = Self::TABLE[index] ^ (self.state >> 8);
        }
    }

    fn finish(&self) -> u32 {
        self.state ^ 0xFFFF_FFFF
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_the_standard_one() {
        // The check value every CRC-32 (IEEE) implementation gives.
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xCBF4_3926);
    }

    #[test]
    fn flyway_ignores_line_ends_and_the_bom_but_not_the_text() {
        let lf = b"create table a (id int);\n\ninsert into a values (1);\n";
        let crlf = b"\xef\xbb\xbfcreate table a (id int);\r\n\r\ninsert into a values (1);\r\n";
        assert_eq!(flyway_crc32(lf), flyway_crc32(crlf));
        assert_ne!(
            flyway_crc32(lf),
            flyway_crc32(b"create table a (id bigint);\n")
        );
        // A value above i32::MAX reads as negative, as Java's int cast gives.
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish().cast_signed(), -873_187_034);
    }

    #[test]
    fn sha_checksums_match_the_file_with_either_line_end() {
        let file = b"select 1;\nselect 2;\n";
        let sha384 = to_hex(&sha2::Sha384::digest(file));
        let sha256 = to_hex(&sha2::Sha256::digest(file));
        assert!(Recorded::Sha384(sha384.clone()).matches(file));
        assert!(Recorded::Sha384(sha384.to_uppercase()).matches(b"select 1;\r\nselect 2;\r\n"));
        assert!(!Recorded::Sha384(sha384).matches(b"select 1;\nselect 3;\n"));
        assert!(Recorded::Sha256(sha256.clone()).matches(b"select 1;\r\nselect 2;\r\n"));
        assert!(!Recorded::Sha256(sha256).matches(b"select 2;\n"));
        let old_prisma = to_unpadded_hex(&sha2::Sha256::digest(file));
        assert!(Recorded::Sha256(old_prisma).matches(file));
    }
}
