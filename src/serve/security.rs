//! What the server refuses: requests whose Host is not this server (DNS
//! rebinding), cross-site form posts (Origin / Sec-Fetch-Site), requests without
//! the token when one is set, and bodies over the size limit; and the limits on
//! the work one job may ask for.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest request body accepted: a scenario file or an observed CSV.
pub const MAX_BODY_BYTES: usize = 2 << 20;
/// The most replications a job may ask for.
pub const MAX_REPLICATIONS: u32 = 2000;
/// The most areas a scenario run by the server may have.
pub const MAX_AREAS: usize = 400;
/// The most design points per area a calibration may ask for.
pub const MAX_POINTS: u32 = 2000;
/// Jobs run at once.
pub const WORKERS: usize = 1;
/// Jobs that may wait for a worker.
pub const MAX_QUEUED: usize = 4;
/// The cookie carrying the token.
pub const TOKEN_COOKIE: &str = "workwell_token";

/// The token, kept only as a keyed digest: a candidate is compared by its digest
/// under the same random key, so the time taken depends neither on where it differs
/// from the token nor on whether the lengths agree.
#[derive(Clone)]
pub struct Secret {
    keys: [std::collections::hash_map::RandomState; 2],
    digest: [u64; 2],
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// Keeps the digest of `token` under two keys drawn for this process.
    pub fn new(token: &str) -> Self {
        use std::collections::hash_map::RandomState;
        let keys = [RandomState::new(), RandomState::new()];
        let digest = digest(&keys, token.as_bytes());
        Secret { keys, digest }
    }

    /// True when `candidate` is the token (by digest, in constant time).
    pub fn matches(&self, candidate: &str) -> bool {
        let d = digest(&self.keys, candidate.as_bytes());
        ((d[0] ^ self.digest[0]) | (d[1] ^ self.digest[1])) == 0
    }
}

/// 128 bits of keyed SipHash of `bytes`.
fn digest(keys: &[std::collections::hash_map::RandomState; 2], bytes: &[u8]) -> [u64; 2] {
    use std::hash::{BuildHasher, Hasher};
    keys.each_ref().map(|k| {
        let mut h = k.build_hasher();
        h.write(bytes);
        h.finish()
    })
}

/// Who may talk to the server.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The port the server listens on (checked in Host).
    pub port: u16,
    /// Host names accepted besides the loopback ones (the --listen address);
    /// `None`: any name (listening on every address, where the token, not the
    /// name, keeps other sites out).
    pub hosts: Option<Vec<String>>,
    /// The token every request must carry, if any (loopback included).
    pub token: Option<Secret>,
}

impl Guard {
    /// Checks the Host header: a loopback name, or a name given with --listen (any
    /// name when listening on every address), each with this server's port.
    pub fn host_ok(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return false };
        let (name, port) = match host.rsplit_once(':') {
            Some((n, p)) if !n.contains(':') || (n.starts_with('[') && n.ends_with(']')) => {
                (n, p.parse::<u16>().ok())
            }
            _ => (host, Some(80)),
        };
        if port != Some(self.port) {
            return false;
        }
        let name = name.to_ascii_lowercase();
        matches!(name.as_str(), "localhost" | "[::1]")
            || name.strip_prefix("127.").is_some_and(|r| {
                r.split('.').count() == 3 && r.split('.').all(|p| p.parse::<u8>().is_ok())
            })
            || self
                .hosts
                .as_ref()
                .is_none_or(|hs| hs.iter().any(|h| h.eq_ignore_ascii_case(&name)))
    }

    /// Checks that a request that changes something comes from this server's own
    /// pages: an Origin, if sent, equal to `http://HOST`; a Sec-Fetch-Site, if
    /// sent, `same-origin` or `none`. (Clients that are not browsers send neither.)
    pub fn origin_ok(&self, headers: &HeaderMap) -> bool {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if let Some(origin) = headers.get(header::ORIGIN) {
            let Some(host) = host else { return false };
            if origin.to_str().ok() != Some(&format!("http://{host}")) {
                return false;
            }
        }
        match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            None | Some("same-origin") | Some("none") => true,
            Some(_) => false,
        }
    }

    /// Checks the token: in the cookie, an `Authorization: Bearer` header or the
    /// `token` query parameter. True when no token is set.
    pub fn token_ok(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        let Some(want) = &self.token else { return true };
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .any(|(k, v)| k == TOKEN_COOKIE && want.matches(v));
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|v| want.matches(v));
        cookie || bearer || query_token(query).is_some_and(|v| want.matches(v))
    }
}

