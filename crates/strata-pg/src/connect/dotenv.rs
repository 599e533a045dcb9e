//! The project's `.env` file.

use std::collections::BTreeMap;
use std::path::Path;

use super::ConnectError;

/// The `.env` file's name, in the project's root.
pub const DOTENV_FILE: &str = ".env";

/// Reads `project_root/.env` (dotenv syntax, as dotenvy reads it); a missing file gives an
/// empty map. When a name appears twice, the first wins, as dotenvy does.
///
/// The values are returned, not put into the process environment: pass them to
/// [`vars_with_dotenv`], which lets the process environment win over them.
pub fn load_dotenv(project_root: &Path) -> Result<BTreeMap<String, String>, ConnectError> {
    let path = project_root.join(DOTENV_FILE);
    let failed = |message: String| ConnectError::Dotenv {
        path: path.clone(),
        message,
    };
    // Read as migrations are: a regular file (a FIFO would hang strata), a
    // link only to one inside the project (a link elsewhere could pull any
    // file's secrets into an error), of a sane size.
    let bytes = match strata_core::read_file(&path, Some(project_root)) {
        Ok(bytes) => bytes,
        Err(strata_core::SourceError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(BTreeMap::new());
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    let text =
        String::from_utf8(bytes).map_err(|_| failed("the file is not valid UTF-8".to_owned()))?;
    let mut vars = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((name, value)) => {
                vars.entry(name).or_insert(value);
            }
            // dotenvy's message quotes the line, which may hold a password: say where it is
            // instead.
            Err(dotenvy::Error::LineParse(line, _)) => {
                let number = text
                    .find(&line)
                    .map_or(0, |at| text[..at].matches('\n').count() + 1);
                return Err(failed(format!(
                    "line {number} is not NAME=value (quote values holding spaces or #)"
                )));
            }
            Err(dotenvy::Error::Io(e)) => return Err(failed(e.to_string())),
            // Other errors may quote a value too.
            Err(_) => return Err(failed("cannot read it as dotenv settings".to_owned())),
        }
    }
    Ok(vars)
}

/// A variable lookup for [`Inputs::vars`](super::Inputs::vars): the process environment
/// first, then `dotenv` (from [`load_dotenv`]).
pub fn vars_with_dotenv(dotenv: BTreeMap<String, String>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        std::env::var(name)
            .ok()
            .or_else(|| dotenv.get(name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_dotenv(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join(DOTENV_FILE), text).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(load_dotenv(dir.path()).ok(), Some(BTreeMap::new()));
    }

    #[test]
    fn values_are_read_and_the_first_wins() {
        let dir = write_dotenv(
            "# comment\nDATABASE_URL='postgres://app:pa$$word@db/shop'\n\
             export STAGING_URL=\"postgres://s@h/db\"\nDATABASE_URL=ignored\n",
        );
        let vars = load_dotenv(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(vars["DATABASE_URL"], "postgres://app:pa$$word@db/shop");
        assert_eq!(vars["STAGING_URL"], "postgres://s@h/db");
    }

    #[test]
    fn parse_errors_give_the_line_but_not_its_text() {
        let dir = write_dotenv("A=1\n\nPGPASSWORD=two words secret\n");
        let message = load_dotenv(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.ends_with(".env: line 3 is not NAME=value (quote values holding spaces or #)"),
            "{message}"
        );
        assert!(!message.contains("secret"), "{message}");
    }

    #[test]
    fn the_process_environment_wins_over_dotenv() {
        let dotenv = BTreeMap::from([
            ("PATH".to_owned(), "from-dotenv".to_owned()),
            ("STRATA_TEST_ONLY_IN_DOTENV".to_owned(), "yes".to_owned()),
        ]);
        let vars = vars_with_dotenv(dotenv);
        assert_eq!(vars("PATH"), std::env::var("PATH").ok());
        assert_eq!(vars("STRATA_TEST_ONLY_IN_DOTENV").as_deref(), Some("yes"));
        assert_eq!(vars("STRATA_TEST_NOWHERE"), None);
    }
}
