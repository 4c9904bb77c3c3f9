//! Static files embedded in the binary, served under content-hash URLs
//! (`/static/css/app.3fa2b1c4d5.css`) with a year of immutable caching.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Computed once from the embedded files; read-only.
static ASSETS: LazyLock<Assets> = LazyLock::new(Assets::load);

/// The cache-busting URL of an embedded file.
pub fn url(path: &str) -> String {
    ASSETS.url(path)
}

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// The embedded files and their hashed URLs, computed once at start-up.
#[derive(Clone, Default)]
pub struct Assets {
    /// `css/app.css` -> `/static/css/app.<hash>.css`
    urls: HashMap<String, String>,
    /// `css/app.<hash>.css` -> `css/app.css`
    hashed: HashMap<String, String>,
}

fn hashed_name(path: &str, data: &[u8]) -> String {
    let h = hex::encode(&Sha256::digest(data)[..5]);
    match path.rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with('/') => format!("{stem}.{h}.{ext}"),
        _ => format!("{path}.{h}"),
    }
}

impl Assets {
    /// Hashes every embedded file.
    pub fn load() -> Assets {
        let mut a = Assets::default();
        for path in Static::iter() {
            if let Some(f) = Static::get(&path) {
                let name = hashed_name(&path, &f.data);
                a.urls.insert(path.to_string(), format!("/static/{name}"));
                a.hashed.insert(name, path.to_string());
            }
        }
        a
    }

    /// The cache-busting URL of an embedded file (the plain path if unknown).
    pub fn url(&self, path: &str) -> String {
        self.urls
            .get(path)
            .cloned()
            .unwrap_or_else(|| format!("/static/{path}"))
    }
}

/// `GET /static/{path}`: hashed names are immutable; plain names (for embeds on other
/// sites) revalidate every hour.
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    serve_path(req, path.into_inner()).await
}

/// Serves the embedded file at `requested` (a plain or hashed name under `static/`).
pub async fn serve_path(req: HttpRequest, requested: String) -> HttpResponse {
    let (real, immutable) = match ASSETS.hashed.get(&requested) {
        Some(real) => (real.clone(), true),
        None => (requested, false),
    };
    let Some(file) = Static::get(&real) else {
        return super::handlers::health::not_found(req).await;
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..8]));
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    let mime = mime_guess::from_path(&real).first_or_octet_stream();
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let body: Cow<'static, [u8]> = file.data;
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            mime.essence_str().to_string()
                + if mime.type_() == "text" || mime.subtype() == "javascript" {
                    "; charset=utf-8"
                } else {
                    ""
                },
        ))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        .body(body.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_extension_and_change_with_content() {
        let a = hashed_name("css/app.css", b"a");
        assert!(a.starts_with("css/app.") && a.ends_with(".css"), "{a}");
        assert_ne!(a, hashed_name("css/app.css", b"b"));
        assert_eq!(
            Assets::load().url("css/app.css"),
            format!(
                "/static/{}",
                hashed_name("css/app.css", &Static::get("css/app.css").unwrap().data)
            )
        );
    }
}
