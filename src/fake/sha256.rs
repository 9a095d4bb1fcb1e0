//! The digest of a pushed manifest: clients check that
//! `Docker-Content-Digest` is the SHA-256 of the bytes they sent.

use sha2::{Digest, Sha256};

/// `sha256:` and the 64 lowercase hex digits of the hash of `bytes`: an
/// OCI digest.
pub(crate) fn digest(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for byte in Sha256::digest(bytes) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_test_vectors_hash_right() {
        assert_eq!(
            digest(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
