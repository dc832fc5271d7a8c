//! [`TlsIdentity`]: a certificate authority made in memory for one run, the server
//! certificate it signs for the loopback names, and the rustls server configuration that
//! serves them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_async::time::{SystemTimeSource, TimeSource as _};
use base64::Engine as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::{Error, ErrorKind};

/// The names the server certificate is for; the only addresses a TLS gateway listens on.
const DNS_NAME: &str = "localhost";
pub(super) const CERT_IPS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];
/// Valid from a day before they were made (clocks differ) to 397 days after, under the
/// 398 days that some clients allow a server certificate. The authority's key lives only
/// in this process's memory, so it can sign nothing once the process ends, whatever the
/// dates say.
const BACKDATE: Duration = Duration::from_secs(24 * 3600);
const LIFETIME: Duration = Duration::from_secs(397 * 24 * 3600);

/// A TLS server identity for the gateway: a certificate authority made for this run,
/// and a server certificate it signs for `localhost`, `127.0.0.1` and `::1` only, each
/// with a new ECDSA P-256 key.
///
/// Clients trust the authority ([`TlsIdentity::cert_pem`]), as they trust mkcert's or
/// aws-vault's: the usual shape, which every TLS stack accepts. (A self-signed server
/// certificate is refused as a trust anchor by the BoringSSL of Bun 1.4.3 and older, so
/// by Claude Code's native builds on those, unless its key usage allows signing
/// certificates.) The authority is `CA:true`, path length 0, key usage `keyCertSign` and
/// `cRLSign`; the server certificate is not a CA, key usage `digitalSignature`, extended
/// key usage `serverAuth`.
///
/// Neither private key leaves this process's memory: they are not written anywhere and
/// cannot be read back (`Debug` shows only the names); the authority's key is dropped as
/// soon as it has signed. Once the process ends, nobody can present these certificates
/// or sign another one with the authority.
#[derive(Clone)]
pub struct TlsIdentity {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_der: CertificateDer<'static>,
    pub(super) server_config: Arc<rustls::ServerConfig>,
}

impl TlsIdentity {
    /// Makes a new authority and server certificate (valid from a day ago for 397
    /// days), each with a new key.
    pub fn generate_localhost() -> Result<TlsIdentity, Error> {
        let tls_failed = |what: &str| {
            Error::new(
                ErrorKind::Io,
                format!("could not make the gateway's TLS certificate: {what} failed"),
            )
        };
        let now = SystemTimeSource::new().now();
        let dated = |params: &mut rcgen::CertificateParams, name: &str| {
            params.distinguished_name = rcgen::DistinguishedName::new();
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            params.not_before = (now - BACKDATE).into();
            params.not_after = (now + LIFETIME).into();
        };
        let new_key = || {
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                .map_err(|_| tls_failed("key generation"))
        };

        let mut ca_params = rcgen::CertificateParams::default();
        dated(&mut ca_params, "bedrock-token gateway CA (this run only)");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, new_key()?)
            .map_err(|_| tls_failed("signing the authority"))?;

        let mut names = vec![DNS_NAME.to_owned()];
        names.extend(CERT_IPS.iter().map(IpAddr::to_string));
        let mut params = rcgen::CertificateParams::new(names).map_err(|_| tls_failed("naming"))?;
        dated(&mut params, "bedrock-token gateway (localhost)");
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = new_key()?;
        let server = params
            .signed_by(&key, &ca)
            .map_err(|_| tls_failed("signing"))?;
        let ca_pem = ca.pem();
        let ca_der = ca.der().clone();
        // The authority's key is not needed again.
        drop(ca);
        let server_der = server.der().clone();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        drop(key);

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| tls_failed("the TLS configuration"))?
            .with_no_client_auth()
            .with_single_cert(vec![server_der.clone(), ca_der.clone()], key_der)
            .map_err(|_| tls_failed("loading the key"))?;
        server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            ca_pem,
            ca_der,
            server_der,
            server_config: Arc::new(server_config),
        })
    }

    /// The authority's certificate, PEM: the one certificate clients trust. What a
    /// client that takes extra trusted certificates needs (Node.js's
    /// `NODE_EXTRA_CA_CERTS`, `curl --cacert`), or to write next to the gateway.
    pub fn cert_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The authority's certificate in DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The server certificate the gateway presents (signed by the authority), in DER.
    pub fn server_cert_der(&self) -> &[u8] {
        &self.server_der
    }

    /// The system's root certificates followed by the authority's certificate, PEM: a CA
    /// bundle for clients that take one file of trusted roots (`AWS_CA_BUNDLE`, `SSL_CERT_FILE`,
    /// `REQUESTS_CA_BUNDLE`), so that they trust the gateway and everything else as before.
    ///
    /// The roots are read as rustls-native-certs reads them (honouring `SSL_CERT_FILE`
    /// and `SSL_CERT_DIR`). Where the system has none, the bundle holds the authority's
    /// certificate alone; where it has some but part of the store could not be read, the readable
    /// ones are kept. Fails ([`ErrorKind::Io`]) only if the store could not be read
    /// at all.
    pub fn ca_bundle_pem(&self) -> Result<String, Error> {
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() && !found.errors.is_empty() {
            return Err(Error::new(
                ErrorKind::Io,
                "could not read the system's root certificates (check SSL_CERT_FILE and \
                 SSL_CERT_DIR, or the system's certificate store)",
            ));
        }
        let mut pem = String::new();
        for root in &found.certs {
            push_pem(&mut pem, root);
        }
        pem.push_str(&self.ca_pem);
        Ok(pem)
    }
}

