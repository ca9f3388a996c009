//! Bucket CORS: the `<CORSConfiguration>` document (`PUT/GET/DELETE /?cors`), matching a
//! request's `Origin`, method and headers against its rules, and the
//! `Access-Control-*` headers of preflight and actual responses.
//!
//! Matching follows COS (and S3): the first rule whose `AllowedOrigin` matches the
//! `Origin` (one `*` wildcard allowed, case-insensitive), whose `AllowedMethod` lists the
//! method (for a preflight, `Access-Control-Request-Method`) and, for a preflight, whose
//! `AllowedHeader`s cover every header of `Access-Control-Request-Headers`
//! (case-insensitive, one `*` wildcard allowed) wins.

use crate::util::xml_escape;

/// Methods a rule may allow.
pub const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];
/// Most rules a configuration may hold.
pub const MAX_RULES: usize = 100;

/// One `<CORSRule>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRule {
    pub id: Option<String>,
    pub origins: Vec<String>,
    /// Upper case.
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<u64>,
}

/// A bucket's CORS configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    pub rules: Vec<CorsRule>,
    /// `<ResponseVary>`: add `Vary: Origin, Access-Control-Request-Headers,
    /// Access-Control-Request-Method` to CORS responses.
    pub response_vary: bool,
}

/// `*` matches any run of characters (at most one `*` is allowed in a pattern).
fn wildcard_match(pattern: &str, s: &str) -> bool {
    let (p, s) = (pattern.to_ascii_lowercase(), s.to_ascii_lowercase());
    match p.split_once('*') {
        None => p == s,
        Some((head, tail)) => {
            s.len() >= head.len() + tail.len() && s.starts_with(head) && s.ends_with(tail)
        }
    }
}

fn bad(msg: impl Into<String>) -> (&'static str, String) {
    ("MalformedXML", msg.into())
}

fn invalid(msg: impl Into<String>) -> (&'static str, String) {
    ("InvalidArgument", msg.into())
}

impl CorsConfig {
    /// Parse and check a `<CORSConfiguration>` document. Errors are `(COS code, message)`.
    pub fn parse(text: &[u8]) -> Result<CorsConfig, (&'static str, String)> {
        let s = std::str::from_utf8(text).map_err(|_| bad("The XML body is not UTF-8."))?;
        let doc = roxmltree::Document::parse(s)
            .map_err(|e| bad(format!("The XML you provided was not well-formed: {e}")))?;
        let root = doc.root_element();
        if root.tag_name().name() != "CORSConfiguration" {
            return Err(bad(format!(
                "The root element must be CORSConfiguration, not {}.",
                root.tag_name().name()
            )));
        }
        let mut rules = Vec::new();
        let mut response_vary = false;
        for n in root.children().filter(|c| c.is_element()) {
            match n.tag_name().name() {
                "CORSRule" => rules.push(Self::parse_rule(n, rules.len() + 1)?),
                "ResponseVary" => {
                    response_vary = match n.text().unwrap_or("").trim() {
                        "true" => true,
                        "false" => false,
                        v => {
                            return Err(invalid(format!(
                                "ResponseVary must be true or false, not {v:?}."
                            )));
                        }
                    }
                }
                other => {
                    return Err(bad(format!(
                        "Unexpected element {other} in CORSConfiguration."
                    )));
                }
            }
        }
        if rules.is_empty() {
            return Err(bad("The CORSConfiguration has no CORSRule."));
        }
        if rules.len() > MAX_RULES {
            return Err(invalid(format!(
                "The CORSConfiguration has {} rules; at most {MAX_RULES} are allowed.",
                rules.len()
            )));
        }
        Ok(CorsConfig {
            rules,
            response_vary,
        })
    }

