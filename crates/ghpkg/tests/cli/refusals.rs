//! What ghpkg refuses as a whole run, on the fake GitHub: a plan larger
//! than `--max-delete`, an exclusion that matches no tag of the run (most
//! likely a typo), a plan file that is stale, damaged or made against
//! another API. Nothing is deleted, and no plan or journal is written.

use github_packages::PackageType;
use github_packages::fake::Owner;
use serde_json::{Value, json};

use crate::fakes::Fake;
use crate::flows::{six_images, write_plan};
use crate::output::app;
use crate::support::{Ghpkg, path_str, planned, prune_app, tempdir};

#[test]
fn max_delete_refuses_a_plan_that_is_too_big() {
    let fake = Fake::start();
    let untagged: Vec<(i64, Vec<String>)> = (1..=300).map(|h| (h, Vec::new())).collect();
    app(&fake, &untagged);
    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &prune_app(&[
            "--json",
            "--registry-url",
            &url,
            "--keep-last",
            "100",
            "--max-delete",
            "199",
            "--yes",
        ]),
    );
    run.expect(1);
    let report = run.prune_json();
    assert_eq!(planned(&report, "delete").len(), 200);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("--max-delete 199"),
        "{report}"
    );
    assert!(
        run.stderr.contains("error: the plan deletes 200 versions"),
        "{}",
        run.stderr
    );
    assert_eq!(report["deleted"].as_array().unwrap().len(), 0);
    assert_eq!(fake.deletes_sent(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no journal"
    );
}

