//! An IAM stand-in on 127.0.0.1 for long-term Bedrock keys, speaking the AWS Query
//! protocol like IAM: form-encoded `POST /` with `Action` and `Version=2010-05-08`,
//! answered with `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…`
//! XML or an `<ErrorResponse>` with IAM's codes and statuses. It keeps users, attached
//! policies and keys, enforces IAM's two keys per user, and records every call with its
//! parameters.
//!
//! Misbehaviours a test can switch on: refusing calls (`deny`, `reject_all`), answers
//! the SDK cannot read (`garble`), carrying a call out and then answering a server error
//! (`fail_after`), answering late (`delay`), handing out malformed key text
//! (`bad_key_text`), and list pages that never end (`endless_pages`).
//!
//! For auditing and revoking (tests/long_term/long_term_audit.rs, tests/cli/cli_long_term_audit.rs) it
//! also keeps inline policies and group memberships, keys of any age, status and alias
//! put in place directly (`add_key`, `set_alias`), and IAM users' access keys
//! (`add_access_key`), and answers ListAttachedUserPolicies, ListUserPolicies,
//! ListGroupsForUser, GetAccessKeyLastUsed and UpdateAccessKey, paginated like
//! ListServiceSpecificCredentials.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::http::{respond, Request, Response, Server};

pub const ACCOUNT: &str = "123456789012";
pub const LIMITED_ACCESS: &str = "arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess";
pub const READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonBedrockReadOnly";
pub const ANTHROPIC_INFERENCE: &str = "arn:aws:iam::aws:policy/AnthropicInferenceAccess";
pub const XRAY_API_KEY: &str = "arn:aws:iam::aws:policy/AWSXRayAPIKeyAccess";
const BEDROCK: &str = "bedrock.amazonaws.com";
/// The IAM service names the stand-in makes keys for, with their key text's prefix.
const SERVICES: [(&str, &str); 3] = [
    (BEDROCK, "ABSK"),
    ("aws-external-anthropic.amazonaws.com", "AEAA"),
    // AWS documents no prefix for X-Ray's keys: any will do for the stand-in.
    ("xray.amazonaws.com", "XRAY"),
];
const DAY: Duration = Duration::from_secs(86_400);

/// One request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Call {
    pub action: String,
    pub params: BTreeMap<String, String>,
    /// The `authorization` header (SigV4), if any.
    pub authorization: Option<String>,
}

