//! Generates the low-level client from the checked-in OpenAPI fragment.
//!
//! The fragment under `spec/` is already patched (see `spec/README.md`); this
//! script only turns it into Rust. Generation failures stop the build with a
//! message that names the spec file instead of a panic backtrace.

use std::{env, fs, panic, path::PathBuf, process};

const SPEC: &str = "spec/api.github.com.packages.json";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(message) = generate() {
        eprintln!("error: cannot generate the GitHub Packages client from {SPEC}: {message}");
        eprintln!(
            "hint: regenerate the fragment with `cargo xtask spec` and check `spec/patches.json`"
        );
        process::exit(1);
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read it: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_json::from_str(&text)
        .map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        // The hand-written layer owns headers, retries and rate limits through
        // these hooks; making them mandatory turns a forgotten impl into a
        // compile error rather than a client that silently skips them.
        .with_inner_type(quote_path("crate::transport::Shared"))
        .with_hooks(progenitor::HooksMode::Expected)
        // Compare, dedupe and key packages and versions like any value
        // (C-COMMON-TRAITS); nothing in the schemas is a float or a map.
        .with_derive("PartialEq")
        .with_derive("Eq")
        .with_derive("Hash");

    // progenitor reports some spec defects by panicking; catch that so the
    // user sees one line saying what is wrong rather than a backtrace.
    panic::set_hook(Box::new(|_| {}));
    let tokens = panic::catch_unwind(move || {
        let mut generator = progenitor::Generator::new(&settings);
        generator.generate_tokens(&spec).map_err(|e| e.to_string())
    })
    .map_err(|payload| {
        let detail = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        format!("the generator rejected it: {detail}")
    })??;
    let _ = panic::take_hook();

    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let code = prettyplease::unparse(&file);
    let out_dir = env::var_os("OUT_DIR").ok_or("OUT_DIR is not set; run through cargo")?;
    let out = PathBuf::from(out_dir).join("codegen.rs");
    fs::write(&out, code).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

fn quote_path(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("a Rust path is valid tokens")
}
