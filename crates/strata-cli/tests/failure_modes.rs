//! How `strata` fails on hostile or broken surroundings: migration "files"
//! that are links to secrets or devices, FIFOs, bytes that must not be
//! quoted, a configuration that is not UTF-8, a full disk, files that do not
//! parse, a reader that closes the pipe, a pinned self-signed certificate.
//! Each test is named after what broke; none may hang, leak or misreport.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{Cmd, Project};

/// `strata` in `project`, as [`Cmd::new`] sets it up, for the tests that
/// need what `Cmd` does not offer (a deadline, another stdout, a wrapper).
fn strata(project: &Project) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    command
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null());
    command
}

/// Runs `command` to its end, failing the test (and killing it) if that takes
/// more than 30 seconds: a command that hangs must fail, not hang the suite.
#[track_caller]
fn run_within_deadline(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run strata: {e}"));
    // Drain both pipes on threads, so a talkative child never blocks on them.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("strata still runs after 30 s: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn link(project: &Project, file: &str, target: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, project.root().join("migrations").join(file))
        .unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------
// Migration files that are not regular files
// ---------------------------------------------------------------------------

#[test]
fn a_link_to_proc_self_environ_does_not_print_the_environment() {
    let project = Project::new();
    project.write("0001_a.sql", "create table a (id int);\n");
    link(&project, "0002_x.sql", "/proc/self/environ");
    let secret = "hunter2-from-the-ci-environment".to_owned();
    for command in ["validate", "lint"] {
        let ran = Cmd::new(&project)
            .env("STRATA_TEST_SECRET", &secret)
            .env("PGPASSWORD", &secret)
            .hiding(std::slice::from_ref(&secret))
            .args([command])
            .run()
            .assert_code(2);
        let both = ran.stdout() + &ran.stderr();
        assert!(both.contains("0002_x.sql"), "{command}: {both}");
        assert!(
            both.contains("[symlink-outside-project]") || both.contains("not linted"),
            "{command}: {both}"
        );
        assert!(!both.contains("PATH="), "{command}: {both}");
    }
}

#[test]
fn a_link_to_etc_passwd_is_not_quoted_in_a_syntax_error() {
    let project = Project::new();
    link(&project, "0001_x.sql", "/etc/passwd");
    let ran = Cmd::new(&project).args(["validate"]).run().assert_code(2);
    let stdout = ran.stdout();
    assert!(
        stdout.contains("error[symlink-outside-project]: a symbolic link to /etc/passwd"),
        "{stdout}"
    );
    assert!(!stdout.contains("root:"), "{stdout}");
    assert!(!stdout.contains("syntax-error"), "{stdout}");
}

#[test]
fn a_fifo_or_a_link_to_dev_zero_does_not_hang_validate_or_lint() {
    let project = Project::new();
    project.write("0003_fine.sql", "create table a (id int);\n");
    nix::unistd::mkfifo(
        &project.root().join("migrations/0001_a.sql"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    link(&project, "0002_b.sql", "/dev/zero");
    for command in ["validate", "lint"] {
        let mut cmd = strata(&project);
        cmd.arg(command);
        let output = run_within_deadline(cmd);
        let both = text(&output.stdout) + &text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {both}");
        for file in ["0001_a.sql", "0002_b.sql"] {
            assert!(both.contains(file), "{command}: {both}");
        }
        if command == "validate" {
            assert!(
                both.contains("a FIFO (named pipe), not a regular file: strata did not read it"),
                "{both}"
            );
            assert!(both.contains("[symlink-outside-project]"), "{both}");
        }
    }
}

#[test]
fn a_nul_byte_snippet_shows_nothing_past_the_nul() {
    let project = Project::new();
    project.write(
        "0001_x.sql",
        "create table a (id int);\ninsert into a values (1); -- \0 SECRET-AFTER-NUL\n",
    );
    let ran = Cmd::new(&project).args(["validate"]).run().assert_code(2);
    let stdout = ran.stdout();
    assert!(!stdout.contains("SECRET-AFTER-NUL"), "{stdout}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn a_not_utf8_snippet_shows_nothing_past_the_bad_byte() {
    let project = Project::new();
    std::fs::write(
        project.root().join("migrations/0001_x.sql"),
        b"create table a (id int);\n-- caf\xe9 SECRET-AFTER-BYTE\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new(&project).args(["validate"]).run().assert_code(2);
    let stdout = ran.stdout();
    assert!(!stdout.contains("SECRET-AFTER-BYTE"), "{stdout}");
    insta::assert_snapshot!(stdout);
}

// ---------------------------------------------------------------------------
// strata.toml
// ---------------------------------------------------------------------------

#[test]
fn a_strata_toml_that_is_not_utf8_is_bad_input_exit_2() {
    let project = Project::new();
    std::fs::write(
        project.root().join("strata.toml"),
        b"[migrations]\ndir = \"caf\xe9\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new(&project).args(["validate"]).run().assert_code(2);
    assert_eq!(
        ran.stderr(),
        "error: strata.toml:2:11: the file is not valid UTF-8; save it as UTF-8\n"
    );
}

#[test]
fn a_strata_toml_linked_outside_the_project_is_refused_unquoted() {
    let project = Project::new();
    let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A file of secrets in another format: as TOML it fails on its first
    // line, which the TOML parser would quote.
    let secrets = elsewhere.path().join("pgpass");
    std::fs::write(&secrets, "db.example.com:5432:app:app:s3cret-from-pgpass\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let config = project.root().join("strata.toml");
    std::fs::remove_file(&config).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&secrets, &config).unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new(&project)
        .hiding(&["s3cret-from-pgpass".to_owned()])
        .args(["validate"])
        .run()
        .assert_code(2);
    assert!(
        ran.stderr()
            .starts_with("error: strata.toml is a symbolic link to "),
        "{}",
        ran.stderr()
    );
}

#[test]
fn a_strata_toml_that_is_a_fifo_is_refused_without_hanging() {
    let project = Project::new();
    let config = project.root().join("strata.toml");
    std::fs::remove_file(&config).unwrap_or_else(|e| panic!("{e}"));
    nix::unistd::mkfifo(&config, nix::sys::stat::Mode::from_bits_truncate(0o644))
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    let mut cmd = strata(&project);
    cmd.arg("validate");
    let output = run_within_deadline(cmd);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        "error: strata.toml is a FIFO (named pipe), not a regular file: strata did not read it\n"
    );
}

// ---------------------------------------------------------------------------
// strata lint on files it cannot judge
// ---------------------------------------------------------------------------

#[test]
fn lint_on_a_file_that_does_not_parse_says_it_was_not_linted_and_exits_2() {
    let project = Project::new();
    // No exposed schema: the row-level-security rules stay out of this.
    std::fs::write(
        project.root().join("strata.toml"),
        "[migrations]\ndir = \"migrations\"\n\n[lint]\nexposed_schemas = []\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    project.write("0001_a.sql", "create table a (id int primary key);\n");
    project.write("0002_b.sql", "create tabel b (id int);\n");
    let ran = Cmd::new(&project).args(["lint"]).run().assert_code(2);
    let stdout = ran.stdout();
    assert!(!stdout.contains("no lint findings\n"), "{stdout}");
    assert!(
        stdout.contains("error[syntax-error]: syntax error at or near \"tabel\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("no lint findings in the files that were linted"),
        "{stdout}"
    );
    assert_eq!(
        ran.stderr(),
        "error: 1 file not linted, because it does not load or parse (see the problems above): migrations/0002_b.sql\n"
    );

    // Machine formats keep stdout for the report, and exit 2 all the same.
    for format in ["json", "sarif", "github"] {
        let ran = Cmd::new(&project)
            .args(["lint", "--format", format])
            .run()
            .assert_code(2);
        assert!(
            ran.stderr()
                .contains("`strata validate` says why): migrations/0002_b.sql"),
            "{format}: {}",
            ran.stderr()
        );
        if format != "github" {
            let _ = ran.json();
        }
    }
}

#[test]
fn lint_on_a_file_that_does_not_load_says_it_was_not_linted_and_exits_2() {
    let project = Project::new();
    project.write("0001_a.sql", "create table a (id int primary key);\n");
    project.write("0002_b.sql", "select 'a\0b';\n");
    let ran = Cmd::new(&project).args(["lint"]).run().assert_code(2);
    assert!(ran.stdout().contains("error[nul-byte]"), "{}", ran.stdout());
    assert!(
        ran.stderr().contains("1 file not linted"),
        "{}",
        ran.stderr()
    );
}

// ---------------------------------------------------------------------------
// strata new on a full disk
// ---------------------------------------------------------------------------

#[test]
fn strata_new_on_a_full_disk_leaves_no_empty_file() {
    let project = Project::new();
    // A file-size limit of zero fails every write the way a full disk does
    // (with EFBIG instead of ENOSPC), after the file was created. SIGXFSZ
    // is ignored, as an ignored signal stays ignored across exec, so the
    // write fails instead of killing strata.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "ulimit -f 0 && trap '' XFSZ && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_strata"),
        "new",
        "add_users",
        "--sequential",
    ])
    .current_dir(project.root())
    .env("NO_COLOR", "1")
    .stdin(Stdio::null());
    let output = run_within_deadline(cmd);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: nothing was created: cannot write migrations/0001_add_users.sql: "
        ),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(project.root().join("migrations"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, Vec::<std::ffi::OsString>::new(), "{stderr}");
}

// ---------------------------------------------------------------------------
// A reader that goes away: `strata lint | head`
// ---------------------------------------------------------------------------

/// A standard output whose reader is already gone: every write to it fails
/// with EPIPE, at once and every time, as it does once `head` has exited.
fn closed_pipe() -> Stdio {
    let (read, write) = nix::unistd::pipe().unwrap_or_else(|e| panic!("pipe: {e}"));
    drop(read);
    Stdio::from(write)
}

#[test]
fn lint_into_a_closed_pipe_ends_quietly() {
    let project = Project::new();
    for i in 1..=50 {
        project.write(
            &format!("{i:04}_t.sql"),
            &format!("create table t{i} (id int);\nalter table t{i} add column v int not null;\n"),
        );
    }
    for format in ["human", "json"] {
        let mut cmd = strata(&project);
        cmd.args(["lint", "--format", format]).stdout(closed_pipe());
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run strata: {e}"));
        assert_eq!(text(&output.stderr), "", "{format}");
        assert_eq!(output.status.code(), Some(1), "{format}");
    }
}

#[test]
fn init_into_a_closed_pipe_ends_quietly() {
    // `init` reports with println!, which panics on a closed pipe.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg("init")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .output()
        .unwrap_or_else(|e| panic!("cannot run strata: {e}"));
    assert_eq!(text(&output.stderr), "");
    assert_eq!(output.status.code(), Some(1));
    // The work was done; only its report could not be read.
    assert!(dir.path().join("strata.toml").is_file());
}

// ---------------------------------------------------------------------------
// A pinned self-signed certificate
// ---------------------------------------------------------------------------

/// A self-signed server certificate for localhost and 127.0.0.1, as PEM
/// certificate and key; `ca` marks it as a CA, as `openssl req -x509` does by
/// default (the recipe of PostgreSQL's documentation).
fn self_signed(ca: bool) -> (String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
    let mut params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap_or_else(|e| panic!("{e}"));
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key).unwrap_or_else(|e| panic!("{e}"));
    (cert.pem(), key.serialize_pem())
}

/// Gives the cluster this certificate and key and turns TLS on (again).
fn serve_tls(cluster: &strata_ephemeral::Cluster, (cert, key): &(String, String)) {
    use std::os::unix::fs::PermissionsExt as _;
    let owner = cluster.os_user();
    for (name, text) in [("server.crt", cert), ("server.key", key)] {
        let path = cluster.data_dir().join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
        nix::unistd::chown(&path, Some(owner.uid().into()), Some(owner.gid().into()))
            .unwrap_or_else(|e| panic!("chown: {e}"));
    }
    // ALTER SYSTEM cannot run in the implicit transaction of one -c with two statements.
    let output = cluster
        .client_command("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .args([
            "-c",
            "alter system set ssl = on",
            "-c",
            "select pg_reload_conf()",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn a_pinned_self_signed_certificate_says_what_is_wrong_and_what_would_work() {
    let cluster = strata_ephemeral::Cluster::start()
        .unwrap_or_else(|e| panic!("cannot start a cluster: {e}"));
    let project = Project::new();
    let pinned = project.root().join("server.crt");
    let status = |url: &str| {
        let mut cmd = strata(&project);
        cmd.args(["status", "--url", url]);
        run_within_deadline(cmd)
    };
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        cluster.url("postgres"),
        pinned.display()
    );

    // What PostgreSQL's documentation makes: self-signed, and a CA. The
    // server rereads its configuration in its own time: wait for TLS.
    let with_ca = self_signed(true);
    std::fs::write(&pinned, &with_ca.0).unwrap_or_else(|e| panic!("{e}"));
    serve_tls(&cluster, &with_ca);
    let started = Instant::now();
    let refused = loop {
        let output = status(&url);
        let stderr = text(&output.stderr);
        if stderr.contains("tls with") {
            break output;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "tls never came up: {stderr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    for words in [
        "the server's certificate is a CA certificate (basicConstraints CA:TRUE)",
        "regenerate it without CA:TRUE",
        "-addext basicConstraints=critical,CA:FALSE",
    ] {
        assert!(stderr.contains(words), "no {words:?} in {stderr}");
    }

    // What the message says would work, does.
    let without_ca = self_signed(false);
    std::fs::write(&pinned, &without_ca.0).unwrap_or_else(|e| panic!("{e}"));
    serve_tls(&cluster, &without_ca);
    let started = Instant::now();
    loop {
        let output = status(&url);
        if output.status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the certificate without CA:TRUE is refused too: {}",
            text(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_dotenv_that_is_a_fifo_or_a_link_outside_the_project_is_refused_unread() {
    let project = Project::new();
    let dotenv = project.root().join(".env");
    nix::unistd::mkfifo(&dotenv, nix::sys::stat::Mode::from_bits_truncate(0o644))
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    let url = "postgres://nobody@127.0.0.1:1/none";
    let mut cmd = strata(&project);
    cmd.args(["status", "--url", url]);
    let output = run_within_deadline(cmd);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("a FIFO (named pipe), not a regular file"),
        "{}",
        text(&output.stderr)
    );

    std::fs::remove_file(&dotenv).unwrap_or_else(|e| panic!("{e}"));
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let secret = outside.path().join("secrets.env");
    std::fs::write(
        &secret,
        "DATABASE_PASSWORD=do-not-print-me\nnot a setting\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&secret, &dotenv).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = strata(&project);
    cmd.args(["status", "--url", url]);
    let output = run_within_deadline(cmd);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("outside the project"), "{stderr}");
    assert!(!stderr.contains("do-not-print-me"), "{stderr}");
}

#[test]
fn an_escape_sequence_in_a_migration_does_not_reach_the_terminal_in_a_snippet() {
    let project = Project::new();
    // A window-title escape and a clear-screen, on the line of a syntax error.
    project.write(
        "0001_escape.sql",
        "create table t (id int);\nselect \u{1b}]0;owned\u{7} from \u{1b}[2J nowhere where;\n",
    );
    let mut cmd = strata(&project);
    cmd.arg("validate");
    let output = run_within_deadline(cmd);
    // Diagnostics go to stdout; nothing may carry an escape on either stream.
    let stderr = text(&output.stdout) + &text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("0001_escape.sql:2"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("select \u{fffd}]0;owned\u{fffd} from"),
        "{stderr}"
    );
}

#[test]
fn lint_on_a_file_with_inline_copy_data_judges_the_statements_around_the_data() {
    let project = Project::new();
    project.write(
        "0001_seed.sql",
        "create table seed (id int primary key);\ncopy seed (id) from stdin;\n1\n2\n\\.\n",
    );
    project.write(
        "0002_more.sql",
        "copy seed (id) from stdin;\n3\n\\.\ncreate index seed_id on seed (id);\n",
    );
    let ran = Cmd::new(&project).args(["lint"]).run().assert_code(1);
    assert!(
        ran.stdout().contains("error[client-copy]"),
        "{}",
        ran.stdout()
    );
    // The data is stepped over, not linted as SQL, and the statement after it
    // is judged (the rules know `seed` from the first file).
    assert!(
        ran.stdout()
            .contains("warning[creating-index-non-concurrently]")
            && ran.stdout().contains("0002_more.sql:4:1"),
        "{}",
        ran.stdout()
    );
    assert!(!ran.stderr().contains("not linted"), "{}", ran.stderr());
}