    fn parse_rule(
        n: roxmltree::Node<'_, '_>,
        index: usize,
    ) -> Result<CorsRule, (&'static str, String)> {
        let mut r = CorsRule {
            id: None,
            origins: Vec::new(),
            methods: Vec::new(),
            headers: Vec::new(),
            expose: Vec::new(),
            max_age: None,
        };
        for c in n.children().filter(|c| c.is_element()) {
            let name = c.tag_name().name();
            let v = c.text().unwrap_or("").trim().to_string();
            match name {
                "ID" => {
                    if v.chars().count() > 255 {
                        return Err(invalid(format!(
                            "CORSRule {index}: the ID is longer than 255 characters."
                        )));
                    }
                    r.id = Some(v);
                }
                "AllowedOrigin" => {
                    if v.is_empty() || v.matches('*').count() > 1 {
                        return Err(invalid(format!(
                            "CORSRule {index}: AllowedOrigin {v:?} must be non-empty with at most one '*'."
                        )));
                    }
                    r.origins.push(v);
                }
                "AllowedMethod" => {
                    let up = v.to_ascii_uppercase();
                    if !METHODS.contains(&up.as_str()) {
                        return Err(invalid(format!(
                            "CORSRule {index}: AllowedMethod {v:?} is not one of GET, PUT, POST, DELETE, HEAD."
                        )));
                    }
                    if !r.methods.contains(&up) {
                        r.methods.push(up);
                    }
                }
                "AllowedHeader" => {
                    if v.is_empty() || v.matches('*').count() > 1 {
                        return Err(invalid(format!(
                            "CORSRule {index}: AllowedHeader {v:?} must be non-empty with at most one '*'."
                        )));
                    }
                    r.headers.push(v);
                }
                "ExposeHeader" => {
                    if v.is_empty() || v.contains(['\r', '\n', ',']) {
                        return Err(invalid(format!(
                            "CORSRule {index}: ExposeHeader {v:?} is not a header name."
                        )));
                    }
                    r.expose.push(v);
                }
                "MaxAgeSeconds" => {
                    let age = v.parse::<u64>().map_err(|_| {
                        invalid(format!(
                            "CORSRule {index}: MaxAgeSeconds {v:?} is not a non-negative integer."
                        ))
                    })?;
                    r.max_age = Some(age);
                }
                other => {
                    return Err(bad(format!(
                        "CORSRule {index}: unexpected element {other}."
                    )));
                }
            }
        }
        if r.origins.is_empty() {
            return Err(bad(format!("CORSRule {index} has no AllowedOrigin.")));
        }
        if r.methods.is_empty() {
            return Err(bad(format!("CORSRule {index} has no AllowedMethod.")));
        }
        Ok(r)
    }

    /// The document as GET `?cors` answers it.
    pub fn to_xml(&self) -> String {
        let mut x = String::from("<CORSConfiguration>");
        for r in &self.rules {
            x.push_str("<CORSRule>");
            if let Some(id) = &r.id {
                x.push_str(&format!("<ID>{}</ID>", xml_escape(id)));
            }
            for (tag, list) in [
                ("AllowedOrigin", &r.origins),
                ("AllowedMethod", &r.methods),
                ("AllowedHeader", &r.headers),
                ("ExposeHeader", &r.expose),
            ] {
                for v in list {
                    x.push_str(&format!("<{tag}>{}</{tag}>", xml_escape(v)));
                }
            }
            if let Some(a) = r.max_age {
                x.push_str(&format!("<MaxAgeSeconds>{a}</MaxAgeSeconds>"));
            }
            x.push_str("</CORSRule>");
        }
        x.push_str(&format!(
            "<ResponseVary>{}</ResponseVary></CORSConfiguration>",
            self.response_vary
        ));
        x
    }

    /// The first rule allowing `origin` to use `method` with `headers` (lower or mixed
    /// case names; empty for an actual request).
    pub fn find(&self, origin: &str, method: &str, headers: &[String]) -> Option<&CorsRule> {
        self.rules.iter().find(|r| {
            r.origins.iter().any(|o| wildcard_match(o, origin))
                && r.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
                && headers
                    .iter()
                    .all(|h| r.headers.iter().any(|p| wildcard_match(p, h)))
        })
    }

    /// `Vary` for CORS responses.
    pub fn vary(&self) -> &'static str {
        if self.response_vary {
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
        } else {
            "Origin"
        }
    }
}

