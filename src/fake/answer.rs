//! An answer as the API and the registry build it: status, headers, body.
//! The server turns it into an HTTP response; nothing here speaks hyper.

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

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}
