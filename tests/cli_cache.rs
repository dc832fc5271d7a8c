//! `bedrock-token --cache`, run as a real process with a cleared environment, a
//! test-owned cache directory and a `credential_process` that counts its runs.
#![cfg(all(feature = "cli", unix))]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::time::Duration;

use aws_bedrock_token_generator::{generate_token, TokenInfo};
use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use support::cli::*;
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
    format!("bedrock-token cache v1\nregion={region}\nexpires_at={secs}\ntoken={token}\n")
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

    // The JSON format of a hit is the same three fields.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&env.run(&["--cache", "--format", "json"]))).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 3);
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
