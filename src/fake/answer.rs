//! An answer as the API and the registry build it: status, headers, body.
//! The server turns it into an HTTP response; nothing here speaks hyper.

use super::bodies;

/// An answer before it becomes a hyper response.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn new(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub(crate) fn with_body(mut self, content_type: &str, body: Vec<u8>) -> Answer {
        self.headers
            .push(("content-type".into(), content_type.into()));
        self.body = body;
        self
    }

    pub(crate) fn json(status: u16, body: Vec<u8>) -> Answer {
        Answer::new(status).with_body("application/json; charset=utf-8", body)
    }

    /// GitHub's error answer: message, documentation URL and status.
    pub(crate) fn github_error(status: u16, message: &str, docs: &str) -> Answer {
        Answer::json(
            status,
            bodies::error_json(message, docs, status).into_bytes(),
        )
    }

    /// The OCI distribution API's error answer: `{"errors": [{code, message}]}`.
    pub(crate) fn registry_error(status: u16, code: &str, message: &str) -> Answer {
        let body = serde_json::json!({"errors": [{"code": code, "message": message}]});
        Answer::json(status, body.to_string().into_bytes())
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}
