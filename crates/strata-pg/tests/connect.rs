//! Connecting to real throwaway clusters: URLs, passwords, refused and missing databases, and
//! TLS with a certificate authority made for the test.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::Path;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use strata_ephemeral::{Auth, Cluster};
use strata_pg::connect::{ConnectError, Source, SslMode, Target, connect};
use tokio_postgres::Client;

const APP_NAME: &str = "strata-connect-test";

fn no_vars(_: &str) -> Option<String> {
    None
}

fn target(url: &str) -> Target {
    Target::parse(url, Source::Other("test".to_owned()), None, &no_vars)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

async fn connected(target: &Target) -> Client {
    connect(target, APP_NAME)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", target.display()))
}

async fn failure(target: &Target) -> ConnectError {
    match connect(target, APP_NAME).await {
        Ok(_) => panic!("{} connected", target.display()),
        Err(e) => e,
    }
}

async fn text(client: &Client, sql: &str) -> String {
    client
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Whether the session is encrypted.
async fn uses_tls(client: &Client) -> bool {
    client
        .query_one(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .get(0)
}

#[tokio::test]
async fn a_url_connects_and_runs_a_query() {
    let cluster = Cluster::start().expect("cluster");
    let target = target(&cluster.url("postgres"));
    let client = connected(&target).await;
    let one: i32 = client
        .query_one("select 1", &[])
        .await
        .expect("select 1")
        .get(0);
    assert_eq!(one, 1);
    assert_eq!(
        text(&client, "select current_setting('application_name')").await,
        APP_NAME
    );
    // sslmode=prefer against a server without TLS falls back to plain TCP.
    assert_eq!(target.ssl_mode(), SslMode::Prefer);
    assert!(!uses_tls(&client).await);

    // The URL's application_name wins over the program's.
    let named = self::target(&format!(
        "{}?application_name=deploy",
        cluster.url("postgres")
    ));
    let client = connected(&named).await;
    assert_eq!(
        text(&client, "select current_setting('application_name')").await,
        "deploy"
    );
}

#[tokio::test]
async fn key_value_settings_and_pg_variables_connect() {
    let cluster = Cluster::start().expect("cluster");
    let port = cluster.port().to_string();
    let vars = |name: &str| match name {
        "PGHOST" => Some("127.0.0.1".to_owned()),
        "PGPORT" => Some(port.clone()),
        "PGUSER" => Some("postgres".to_owned()),
        "PGPASSWORD" => Some(cluster.password().to_owned()),
        "PGDATABASE" => Some("template1".to_owned()),
        _ => None,
    };
    let target = Target::parse("sslmode=disable", Source::PgVariables, None, &vars)
        .unwrap_or_else(|e| panic!("{e}"));
    let client = connected(&target).await;
    assert_eq!(
        text(&client, "select current_database()::text").await,
        "template1"
    );
}

#[tokio::test]
async fn a_wrong_password_is_reported_without_any_password() {
    let superuser_password = "Sup3r-s3cret";
    let cluster = Cluster::builder()
        .auth(Auth::Password(superuser_password.to_owned()))
        .start()
        .expect("cluster");
    let admin = connected(&target(&cluster.url("postgres"))).await;
    admin
        .batch_execute("create role app login password 'S3cr3t!pw'")
        .await
        .expect("create role");
    let port = cluster.port();

    let right = target(&format!(
        "postgres://app:S3cr3t%21pw@127.0.0.1:{port}/postgres"
    ));
    let client = connected(&right).await;
    assert_eq!(text(&client, "select current_user::text").await, "app");

    // PGPASSWORD fills in a URL without a password.
    let vars = |name: &str| (name == "PGPASSWORD").then(|| "S3cr3t!pw".to_owned());
    let from_env = Target::parse(
        &format!("postgres://app@127.0.0.1:{port}/postgres"),
        Source::DatabaseUrl,
        None,
        &vars,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    connected(&from_env).await;

    let wrong = target(&format!(
        "postgres://app:Wr0ng!pw@127.0.0.1:{port}/postgres"
    ));
    let error = failure(&wrong).await;
    assert!(
        matches!(error, ConnectError::PasswordRejected { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert_eq!(
        message,
        format!(
            "password authentication failed for user `app` on 127.0.0.1:{port} \
             (postgres://app:***@127.0.0.1:{port}/postgres?sslmode=prefer)"
        )
    );
    let debug = format!("{error:?}");
    for password in ["Wr0ng!pw", "S3cr3t!pw", "S3cr3t%21pw", superuser_password] {
        assert!(!message.contains(password), "{message}");
        assert!(!debug.contains(password), "{debug}");
    }

    let missing = target(&format!("postgres://app@127.0.0.1:{port}/postgres"));
    let error = failure(&missing).await;
    assert!(
        matches!(error, ConnectError::PasswordMissing { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("asks for a password for user `app` and none was given"),
        "{error}"
    );
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let target = target(&format!(
        "postgres://app:pw@127.0.0.1:{port}/db?connect_timeout=5"
    ));
    let error = failure(&target).await;
    assert!(matches!(error, ConnectError::Refused { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "connection refused by 127.0.0.1:{port}: check that PostgreSQL is running there"
        )),
        "{message}"
    );
    assert!(!message.contains(":pw@"), "{message}");
}

#[tokio::test]
async fn an_unknown_host_is_unreachable() {
    // `.invalid` never resolves (RFC 6761).
    let error = failure(&target("postgres://app:pw@db.invalid/db?connect_timeout=5")).await;
    assert!(
        matches!(error, ConnectError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot reach db.invalid:5432: "),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_database_is_named() {
    let cluster = Cluster::start().expect("cluster");
    let error = failure(&target(&cluster.url("no_such_db"))).await;
    assert!(
        matches!(error, ConnectError::DatabaseMissing { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "database `no_such_db` does not exist on 127.0.0.1:{}",
            cluster.port()
        )),
        "{error}"
    );
}

#[tokio::test]
async fn tls_is_required_of_a_server_without_it() {
    let cluster = Cluster::start().expect("cluster");
    let error = failure(&target(&format!(
        "{}?sslmode=require",
        cluster.url("postgres")
    )))
    .await;
    assert!(matches!(error, ConnectError::Tls { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("(sslmode=require): server does not support TLS"),
        "{error}"
    );
}

/// A certificate authority and a server certificate it signed.
struct Pki {
    ca_key: KeyPair,
    ca_cert: rcgen::Certificate,
    ca_pem: String,
    server_pem: String,
    server_key_pem: String,
}

fn make_pki(ca_name: &str, names: &[&str]) -> Pki {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("ca certificate");

    let server_key = KeyPair::generate().expect("server key");
    let mut server =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("server params");
    server.distinguished_name.push(DnType::CommonName, names[0]);
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server
        .signed_by(&server_key, &ca_cert, &ca_key)
        .expect("server certificate");
    Pki {
        ca_pem: ca_cert.pem(),
        ca_key,
        ca_cert,
        server_pem: server_cert.pem(),
        server_key_pem: server_key.serialize_pem(),
    }
}

/// Turns TLS on in a running cluster: the certificate and key go into the data directory
/// (PostgreSQL's default `server.crt` and `server.key`), owned by the server's user, and
/// the configuration is reloaded.
async fn enable_tls(cluster: &Cluster, pki: &Pki) {
    let owner = cluster.os_user();
    for (name, text) in [
        ("server.crt", &pki.server_pem),
        ("server.key", &pki.server_key_pem),
    ] {
        let path = cluster.data_dir().join(name);
        fs::write(&path, text).expect("write certificate");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        chown(&path, Some(owner.uid()), Some(owner.gid())).expect("chown");
    }
    let admin = connected(&target(&format!(
        "{}?sslmode=disable",
        cluster.url("postgres")
    )))
    .await;
    // ALTER SYSTEM refuses to run in the implicit transaction of a multi-statement batch.
    for sql in ["alter system set ssl = on", "select pg_reload_conf()"] {
        admin.batch_execute(sql).await.expect("enable ssl");
    }
    // The postmaster rereads its configuration asynchronously.
    let require = target(&format!("{}?sslmode=require", cluster.url("postgres")));
    let started = Instant::now();
    loop {
        match connect(&require, APP_NAME).await {
            Ok(client) if uses_tls(&client).await => return,
            Ok(_) => {}
            Err(e) if started.elapsed() > Duration::from_secs(15) => {
                panic!("tls never came up: {e}\n{}", server_log(cluster))
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Pki {
    /// A client certificate for `user` and its key, as PEM.
    fn client(&self, user: &str) -> (String, String) {
        let key = KeyPair::generate().expect("client key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params.distinguished_name.push(DnType::CommonName, user);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params
            .signed_by(&key, &self.ca_cert, &self.ca_key)
            .expect("client certificate");
        (cert.pem(), key.serialize_pem())
    }
}

fn server_log(cluster: &Cluster) -> String {
    fs::read_to_string(cluster.log_file()).unwrap_or_default()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[tokio::test]
async fn tls_modes_verify_what_they_promise() {
    let cluster = Cluster::start().expect("cluster");
    let pki = make_pki("strata test ca", &["localhost", "127.0.0.1"]);
    enable_tls(&cluster, &pki).await;
    let files = tempfile::tempdir().expect("tempdir");
    let ca = write(files.path(), "ca.pem", &pki.ca_pem);
    let other_ca = write(
        files.path(),
        "other-ca.pem",
        &make_pki("another ca", &["localhost"]).ca_pem,
    );
    let port = cluster.port();
    let password = cluster.password();
    let url = |host: &str, query: &str| {
        format!("postgres://postgres:{password}@{host}:{port}/postgres?{query}")
    };

    // Encryption without verification.
    let client = connected(&target(&url("127.0.0.1", "sslmode=require"))).await;
    assert!(uses_tls(&client).await);
    let client = connected(&target(&url("127.0.0.1", "sslmode=prefer"))).await;
    assert!(uses_tls(&client).await);
    let client = connected(&target(&url("127.0.0.1", "sslmode=disable"))).await;
    assert!(!uses_tls(&client).await);

    // Full verification, by name and by IP address.
    for host in ["localhost", "127.0.0.1"] {
        let client = connected(&target(&url(
            host,
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        )))
        .await;
        assert!(uses_tls(&client).await, "{host}");
    }

    // A host name the certificate does not hold: verify-ca accepts it, verify-full does not.
    let elsewhere = |mode: &str| {
        target(&url(
            "db.invalid",
            &format!("sslmode={mode}&sslrootcert={ca}&hostaddr=127.0.0.1"),
        ))
    };
    let client = connected(&elsewhere("verify-ca")).await;
    assert!(uses_tls(&client).await);
    let error = failure(&elsewhere("verify-full")).await;
    assert!(matches!(error, ConnectError::Tls { .. }), "{error:?}");
    assert!(
        error.to_string().contains("(sslmode=verify-full)"),
        "{error}"
    );
    assert!(error.to_string().contains("not valid for name"), "{error}");

    // A CA that did not sign the server's certificate.
    for mode in ["verify-full", "verify-ca", "require"] {
        let error = failure(&target(&url(
            "localhost",
            &format!("sslmode={mode}&sslrootcert={other_ca}"),
        )))
        .await;
        assert!(
            matches!(error, ConnectError::Tls { .. }),
            "{mode}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "tls with localhost:{port} failed (sslmode={mode}): "
            )),
            "{message}"
        );
        assert!(
            message.contains("invalid peer certificate: UnknownIssuer"),
            "{message}"
        );
    }

    // Without sslrootcert, verification uses the public roots, which did not sign it either.
    let error = failure(&target(&url("localhost", "sslmode=verify-full"))).await;
    assert!(matches!(error, ConnectError::Tls { .. }), "{error:?}");

    // A root certificate file that does not exist.
    let error = failure(&target(&url(
        "localhost",
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    )))
    .await;
    assert!(
        matches!(error, ConnectError::Certificate { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot use sslrootcert /nonexistent/ca.pem: "),
        "{error}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // The kernel accepts the connection into the backlog; nobody ever answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let target = target(&format!(
        "postgres://app:pw@127.0.0.1:{port}/db?connect_timeout=1&sslmode=disable"
    ));
    let error = failure(&target).await;
    assert!(matches!(error, ConnectError::Timeout { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "timed out after 1s connecting to 127.0.0.1:{port} \
             (postgres://app:***@127.0.0.1:{port}/db?sslmode=disable)"
        )
    );
    drop(listener);
}

#[tokio::test]
async fn client_certificates_authenticate() {
    let cluster = Cluster::start().expect("cluster");
    let pki = make_pki("strata test ca", &["localhost", "127.0.0.1"]);
    enable_tls(&cluster, &pki).await;
    // Trust the CA for client certificates, and accept TCP clients only with one.
    let owner = cluster.os_user();
    for (name, text) in [
        ("root.crt", pki.ca_pem.as_str()),
        (
            "pg_hba.conf",
            "local all all trust\nhostssl all all 127.0.0.1/32 cert\n",
        ),
    ] {
        let path = cluster.data_dir().join(name);
        fs::write(&path, text).expect("write");
        chown(&path, Some(owner.uid()), Some(owner.gid())).expect("chown");
    }
    let admin = connected(&target(&format!(
        "{}?sslmode=require",
        cluster.url("postgres")
    )))
    .await;
    for sql in [
        "alter system set ssl_ca_file = 'root.crt'",
        "select pg_reload_conf()",
    ] {
        admin.batch_execute(sql).await.expect(sql);
    }
    drop(admin);

    let files = tempfile::tempdir().expect("tempdir");
    let (cert, key) = pki.client("postgres");
    let cert = write(files.path(), "client.crt", &cert);
    let key = write(files.path(), "client.key", &key);
    let ca = write(files.path(), "ca.pem", &pki.ca_pem);
    let with_cert = target(&format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={ca}\
         &sslcert={cert}&sslkey={key}",
        cluster.port()
    ));
    let started = Instant::now();
    let client = loop {
        match connect(&with_cert, APP_NAME).await {
            Ok(client) if text(&client, "show ssl_ca_file").await == "root.crt" => break client,
            Ok(_) => {}
            Err(e) if started.elapsed() > Duration::from_secs(15) => {
                panic!("client certificate refused: {e}\n{}", server_log(&cluster))
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(uses_tls(&client).await);

    let without = target(&format!(
        "postgres://postgres@localhost:{}/postgres?sslmode=verify-full&sslrootcert={ca}",
        cluster.port()
    ));
    let error = failure(&without).await;
    assert!(
        matches!(error, ConnectError::AccessDenied { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "access denied for user `postgres` on localhost:{}: ",
            cluster.port()
        )),
        "{error}"
    );
}
