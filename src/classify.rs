//! From an answer to this crate's error, and from what a generated call
//! returned to this crate's result.
//!
//! Classification goes by status first: a 401, 403, 404, 4xx or 5xx keeps its
//! kind whatever the body holds (JSON, an HTML page from a proxy, plain text,
//! nothing). The body is read afterwards, for GitHub's message when it is
//! JSON, or kept as text when it is not.

use http::{HeaderMap, Method, StatusCode};
use progenitor_client::{Error as GenError, ResponseValue};

use crate::error::{ApiError, Error, Result};
use crate::generated::types::BasicError;
use crate::ratelimit::{header_str, rate_limit_hit};
use crate::scope::Called;
use crate::transport::{AnswerMeta, Shared};

/// How much of a body that is not JSON an error keeps.
const BODY_PREVIEW_CHARS: usize = 200;

/// The request an answer belongs to, as the error will describe it.
pub(crate) struct Asked<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) had_token: bool,
}

/// Turns an answer that is not a success into the variant that says what to
/// do about it.
pub(crate) fn classify(
    asked: &Asked<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    classify_parts(asked, status, headers, read_body(body))
}

/// [`classify`] once the body has been read.
fn classify_parts(
    asked: &Asked<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    (message, documentation_url, text): (Option<String>, Option<String>, Option<String>),
) -> Error {
    let api = Box::new(ApiError {
        status,
        method: asked.method.clone(),
        path: asked.path.to_owned(),
        message,
        documentation_url,
        body: text,
        request_id: header_str(headers, "x-github-request-id").map(str::to_owned),
    });
    let now = std::time::SystemTime::now();
    if let Some(hit) = rate_limit_hit(status, headers, api.message.as_deref(), now) {
        return Error::RateLimited {
            api,
            kind: hit.kind,
            retry_at: hit.wait.and_then(|w| now.checked_add(w)),
        };
    }
    match status.as_u16() {
        401 => Error::Unauthorized {
            api,
            had_token: asked.had_token,
        },
        403 => Error::Forbidden {
            needed_scopes: header_str(headers, "x-accepted-oauth-scopes")
                .map(crate::scopes::split)
                .unwrap_or_default(),
            token_scopes: header_str(headers, "x-oauth-scopes").map(crate::scopes::split),
            api,
        },
        404 => Error::NotFound { api },
        // Any other 4xx is also GitHub refusing this request; only 5xx and
        // statuses outside the error ranges are "GitHub had a problem".
        400..=499 => Error::Rejected { api },
        _ => Error::Server { api },
    }
}

/// GitHub's `message` and `documentation_url` when the body is a JSON
/// object, else the start of the body as one line of text.
fn read_body(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: Option<String>,
        documentation_url: Option<String>,
    }
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        return (parsed.message, parsed.documentation_url, None);
    }
    let text = String::from_utf8_lossy(body);
    let preview: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(BODY_PREVIEW_CHARS)
        .collect();
    (None, None, (!preview.is_empty()).then_some(preview))
}

/// What a generated call returned, as this crate's result: the value with
/// the facts of its answer, or the error that says what went wrong.
pub(crate) async fn check<T>(
    called: Called<T>,
    shared: &Shared,
) -> Result<(ResponseValue<T>, Option<AnswerMeta>)> {
    let (result, meta) = called;
    if let Some(found) = meta.as_ref().and_then(|m| m.left_origin.clone()) {
        // Only a client given through `ClientBuilder::http_client` follows
        // such a redirect; reqwest dropped the token on the way, and the
        // answer is not GitHub's.
        return Err(Error::CrossOrigin {
            expected: shared.base_url.origin().ascii_serialization(),
            found,
        });
    }
    match result {
        Ok(value) => Ok((value, meta)),
        Err(error) => Err(convert(error, meta, shared).await),
    }
}

