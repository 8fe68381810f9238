//! The target URL: `http[s]://HOST[:PORT][/PATH]` parsed into a `Url` (a leaf: the plan, the
//! flags and the Pushgateway all read URLs). Errors never show credentials.

/// A parsed http:// or https:// URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// https: TLS through rustls.
    pub tls: bool,
    /// Path and query, starting with '/'.
    pub target: String,
}

pub fn parse_url(s: &str) -> Result<Url, String> {
    parse_url_as(s, &crate::redact::url(s))
}

/// As `parse_url`; errors show `shown` (the URL as written, credentials hidden), never `s`.
pub fn parse_url_as(s: &str, shown: &str) -> Result<Url, String> {
    let hint = "expected http[s]://HOST[:PORT][/PATH], e.g. http://127.0.0.1:8080/";
    let (rest, tls) = if let Some(r) = s.strip_prefix("http://") {
        (r, false)
    } else if let Some(r) = s.strip_prefix("https://") {
        (r, true)
    } else {
        return Err(format!("'{shown}' is not a URL: {hint}"));
    };
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let target = if target.starts_with('?') { format!("/{target}") } else { target };
    if authority.contains('@') {
        return Err(format!(
            "'{shown}': credentials in the URL are not supported; send an Authorization header with -H"
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| format!("'{shown}': unclosed '[' in host: {hint}"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let bad_host = |c: char| c.is_whitespace() || c.is_control() || "\"<>\\^`{|}%".contains(c);
    if host.is_empty() || host.contains(bad_host) || target.contains(char::is_whitespace) {
        return Err(format!("'{shown}' is not a valid URL: {hint}"));
    }
    let port = match port {
        None if tls => 443,
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("'{shown}': port '{p}' is not a number from 1 to 65535"))?,
    };
    Ok(Url { host, port, tls, target })
}
