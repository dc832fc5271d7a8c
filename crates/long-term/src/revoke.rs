//! Revoking a leaked long-term key from its text, and deactivating the access key that
//! signed a short-term one.
//!
//! A long-term key's text carries its alias (IAM's `ServiceCredentialAlias`) but not its
//! id, so the key is found by alias among the credentials IAM lists for its service. IAM
//! documents the alias only as "the IAM user name and a suffix containing version and
//! creation information" (IAM API Reference, `ServiceSpecificCredentialMetadata`); what
//! it looks like for a user's second key is not documented. So nothing is assumed about
//! it: only a listed alias equal to the key's counts, and anything that leaves more than
//! one candidate is refused.

use aws_sdk_iam::types::StatusType;

use crate::aws_error::Failure;
use crate::names;
use crate::LongTermKeyInfo;
use crate::{Error, ErrorKind};

use super::errors::Call;
use super::key::KeyMetadata;
use super::LongTermKeys;

/// What [`LongTermKeys::revoke`] does to the key it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RevokeAction {
    /// Deactivate it (`UpdateServiceSpecificCredential`, `Status=Inactive`): it stops
    /// working and can be activated again.
    #[default]
    Deactivate,
    /// Delete it for good (`DeleteServiceSpecificCredential`).
    Delete,
}

/// Which listed credential a key's text belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyMatch {
    /// Exactly this credential (for [`LongTermKeys::revoke`]: the one deactivated or
    /// deleted, as it was listed before).
    Found(KeyMetadata),
    /// No credential of the key's service has its alias: the key was deleted, belongs to
    /// another account, or was never issued by IAM.
    NotFound,
    /// More than one credential may be the key: the ones whose alias equals the key's,
    /// and any listed without an alias. Nothing was changed.
    Ambiguous(Vec<KeyMetadata>),
}

impl LongTermKeys {
    /// Finds the credential whose text `key` is, by its alias, among the credentials of
    /// the key's service of every user in the account (one paginated `List` call per
    /// page, `AllUsers`). Every user, not only the one the alias names: IAM does not
    /// document the alias of a user's second key, so another user's key could carry the
    /// same alias, and only the whole account shows that it does not.
    ///
    /// A credential matches when its listed alias equals the key's. It is
    /// [`KeyMatch::Found`] only when it is the one candidate; a credential listed without
    /// an alias is a candidate too, since it cannot be ruled out, unless the listed
    /// aliases show that the account is not the one the key names
    /// ([`KeyMatch::NotFound`]).
    pub async fn find_key(&self, key: &LongTermKeyInfo) -> Result<KeyMatch, Error> {
        let listed = self.list_service(Some(key.service()), None).await?;
        Ok(match_alias(listed, key.alias()))
    }

    /// Revokes the long-term key whose text `key` is: finds it as
    /// [`find_key`](Self::find_key) does and, if exactly one credential matches,
    /// deactivates or deletes that one (and nothing else). Returns what was found; on
    /// [`KeyMatch::NotFound`] and [`KeyMatch::Ambiguous`] nothing was changed.
    ///
    /// Parse the key with [`LongTermKeyInfo::parse`], which keeps no secret.
    pub async fn revoke(
        &self,
        key: &LongTermKeyInfo,
        action: RevokeAction,
    ) -> Result<KeyMatch, Error> {
        let found = match self.find_key(key).await? {
            KeyMatch::Found(found) => found,
            other => return Ok(other),
        };
        let (Some(user), Some(id)) = (found.user_name.as_deref(), found.id.as_deref()) else {
            return Err(Error::new(
                ErrorKind::Iam,
                "IAM listed the matching long-term key without its user name or id, so it \
                 cannot be revoked by this call; revoke it in the IAM console",
            ));
        };
        // From IAM's listing: values its rules refuse are IAM's fault, not an input's.
        super::request::from_iam(super::request::validate_user_name(user))?;
        super::request::from_iam(super::request::validate_key_id(id))?;
        match action {
            RevokeAction::Deactivate => self.deactivate(user, id).await?,
            RevokeAction::Delete => self.delete(user, id).await?,
        }
        Ok(KeyMatch::Found(found))
    }

    /// Deactivates IAM user access key `access_key_id` (`AKIA…`), such as the one that
    /// signed a leaked short-term key: finds its user (`iam:GetAccessKeyLastUsed`), then
    /// sets it inactive (`iam:UpdateAccessKey`). Everything signed with it stops working,
    /// short-term keys included. Returns the user's name.
    ///
    /// Temporary access keys (`ASIA…`) belong to sessions and cannot be deactivated: an
    /// [`ErrorKind::InvalidArgument`] error says what to do instead, before any call. An
    /// access key IAM does not know is [`ErrorKind::NotFound`].
    pub async fn deactivate_access_key(&self, access_key_id: &str) -> Result<String, Error> {
        validate_access_key_id(access_key_id)?;
        let id = access_key_id;
        let action = "GetAccessKeyLastUsed";
        let out = self
            .client()
            .get_access_key_last_used()
            .access_key_id(id)
            .send()
            .await
            .map_err(|e| access_key_error(action, id, None, Failure::of("IAM", &e)))?;
        let user = out.user_name.filter(|u| !u.is_empty()).ok_or_else(|| {
            Error::new(
                ErrorKind::Iam,
                format!(
                    "IAM's answer to {action} for access key `{id}` named no IAM user, so it \
                     was not deactivated"
                ),
            )
        })?;
        super::request::from_iam(super::request::validate_user_name(&user))?;
        self.client()
            .update_access_key()
            .user_name(&user)
            .access_key_id(id)
            .status(StatusType::Inactive)
            .send()
            .await
            .map_err(|e| {
                access_key_error("UpdateAccessKey", id, Some(&user), Failure::of("IAM", &e))
            })?;
        Ok(user)
    }
}

