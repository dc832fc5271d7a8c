//! An STS stand-in on 127.0.0.1 for the assume-role step, speaking the AWS Query
//! protocol like STS: form-encoded `POST /` with `Action=AssumeRole` and
//! `Version=2011-06-15`, answered with `<AssumeRoleResponse>` XML holding a new role
//! session, or an `<ErrorResponse>` with STS's codes and statuses. Like a role with a
//! `MaxSessionDuration`, it refuses longer sessions (`ValidationError`). It records every
//! call (parameters and `authorization` header) and every session it hands out, so tests
//! can verify tokens signed by those sessions and check that their secrets never leak.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SharedTimeSource, TimeSource};

use super::bedrock::Keys;
use super::http::{respond, Request, Response, Server};
use super::iam::{iso, xml, Call, ACCOUNT};

pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/bedrock-sandbox";
/// STS's `DurationSeconds` when none is sent.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(3600);

/// A role session as STS handed it out.
#[derive(Clone, Debug)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expires: SystemTime,
}

struct State {
    calls: Vec<Call>,
    sessions: Vec<Session>,
    max_session: Duration,
    failure: Option<(u16, String, String)>,
    garbled: bool,
    /// An element of `<Credentials>` left out of (or emptied in) every answer.
    without: Option<&'static str>,
}

pub struct Sts {
    pub server: Server,
    state: Arc<Mutex<State>>,
}

impl Sts {
    /// A stand-in whose sessions start at `clock`'s time, for a role whose maximum
    /// session duration is one hour (the IAM default).
    pub async fn start(clock: impl TimeSource + 'static) -> Sts {
        let clock = SharedTimeSource::new(clock);
        let state = Arc::new(Mutex::new(State {
            calls: Vec::new(),
            sessions: Vec::new(),
            max_session: DEFAULT_DURATION,
            failure: None,
            garbled: false,
            without: None,
        }));
        let handler_state = state.clone();
        let server = Server::start(move |req| {
            let response = handle(&handler_state, clock.now(), req);
            async move { response }
        })
        .await;
        Sts { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The role's maximum session duration.
    pub fn set_max_session(&self, max: Duration) {
        self.state.lock().unwrap().max_session = max;
    }

    /// Every AssumeRole answers this error from now on.
    pub fn fail(&self, status: u16, code: &str, message: &str) {
        self.state.lock().unwrap().failure = Some((status, code.into(), message.into()));
    }

    /// AssumeRole succeeds, but with a body the SDK cannot read (a broken expiration),
    /// the new session's secret key and token still in it.
    pub fn garble(&self) {
        self.state.lock().unwrap().garbled = true;
    }

    /// AssumeRole succeeds, but its `<Credentials>` lacks `element` (`SessionToken`,
    /// `Expiration`, ...), or has it empty with `"empty AccessKeyId"`.
    pub fn answer_without(&self, element: &'static str) {
        self.state.lock().unwrap().without = Some(element);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn sessions(&self) -> Vec<Session> {
        self.state.lock().unwrap().sessions.clone()
    }

    /// Every session's keys, for `bedrock::verify`.
    pub fn keys(&self) -> Keys {
        self.sessions().iter().fold(Keys::default(), |keys, s| {
            keys.with(
                &s.access_key_id,
                &s.secret_access_key,
                Some(&s.session_token),
            )
        })
    }

    /// Every secret key and session token handed out, to check that none leaks.
    pub fn secrets(&self) -> Vec<String> {
        self.sessions()
            .into_iter()
            .flat_map(|s| [s.secret_access_key, s.session_token])
            .collect()
    }
}

fn handle(state: &Mutex<State>, now: SystemTime, req: Request) -> Response {
    let call = Call::from_request(&req);
    let (action, params) = (call.action.clone(), call.params.clone());
    let mut state = state.lock().unwrap();
    state.calls.push(call);
    let request_id = format!("11111111-2222-3333-4444-{:012}", state.calls.len());
    if req.method() != http::Method::POST
        || action != "AssumeRole"
        || params.get("Version").map(String::as_str) != Some("2011-06-15")
    {
        return error(
            400,
            "InvalidAction",
            "Could not find operation",
            &request_id,
        );
    }
    if let Some((status, code, message)) = &state.failure {
        return error(*status, code, message, &request_id);
    }
    let (Some(role_arn), Some(session_name)) =
        (params.get("RoleArn"), params.get("RoleSessionName"))
    else {
        return error(
            400,
            "MissingParameter",
            "RoleArn and RoleSessionName are required",
            &request_id,
        );
    };
    let duration = match params.get("DurationSeconds").map(|d| d.parse::<u64>()) {
        None => DEFAULT_DURATION,
        Some(Ok(secs)) if secs >= 900 => Duration::from_secs(secs),
        Some(_) => {
            return error(
                400,
                "ValidationError",
                "1 validation error detected: Value at 'durationSeconds' failed to satisfy \
                 constraint: Member must have value greater than or equal to 900",
                &request_id,
            )
        }
    };
    if duration > state.max_session {
        return error(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            &request_id,
        );
    }
    if let Some(policy) = params.get("Policy") {
        if serde_json::from_str::<serde_json::Value>(policy).is_err() {
            return error(
                400,
                "MalformedPolicyDocument",
                "The policy is not in the valid JSON format.",
                &request_id,
            );
        }
    }
    let n = state.sessions.len() + 1;
    let session = Session {
        access_key_id: format!("ASIASTSEXAMPLE{n:06}"),
        secret_access_key: format!("STSsecret{n:04}wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLE"),
        session_token: format!("FwoGZXIvYXdzSTSEXAMPLE{n:04}SESSIONTOKEN+abc/def=="),
        expires: now + duration,
    };
    state.sessions.push(session.clone());
    let role_name = role_arn.rsplit('/').next().unwrap_or_default();
    let mut expiration = iso(session.expires);
    if state.garbled {
        expiration = format!("garbled {expiration}");
    }
    let mut credentials = format!(
        "<AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration>",
        akid = session.access_key_id,
        secret = session.secret_access_key,
        token = xml(&session.session_token),
    );
    match state.without {
        Some("empty AccessKeyId") => {
            credentials = credentials.replace(&session.access_key_id, "");
        }
        Some(element) => {
            let start = credentials.find(&format!("<{element}>")).unwrap();
            let end_tag = format!("</{element}>");
            let end = credentials.find(&end_tag).unwrap() + end_tag.len();
            credentials.replace_range(start..end, "");
        }
        None => {}
    }
    let body = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <AssumeRoleResult><Credentials>{credentials}</Credentials><AssumedRoleUser>\
         <Arn>arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{name}</Arn>\
         <AssumedRoleId>AROAEXAMPLEEXAMPLE01:{name}</AssumedRoleId></AssumedRoleUser>\
         </AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId>\
         </ResponseMetadata></AssumeRoleResponse>",
        role = xml(role_name),
        name = xml(session_name),
    );
    respond(200, "text/xml", body)
}

fn error(status: u16, code: &str, message: &str, request_id: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
         <Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error>\
         <RequestId>{request_id}</RequestId></ErrorResponse>",
        xml(message)
    );
    let mut response = respond(status, "text/xml", body);
    response
        .headers_mut()
        .insert("x-amzn-requestid", request_id.parse().unwrap());
    response
}
