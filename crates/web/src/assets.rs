//! Static files embedded in the binary: the platform runs on intranets with no internet access.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// The same file gzip-compressed at build time (build.rs), for the large ones.
    gzipped: Option<&'static [u8]>,
}

/// JavaScript files.
const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/app.css"),
        gzipped: None,
    },
    Asset { name: "app.js", content_type: JS, bytes: include_bytes!("../static/app.js"), gzipped: None },
    // htmx 2.0.11 (npm htmx.org, BSD Zero Clause licence).
    Asset { name: "htmx.min.js", content_type: JS, bytes: include_bytes!("../static/htmx.min.js"), gzipped: None },
    // Apache ECharts 6.1.0 (npm echarts, dist/echarts.min.js unmodified; Apache-2.0, see echarts.LICENSE.txt).
    // 1.1 MB plain, about 370 KB gzipped: sent compressed to every browser that accepts gzip.
    Asset {
        name: "echarts.min.js",
        content_type: JS,
        bytes: include_bytes!("../static/echarts.min.js"),
        gzipped: Some(include_bytes!(concat!(env!("OUT_DIR"), "/echarts.min.js.gz"))),
    },
    Asset {
        name: "echarts.LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../static/echarts.LICENSE.txt"),
        gzipped: None,
    },
    // The chart contract's driver (line, bar, pie, gauge over ECharts).
    Asset { name: "charts.js", content_type: JS, bytes: include_bytes!("../static/charts.js"), gzipped: None },
];

/// Whether the request's `Accept-Encoding` accepts gzip (a `q=0` refuses it).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |part| {
            let mut params = part.split(';').map(str::trim);
            let coding = params.next().unwrap_or_default();
            let refused = params
                .any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        },
    )
}

/// Serves `/static/{name}`; cached for a day (file names change with the binary's version), except the
/// vendored library, whose content only changes with its version: cached for a year. A precompressed file goes
/// out with `Content-Encoding: gzip` to browsers that accept it (the compression layer leaves a response that
/// already carries an encoding alone), and plain to the others.
pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let cache = if a.gzipped.is_some() { "public, max-age=31536000, immutable" } else { "public, max-age=86400" };
    let mut res = match a.gzipped.filter(|_| accepts_gzip(&headers)) {
        Some(gz) => {
            let mut res =
                ([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, cache)], gz).into_response();
            res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            res
        }
        None => ([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, cache)], a.bytes).into_response(),
    };
    if a.gzipped.is_some() {
        // Caches keep the two forms apart.
        res.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn gzip_is_accepted_unless_refused() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br, deflate")));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_compressed_library_is_a_gzip_stream_much_smaller_than_the_file() {
        let a = ASSETS.iter().find(|a| a.name == "echarts.min.js").unwrap();
        let gz = a.gzipped.unwrap();
        assert!(gz.starts_with(&[0x1f, 0x8b]), "gzip magic");
        assert!(gz.len() * 2 < a.bytes.len(), "{} vs {}", gz.len(), a.bytes.len());
    }
}
