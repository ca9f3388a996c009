//! Fault injection and per-operation counters, scriptable from tests.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// What a firing rule does to the request it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status and an error document with this code and message; the
    /// request is not carried out.
    Status {
        http_status: u16,
        code: String,
        message: String,
    },
    /// Close the connection without reading the request body or answering; the request
    /// is not carried out.
    ResetBeforeBody,
    /// A request with a body: read about half of it, then close the connection (nothing
    /// is stored). A request without a body: carry it out, send the response headers and
    /// half of the response body, then close.
    ResetMidBody,
    /// Wait this long before handling the request (then handle it normally).
    Stall(Duration),
    /// Carry out the request, then answer with a wrong `x-cos-hash-crc64ecma` (header, and
    /// `<CRC64>` in XML bodies).
    WrongCrc64,
    /// Carry out the request, then answer with a wrong `ETag` (header, and `<ETag>` in XML
    /// bodies).
    WrongEtag,
    /// Carry out the request, then answer with a body that is not well-formed XML.
    MalformedXml,
    /// Carry out the request, then send the full `Content-Length` but only half of the
    /// body, and close the connection.
    TruncatedBody,
    /// Carry out the request, then send the response headers (full `Content-Length`) and
    /// only the first `n` bytes of the response body (all of it when shorter), and close
    /// the connection. With `FaultRule::times(k)`: a body cut after `n` bytes `k` times.
    ResetAfterBytes(u64),
    /// Read the whole request body and carry out the request, then close the connection
    /// without answering: the client cannot tell whether it happened (a lost response).
    ResetAfterBody,
    /// Answer with this status and a short HTML page, as a proxy or gateway in front of
    /// COS would: no `x-cos-request-id`, no `x-cos-trace-id`, no COS error document (a
    /// 3xx gets a `Location` naming the same path). The request is not carried out and
    /// the connection is closed after the answer.
    ForeignStatus(u16),
}

/// One scripted fault. A request matches when every given filter matches; the rule
/// fires on its `nth` match (1 = the first) and on the `times - 1` matches after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// HTTP method, compared case-insensitively (`PUT`, `GET`, ...).
    pub method: Option<String>,
    /// Substring of the request path (matched against the raw and the decoded path).
    pub path_contains: Option<String>,
    /// Substring of the query string (matched against the raw and the decoded query).
    pub query_contains: Option<String>,
    /// Substring of the `Host` header, compared case-insensitively (e.g.
    /// `".myqcloud.com"` to fail only the primary COS domain).
    pub host_contains: Option<String>,
    /// 1 = the first matching request (0 is treated as 1).
    pub nth: u32,
    /// How many consecutive matches fire (0 = every match from `nth` on).
    pub times: u32,
    pub action: FaultAction,
}

impl FaultRule {
    /// A rule that fires once, on the first request (add filters with the builders).
    pub fn new(action: FaultAction) -> Self {
        FaultRule {
            method: None,
            path_contains: None,
            query_contains: None,
            host_contains: None,
            nth: 1,
            times: 1,
            action,
        }
    }
    pub fn method(mut self, m: &str) -> Self {
        self.method = Some(m.to_string());
        self
    }
    pub fn path_contains(mut self, s: &str) -> Self {
        self.path_contains = Some(s.to_string());
        self
    }
    pub fn query_contains(mut self, s: &str) -> Self {
        self.query_contains = Some(s.to_string());
        self
    }
    pub fn host_contains(mut self, s: &str) -> Self {
        self.host_contains = Some(s.to_string());
        self
    }
    pub fn nth(mut self, n: u32) -> Self {
        self.nth = n;
        self
    }
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }
}

struct RuleState {
    rule: FaultRule,
    matched: u64,
    fired: u64,
}

/// Random faults: each request not hit by a rule fails with probability
/// `per_million / 1_000_000`, with an action drawn uniformly from `actions`; the draws
/// come from a generator seeded with `seed` (reproducible for a given request order).
struct Chaos {
    state: u64,
    per_million: u32,
    actions: Vec<FaultAction>,
}

impl Chaos {
    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The server's fault rules, evaluated in order for every request.
#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<RuleState>>,
    chaos: Mutex<Option<Chaos>>,
    /// Security token → Unix time (server clock) from which it is refused.
    token_expiry: Mutex<BTreeMap<String, i64>>,
}

/// What a request looks like to the fault matcher.
pub(crate) struct FaultProbe<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub path: &'a str,
    pub raw_query: &'a str,
    pub query: &'a str,
    /// The `Host` header as sent ("" when missing).
    pub host: &'a str,
}

impl Faults {
    /// Append a rule.
    pub fn add(&self, rule: FaultRule) {
        lock(&self.rules).push(RuleState {
            rule,
            matched: 0,
            fired: 0,
        });
    }

