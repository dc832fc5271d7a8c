//! [`TlsIdentity`]: a certificate made in memory for the loopback names, and the rustls
//! server configuration that serves it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_async::time::{SystemTimeSource, TimeSource as _};
use base64::Engine as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::{Error, ErrorKind};

/// The names the certificate is for; the only addresses a TLS gateway listens on.
const DNS_NAME: &str = "localhost";
pub(super) const CERT_IPS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];
/// Valid from a day before it was made (clocks differ) to 397 days after, under the
/// 398 days that some clients allow a server certificate.
const BACKDATE: Duration = Duration::from_secs(24 * 3600);
const LIFETIME: Duration = Duration::from_secs(397 * 24 * 3600);

/// A TLS server identity for the gateway: a self-signed certificate for `localhost`,
/// `127.0.0.1` and `::1` only, made in memory with a new ECDSA P-256 key each time.
///
/// The private key never leaves this process's memory: it is not written anywhere and
/// cannot be read back (`Debug` shows only the certificate's names). Clients trust the
/// gateway through the certificate alone ([`TlsIdentity::cert_pem`]) or a bundle of the
/// system roots plus it ([`TlsIdentity::ca_bundle_pem`]); once the process ends, nobody
/// can present that certificate again.
#[derive(Clone)]
pub struct TlsIdentity {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    pub(super) server_config: Arc<rustls::ServerConfig>,
}

impl TlsIdentity {
    /// Makes a new key and certificate (not a CA: `digitalSignature`, `serverAuth`;
    /// valid from a day ago for 397 days).
    pub fn generate_localhost() -> Result<TlsIdentity, Error> {
        let tls_failed = |what: &str| {
            Error::new(
                ErrorKind::Gateway,
                format!("could not make the gateway's TLS certificate: {what} failed"),
            )
        };
        let mut names = vec![DNS_NAME.to_owned()];
        names.extend(CERT_IPS.iter().map(IpAddr::to_string));
        let mut params = rcgen::CertificateParams::new(names).map_err(|_| tls_failed("naming"))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            "bedrock-token gateway (localhost)",
        );
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let now = SystemTimeSource::new().now();
        params.not_before = (now - BACKDATE).into();
        params.not_after = (now + LIFETIME).into();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|_| tls_failed("key generation"))?;
        let cert = params
            .self_signed(&key)
            .map_err(|_| tls_failed("signing"))?;
        let cert_der = cert.der().clone();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        drop(key);

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| tls_failed("the TLS configuration"))?
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.clone()], key_der)
            .map_err(|_| tls_failed("loading the key"))?;
        server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            cert_pem: cert.pem(),
            cert_der,
            server_config: Arc::new(server_config),
        })
    }

    /// The certificate alone, PEM: what a client that takes extra trusted certificates
    /// needs (Node.js's `NODE_EXTRA_CA_CERTS`), or to write next to the gateway.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate in DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The system's root certificates followed by this certificate, PEM: a CA bundle for
    /// clients that take one file of trusted roots (`AWS_CA_BUNDLE`, `SSL_CERT_FILE`,
    /// `REQUESTS_CA_BUNDLE`), so that they trust the gateway and everything else as before.
    ///
    /// The roots are read as rustls-native-certs reads them (honouring `SSL_CERT_FILE`
    /// and `SSL_CERT_DIR`). Where the system has none, the bundle holds this certificate
    /// alone; where it has some but part of the store could not be read, the readable
    /// ones are kept. Fails ([`ErrorKind::Gateway`]) only if the store could not be read
    /// at all.
    pub fn ca_bundle_pem(&self) -> Result<String, Error> {
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() && !found.errors.is_empty() {
            return Err(Error::new(
                ErrorKind::Gateway,
                "could not read the system's root certificates (check SSL_CERT_FILE and \
                 SSL_CERT_DIR, or the system's certificate store)",
            ));
        }
        let mut pem = String::new();
        for root in &found.certs {
            push_pem(&mut pem, root);
        }
        pem.push_str(&self.cert_pem);
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

    #[test]
    fn the_bundle_ends_with_the_certificate() {
        let id = TlsIdentity::generate_localhost().unwrap();
        let bundle = id.ca_bundle_pem().unwrap();
        assert!(bundle.ends_with(id.cert_pem()));
        assert!(bundle.matches("BEGIN CERTIFICATE").count() >= 1);
    }
}
