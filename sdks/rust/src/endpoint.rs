//! Where the SDK sends its requests: the `ws_endpoint` option (host and port with `use_tls`, or a whole
//! URL), else the `LATTESTREAM_URL` environment variable (a self-hosted server,
//! `http://127.0.0.1:6001`), else the hosted service `https://{cluster}.lattestream.com`.

use reqwest::Url;

use crate::error::{Error, codes};

/// The environment variable naming a self-hosted server.
pub const URL_ENV: &str = "LATTESTREAM_URL";

/// The base URL (`scheme://host[:port]`) the options and environment pick.
pub fn resolve_base_url(
    ws_endpoint: Option<&str>,
    use_tls: bool,
    cluster: Option<&str>,
    from_env: Option<&str>,
) -> Result<String, Error> {
    let scheme = if use_tls { "https" } else { "http" };
    if let Some(endpoint) = ws_endpoint.filter(|e| !e.is_empty()) {
        return match endpoint.contains("://") {
            true => normalize(endpoint, "ws_endpoint"),
            false => normalize(&format!("{scheme}://{endpoint}"), "ws_endpoint"),
        };
    }
    if let Some(url) = from_env.map(str::trim).filter(|u| !u.is_empty()) {
        return normalize(url, URL_ENV);
    }
    Ok(format!(
        "{scheme}://{}.lattestream.com",
        cluster.unwrap_or("eu1")
    ))
}

/// Checks a configured URL and reduces it to its origin; `ws`/`wss` mean `http`/`https`.
fn normalize(raw: &str, source: &str) -> Result<String, Error> {
    let refuse =
        |why: &str| Error::invalid(codes::INVALID_CONFIG, format!("{source} {why}: {raw}"));
    let url = Url::parse(raw).map_err(|_| refuse("is not a URL"))?;
    let scheme = match url.scheme() {
        "http" | "ws" => "http",
        "https" | "wss" => "https",
        _ => return Err(refuse("must be an http(s) URL")),
    };
    let host = url
        .host_str()
        .ok_or_else(|| refuse("must be an http(s) URL"))?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "must name only scheme, host and port (the API is served at the root)",
        ));
    }
    Ok(match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_option_wins_https_unless_tls_is_off() {
        let env = Some("http://10.0.0.1:6001");
        let resolve = |e, tls| resolve_base_url(Some(e), tls, None, env).unwrap();
        assert_eq!(resolve("ls.example.com", true), "https://ls.example.com");
        assert_eq!(resolve("127.0.0.1:6001", false), "http://127.0.0.1:6001");
        assert_eq!(
            resolve("http://127.0.0.1:7001/", true),
            "http://127.0.0.1:7001"
        );
    }

    #[test]
    fn lattestream_url_comes_before_the_hosted_default() {
        let resolve = |env, cluster| resolve_base_url(None, true, cluster, env).unwrap();
        assert_eq!(
            resolve(Some("http://127.0.0.1:6001"), None),
            "http://127.0.0.1:6001"
        );
        assert_eq!(
            resolve(Some("wss://ls.example.com"), None),
            "https://ls.example.com"
        );
        assert_eq!(resolve(None, None), "https://eu1.lattestream.com");
        assert_eq!(
            resolve(Some(" "), Some("us2")),
            "https://us2.lattestream.com"
        );
    }

    #[test]
    fn a_url_that_is_not_an_http_origin_is_refused() {
        for bad in ["not a url", "ftp://x", "http://x/prefix", "http://x/?q=1"] {
            let err = resolve_base_url(None, true, None, Some(bad)).unwrap_err();
            assert_eq!(err.code(), codes::INVALID_CONFIG, "{bad}");
        }
    }
}