    /// Remove every rule (random faults and token expiries stay).
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// Fail a random `percent` (0.0–100.0) of the requests that no rule hits, each with
    /// an action drawn from `actions`, reproducibly for `seed`. An empty `actions` or a
    /// zero `percent` turns random faults off.
    pub fn set_random(&self, seed: u64, percent: f64, actions: Vec<FaultAction>) {
        let per_million = (percent.clamp(0.0, 100.0) * 10_000.0).round() as u32;
        *lock(&self.chaos) = if per_million == 0 || actions.is_empty() {
            None
        } else {
            Some(Chaos {
                state: seed,
                per_million,
                actions,
            })
        };
    }

    /// Refuse requests carrying the security token `token` with `400 ExpiredToken` once
    /// the server's clock reaches `at` (Unix seconds), whatever their signature says.
    pub fn expire_token(&self, token: &str, at: i64) {
        lock(&self.token_expiry).insert(token.to_string(), at);
    }

    /// True when `token` has been expired by [`Faults::expire_token`] at `now`.
    pub(crate) fn token_expired(&self, token: &str, now: i64) -> bool {
        lock(&self.token_expiry)
            .get(token)
            .is_some_and(|at| now >= *at)
    }

    /// How many times rule number `index` (in order of `add`) has fired.
    pub fn fired(&self, index: usize) -> u64 {
        lock(&self.rules).get(index).map(|r| r.fired).unwrap_or(0)
    }

    /// Every matching rule counts the request; the first rule for which this is one of
    /// its firing matches gives the action.
    pub(crate) fn check(&self, p: &FaultProbe<'_>) -> Option<FaultAction> {
        let mut rules = lock(&self.rules);
        let mut action = None;
        for st in rules.iter_mut() {
            let r = &st.rule;
            if let Some(m) = &r.method
                && !m.eq_ignore_ascii_case(p.method)
            {
                continue;
            }
            if let Some(s) = &r.path_contains
                && !p.raw_path.contains(s.as_str())
                && !p.path.contains(s.as_str())
            {
                continue;
            }
            if let Some(s) = &r.query_contains
                && !p.raw_query.contains(s.as_str())
                && !p.query.contains(s.as_str())
            {
                continue;
            }
            if let Some(s) = &r.host_contains
                && !p
                    .host
                    .to_ascii_lowercase()
                    .contains(&s.to_ascii_lowercase())
            {
                continue;
            }
            st.matched += 1;
            let first = r.nth.max(1) as u64;
            let fires =
                st.matched >= first && (r.times == 0 || st.matched < first + r.times as u64);
            if fires && action.is_none() {
                st.fired += 1;
                action = Some(r.action.clone());
            }
        }
        drop(rules);
        if action.is_none()
            && let Some(ch) = lock(&self.chaos).as_mut()
        {
            let roll = ch.next() % 1_000_000;
            if roll < ch.per_million as u64 {
                let i = (ch.next() % ch.actions.len() as u64) as usize;
                action = Some(ch.actions[i].clone());
            }
        }
        action
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A snapshot of the server's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests per operation: `put_object`, `get_object`, `head_object`,
    /// `delete_object`, `delete_multiple`, `copy_object`, `list_objects`, `head_bucket`,
    /// `put_bucket`, `delete_bucket`, `list_buckets`, `initiate`, `upload_part`,
    /// `upload_part_copy`, `complete`, `abort`, `list_parts`, `list_uploads`,
    /// `put_tagging`, `get_tagging`, `delete_tagging`, `put_acl`, `get_acl`,
    /// `append_object`,
    /// `not_implemented`. Every request routed to an operation counts, whatever its
    /// outcome (auth failures and injected faults included).
    pub ops: BTreeMap<String, u64>,
    /// All requests parsed.
    pub requests: u64,
    /// Requests answered with a status ≥ 400.
    pub errors: u64,
    /// Fault rules fired.
    pub faults_fired: u64,
    /// Request body bytes read.
    pub bytes_in: u64,
    /// Response body bytes written.
    pub bytes_out: u64,
    /// The last [`RECENT_REQUESTS`] requests parsed, oldest first: what each asked for
    /// and with which `Host` (e.g. to see a client switch to a backup domain).
    pub recent: Vec<SeenRequest>,
}

/// How many requests [`Stats::recent`] keeps.
pub const RECENT_REQUESTS: usize = 256;

/// One request as the server saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    /// The `Host` header as sent (with its port, if any); "" when missing.
    pub host: String,
    /// The raw (still percent-encoded) path.
    pub path: String,
    /// The operation it was routed to (as in [`Stats::ops`]).
    pub op: String,
    /// It carried `x-cos-sdk-retry: true` (a client's retry).
    pub sdk_retry: bool,
}

impl Stats {
    /// The count for one operation (0 if it never ran).
    pub fn get(&self, op: &str) -> u64 {
        self.ops.get(op).copied().unwrap_or(0)
    }
}

#[derive(Default)]
pub(crate) struct StatsCell(Mutex<Stats>);

