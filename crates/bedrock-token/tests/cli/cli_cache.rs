//! `bedrock-token --cache`, run as a real process with a cleared environment, a
//! test-owned cache directory and a `credential_process` that counts its runs.
#![cfg(unix)]

use crate::support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::time::Duration;

use aws_bedrock_token_generator::{generate_token, TokenInfo};
use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use support::bedrock::{verify, Keys};
use support::cli::*;
use support::sts::{Sts, ROLE_ARN};
use support::*;

/// The counting environment with `XDG_CACHE_HOME` in its temporary directory.
fn counting() -> (CliEnv, PathBuf) {
    let mut env = CliEnv::with_counting_credential_process();
    let xdg = env.path("xdg-cache");
    env.set("XDG_CACHE_HOME", &xdg);
    (env, xdg.join("bedrock-token"))
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// An entry as the command writes it.
fn entry(region: &str, token: &str, expires_at: std::time::SystemTime) -> String {
    let secs = expires_at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("bedrock-token cache v2\nregion={region}\nexpires_at={secs}\ntoken={token}\n")
}

#[test]
fn five_runs_load_credentials_once_and_print_one_token() {
    let (env, dir) = counting();
    let first = ok(&env.run(&["--cache"]));
    TokenInfo::parse(first.trim_end()).unwrap();
    for _ in 0..4 {
        assert_eq!(ok(&env.run(&["--cache"])), first);
    }
    assert_eq!(env.credential_loads(), 1);
    assert_eq!(mode(&dir), 0o700);
    let file = only_file(&dir);
    assert_eq!(mode(&file), 0o600);
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(
        name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );

    // The JSON format of a hit is the same four fields.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&env.run(&["--cache", "--format", "json"]))).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 4);
    assert_eq!(json["service"], "bedrock");
    assert_eq!(json["token"], first.trim_end());
    assert_eq!(json["region"], "us-west-2");
    assert_eq!(env.credential_loads(), 1);

    // A hit needs no credentials at all.
    std::fs::write(env.path("credentials.sh"), "exit 3\n").unwrap();
    assert_eq!(ok(&env.run(&["--cache"])), first);
    failed(&env.run(&[]), 69);
}

#[test]
fn other_settings_get_their_own_token() {
    let (mut env, dir) = counting();
    let runs: [&[&str]; 4] = [
        &["--cache"],
        &["--cache", "--region", "ap-south-1"],
        &["--cache", "--expiry", "1h"],
        &["--cache", "--profile", "other"],
    ];
    let tokens: Vec<String> = runs.iter().map(|args| ok(&env.run(args))).collect();
    assert_eq!(env.credential_loads(), 4);
    let info = |t: &str| TokenInfo::parse(t.trim_end()).unwrap();
    assert_eq!(info(&tokens[1]).region(), "ap-south-1");
    assert_eq!(info(&tokens[2]).expiry(), Duration::from_secs(3600));
    assert_eq!(info(&tokens[3]).region(), "eu-west-1");
    for (args, token) in runs.iter().zip(&tokens) {
        assert_eq!(&ok(&env.run(args)), token, "{args:?}");
    }
    assert_eq!(env.credential_loads(), 4);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 4);

    // Environment settings count too.
    env.set("AWS_REGION", "ca-central-1");
    assert_eq!(info(&ok(&env.run(&["--cache"]))).region(), "ca-central-1");
    env.set("AWS_PROFILE", "other").unset("AWS_REGION");
    assert_eq!(info(&ok(&env.run(&["--cache"]))).region(), "eu-west-1");
    assert_eq!(env.credential_loads(), 6);

    // So does an edit of the config files (here: the profile's region).
    let config = std::fs::read_to_string(env.path("config")).unwrap();
    env.write_config(&config.replace("eu-west-1", "eu-central-1"));
    assert_eq!(info(&ok(&env.run(&["--cache"]))).region(), "eu-central-1");
    assert_eq!(env.credential_loads(), 7);
}

