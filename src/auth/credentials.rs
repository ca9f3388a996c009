use std::fmt;

use crate::error::Result;

/// A secret string (SecretKey, security token): redacted in `Debug`, overwritten with
/// zeros when dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself. Never format it into a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(******)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Permanent or temporary COS credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// SecretId (or TmpSecretId): sent as `q-ak`.
    pub secret_id: String,
    /// SecretKey (or TmpSecretKey): the signing key; never sent.
    pub secret_key: Secret,
    /// Security token of temporary credentials, sent as `x-cos-security-token`.
    pub security_token: Option<Secret>,
    /// Unix seconds from which temporary credentials are valid (their `StartTime`).
    pub start_time: Option<i64>,
    /// Unix seconds at which temporary credentials expire (their `ExpiredTime`).
    pub expired_time: Option<i64>,
}

impl Credentials {
    /// Permanent credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: Secret::new(secret_key),
            ..Default::default()
        }
    }

    /// Temporary credentials from STS.
    pub fn temporary(
        secret_id: impl Into<String>,
        secret_key: impl Into<String>,
        security_token: impl Into<String>,
        start_time: Option<i64>,
        expired_time: i64,
    ) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: Secret::new(secret_key),
            security_token: Some(Secret::new(security_token)),
            start_time,
            expired_time: Some(expired_time),
        }
    }

    /// True when these credentials expire within `margin_secs` of `now` (Unix seconds).
    /// Permanent credentials never expire.
    pub fn expires_within(&self, now: i64, margin_secs: i64) -> bool {
        self.expired_time.is_some_and(|e| e - now <= margin_secs)
    }

    /// Check the fields a signer needs; the message names what is wrong.
    pub fn validate(&self) -> Result<()> {
        use crate::error::Error;
        if self.secret_id.is_empty() {
            return Err(Error::Auth("the SecretId is empty".into()));
        }
        if self.secret_key.is_empty() {
            return Err(Error::Auth("the SecretKey is empty".into()));
        }
        if self
            .secret_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::Auth(
                "the SecretId contains whitespace or control characters".into(),
            ));
        }
        if self
            .secret_key
            .expose()
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::Auth(
                "the SecretKey contains whitespace or control characters".into(),
            ));
        }
        if let Some(t) = &self.security_token {
            if t.expose().chars().any(|c| c.is_control()) {
                return Err(Error::Auth(
                    "the security token contains control characters".into(),
                ));
            }
        }
        if let (Some(s), Some(e)) = (self.start_time, self.expired_time) {
            if e <= s {
                return Err(Error::Auth(format!(
                    "the credentials expire ({e}) before they start ({s})"
                )));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &self.secret_key)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "******"),
            )
            .field("start_time", &self.start_time)
            .field("expired_time", &self.expired_time)
            .finish()
    }
}

/// Something that hands out credentials when the client has none or they are about to
/// expire (an STS client, or a C callback through the FFI).
pub trait CredentialProvider: Send + Sync {
    /// Fetch fresh credentials. An error becomes a `Status::Auth` failure of the request.
    fn fetch(&self) -> Result<Credentials>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::temporary("AKIDx", "sekrit-key-123", "tok+en/==", Some(1), 2);
        let d = format!("{c:?}");
        assert!(d.contains("AKIDx"));
        assert!(!d.contains("sekrit") && !d.contains("tok+en"), "{d}");
    }

    #[test]
    fn expiry_margin_and_validation() {
        let c = Credentials::temporary("id", "key", "t", Some(100), 200);
        assert!(!c.expires_within(100, 60));
        assert!(c.expires_within(141, 60));
        assert!(!Credentials::new("id", "key").expires_within(i64::MAX - 1, 60));
        assert!(Credentials::new("", "k").validate().is_err());
        assert!(Credentials::new("i", "").validate().is_err());
        assert!(Credentials::new("i d", "k").validate().is_err());
        assert!(
            Credentials::temporary("i", "k", "t", Some(5), 5)
                .validate()
                .is_err()
        );
        assert!(Credentials::new("i", "k").validate().is_ok());
    }
}
