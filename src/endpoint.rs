//! Endpoint and retry settings checked before the AWS SDK reads them.
//!
//! The SDK takes endpoint overrides as they are: an empty `AWS_ENDPOINT_URL=` makes its
//! endpoint resolver panic ("URL was unset"), and one that does not parse as a URI (a
//! trailing space) fails with a message that quotes the whole unsigned request, an SSO
//! access token or a web-identity token included. An invalid `AWS_MAX_ATTEMPTS` or
//! `AWS_RETRY_MODE` panics in aws-config. So these settings are checked here first, and a
//! bad one is an [`ErrorKind::InvalidEndpoint`] or [`ErrorKind::InvalidConfig`] naming
//! where it came from (never its value: it could be a pasted secret).

use aws_runtime::env_config::property::PropertiesKey;
use aws_types::os_shim_internal::{Env, Fs};

use crate::{Error, ErrorKind};

/// The services whose clients this crate (or aws-config on its behalf) builds, by their
/// SDK service ids as the `services` section of a profile names them.
const SERVICES: [&str; 4] = ["iam", "sts", "sso", "sso_oidc"];

/// The most attempts `AWS_MAX_ATTEMPTS` may ask for: the SDK takes any number, and a
/// huge one keeps a failing call retrying (and the CPU busy) for minutes.
const MAX_ATTEMPTS: u32 = 100;

/// Checks the endpoint overrides that the AWS SDK would read: `AWS_ENDPOINT_URL`, every
/// `AWS_ENDPOINT_URL_<SERVICE>`, and in the selected profile (`profile_name`, else
/// `AWS_PROFILE`, else `default`) its `endpoint_url` and the `endpoint_url` of its
/// `services` section for IAM, STS and SSO; also `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE`,
/// which aws-config would otherwise panic on.
///
/// Each must be an `http://` or `https://` URL with a host, and no blanks or control
/// characters. [`TokenProvider`](crate::TokenProvider) runs this check before it loads
/// anything from the default chains; call it yourself before building SDK clients from
/// `aws_config` defaults to turn a setting the SDK would panic on into an error.
///
/// # Errors
/// [`ErrorKind::InvalidEndpoint`] for an endpoint setting, [`ErrorKind::InvalidConfig`]
/// for a retry setting or unreadable config files; the message names the variable or
/// profile key, never its value.
pub async fn check_endpoint_settings(profile_name: Option<&str>) -> Result<(), Error> {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
        .filter(|(k, _)| k.starts_with("AWS_"))
        .collect();
    vars.sort();
    check_env(&vars)?;
    check_config_files()?;
    let profiles = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &Default::default(),
        profile_name.map(|p| p.to_owned().into()),
    )
    .await
    .map_err(|_| {
        Error::new(
            ErrorKind::InvalidConfig,
            "cannot read the AWS config files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE); \
             check that they are readable and well-formed",
        )
    })?;
    let name = profiles.selected_profile().to_owned();
    let Some(profile) = profiles.get_profile(&name) else {
        return Ok(());
    };
    let in_profile = |key: &str| format!("`{key}` of profile `{}`", name.escape_debug());
    if let Some(url) = profile.get("endpoint_url") {
        check_url(url).map_err(|why| invalid_endpoint(&in_profile("endpoint_url"), why))?;
    }
    if let Some(section) = profile.get("services") {
        for service in SERVICES {
            let key = PropertiesKey::builder()
                .section_key("services")
                .section_name(section)
                .property_name(service)
                .sub_property_name("endpoint_url")
                .build();
            let Ok(key) = key else { continue };
            if let Some(url) = profiles.other_sections().get(&key) {
                let place = format!(
                    "`{service}.endpoint_url` in section `[services {}]` (profile `{}`)",
                    section.escape_debug(),
                    name.escape_debug()
                );
                check_url(url).map_err(|why| invalid_endpoint(&place, why))?;
            }
        }
    }
    Ok(())
}