#[test]
fn corrupt_foreign_and_stale_entries_are_replaced() {
    let (env, dir) = counting();
    ok(&env.run(&["--cache"]));
    let file = only_file(&dir);
    let now = SystemTimeSource::new().now();
    let hours = |h: u64| Duration::from_secs(h * 3600);
    let minted = |region: &str, signed| {
        let t = generate_token(&static_creds(), region, hours(12), signed).unwrap();
        (t.as_str().to_owned(), t.expires_at())
    };
    let mut loads = 1;
    let mut expect_miss = |contents: String, why: &str| {
        std::fs::write(&file, contents).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let token = ok(&env.run(&["--cache"]));
        loads += 1;
        assert_eq!(env.credential_loads(), loads, "{why}");
        assert_eq!(only_file(&dir), file);
        assert_eq!(mode(&file), 0o600);
        // The replacement is a good entry: the next run hits it.
        assert_eq!(ok(&env.run(&["--cache"])), token, "{why}");
        assert_eq!(env.credential_loads(), loads, "{why}");
    };
    expect_miss("garbage".into(), "corrupt");
    expect_miss(String::new(), "empty");
    let (old, old_expiry) = minted("us-west-2", now - hours(7));
    expect_miss(
        entry("us-west-2", &old, old_expiry),
        "less than half its lifetime left",
    );
    let (future, future_expiry) = minted("us-west-2", now + hours(1));
    expect_miss(entry("us-west-2", &future, future_expiry), "not yet valid");
    let (other, other_expiry) = minted("eu-west-1", now);
    expect_miss(
        entry("us-west-2", &other, other_expiry),
        "token for another region",
    );
    let short = generate_token(&static_creds(), "us-west-2", hours(1), now).unwrap();
    expect_miss(
        entry("us-west-2", short.as_str(), short.expires_at()),
        "another expiry",
    );

    // More than half its lifetime left: used as it is.
    let (recent, recent_expiry) = minted("us-west-2", now - hours(5));
    std::fs::write(&file, entry("us-west-2", &recent, recent_expiry)).unwrap();
    assert_eq!(ok(&env.run(&["--cache"])).trim_end(), recent);

    // Readable by others: not trusted, replaced.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = env.credential_loads();
    let replaced = ok(&env.run(&["--cache"]));
    assert_ne!(replaced.trim_end(), recent);
    assert_eq!(env.credential_loads(), before + 1);
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn an_unwritable_cache_still_prints_the_token_and_says_why() {
    let mut env = CliEnv::with_counting_credential_process();
    let not_a_dir = env.path("cache-file");
    std::fs::write(&not_a_dir, "").unwrap();
    env.set("XDG_CACHE_HOME", &not_a_dir);
    let out = env.run(&["--cache"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out);
    TokenInfo::parse(token.trim_end()).unwrap();
    let err = stderr(&out);
    assert!(
        err.starts_with("bedrock-token: warning: --cache: cannot store the token in "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_not_echoed(&out_without_stdout(out), token.trim_end());
}

/// `out` with stdout emptied (where the token belongs), for checking stderr alone.
fn out_without_stdout(mut out: std::process::Output) -> std::process::Output {
    out.stdout.clear();
    out
}

#[test]
fn the_default_location_is_under_home_and_nothing_is_stored_without_the_flag() {
    let env = CliEnv::with_counting_credential_process();
    let dir = env.path(".cache/bedrock-token");
    ok(&env.run(&[]));
    ok(&env.run(&["--format", "json"]));
    assert!(!env.path(".cache").exists());
    assert_eq!(env.credential_loads(), 2);
    let token = ok(&env.run(&["--cache"]));
    assert_eq!(ok(&env.run(&["--cache"])), token);
    assert_eq!(env.credential_loads(), 3);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&only_file(&dir)), 0o600);
}

#[test]
fn storing_prunes_entries_older_than_any_token() {
    let (env, dir) = counting();
    ok(&env.run(&["--cache"]));
    let old = dir.join("a".repeat(64));
    let stray = dir.join(".x.1.tmp");
    let recent = dir.join("b".repeat(64));
    let keep = dir.join("notes.txt");
    for path in [&old, &stray, &recent, &keep] {
        std::fs::write(path, "x").unwrap();
    }
    let day_ago = SystemTimeSource::new().now() - Duration::from_secs(86_400);
    for path in [&old, &stray, &keep] {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(day_ago)
            .unwrap();
    }
    ok(&env.run(&["--cache", "--expiry", "1h"]));
    assert!(!old.exists() && !stray.exists());
    assert!(recent.exists() && keep.exists());
}

/// A second secret key for the same access key id.
const OTHER_SECRET: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";

fn entries(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

/// The key covers every credential variable, not only the access key id: another secret
/// key, a session token or another STS endpoint is another entry, minted anew; the same
/// settings still hit, and the command's own output variable does not count.
#[test]
fn another_secret_session_token_or_endpoint_is_minted_anew() {
    let mut env = CliEnv::with_env_credentials();
    let xdg = env.path("xdg-cache");
    env.set("XDG_CACHE_HOME", &xdg);
    let dir = xdg.join("bedrock-token");
    let signed_with = |token: &str, secret: &str, session: Option<&str>| {
        let keys = Keys::default().with(AKID, secret, session);
        verify(&keys, SystemTimeSource::new().now(), token.trim_end())
    };

    let first = ok(&env.run(&["--cache"]));
    signed_with(&first, SECRET, None).unwrap();
    assert_eq!(ok(&env.run(&["--cache"])), first, "the same settings hit");

    env.set("AWS_SECRET_ACCESS_KEY", OTHER_SECRET);
    let other = ok(&env.run(&["--cache"]));
    assert_ne!(
        other, first,
        "served the token signed with the other secret"
    );
    signed_with(&other, OTHER_SECRET, None).unwrap();
    assert_eq!(entries(&dir), 2);

    env.set("AWS_SESSION_TOKEN", SESSION);
    let with_session = ok(&env.run(&["--cache"]));
    signed_with(&with_session, OTHER_SECRET, Some(SESSION)).unwrap();
    assert_eq!(entries(&dir), 3);

    // Without a role STS is not called, and the token is the same up to its signing time:
    // a new entry shows that it was minted, not served.
    env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    let with_endpoint = ok(&env.run(&["--cache"]));
    signed_with(&with_endpoint, OTHER_SECRET, Some(SESSION)).unwrap();
    assert_eq!(entries(&dir), 4, "served the entry of another endpoint");

    // Each set of settings still hits its own entry; `eval "$(bedrock-token --cache
    // --format export)"` sets AWS_BEARER_TOKEN_BEDROCK, which must not make it miss.
    env.set("AWS_BEARER_TOKEN_BEDROCK", with_endpoint.trim_end());
    assert_eq!(ok(&env.run(&["--cache"])), with_endpoint);
    env.unset("AWS_ENDPOINT_URL_STS");
    assert_eq!(ok(&env.run(&["--cache"])), with_session);
    env.unset("AWS_SESSION_TOKEN");
    assert_eq!(ok(&env.run(&["--cache"])), other);
    env.set("AWS_SECRET_ACCESS_KEY", SECRET);
    assert_eq!(ok(&env.run(&["--cache"])), first);
    assert_eq!(entries(&dir), 4);
}

/// With `--role-arn`, a run pointed at another STS endpoint gets a session from that
/// endpoint, not the token of the first one's session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_through_another_sts_endpoint_is_assumed_anew() {
    let first = Sts::start(SystemTimeSource::new()).await;
    let second = Sts::start(SystemTimeSource::new()).await;
    let mut env = CliEnv::with_env_credentials();
    env.set("XDG_CACHE_HOME", env.path("xdg-cache"));
    let args = ["--cache", "--role-arn", ROLE_ARN];

    env.set("AWS_ENDPOINT_URL_STS", first.url());
    let token = ok(&env.run_beside(&args).await);
    assert_eq!(
        ok(&env.run_beside(&args).await),
        token,
        "the same settings hit"
    );
    assert_eq!(first.calls().len(), 1);

    env.set("AWS_ENDPOINT_URL_STS", second.url());
    let other = ok(&env.run_beside(&args).await);
    assert_eq!(
        second.calls().len(),
        1,
        "served the first endpoint's session"
    );
    verify(
        &second.keys(),
        SystemTimeSource::new().now(),
        other.trim_end(),
    )
    .unwrap();
    assert_eq!(first.calls().len(), 1);
}

/// A FIFO where the entry belongs (planted, or left by accident): not opened for
/// reading (that would wait for a writer forever), a miss, replaced by the new entry.
#[test]
fn a_fifo_in_place_of_the_entry_is_a_miss_not_a_hang() {
    let (env, dir) = counting();
    ok(&env.run(&["--cache"]));
    let file = only_file(&dir);
    std::fs::remove_file(&file).unwrap();
    mkfifo(&file);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let out = env.run_within(&["--cache"], Duration::from_secs(20));
    TokenInfo::parse(ok(&out).trim_end()).unwrap();
    assert_eq!(env.credential_loads(), 2);
    assert!(std::fs::symlink_metadata(&file).unwrap().is_file());
    assert_eq!(
        ok(&env.run(&["--cache"])),
        ok(&out),
        "the replacement is used"
    );
    assert_eq!(env.credential_loads(), 2);
}

#[test]
fn each_service_gets_its_own_cached_token() {
    let (env, dir) = counting();
    let bedrock = ok(&env.run(&["--cache"]));
    let claude = ok(&env.run(&["--cache", "--service", "claude-platform"]));
    assert!(bedrock.starts_with("bedrock-api-key-"), "{bedrock}");
    assert!(
        claude.starts_with("aws-external-anthropic-api-key-"),
        "{claude}"
    );
    assert_eq!(env.credential_loads(), 2);
    // Each is reused for its own service only (the alias names the same service).
    assert_eq!(ok(&env.run(&["--cache"])), bedrock);
    assert_eq!(
        ok(&env.run(&["--cache", "--service", "aws-external-anthropic"])),
        claude
    );
    assert_eq!(env.credential_loads(), 2);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    let sagemaker = ok(&env.run(&["--cache", "--service", "sagemaker"]));
    assert!(sagemaker.starts_with("sagemaker-api-key-"), "{sagemaker}");
    assert_eq!(
        ok(&env.run(&["--cache", "--service", "sagemaker"])),
        sagemaker
    );
    assert_eq!(ok(&env.run(&["--cache"])), bedrock);
    assert_eq!(env.credential_loads(), 3);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
}