fn query_token(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v)
}

/// The query without its `token` parameter (`None` when nothing else is left).
fn without_token(query: &str) -> Option<String> {
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| kv.split_once('=').map_or(*kv, |(k, _)| k) != "token")
        .collect();
    (!rest.is_empty()).then(|| rest.join("&"))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

/// The middleware applying [`Guard`] to every request, and the headers that keep
/// pages from loading anything from elsewhere or being framed by other sites. The
/// first visit with `?token=` gets the token as a cookie and is sent (303) to the
/// same address without it, so that it stays out of the address bar, the history
/// and every later `Referer`.
pub async fn guard(State(g): State<std::sync::Arc<Guard>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if !g.host_ok(host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this server answers only to its own address (the Host header names another)",
        );
    }
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
    if changes && !g.origin_ok(headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "cross-site request refused: changes are accepted only from this server's own pages",
        );
    }
    if !g.token_ok(headers, req.uri().query()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "this server needs its token: open the address it printed (with ?token=...)",
        );
    }
    let from_query = g
        .token
        .as_ref()
        .and_then(|t| query_token(req.uri().query()).filter(|v| t.matches(v)))
        .map(str::to_string);
    let mut res = match &from_query {
        Some(_) if !changes => {
            let mut to = req.uri().path().to_string();
            if let Some(q) = req.uri().query().and_then(without_token) {
                to.push('?');
                to.push_str(&q);
            }
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&to) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
        _ => next.run(req).await,
    };
    let h = res.headers_mut();
    secure(h);
    if let Some(t) = from_query {
        // the token from the printed address becomes a cookie for later requests
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{TOKEN_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict"
        )) {
            h.insert(header::SET_COOKIE, v);
        }
    }
    res
}

/// The headers every response carries.
fn secure(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             script-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // not `no-referrer`: under it browsers send `Origin: null` with a form post,
    // which the origin check above refuses; `same-origin` sends nothing to other
    // sites, and no address of this server carries the token after the first visit
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard {
            port: 8080,
            hosts: Some(vec![]),
            token: None,
        }
    }

    #[test]
    fn only_loopback_hosts_on_this_port() {
        let g = guard();
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "[::1]:8080",
            "127.1.2.3:8080",
        ] {
            assert!(g.host_ok(Some(ok)), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "127.0.0.1:8081",
            "127.0.0.1",
            "localhost.evil.example:8080",
            "127.0.0.1.evil:8080",
            "",
        ] {
            assert!(!g.host_ok(Some(bad)), "{bad}");
        }
        assert!(!g.host_ok(None));
        let lan = Guard {
            hosts: Some(vec!["192.0.2.7".into()]),
            ..guard()
        };
        assert!(lan.host_ok(Some("192.0.2.7:8080")));
        assert!(!lan.host_ok(Some("evil.example:8080")));
        let any = Guard {
            hosts: None,
            ..guard()
        };
        assert!(any.host_ok(Some("workstation.local:8080")));
        assert!(!any.host_ok(Some("workstation.local:9")));
    }

    #[test]
    fn tokens_compare_whole_by_digest() {
        let t = Secret::new("abc");
        assert!(t.matches("abc"));
        for other in ["abd", "abcd", "ab", "", "ABC", "abc "] {
            assert!(!t.matches(other), "{other}");
        }
        // the key is drawn per secret: the same token's digests differ
        assert_ne!(t.digest, Secret::new("abc").digest);
        assert_eq!(format!("{t:?}"), "Secret(..)");
        assert_eq!(without_token("token=x"), None);
        assert_eq!(without_token("a=1&token=x&b=2").as_deref(), Some("a=1&b=2"));
        assert_eq!(without_token("tokens=1").as_deref(), Some("tokens=1"));
        let g = Guard {
            token: Some(Secret::new("s3cret")),
            ..guard()
        };
        let h = HeaderMap::new();
        assert!(!g.token_ok(&h, None));
        assert!(g.token_ok(&h, Some("a=1&token=s3cret")));
        assert!(!g.token_ok(&h, Some("token=s3cre")));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("x=1; workwell_token=s3cret"),
        );
        assert!(g.token_ok(&h, None));
    }
}