impl StatsCell {
    pub fn update(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut lock(&self.0));
    }
    pub fn op(&self, name: &str) {
        let mut s = lock(&self.0);
        s.requests += 1;
        *s.ops.entry(name.to_string()).or_insert(0) += 1;
    }
    /// Remember one request in [`Stats::recent`].
    pub fn seen(&self, req: SeenRequest) {
        let mut s = lock(&self.0);
        if s.recent.len() >= RECENT_REQUESTS {
            s.recent.remove(0);
        }
        s.recent.push(req);
    }
    pub fn snapshot(&self) -> Stats {
        lock(&self.0).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe<'a>(method: &'a str, path: &'a str, query: &'a str) -> FaultProbe<'a> {
        FaultProbe {
            method,
            raw_path: path,
            path,
            raw_query: query,
            query,
            host: "b-1250000000.cos.ap-guangzhou.myqcloud.com",
        }
    }

    #[test]
    fn nth_and_times() {
        let f = Faults::default();
        f.add(
            FaultRule::new(FaultAction::ResetBeforeBody)
                .method("put")
                .query_contains("partNumber=2")
                .nth(2)
                .times(2),
        );
        let p = probe("PUT", "/k", "partNumber=2&uploadId=x");
        assert_eq!(f.check(&probe("GET", "/k", "partNumber=2")), None);
        assert_eq!(f.check(&probe("PUT", "/k", "partNumber=3")), None);
        assert_eq!(f.check(&p), None);
        assert_eq!(f.check(&p), Some(FaultAction::ResetBeforeBody));
        assert_eq!(f.check(&p), Some(FaultAction::ResetBeforeBody));
        assert_eq!(f.check(&p), None);
        assert_eq!(f.fired(0), 2);
        f.clear();
        assert_eq!(f.check(&p), None);
    }

    #[test]
    fn random_faults_are_seeded_and_roughly_at_the_rate() {
        let run = |seed| {
            let f = Faults::default();
            f.set_random(
                seed,
                5.0,
                vec![FaultAction::ResetBeforeBody, FaultAction::WrongEtag],
            );
            (0..20_000)
                .map(|_| f.check(&probe("GET", "/k", "")))
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7), "same seed, same faults");
        assert_ne!(a, run(8));
        let hits = a.iter().filter(|x| x.is_some()).count();
        assert!((700..1300).contains(&hits), "{hits} of 20000 at 5%");
        assert!(a.contains(&Some(FaultAction::ResetBeforeBody)));
        assert!(a.contains(&Some(FaultAction::WrongEtag)));
        let f = Faults::default();
        f.set_random(1, 100.0, vec![FaultAction::WrongCrc64]);
        f.add(FaultRule::new(FaultAction::WrongEtag));
        assert_eq!(
            f.check(&probe("GET", "/", "")),
            Some(FaultAction::WrongEtag),
            "rules first"
        );
        assert_eq!(
            f.check(&probe("GET", "/", "")),
            Some(FaultAction::WrongCrc64)
        );
        f.set_random(1, 0.0, vec![FaultAction::WrongCrc64]);
        assert_eq!(f.check(&probe("GET", "/", "")), None);
    }

    #[test]
    fn host_filter() {
        let f = Faults::default();
        f.add(
            FaultRule::new(FaultAction::ForeignStatus(502))
                .host_contains(".MYQCLOUD.com")
                .times(0),
        );
        let mut p = probe("GET", "/k", "");
        assert_eq!(f.check(&p), Some(FaultAction::ForeignStatus(502)));
        p.host = "b-1250000000.cos.ap-guangzhou.tencentcos.cn";
        assert_eq!(f.check(&p), None);
        p.host = "";
        assert_eq!(f.check(&p), None);
        assert_eq!(f.fired(0), 1);
    }

    #[test]
    fn recent_requests_are_bounded() {
        let st = StatsCell::default();
        for i in 0..RECENT_REQUESTS + 5 {
            st.seen(SeenRequest {
                path: format!("/{i}"),
                ..Default::default()
            });
        }
        let s = st.snapshot();
        assert_eq!(s.recent.len(), RECENT_REQUESTS);
        assert_eq!(s.recent[0].path, "/5");
        assert_eq!(
            s.recent.last().unwrap().path,
            format!("/{}", RECENT_REQUESTS + 4)
        );
    }

    #[test]
    fn token_expiry() {
        let f = Faults::default();
        assert!(!f.token_expired("t", 100));
        f.expire_token("t", 100);
        assert!(!f.token_expired("t", 99));
        assert!(f.token_expired("t", 100));
        assert!(!f.token_expired("u", 100));
    }

    #[test]
    fn first_firing_rule_wins_and_times_zero_is_forever() {
        let f = Faults::default();
        f.add(FaultRule::new(FaultAction::WrongEtag).path_contains("/a"));
        f.add(FaultRule::new(FaultAction::WrongCrc64).times(0));
        let p = probe("GET", "/a", "");
        assert_eq!(f.check(&p), Some(FaultAction::WrongEtag));
        for _ in 0..5 {
            assert_eq!(f.check(&p), Some(FaultAction::WrongCrc64));
        }
    }
}