/// The candidates among `listed` (all of one account's) for a key with `alias` (see
/// [`KeyMatch`]).
fn match_alias(listed: Vec<KeyMetadata>, alias: &str) -> KeyMatch {
    // The account the listed aliases show, if any: a key naming another one is not here.
    let account = |a: &str| names::split_alias(a).map(|(_, account)| account.to_owned());
    let here = listed
        .iter()
        .find_map(|k| k.alias.as_deref().and_then(account));
    if let (Some(here), Some(theirs)) = (here, account(alias)) {
        if here != theirs {
            return KeyMatch::NotFound;
        }
    }
    let mut candidates: Vec<KeyMetadata> = listed
        .into_iter()
        .filter(|k| k.alias.as_deref().is_none_or(|a| a == alias))
        .collect();
    match candidates.len() {
        0 => KeyMatch::NotFound,
        1 if candidates[0].alias.is_some() => KeyMatch::Found(candidates.remove(0)),
        _ => KeyMatch::Ambiguous(candidates),
    }
}

/// An IAM user's access key id: `AKIA` and 16 to 124 more letters and digits.
fn validate_access_key_id(id: &str) -> Result<(), Error> {
    let kind = names::access_key_kind(id);
    if kind == Some(names::AccessKeyKind::Temporary) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "an access key id starting with `ASIA` belongs to temporary credentials (a role \
             or federated session), which cannot be deactivated: revoke the role's older \
             sessions (the IAM console's \"Revoke active sessions\") or wait until the \
             session expires",
        ));
    }
    if kind != Some(names::AccessKeyKind::LongTerm) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "invalid access key id: expected an IAM user's access key id, `AKIA` and 16 or \
             more letters and digits",
        ));
    }
    Ok(())
}

/// The error for `action` on access key `id` (of `user`, when known): a missing key in
/// access-key terms, anything else as every IAM call's.
fn access_key_error(action: &'static str, id: &str, user: Option<&str>, failure: Failure) -> Error {
    match failure {
        Failure::Service(said) if said.code == "NoSuchEntity" => {
            let whose = user.map_or_else(String::new, |u| format!(" of IAM user `{u}`"));
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "IAM {action}: access key `{id}`{whose} does not exist in this account (it \
                     was deleted, or belongs to another account) ({said})"
                ),
            )
            .with_source(said)
        }
        failure => {
            let call = Call::new(action, user);
            match user {
                Some(_) => call.key(id).failed(failure),
                None => call.failed(failure),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Service;

    fn listed(id: &str, user: &str, alias: Option<&str>) -> KeyMetadata {
        KeyMetadata {
            service: Some(Service::Bedrock),
            id: Some(id.into()),
            user_name: Some(user.into()),
            alias: alias.map(str::to_owned),
            account_id: None,
            status: None,
            created_at: None,
            expires_at: None,
        }
    }

    #[test]
    fn only_an_equal_alias_matches_and_only_alone() {
        let a = "alice-at-123456789012";
        let one = listed("ACCA1", "alice", Some(a));
        let other = listed("ACCA2", "alice", Some("alice-at-123456789012+1"));
        assert_eq!(
            match_alias(vec![one.clone(), other.clone()], a),
            KeyMatch::Found(one.clone())
        );
        assert_eq!(match_alias(vec![other.clone()], a), KeyMatch::NotFound);
        assert_eq!(match_alias(vec![], a), KeyMatch::NotFound);
        let twin = listed("ACCA3", "alice", Some(a));
        assert_eq!(
            match_alias(vec![one.clone(), twin.clone()], a),
            KeyMatch::Ambiguous(vec![one.clone(), twin])
        );
        let unknown = listed("ACCA4", "alice", None);
        assert_eq!(
            match_alias(vec![one.clone(), unknown.clone()], a),
            KeyMatch::Ambiguous(vec![one, unknown.clone()])
        );
        assert_eq!(
            match_alias(vec![unknown.clone()], a),
            KeyMatch::Ambiguous(vec![unknown.clone()])
        );
        // A key of another account: the listed aliases show this one, so a credential
        // without an alias cannot be it.
        let foreign = "mallory-at-999999999999";
        assert_eq!(
            match_alias(vec![other.clone(), unknown.clone()], foreign),
            KeyMatch::NotFound
        );
        // With no alias listed, the account is not known: still a candidate.
        assert_eq!(
            match_alias(vec![unknown.clone()], foreign),
            KeyMatch::Ambiguous(vec![unknown])
        );
    }

    #[test]
    fn access_key_ids() {
        validate_access_key_id("AKIAEXAMPLEEXAMPLE01").unwrap();
        let e = validate_access_key_id("ASIAEXAMPLEEXAMPLE01").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("older"), "{e}");
        for bad in ["AKIA", "AKIA-EXAMPLE-EXAMPLE-1", "AIDAEXAMPLEEXAMPLE01", ""] {
            let e = validate_access_key_id(bad).unwrap_err();
            assert!(
                e.to_string().contains("invalid access key id"),
                "{bad}: {e}"
            );
        }
    }
}