/// The AWS config files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, or their
/// defaults under the home directory) must be regular files or `/dev/null`: aws-config
/// reads them whole, so a FIFO would block it for ever and `/dev/zero` would never end.
fn check_config_files() -> Result<(), Error> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    for (var, default) in [
        ("AWS_CONFIG_FILE", ".aws/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
    ] {
        let path = match std::env::var_os(var) {
            Some(path) => std::path::PathBuf::from(path),
            None => match &home {
                Some(home) => std::path::Path::new(home).join(default),
                None => continue,
            },
        };
        let Ok(meta) = std::fs::metadata(&path) else {
            continue; // missing or unreadable: aws-config skips it, as the AWS CLI does
        };
        if !meta.is_file() && !is_null_device(&meta) {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "the AWS config file {} ({var}) is not a regular file (a FIFO, device or \
                     directory): point {var} at a regular file, or at /dev/null for none",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Whether `meta` is `/dev/null`'s.
fn is_null_device(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == meta.rdev())
            && !meta.is_dir()
            && meta.rdev() != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// The environment part of [`check_endpoint_settings`], over `AWS_*` variables.
fn check_env(vars: &[(String, String)]) -> Result<(), Error> {
    for (name, value) in vars {
        if name == "AWS_ENDPOINT_URL" || name.starts_with("AWS_ENDPOINT_URL_") {
            check_url(value).map_err(|why| invalid_endpoint(name, why))?;
        } else if name == "AWS_MAX_ATTEMPTS"
            && !value
                .parse::<u32>()
                .is_ok_and(|n| (1..=MAX_ATTEMPTS).contains(&n))
        {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "AWS_MAX_ATTEMPTS is not a whole number from 1 to {MAX_ATTEMPTS}: set it to \
                     one (e.g. 3), or unset it"
                ),
            ));
        } else if name == "AWS_RETRY_MODE"
            && !["standard", "adaptive"]
                .iter()
                .any(|m| value.eq_ignore_ascii_case(m))
        {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                "AWS_RETRY_MODE is neither `standard` nor `adaptive`: set it to one, or unset it",
            ));
        }
    }
    Ok(())
}

fn invalid_endpoint(place: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidEndpoint,
        format!(
            "the endpoint setting {place} {why}: set it to a URL such as \
             `https://service.us-east-1.amazonaws.com`, or remove it"
        ),
    )
}

/// Why `url` is not an endpoint the SDK can use, if it is not.
fn check_url(url: &str) -> Result<(), &'static str> {
    if url.is_empty() {
        return Err("is empty");
    }
    if url.trim().is_empty() {
        return Err("is blank");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains blanks or control characters");
    }
    let uri: http::Uri = url.parse().map_err(|_| "is not a URL")?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(_) => return Err("is not an http:// or https:// URL"),
        None => return Err("has no scheme (http:// or https://)"),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("has no host");
    }
    let port = uri.authority().and_then(|a| a.as_str().rsplit_once(':'));
    let has_port = port.is_some_and(|(_, p)| !p.ends_with(']'));
    if has_port && uri.port_u16().is_none_or(|p| p == 0) {
        return Err("has an invalid port");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://iam.amazonaws.com",
            "http://127.0.0.1:8080",
            "http://localhost:1/",
            "https://[::1]:443/path",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("", "is empty"),
            ("  ", "is blank"),
            ("http://x ", "contains blanks or control characters"),
            ("http://x\n", "contains blanks or control characters"),
            ("iam.amazonaws.com", "has no scheme (http:// or https://)"),
            ("ftp://x", "is not an http:// or https:// URL"),
            ("http://", "is not a URL"),
            ("http://ünïcode.example", "is not a URL"),
            ("http://127.0.0.1:99999", "has an invalid port"),
            ("http://127.0.0.1:0", "has an invalid port"),
        ] {
            assert_eq!(check_url(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn environment() {
        let vars = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(check_env(&vars(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")])).is_ok());
        let e = check_env(&vars(&[("AWS_ENDPOINT_URL_IAM", "")])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidEndpoint);
        assert!(
            e.to_string().contains("AWS_ENDPOINT_URL_IAM is empty"),
            "{e}"
        );
        let secret = "http://x wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let e = check_env(&vars(&[("AWS_ENDPOINT_URL", secret)])).unwrap_err();
        assert!(!e.to_string().contains("wJalr"), "{e}");
        for (name, value) in [
            ("AWS_MAX_ATTEMPTS", "0"),
            ("AWS_MAX_ATTEMPTS", "x"),
            ("AWS_MAX_ATTEMPTS", "1000000000"),
            ("AWS_RETRY_MODE", "fast"),
        ] {
            let e = check_env(&vars(&[(name, value)])).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert!(e.to_string().starts_with(name), "{e}");
        }
        assert!(check_env(&vars(&[
            ("AWS_RETRY_MODE", "Adaptive"),
            ("AWS_MAX_ATTEMPTS", "3")
        ]))
        .is_ok());
    }
}