/// Appends `der` as a PEM `CERTIFICATE` block.
fn push_pem(pem: &mut String, der: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    pem.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // Base64 is ASCII.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("names", &[DNS_NAME, "127.0.0.1", "::1"])
            .field("private_key", &"** in memory only **")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_is_the_der_and_debug_shows_no_key() {
        let id = TlsIdentity::generate_localhost().unwrap();
        assert!(id.cert_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        let mut again = String::new();
        push_pem(&mut again, id.cert_der());
        assert_eq!(
            again.replace('\n', ""),
            id.cert_pem().replace(['\r', '\n'], "")
        );
        let debug = format!("{id:?}");
        assert!(!debug.contains("PRIVATE"), "{debug}");
        assert!(debug.contains("localhost"));
        let other = TlsIdentity::generate_localhost().unwrap();
        assert_ne!(id.cert_der(), other.cert_der());
    }

    /// What every TLS stack needs (Claude Code's native builds on Bun 1.4.3 and older
    /// among them): an authority with `CA:true` and `keyCertSign`, and a server
    /// certificate it signed, not a CA, for the loopback names and `serverAuth`.
    #[test]
    fn an_authority_signs_the_server_certificate() {
        use rustls::client::danger::ServerCertVerifier as _;
        use x509_parser::extensions::GeneralName;
        use x509_parser::prelude::{FromDer as _, X509Certificate};
        let id = TlsIdentity::generate_localhost().unwrap();
        let (_, ca) = X509Certificate::from_der(id.cert_der()).unwrap();
        let (_, server) = X509Certificate::from_der(id.server_cert_der()).unwrap();

        let constraints = ca.basic_constraints().unwrap().unwrap().value;
        assert!(constraints.ca);
        assert_eq!(constraints.path_len_constraint, Some(0));
        let usage = ca.key_usage().unwrap().unwrap().value;
        assert!(usage.key_cert_sign() && usage.crl_sign());
        assert!(!usage.digital_signature());
        assert_eq!(ca.subject(), ca.issuer());

        assert_eq!(server.issuer(), ca.subject());
        assert!(!server.basic_constraints().unwrap().unwrap().value.ca);
        let usage = server.key_usage().unwrap().unwrap().value;
        assert!(usage.digital_signature() && !usage.key_cert_sign());
        let eku = server.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
        let names: Vec<String> = server
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
            .iter()
            .map(|name| match name {
                GeneralName::DNSName(dns) => (*dns).to_owned(),
                GeneralName::IPAddress(ip) => match ip.len() {
                    4 => IpAddr::from(<[u8; 4]>::try_from(*ip).unwrap()).to_string(),
                    _ => IpAddr::from(<[u8; 16]>::try_from(*ip).unwrap()).to_string(),
                },
                other => panic!("unexpected name {other:?}"),
            })
            .collect();
        assert_eq!(names, ["localhost", "127.0.0.1", "::1"]);
        for cert in [&ca, &server] {
            let days = (cert.validity().not_after.timestamp()
                - cert.validity().not_before.timestamp())
                / 86_400;
            assert_eq!(days, 398);
        }
        assert_ne!(ca.public_key().raw, server.public_key().raw);

        // A verifier that trusts the authority alone accepts the server certificate for
        // each name.
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(id.cert_der())).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        for name in ["localhost", "127.0.0.1", "::1"] {
            verifier
                .verify_server_cert(
                    &CertificateDer::from(id.server_cert_der()),
                    &[],
                    &rustls::pki_types::ServerName::try_from(name).unwrap(),
                    &[],
                    rustls::pki_types::UnixTime::now(),
                )
                .unwrap();
        }
    }

    #[test]
    fn the_bundle_ends_with_the_certificate() {
        let id = TlsIdentity::generate_localhost().unwrap();
        let bundle = id.ca_bundle_pem().unwrap();
        assert!(bundle.ends_with(id.cert_pem()));
        assert!(bundle.matches("BEGIN CERTIFICATE").count() >= 1);
    }
}