async fn convert(error: GenError<BasicError>, meta: Option<AnswerMeta>, shared: &Shared) -> Error {
    // Status first: an answer that is not a success is classified from its
    // status, headers and body, whatever the generated code made of the body.
    if let Some(meta) = &meta
        && let Some(body) = &meta.failure_body
    {
        let asked = Asked {
            method: &meta.method,
            path: meta.url.path(),
            had_token: shared.has_token,
        };
        return classify(&asked, meta.status, &meta.headers, body);
    }
    match error {
        GenError::InvalidRequest(problem) | GenError::Custom(problem) => {
            Error::invalid("request", problem)
        }
        GenError::CommunicationError(source)
        | GenError::InvalidUpgrade(source)
        | GenError::ResponseBodyError(source) => Error::from_reqwest(source, &shared.host()),
        GenError::InvalidResponsePayload(bytes, source) => Error::Decode {
            status: meta.as_ref().map(|m| m.status),
            content_type: meta
                .as_ref()
                .and_then(|m| header_text(&m.headers, "content-type")),
            request_id: meta
                .as_ref()
                .and_then(|m| header_text(&m.headers, "x-github-request-id")),
            detail: format!(
                "the {} byte body does not match the API description",
                bytes.len()
            ),
            source: Some(Box::new(source)),
        },
        GenError::ErrorResponse(value) => {
            // Only reached outside a tracked call, where no answer facts
            // were kept: describe it from what the generated code kept.
            let (status, headers) = (value.status(), value.headers().clone());
            let body = value.into_inner();
            let asked = Asked {
                method: &Method::GET,
                path: "",
                had_token: shared.has_token,
            };
            let parts = (body.message, body.documentation_url, None);
            classify_parts(&asked, status, &headers, parts)
        }
        GenError::UnexpectedResponse(response) => {
            let status = response.status();
            // Inside a tracked call the headers are in the answer's facts.
            let headers = match &meta {
                Some(meta) => meta.headers.clone(),
                None => response.headers().clone(),
            };
            if status.is_success() {
                return Error::Decode {
                    status: Some(status),
                    content_type: header_text(&headers, "content-type"),
                    request_id: header_text(&headers, "x-github-request-id"),
                    detail: "a success status the API description does not list".to_owned(),
                    source: None,
                };
            }
            let path = response.url().path().to_owned();
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(source) => return Error::from_reqwest(source, &shared.host()),
            };
            let asked = Asked {
                method: &Method::GET,
                path: &path,
                had_token: shared.has_token,
            };
            classify(&asked, status, &headers, &body)
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    header_str(headers, name).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(method: &Method) -> Asked<'_> {
        Asked {
            method,
            path: "/orgs/o/packages/npm/app",
            had_token: true,
        }
    }

    #[test]
    fn the_status_decides_the_kind_whatever_the_body() {
        let bodies: [&[u8]; 4] = [
            b"",
            b"<html><body><h1>404 Not Found</h1></body></html>",
            b"Not Found\n",
            br#"{"message":"Not Found"}"#,
        ];
        for body in bodies {
            let headers = HeaderMap::new();
            let get = Method::GET;
            let cases = [
                (401, "Unauthorized"),
                (403, "Forbidden"),
                (404, "NotFound"),
                (400, "Rejected"),
                (422, "Rejected"),
                (502, "Server"),
            ];
            for (status, kind) in cases {
                let error = classify(
                    &asked(&get),
                    StatusCode::from_u16(status).unwrap(),
                    &headers,
                    body,
                );
                let got = match error {
                    Error::Unauthorized { .. } => "Unauthorized",
                    Error::Forbidden { .. } => "Forbidden",
                    Error::NotFound { .. } => "NotFound",
                    Error::Rejected { .. } => "Rejected",
                    Error::Server { .. } => "Server",
                    ref other => panic!("{status} {body:?}: {other:?}"),
                };
                assert_eq!(
                    got,
                    kind,
                    "{status} with {:?}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }

    #[test]
    fn a_body_that_is_not_json_is_kept_as_one_short_line() {
        let page = format!(
            "<html>\n  <title>Bad\tgateway</title>{}</html>",
            "x".repeat(500)
        );
        let get = Method::GET;
        let error = classify(
            &asked(&get),
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            page.as_bytes(),
        );
        let api = error.api().unwrap();
        let kept = api.body.as_deref().unwrap();
        assert!(
            kept.starts_with("<html> <title>Bad gateway</title>"),
            "{kept}"
        );
        assert_eq!(kept.chars().count(), BODY_PREVIEW_CHARS);
        assert_eq!(api.message, None);
        assert!(error.to_string().contains("Bad gateway"), "{error}");
    }
}
