//! Pure authentication: credentials, the COS v5 (`q-sign-algorithm=sha1`) signer.
//! No clock and no I/O here: the time window comes in as a [`KeyTime`].

mod credentials;
mod post_policy;
mod presign;
mod sign;

pub use credentials::{CredentialProvider, Credentials, Secret};
pub use post_policy::{
    CheckedPost, MAX_POLICY_BYTES, Match, PostPolicy, PostPolicyError, PostPolicyInput,
    iso8601_utc, parse_iso8601_utc, post_policy, sign_policy, verify_post_form,
};
pub use presign::{
    AuthForm, AuthInput, Authorized, PresignInput, SECURITY_TOKEN, UrlBase, authorize, presign_url,
};
pub use sign::{
    KeyTime, ParsedAuthorization, SignRequest, Signature, authorization, hex_hmac_sha1, hex_sha1,
    parse_authorization, should_sign_header, sign,
};