impl Call {
    /// A Query-protocol request as recorded: its `Action`, form parameters and
    /// `authorization` header.
    pub fn from_request(req: &Request) -> Call {
        let params = parse_form(&req.body()[..]);
        Call {
            action: params.get("Action").cloned().unwrap_or_default(),
            params,
            authorization: req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(String::from),
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// A key as IAM keeps it.
#[derive(Clone, Debug)]
pub struct Key {
    pub id: String,
    pub user: String,
    pub service: String,
    pub status: String,
    pub created: SystemTime,
    pub expires: Option<SystemTime>,
    /// The key text handed out (`ABSK…`), to check it never leaks.
    pub secret: String,
    /// The `ServiceCredentialAlias` listed (`None`: left out of answers), and the alias
    /// inside the key text.
    pub alias: Option<String>,
}

/// An IAM user's access key (`AKIA…`), as UpdateAccessKey changes it.
#[derive(Clone, Debug)]
pub struct AccessKey {
    pub id: String,
    pub user: String,
    pub status: String,
}

#[derive(Default)]
struct State {
    /// User name → attached policy ARNs.
    users: BTreeMap<String, BTreeSet<String>>,
    keys: Vec<Key>,
    policies: BTreeSet<String>,
    denied: BTreeSet<String>,
    garbled: BTreeSet<String>,
    /// Every call answers this error (status, code), before doing anything.
    reject_all: Option<(u16, &'static str)>,
    /// Action → the error (status, code) it answers after it was carried out.
    fail_after: BTreeMap<String, (u16, &'static str)>,
    /// Action → how long its answer is held back (after it was carried out).
    delays: BTreeMap<String, Duration>,
    /// Key text that create and reset hand out instead of a well-formed key.
    bad_key_text: Option<String>,
    /// List answers always say the list goes on, with a marker never given before.
    endless_pages: bool,
    calls: Vec<Call>,
    page_size: usize,
    minted: usize,
    handed_out: Vec<String>,
    now: Option<SystemTime>,
    /// User name → inline policy names.
    inline: BTreeMap<String, BTreeSet<String>>,
    /// User name → the groups the user is in.
    groups: BTreeMap<String, BTreeSet<String>>,
    access_keys: Vec<AccessKey>,
}

pub struct Iam {
    pub server: Server,
    state: Arc<Mutex<State>>,
}

impl Iam {
    /// A stand-in whose clock reads `now`, knowing the Bedrock managed policies.
    pub async fn start(now: SystemTime) -> Iam {
        let state = State {
            policies: [LIMITED_ACCESS, READ_ONLY, ANTHROPIC_INFERENCE, XRAY_API_KEY]
                .map(String::from)
                .into(),
            page_size: 100,
            now: Some(now),
            ..State::default()
        };
        let state = Arc::new(Mutex::new(state));
        let handler_state = state.clone();
        let server = Server::start(move |req| {
            let (response, delay) = handle(&handler_state, req);
            async move {
                if let Some(delay) = delay {
                    tokio::time::sleep(delay).await;
                }
                response
            }
        })
        .await;
        Iam { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn add_user(&self, name: &str) {
        self.state
            .lock()
            .unwrap()
            .users
            .insert(name.into(), BTreeSet::new());
    }

    /// `action` answers `403 AccessDenied` from now on.
    pub fn deny(&self, action: &str) {
        self.state.lock().unwrap().denied.insert(action.into());
    }

    /// `action` succeeds but answers a body the SDK cannot read (a broken date), with
    /// everything else, including any key text, still in it.
    pub fn garble(&self, action: &str) {
        self.state.lock().unwrap().garbled.insert(action.into());
    }

    /// Every call answers `status` with error `code` from now on (say
    /// `InvalidClientTokenId`), without doing anything.
    pub fn reject_all(&self, status: u16, code: &'static str) {
        self.state.lock().unwrap().reject_all = Some((status, code));
    }

    /// `action` is carried out (a key created, reset, ...) but answers `status` with error
    /// `code`, as an IAM that fails after doing the work.
    pub fn fail_after(&self, action: &str, status: u16, code: &'static str) {
        let mut state = self.state.lock().unwrap();
        state.fail_after.insert(action.into(), (status, code));
    }

    /// `action` is carried out at once but answered only after `delay`.
    pub fn delay(&self, action: &str, delay: Duration) {
        self.state
            .lock()
            .unwrap()
            .delays
            .insert(action.into(), delay);
    }

    /// Create and reset hand out `text` as the key text (control characters included,
    /// written as XML character references).
    pub fn bad_key_text(&self, text: &str) {
        self.state.lock().unwrap().bad_key_text = Some(text.into());
    }

    /// List answers never end: every page says the list goes on, with a fresh marker.
    pub fn endless_pages(&self) {
        self.state.lock().unwrap().endless_pages = true;
    }

    /// At most `n` keys per list page (IAM's `MaxItems` still wins when smaller).
    pub fn set_page_size(&self, n: usize) {
        self.state.lock().unwrap().page_size = n;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn actions(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.action).collect()
    }

    pub fn keys(&self) -> Vec<Key> {
        self.state.lock().unwrap().keys.clone()
    }

    pub fn key(&self, id: &str) -> Key {
        self.keys().into_iter().find(|k| k.id == id).expect("key")
    }

    pub fn has_user(&self, name: &str) -> bool {
        self.state.lock().unwrap().users.contains_key(name)
    }

    pub fn policies_of(&self, user: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state.users[user].iter().cloned().collect()
    }

    /// Attaches managed policy `arn` to `user` (created if need be), without a call.
    pub fn attach(&self, user: &str, arn: &str) {
        let mut state = self.state.lock().unwrap();
        state.policies.insert(arn.into());
        state
            .users
            .entry(user.into())
            .or_default()
            .insert(arn.into());
    }

    /// Gives `user` (created if need be) an inline policy named `name`.
    pub fn put_inline_policy(&self, user: &str, name: &str) {
        let mut state = self.state.lock().unwrap();
        state.users.entry(user.into()).or_default();
        state
            .inline
            .entry(user.into())
            .or_default()
            .insert(name.into());
    }

    /// Puts `user` (created if need be) in group `group`.
    pub fn add_to_group(&self, user: &str, group: &str) {
        let mut state = self.state.lock().unwrap();
        state.users.entry(user.into()).or_default();
        state
            .groups
            .entry(user.into())
            .or_default()
            .insert(group.into());
    }

    /// Puts a key in place without a call: for `user` (created if need be), IAM service
    /// name `service`, with the given status and dates; its alias is
    /// `<user>-at-<ACCOUNT>` and its text as IAM's. IAM's two-keys limit is not applied.
    pub fn add_key(
        &self,
        user: &str,
        service: &str,
        status: &str,
        created: SystemTime,
        expires: Option<SystemTime>,
    ) -> Key {
        let mut state = self.state.lock().unwrap();
        state.users.entry(user.into()).or_default();
        state.minted += 1;
        let prefix = prefix_of(service);
        let alias = format!("{user}-at-{ACCOUNT}");
        let key = Key {
            id: format!("ACCAEXAMPLEKEY{:06}", state.minted),
            user: user.into(),
            service: service.into(),
            status: status.into(),
            created,
            expires,
            secret: alias_text(prefix, &alias, state.minted),
            alias: Some(alias),
        };
        state.handed_out.push(key.secret.clone());
        state.keys.push(key.clone());
        key
    }

    /// Gives key `id` the alias `alias` (`None`: IAM's answers leave it out) and new key
    /// text carrying it (as IAM would have issued it); returns that text.
    pub fn set_alias(&self, id: &str, alias: Option<&str>) -> String {
        let mut state = self.state.lock().unwrap();
        state.minted += 1;
        let n = state.minted;
        let key = state.keys.iter_mut().find(|k| k.id == id).expect("key");
        let inner = alias.map_or_else(|| format!("{}-at-{ACCOUNT}", key.user), str::to_owned);
        key.secret = alias_text(prefix_of(&key.service), &inner, n);
        key.alias = alias.map(str::to_owned);
        let secret = key.secret.clone();
        state.handed_out.push(secret.clone());
        secret
    }

    /// Gives `user` (created if need be) the active access key `id` (`AKIA…`).
    pub fn add_access_key(&self, user: &str, id: &str) {
        let mut state = self.state.lock().unwrap();
        state.users.entry(user.into()).or_default();
        state.access_keys.push(AccessKey {
            id: id.into(),
            user: user.into(),
            status: "Active".into(),
        });
    }

    pub fn access_key(&self, id: &str) -> AccessKey {
        let state = self.state.lock().unwrap();
        state
            .access_keys
            .iter()
            .find(|k| k.id == id)
            .cloned()
            .expect("access key")
    }

    /// Every key text the stand-in ever handed out (including replaced ones).
    pub fn secrets(&self) -> Vec<String> {
        self.state.lock().unwrap().handed_out.clone()
    }
}

impl State {
    /// The key text for the key just minted (`self.minted`) for `user`.
    fn next_secret(&self, user: &str, prefix: &str) -> String {
        match &self.bad_key_text {
            Some(text) => text.clone(),
            None => secret_text(prefix, user, self.minted),
        }
    }
}

/// The `n`th key text: `ABSK` (or the service's prefix) + base64(`<alias>:<secret>`), as
/// IAM's keys look.
fn secret_text(prefix: &str, user: &str, n: usize) -> String {
    alias_text(prefix, &format!("{user}-at-{ACCOUNT}"), n)
}

/// [`secret_text`] with any alias.
fn alias_text(prefix: &str, alias: &str, n: usize) -> String {
    let inner = format!("{alias}:SECRETEXAMPLE{n:04}wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY");
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::STANDARD.encode(inner)
    )
}

/// The key text prefix of IAM service name `service` (`ABSK` for an unknown one).
fn prefix_of(service: &str) -> &'static str {
    SERVICES
        .iter()
        .find(|(name, _)| *name == service)
        .map_or("ABSK", |(_, prefix)| prefix)
}

/// One page of `items` (already rendered as XML members) for a list call with
/// parameters `p`: the `page-N` markers, `MaxItems` and the page size as for
/// ListServiceSpecificCredentials, and `endless` pages when switched on.
fn page_of(
    p: &BTreeMap<String, String>,
    items: &[String],
    page_size: usize,
    endless: Option<usize>,
) -> Result<(String, String), Failure> {
    if let Some(n) = endless {
        return Ok((
            String::new(),
            format!("<IsTruncated>true</IsTruncated><Marker>fresh-{n}</Marker>"),
        ));
    }
    let start: usize = match p.get("Marker") {
        None => 0,
        Some(m) => m
            .strip_prefix("page-")
            .and_then(|n| n.parse().ok())
            .ok_or((400, "InvalidInput", "Invalid Marker.".to_owned()))?,
    };
    let max = p
        .get("MaxItems")
        .and_then(|m| m.parse().ok())
        .unwrap_or(usize::MAX)
        .min(page_size);
    let end = start.saturating_add(max).min(items.len());
    let members = items[start.min(end)..end].concat();
    let truncated = end < items.len();
    let marker = if truncated {
        format!("<Marker>page-{end}</Marker>")
    } else {
        String::new()
    };
    Ok((
        members,
        format!("<IsTruncated>{truncated}</IsTruncated>{marker}"),
    ))
}

/// The answer to `req`, and how long to hold it back.
fn handle(state: &Mutex<State>, req: Request) -> (Response, Option<Duration>) {
    let call = Call::from_request(&req);
    let mut state = state.lock().unwrap();
    let delay = state.delays.get(&call.action).copied();
    (answer(&mut state, &req, call), delay)
}

fn answer(state: &mut State, req: &Request, call: Call) -> Response {
    let (action, params) = (call.action.clone(), call.params.clone());
    state.calls.push(call);
    let request_id = format!("00000000-0000-0000-0000-{:012}", state.calls.len());
    if let Some((status, code)) = state.reject_all {
        return error(status, code, &format!("{code} for {action}."), &request_id);
    }
    if req.method() != http::Method::POST
        || params.get("Version").map(String::as_str) != Some("2010-05-08")
    {
        return error(
            400,
            "InvalidAction",
            "Could not find operation",
            &request_id,
        );
    }
    if state.denied.contains(&action) {
        let user = params.get("UserName").cloned().unwrap_or_default();
        let message = format!(
            "User: arn:aws:iam::{ACCOUNT}:user/caller is not authorized to perform: iam:{action} \
             on resource: user {user} because no identity-based policy allows the iam:{action} \
             action"
        );
        return error(403, "AccessDenied", &message, &request_id);
    }
    let result = action_result(state, &action, &params);
    if let Some(&(status, code)) = state.fail_after.get(&action) {
        return error(
            status,
            code,
            "We encountered an internal error.",
            &request_id,
        );
    }
    match result {
        Ok(mut result) => {
            if state.garbled.contains(&action) {
                result = result.replace("<CreateDate>", "<CreateDate>garbled ");
            }
            let body = format!(
                "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                 {result}<ResponseMetadata><RequestId>{request_id}</RequestId>\
                 </ResponseMetadata></{action}Response>"
            );
            respond(200, "text/xml", body)
        }
        Err((status, code, message)) => error(status, code, &message, &request_id),
    }
}

type Failure = (u16, &'static str, String);

fn no_user(user: &str) -> Failure {
    (
        404,
        "NoSuchEntity",
        format!("The user with name {user} cannot be found."),
    )
}

fn action_result(
    state: &mut State,
    action: &str,
    p: &BTreeMap<String, String>,
) -> Result<String, Failure> {
    let now = state.now.expect("clock");
    let user = p.get("UserName").cloned().unwrap_or_default();
    let wrap = |inner: String| format!("<{action}Result>{inner}</{action}Result>");
    match action {
        "CreateUser" => {
            if state.users.contains_key(&user) {
                return Err((
                    409,
                    "EntityAlreadyExists",
                    format!("User with name {user} already exists."),
                ));
            }
            state.users.insert(user.clone(), BTreeSet::new());
            Ok(wrap(format!(
                "<User><Path>/</Path><UserName>{u}</UserName><UserId>AIDAEXAMPLEEXAMPLE01</UserId>\
                 <Arn>arn:aws:iam::{ACCOUNT}:user/{u}</Arn><CreateDate>{d}</CreateDate></User>",
                u = xml(&user),
                d = iso(now)
            )))
        }
        "AttachUserPolicy" => {
            let arn = p.get("PolicyArn").cloned().unwrap_or_default();
            if !state.users.contains_key(&user) {
                return Err(no_user(&user));
            }
            if !state.policies.contains(&arn) {
                return Err((
                    404,
                    "NoSuchEntity",
                    format!("Policy {arn} does not exist or is not attachable."),
                ));
            }
            state.users.get_mut(&user).unwrap().insert(arn);
            Ok(String::new())
        }
        "CreateServiceSpecificCredential" => {
            if !state.users.contains_key(&user) {
                return Err(no_user(&user));
            }
            let service = p.get("ServiceName").cloned().unwrap_or_default();
            let Some(&(_, prefix)) = SERVICES.iter().find(|(name, _)| *name == service) else {
                return Err((
                    400,
                    "NotSupportedService",
                    format!("Service {service} is not supported."),
                ));
            };
            let days = match p.get("CredentialAgeDays") {
                None => None,
                Some(d) => match d.parse::<u64>() {
                    Ok(d) if (1..=36600).contains(&d) => Some(d),
                    _ => {
                        return Err((
                            400,
                            "InvalidInput",
                            "CredentialAgeDays must be between 1 and 36600.".into(),
                        ))
                    }
                },
            };
            let held = state
                .keys
                .iter()
                .filter(|k| k.user == user && k.service == service)
                .count();
            if held >= 2 {
                return Err((
                    409,
                    "LimitExceeded",
                    "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2".into(),
                ));
            }
            state.minted += 1;
            let key = Key {
                id: format!("ACCAEXAMPLEKEY{:06}", state.minted),
                user: user.clone(),
                service,
                status: "Active".into(),
                created: now,
                expires: days.map(|d| now + DAY * d as u32),
                secret: state.next_secret(&user, prefix),
                alias: Some(format!("{user}-at-{ACCOUNT}")),
            };
            state.handed_out.push(key.secret.clone());
            state.keys.push(key.clone());
            Ok(wrap(credential_xml(
                &key,
                "ServiceSpecificCredential",
                true,
            )))
        }
        "ListServiceSpecificCredentials" => {
            let all = p.get("AllUsers").map(String::as_str) == Some("true");
            if all == p.contains_key("UserName") {
                return Err((
                    400,
                    "InvalidInput",
                    "Specify exactly one of UserName and AllUsers.".into(),
                ));
            }
            if !all && !state.users.contains_key(&user) {
                return Err(no_user(&user));
            }
            let service = p.get("ServiceName");
            let matching: Vec<&Key> = state
                .keys
                .iter()
                .filter(|k| all || k.user == user)
                .filter(|k| service.is_none_or(|s| &k.service == s))
                .collect();
            if state.endless_pages {
                let n = state.calls.len();
                return Ok(wrap(format!(
                    "<ServiceSpecificCredentials></ServiceSpecificCredentials>\
                     <IsTruncated>true</IsTruncated><Marker>fresh-{n}</Marker>"
                )));
            }
            let start = match p.get("Marker") {
                None => 0,
                Some(m) => m
                    .strip_prefix("page-")
                    .and_then(|n| n.parse().ok())
                    .ok_or((400, "InvalidInput", "Invalid Marker.".to_owned()))?,
            };
            let max = p
                .get("MaxItems")
                .and_then(|m| m.parse().ok())
                .unwrap_or(usize::MAX)
                .min(state.page_size);
            let end = (start + max).min(matching.len());
            let mut members = String::new();
            for key in &matching[start.min(end)..end] {
                members.push_str(&credential_xml(key, "member", false));
            }
            let truncated = end < matching.len();
            let marker = if truncated {
                format!("<Marker>page-{end}</Marker>")
            } else {
                String::new()
            };
            Ok(wrap(format!(
                "<ServiceSpecificCredentials>{members}</ServiceSpecificCredentials>\
                 <IsTruncated>{truncated}</IsTruncated>{marker}"
            )))
        }
        "UpdateServiceSpecificCredential"
        | "ResetServiceSpecificCredential"
        | "DeleteServiceSpecificCredential" => {
            let id = p
                .get("ServiceSpecificCredentialId")
                .cloned()
                .unwrap_or_default();
            if !state.users.contains_key(&user) {
                return Err(no_user(&user));
            }
            let Some(index) = state.keys.iter().position(|k| k.id == id && k.user == user) else {
                return Err((
                    404,
                    "NoSuchEntity",
                    format!("No such credential {id} exists for user {user}."),
                ));
            };
            match action {
                "UpdateServiceSpecificCredential" => {
                    let status = p.get("Status").cloned().unwrap_or_default();
                    if status != "Active" && status != "Inactive" {
                        return Err((400, "InvalidInput", "Invalid Status.".into()));
                    }
                    state.keys[index].status = status;
                    Ok(String::new())
                }
                "ResetServiceSpecificCredential" => {
                    state.minted += 1;
                    let prefix = SERVICES
                        .iter()
                        .find(|(name, _)| *name == state.keys[index].service)
                        .map_or("ABSK", |(_, prefix)| prefix);
                    let secret = state.next_secret(&user, prefix);
                    state.handed_out.push(secret.clone());
                    let key = &mut state.keys[index];
                    key.secret = secret;
                    Ok(wrap(credential_xml(key, "ServiceSpecificCredential", true)))
                }
                _ => {
                    state.keys.remove(index);
                    Ok(String::new())
                }
            }
        }
        "ListAttachedUserPolicies" | "ListUserPolicies" | "ListGroupsForUser" => {
            if !state.users.contains_key(&user) {
                return Err(no_user(&user));
            }
            let (items, element): (Vec<String>, &str) = match action {
                "ListAttachedUserPolicies" => (
                    state.users[&user]
                        .iter()
                        .map(|arn| {
                            format!(
                                "<member><PolicyName>{}</PolicyName><PolicyArn>{}</PolicyArn>\
                                 </member>",
                                xml(arn.rsplit('/').next().unwrap_or_default()),
                                xml(arn)
                            )
                        })
                        .collect(),
                    "AttachedPolicies",
                ),
                "ListUserPolicies" => (
                    state
                        .inline
                        .get(&user)
                        .into_iter()
                        .flatten()
                        .map(|name| format!("<member>{}</member>", xml(name)))
                        .collect(),
                    "PolicyNames",
                ),
                _ => (
                    state
                        .groups
                        .get(&user)
                        .into_iter()
                        .flatten()
                        .map(|g| {
                            format!(
                                "<member><Path>/</Path><GroupName>{g}</GroupName>\
                                 <GroupId>AGPAEXAMPLEEXAMPLE01</GroupId>\
                                 <Arn>arn:aws:iam::{ACCOUNT}:group/{g}</Arn>\
                                 <CreateDate>{d}</CreateDate></member>",
                                g = xml(g),
                                d = iso(now)
                            )
                        })
                        .collect(),
                    "Groups",
                ),
            };
            let endless = state.endless_pages.then_some(state.calls.len());
            let (members, tail) = page_of(p, &items, state.page_size, endless)?;
            Ok(wrap(format!("<{element}>{members}</{element}>{tail}")))
        }
        "GetAccessKeyLastUsed" => {
            let id = p.get("AccessKeyId").cloned().unwrap_or_default();
            let Some(key) = state.access_keys.iter().find(|k| k.id == id) else {
                return Err((
                    404,
                    "NoSuchEntity",
                    format!("The Access Key with id {id} cannot be found."),
                ));
            };
            Ok(wrap(format!(
                "<UserName>{}</UserName><AccessKeyLastUsed><Region>N/A</Region>\
                 <ServiceName>N/A</ServiceName></AccessKeyLastUsed>",
                xml(&key.user)
            )))
        }
        "UpdateAccessKey" => {
            let id = p.get("AccessKeyId").cloned().unwrap_or_default();
            let status = p.get("Status").cloned().unwrap_or_default();
            if status != "Active" && status != "Inactive" {
                return Err((400, "InvalidInput", "Invalid Status.".into()));
            }
            let Some(key) = state
                .access_keys
                .iter_mut()
                .find(|k| k.id == id && k.user == user)
            else {
                return Err((
                    404,
                    "NoSuchEntity",
                    format!("The Access Key with id {id} cannot be found."),
                ));
            };
            key.status = status;
            Ok(String::new())
        }
        _ => Err((400, "InvalidAction", format!("Unknown action {action}"))),
    }
}

fn credential_xml(key: &Key, element: &str, with_secret: bool) -> String {
    let service_user = format!("{}-at-{ACCOUNT}", key.user);
    let alias = key.alias.as_deref().map_or_else(String::new, |a| {
        format!(
            "<ServiceCredentialAlias>{}</ServiceCredentialAlias>",
            xml(a)
        )
    });
    let mut out = format!(
        "<{element}><UserName>{u}</UserName><Status>{s}</Status>\
         <ServiceUserName>{a}</ServiceUserName>{alias}\
         <CreateDate>{c}</CreateDate>",
        u = xml(&key.user),
        s = key.status,
        a = xml(&service_user),
        c = iso(key.created),
    );
    if let Some(expires) = key.expires {
        let _ = write!(out, "<ExpirationDate>{}</ExpirationDate>", iso(expires));
    }
    if with_secret {
        let _ = write!(
            out,
            "<ServiceCredentialSecret>{}</ServiceCredentialSecret>",
            xml_with_controls(&key.secret)
        );
    }
    let _ = write!(
        out,
        "<ServiceSpecificCredentialId>{}</ServiceSpecificCredentialId>\
         <ServiceName>{}</ServiceName></{element}>",
        key.id, key.service
    );
    out
}

fn error(status: u16, code: &str, message: &str, request_id: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
         <Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error>\
         <RequestId>{request_id}</RequestId></ErrorResponse>",
        xml(message)
    );
    respond(status, "text/xml", body)
}

/// `application/x-www-form-urlencoded` into a map.
pub fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    let body = String::from_utf8_lossy(body).replace('+', " ");
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// Escapes text for an XML element.
pub fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes text for an XML element, control characters as character references (which
/// the SDK's XML reader decodes).
pub fn xml_with_controls(s: &str) -> String {
    xml(s)
        .chars()
        .map(|c| {
            if c.is_control() {
                format!("&#x{:x};", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// ISO 8601 in UTC, as IAM writes dates.
pub fn iso(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
