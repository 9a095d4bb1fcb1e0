//! What ships with the crate: the license files its manifest promises.

#[test]
fn the_license_files_match_the_manifest() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |name: &str| {
        std::fs::read_to_string(format!("{root}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let manifest = read("Cargo.toml");
    assert!(
        manifest.contains(r#"license = "MIT OR Apache-2.0""#),
        "the manifest's license changed; update this test and the files"
    );
    assert!(read("LICENSE-MIT").contains("Permission is hereby granted, free of charge"));
    let apache = read("LICENSE-APACHE");
    assert!(apache.contains("Apache License"));
    assert!(apache.contains("Version 2.0, January 2004"));
}
