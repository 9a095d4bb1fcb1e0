//! Parsing a `WWW-Authenticate` challenge, the registry's answer that says
//! where to get a token: `Bearer realm="…",service="…",scope="…"`.

/// The parameters of a `WWW-Authenticate` challenge.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    pub(crate) realm: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) scope: Option<String>,
}

/// Parses `Bearer realm="..",service="..",scope=".."`. Quoted values may
/// hold commas (a scope with several actions) and escaped quotes.
pub(crate) fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, mut rest) = match value.split_once(char::is_whitespace) {
        Some((s, r)) => (s, r.trim_start()),
        None => (value, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut challenge = Challenge {
        scheme: scheme.to_ascii_lowercase(),
        ..Challenge::default()
    };
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let val;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            out.push(next);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => out.push(c),
                }
            }
            let end = end?;
            val = out;
            rest = quoted[end + 1..].trim_start();
        } else {
            let stop = rest.find(',').unwrap_or(rest.len());
            val = rest[..stop].trim().to_owned();
            rest = &rest[stop..];
        }
        match key.as_str() {
            "realm" => challenge.realm = Some(val),
            "service" => challenge.service = Some(val),
            "scope" => challenge.scope = Some(val),
            _ => {}
        }
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
    }
    Some(challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ghcr_style_challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.realm.as_deref(), Some("https://ghcr.io/token"));
        assert_eq!(c.service.as_deref(), Some("ghcr.io"));
        assert_eq!(c.scope.as_deref(), Some("repository:acme/app:pull"));
    }

    #[test]
    fn quoted_values_keep_commas_and_escapes() {
        let c = parse_challenge(
            r#"Bearer scope="repository:a/b:pull,push", realm = "https://r/t\"x" ,error=insufficient_scope"#,
        )
        .unwrap();
        assert_eq!(c.scope.as_deref(), Some("repository:a/b:pull,push"));
        assert_eq!(c.realm.as_deref(), Some("https://r/t\"x"));
        assert_eq!(c.service, None);
        assert_eq!(parse_challenge("Basic").unwrap().scheme, "basic");
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
        assert!(parse_challenge("").is_none());
    }
}
