//! TLS for connections: rustls with the ring provider, and certificate verification as
//! libpq's `sslmode` asks.
//!
//! | sslmode            | verification                                              |
//! |--------------------|-----------------------------------------------------------|
//! | disable            | none (TLS is never attempted)                             |
//! | allow, prefer      | none: encryption if the server offers it                  |
//! | require            | none, or as verify-ca when `sslrootcert` is given (libpq) |
//! | verify-ca          | the chain leads to a trusted root; any host name          |
//! | verify-full        | the chain, and the certificate names the host             |
//!
//! Trusted roots are read from `sslrootcert`; without it (or with `sslrootcert=system`),
//! the Mozilla roots of `webpki-roots`, which cover hosted databases' public certificates.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{ConnectError, SslMode, Target};

/// What to check of the server's certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verification {
    /// Nothing: encryption without authentication.
    None,
    /// The chain, not the host name.
    Chain,
    /// The chain and the host name.
    Full,
}

impl Target {
    /// What the TLS mode and root certificate ask to verify.
    pub(crate) fn verification(&self) -> Verification {
        match self.ssl_mode {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => Verification::None,
            SslMode::Require if self.ssl_root_cert.is_some() => Verification::Chain,
            SslMode::Require => Verification::None,
            SslMode::VerifyCa => Verification::Chain,
            SslMode::VerifyFull => Verification::Full,
        }
    }
}

/// The TLS connector for `target`, reading its certificate files.
pub(crate) fn connector(target: &Target) -> Result<MakeRustlsConnect, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let other = |message: String| ConnectError::Other {
        address: target.address(),
        message,
        target: target.display(),
    };
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| other(format!("cannot set up tls: {e}")))?;
    let builder = match target.verification() {
        Verification::None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(WithoutHostName {
                roots: None,
                provider: Arc::clone(&provider),
            })),
        Verification::Chain => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(WithoutHostName {
                roots: Some(roots(target)?),
                provider: Arc::clone(&provider),
            })),
        Verification::Full => builder.with_root_certificates(roots(target)?),
    };
    let mut config = match &target.client_cert {
        None => builder.with_no_client_auth(),
        Some(client) => {
            let chain = read_certs(target, "sslcert", &client.cert)?;
            let key = read_key(target, &client.key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| certificate_error(target, "sslkey", &client.key, e.to_string()))?
        }
    };
    config.enable_sni = target.sni;
    Ok(MakeRustlsConnect::new(config))
}

/// The trusted roots: `sslrootcert`'s certificates, or the Mozilla roots.
fn roots(target: &Target) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    match target.ssl_root_cert.as_deref() {
        Some(path) if path != Path::new("system") => {
            for cert in read_certs(target, "sslrootcert", path)? {
                roots
                    .add(cert)
                    .map_err(|e| certificate_error(target, "sslrootcert", path, e.to_string()))?;
            }
        }
        _ => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}

fn read_certs(
    target: &Target,
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let failed = |message: String| certificate_error(target, what, path, message);
    let file = File::open(path).map_err(|e| failed(e.to_string()))?;
    let certs = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| failed(e.to_string()))?;
    if certs.is_empty() {
        return Err(failed("no PEM certificate in it".to_owned()));
    }
    Ok(certs)
}

fn read_key(target: &Target, path: &Path) -> Result<PrivateKeyDer<'static>, ConnectError> {
    let failed = |message: String| certificate_error(target, "sslkey", path, message);
    let file = File::open(path).map_err(|e| failed(e.to_string()))?;
    rustls_pemfile::private_key(&mut BufReader::new(file))
        .map_err(|e| failed(e.to_string()))?
        .ok_or_else(|| failed("no PEM private key in it".to_owned()))
}

fn certificate_error(
    target: &Target,
    what: &'static str,
    path: &Path,
    message: String,
) -> ConnectError {
    ConnectError::Certificate {
        what,
        path: path.to_owned(),
        message,
        target: target.display(),
    }
}

/// Plain words for why rustls refused the server's certificate, and what would
/// work instead, from the reason it gave (its words are all of the cause that
/// reaches the connection error). `None` when the reason says enough already
/// (a host name the certificate does not hold, an expired certificate...).
pub(crate) fn explain_refusal(reason: &str) -> Option<&'static str> {
    if !reason.contains("invalid peer certificate") {
        return None;
    }
    if reason.contains("CaUsedAsEndEntity") {
        // `openssl req -x509` marks the certificate as a CA by default, and
        // PostgreSQL's documentation makes the server's certificate that way;
        // libpq accepts it pinned, webpki never takes a CA as a server.
        Some(
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE) used as the server's own, \
             which strata's TLS library refuses even when sslrootcert pins it; \
             regenerate it without CA:TRUE (`openssl req -x509 ... -addext basicConstraints=critical,CA:FALSE`, \
             naming the host in subjectAltName for verify-full) and pin that, \
             or sign the server's certificate with a CA of its own and give that CA as sslrootcert",
        )
    } else if reason.contains("UnknownIssuer") {
        Some(
            "the server's certificate does not lead to a trusted root: none of sslrootcert's \
             certificates (or, without sslrootcert, no public authority) signed it; \
             give as sslrootcert the CA certificate that signed it, or for a self-signed certificate, \
             the certificate itself",
        )
    } else if reason.contains("UnsupportedCertVersion") {
        Some(
            "the server's certificate is an X.509 version 1 certificate, which strata's TLS library \
             refuses; regenerate it as version 3 (any extension makes one, such as \
             `-addext subjectAltName=DNS:HOST`)",
        )
    } else {
        None
    }
}

/// The verifiers that skip the host name: with no roots, any certificate is accepted
/// (libpq's `prefer` and `require`); with roots, the chain must lead to one of them
/// (`verify-ca`). Either way the server must prove it holds the certificate's key, so the
/// session is at least encrypted to the peer that answered.
#[derive(Debug)]
struct WithoutHostName {
    roots: Option<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for WithoutHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