/// The names in an `Access-Control-Request-Headers` value.
pub fn request_headers(v: &str) -> Vec<String> {
    v.split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// The `Access-Control-*` headers for a request from `origin` matched by `rule`.
/// `requested` holds the preflight's requested headers (echoed as allowed).
pub fn response_headers(
    cfg: &CorsConfig,
    rule: &CorsRule,
    origin: &str,
    requested: Option<&[String]>,
) -> Vec<(String, String)> {
    let mut h = vec![
        (
            "Access-Control-Allow-Origin".to_string(),
            origin.to_string(),
        ),
        (
            "Access-Control-Allow-Methods".to_string(),
            rule.methods.join(","),
        ),
    ];
    if let Some(req) = requested
        && !req.is_empty()
    {
        h.push(("Access-Control-Allow-Headers".to_string(), req.join(",")));
    }
    if !rule.expose.is_empty() {
        h.push((
            "Access-Control-Expose-Headers".to_string(),
            rule.expose.join(","),
        ));
    }
    if let Some(a) = rule.max_age {
        h.push(("Access-Control-Max-Age".to_string(), a.to_string()));
    }
    h.push(("Vary".to_string(), cfg.vary().to_string()));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "<CORSConfiguration><CORSRule><ID>web</ID>\
        <AllowedOrigin>http://127.0.0.1:*</AllowedOrigin><AllowedOrigin>https://*.example.com</AllowedOrigin>\
        <AllowedMethod>PUT</AllowedMethod><AllowedMethod>post</AllowedMethod>\
        <AllowedHeader>content-*</AllowedHeader><AllowedHeader>x-cos-meta-a</AllowedHeader>\
        <ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-cos-request-id</ExposeHeader>\
        <MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>\
        <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>\
        </CORSConfiguration>";

    #[test]
    fn parse_match_and_round_trip() {
        let c = CorsConfig::parse(DOC.as_bytes()).unwrap();
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.rules[0].methods, ["PUT", "POST"]);
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r = c
            .find("http://127.0.0.1:8080", "PUT", &h(&["Content-Type"]))
            .unwrap();
        assert_eq!(r.id.as_deref(), Some("web"));
        assert!(c.find("https://a.example.com", "POST", &[]).is_some());
        // Header not allowed by rule 1, method not allowed by rule 2.
        assert!(
            c.find("http://127.0.0.1:1", "PUT", &h(&["x-cos-meta-b"]))
                .is_none()
        );
        assert!(c.find("http://evil.test", "PUT", &[]).is_none());
        // The wildcard rule allows GET from anywhere.
        assert!(c.find("http://evil.test", "GET", &[]).is_some());
        assert!(c.find("http://evil.test", "DELETE", &[]).is_none());
        let again = CorsConfig::parse(c.to_xml().as_bytes()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn refusals_name_the_problem() {
        let e = |s: &str| CorsConfig::parse(s.as_bytes()).unwrap_err();
        assert_eq!(e("<CORSConfiguration/>").0, "MalformedXML");
        assert_eq!(e("<Cors/>").0, "MalformedXML");
        assert_eq!(e("<CORSConfiguration><CORSRule>").0, "MalformedXML");
        let m = e(
            "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
                   <AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
        );
        assert_eq!(m.0, "InvalidArgument");
        assert!(m.1.contains("PATCH"), "{}", m.1);
        assert!(
            e("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
                .1
                .contains("AllowedOrigin")
        );
        assert!(
            e("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
               <MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule></CORSConfiguration>")
                .1
                .contains("MaxAgeSeconds")
        );
        assert!(
            e("<CORSConfiguration><CORSRule><AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
               </CORSRule></CORSConfiguration>")
                .1
                .contains("at most one")
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("http://*.a.com", "http://x.y.a.com"));
        assert!(!wildcard_match("http://*.a.com", "http://a.com"));
        assert!(wildcard_match("X-Cos-*", "x-cos-meta-a"));
        assert!(!wildcard_match("ab*ba", "aba"));
    }
}
