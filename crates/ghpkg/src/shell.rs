//! Quoting for a POSIX shell: the one way ghpkg writes a command a person
//! pastes back (`ghpkg undo '/tmp/my journal.jsonl'`).

/// `text` as one shell word: as it is when it needs no quoting, else in
/// single quotes (a `'` inside written `'\''`).
pub(crate) fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+=:,@%".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `words` as a command line, each quoted as it must be.
pub(crate) fn command_line<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_survive_a_shell() {
        assert_eq!(
            quote("ghpkg-journal-acme-app.jsonl"),
            "ghpkg-journal-acme-app.jsonl"
        );
        assert_eq!(
            quote("/tmp/my journal's.jsonl"),
            r"'/tmp/my journal'\''s.jsonl'"
        );
        assert_eq!(quote(""), "''");
        assert_eq!(quote("pr-*"), "'pr-*'");
        assert_eq!(
            command_line(&["prune", "--tag", "pr-*", "--org", "acme"]),
            "prune --tag 'pr-*' --org acme"
        );
    }

    #[test]
    fn a_quoted_word_reads_back_through_sh() {
        for word in ["a b", "it's", "$HOME", "`x`", "\\n", "*", "ü"] {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", quote(word))])
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
    }
}