/// An exclusion that matches no tag of any version listed protects nothing:
/// a dry run warns (as data, with the sentence), a real prune deletes
/// nothing and fails unless `--allow-unmatched-exclude`.
#[test]
fn an_exclusion_matching_no_tag_warns_and_stops_a_real_prune() {
    let fake = Fake::start();
    let tagged = |h: i64, tag: &str| (h, vec![tag.to_owned()]);
    app(
        &fake,
        &[
            tagged(1, "latest"),
            (2, Vec::new()),
            tagged(3, "v1"),
            (4, Vec::new()),
            (5, Vec::new()),
        ],
    );
    let dir = tempdir();
    let prune = prune_app(&[
        "--no-registry-check",
        "--keep-last",
        "3",
        "--exclude-tag",
        "relase-*",
    ]);
    let mut dry = vec!["--json"];
    dry.extend(&prune);
    let run = fake.ghpkg(dir.path(), &dry);
    run.expect(0);
    let report = run.json();
    let warning = &report["warnings"][0];
    assert_eq!(warning["code"], "unmatched_exclusions", "{report}");
    assert_eq!(
        warning["patterns"],
        json!([{"glob": "relase-*"}]),
        "{report}"
    );
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("--exclude-tag relase-* matches no tag of any version listed"),
        "{report}"
    );

    let mut real = prune.to_vec();
    real.push("--yes");
    let run = fake.ghpkg(dir.path(), &real);
    run.expect(1);
    assert!(
        run.stderr.contains("--allow-unmatched-exclude"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Nothing was deleted"), "{}", run.stderr);
    // Said once: the refusal carries the warning's sentence.
    assert_eq!(
        run.stderr.matches("matches no tag of any version").count(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(fake.deletes_sent(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no journal"
    );

    real.push("--allow-unmatched-exclude");
    fake.ghpkg(dir.path(), &real).expect(0);
    assert_eq!(fake.deletes_sent(), 2);
}

/// An exclusion is judged by the tags of the whole run: a package with no
/// release tags does not make `--exclude-tag 'v*'` a typo and stop the run.
#[test]
fn an_exclusion_that_matches_in_one_package_does_not_stop_the_others() {
    let fake = Fake::start();
    let web = crate::flows::app(&fake, "app-web");
    let api = fake
        .gh
        .package(Owner::org("acme"), PackageType::Container, "app-api")
        .image()
        .image()
        .tags(["latest"])
        .create()
        .unwrap();
    let dir = tempdir();
    let url = fake.url();
    let run = fake.ghpkg(
        dir.path(),
        &[
            "prune",
            "container",
            "--org",
            "acme",
            "--package",
            "app-*",
            "--untagged",
            "--exclude-tag",
            "v*",
            "--registry-url",
            &url,
            "--yes",
        ],
    );
    run.expect(0);
    assert_eq!(fake.deleted("app-web"), crate::flows::orphans(&web));
    assert_eq!(fake.deleted("app-api"), [api.versions[0].id]);
}

/// A plan is not written when a prune with --yes would have refused:
/// deleting more than --max-delete, or an exclusion that matches no tag.
#[test]
fn no_plan_is_written_that_a_prune_would_refuse() {
    let fake = Fake::start();
    six_images(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    for flags in [
        &["--max-delete", "2"][..],
        &["--exclude-tag", "relase-*"][..],
    ] {
        let mut args = prune_app(&[
            "--keep-untagged",
            "1",
            "--no-registry-check",
            "--plan-out",
            path_str(&plan_path),
        ]);
        args.extend_from_slice(flags);
        let run = fake.ghpkg(dir.path(), &args);
        run.expect(1);
        assert!(
            run.stderr.contains("no plan written"),
            "{flags:?}: {}",
            run.stderr
        );
        assert!(!plan_path.exists(), "{flags:?}");
    }
}

/// A plan older than `--max-plan-age` is refused (the registry has moved
/// on), and so is one cut short, before any request.
#[test]
fn a_stale_or_damaged_plan_is_refused() {
    let fake = Fake::start();
    six_images(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    write_plan(&fake, dir.path(), &plan_path).expect(0);
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let two_days_ago = chrono::Utc::now() - chrono::TimeDelta::days(2);
    plan["created_at"] = two_days_ago.to_rfc3339().into();
    std::fs::write(&plan_path, plan.to_string()).unwrap();

    let run = fake.ghpkg(dir.path(), &["apply", path_str(&plan_path), "--yes"]);
    run.expect(1);
    assert!(run.stderr.contains("--max-plan-age 1d"), "{}", run.stderr);
    assert_eq!(fake.deletes_sent(), 0);
    let run = fake.ghpkg(
        dir.path(),
        &[
            "apply",
            path_str(&plan_path),
            "--yes",
            "--max-plan-age",
            "3d",
        ],
    );
    run.expect(0);
    assert_eq!(fake.deletes_sent(), 4);

    // Cut short: refused before any request.
    let text = std::fs::read(&plan_path).unwrap();
    std::fs::write(&plan_path, &text[..text.len() / 2]).unwrap();
    let before = fake.gh.requests().len();
    let run = fake.ghpkg(dir.path(), &["apply", path_str(&plan_path), "--yes"]);
    run.expect(1);
    assert!(run.stderr.contains("cut short"), "{}", run.stderr);
    assert_eq!(fake.gh.requests().len(), before);
}

/// A plan never picks where the token goes: applied against another API
/// than its own (named by GITHUB_API_URL, or the default), it is refused
/// with the flag that would accept it.
#[test]
fn a_plan_keeps_its_api_and_an_explicit_other_one_is_refused() {
    let fake = Fake::start();
    six_images(&fake);
    let dir = tempdir();
    let plan_path = dir.path().join("plan.json");
    write_plan(&fake, dir.path(), &plan_path).expect(0);
    let apply = || {
        Ghpkg::new(dir.path())
            .token(&fake.token)
            .args(["apply", path_str(&plan_path), "--yes"])
    };
    // A token from the environment belongs to GITHUB_API_URL's API: a plan
    // written against another one is refused.
    let run = apply()
        .env("GITHUB_API_URL", "https://ghe.example.com/api/v3")
        .run();
    run.expect(2);
    assert!(
        run.stderr
            .contains("a plan does not choose where your token goes"),
        "{}",
        run.stderr
    );
    assert_eq!(fake.deletes_sent(), 0);
    // Nor does a plan pick the host on its own: without --api-url the
    // default applies, and it is not the plan's (a reviewed plan is handed
    // around; a token must not follow an edited api_url).
    let run = apply().run();
    run.expect(2);
    let advice = format!("pass --api-url {}", fake.url());
    assert!(run.stderr.contains(&advice), "{}", run.stderr);
    assert_eq!(fake.deletes_sent(), 0);
}
