//! The fake answers as the description says: every operation, every status
//! the spec documents for it, each body checked strictly against the
//! response schema for that operation and status.

mod fake_support;

use std::collections::BTreeSet;

use chrono::{TimeDelta, Utc};
use github_packages::PackageType;
use github_packages::fake::{FakeGitHub, Owner};
use reqwest::Method;
use serde_json::{Value, json};

use fake_support::{ALL, Reply, Spec, http, send};

/// One of the three scopes, with what the paths need.
struct Scope {
    /// How the description's templates name it.
    prefix: &'static str,
    /// The concrete prefix.
    path: &'static str,
    /// A prefix whose owner does not exist (`None`: the authenticated user
    /// always exists).
    unknown: Option<&'static str>,
}

const SCOPES: [Scope; 3] = [
    Scope {
        prefix: "/user",
        path: "/user",
        unknown: None,
    },
    Scope {
        prefix: "/users/{username}",
        path: "/users/hubot",
        unknown: Some("/users/nobody-here"),
    },
    Scope {
        prefix: "/orgs/{org}",
        path: "/orgs/acme",
        unknown: Some("/orgs/no-such-org"),
    },
];

fn owner_of(scope: &Scope, fake: &FakeGitHub) -> Owner {
    match scope.path {
        "/user" => Owner::user(fake.login()),
        "/users/hubot" => Owner::user("hubot"),
        _ => Owner::org("acme"),
    }
}

/// Drives the calls and keeps score.
struct Checker {
    spec: Spec,
    http: reqwest::Client,
    base: String,
    checked: BTreeSet<(String, String, u16)>,
}

impl Checker {
    /// Sends `method path` and checks the answer has `status` and a body
    /// that fits the schema documented for `method template status`.
    async fn expect(
        &mut self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        status: u16,
    ) -> Reply {
        let reply = send(
            &self.http,
            method.clone(),
            &format!("{}{path}", self.base),
            token,
        )
        .await;
        assert_eq!(
            reply.status, status,
            "{method} {path}: expected {status}, body {}",
            reply.text
        );
        match self.spec.response_schema(method.as_str(), template, status) {
            Some(schema) => {
                let body: Value = reply.json();
                let problems = self.spec.check(schema, &body);
                assert!(
                    problems.is_empty(),
                    "{method} {path} ({status}) does not fit the schema:\n{}\n{body:#}",
                    problems.join("\n")
                );
            }
            None => assert!(
                reply.text.is_empty(),
                "{method} {path} ({status}) should have no body: {:?}",
                reply.text
            ),
        }
        self.checked
            .insert((method.as_str().to_owned(), template.to_owned(), status));
        reply
    }
}

#[tokio::test]
async fn every_operation_and_documented_status_fits_the_schema() {
    let gh = FakeGitHub::builder()
        .without_rate_limits()
        .start()
        .await
        .unwrap();
    let full = gh.token_with_scopes(ALL);
    let no_scopes = gh.token_with_scopes(&["repo"]);
    let read_only = gh.token_with_scopes(&["read:packages"]);
    let mut c = Checker {
        spec: Spec::load(),
        http: http(),
        base: gh.url(),
        checked: BTreeSet::new(),
    };
    let now = Utc::now();

    for scope in &SCOPES {
        let owner = owner_of(scope, &gh);
        let lib = gh
            .package(&owner, PackageType::Npm, "lib")
            .version("1.0.0")
            .created_at(now - TimeDelta::days(3))
            .deleted_at(now - TimeDelta::days(1))
            .version("1.1.0")
            .created_at(now - TimeDelta::days(2))
            .version("2.0.0")
            .description("the second major")
            .license("MIT")
            .created_at(now - TimeDelta::days(1))
            .create()
            .unwrap();
        for name in ["doomed", "phoenix"] {
            gh.package(&owner, PackageType::Npm, name)
                .version("0.1.0")
                .create()
                .unwrap();
        }
        gh.package(&owner, PackageType::Docker, "legacy")
            .docker_conflict(true)
            .image()
            .tags(["1.0"])
            .create()
            .unwrap();
        gh.package(&owner, PackageType::Container, "app")
            .image()
            .tags(["v1"])
            .platforms(["linux/amd64"])
            .attestations()
            .create()
            .unwrap();
        let [deleted, middle, newest] =
            [lib.versions[0].id, lib.versions[1].id, lib.versions[2].id];

        let p = scope.path;
        let t = |rest: &str| format!("{}{rest}", scope.prefix);
        let pkg = "/packages/{package_type}/{package_name}";
        let ver = "/packages/{package_type}/{package_name}/versions/{package_version_id}";

        // Docker migration conflicts.
        let tpl = t("/docker/conflicts");
        let conflicts = c
            .expect(
                Method::GET,
                &tpl,
                &format!("{p}/docker/conflicts"),
                Some(&full),
                200,
            )
            .await;
        assert_eq!(conflicts.json()[0]["name"], "legacy");
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/docker/conflicts"),
            None,
            401,
        )
        .await;
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/docker/conflicts"),
            Some(&no_scopes),
            403,
        )
        .await;

        // Package listings, including both pages of a paged one.
        let tpl = t("/packages");
        let list = format!("{p}/packages?package_type=npm");
        let listed = c.expect(Method::GET, &tpl, &list, Some(&full), 200).await;
        assert_eq!(listed.json().as_array().unwrap().len(), 3);
        for page in 1..=2 {
            c.expect(
                Method::GET,
                &tpl,
                &format!("{list}&per_page=2&page={page}"),
                Some(&full),
                200,
            )
            .await;
        }
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/packages?package_type=container"),
            Some(&full),
            200,
        )
        .await;
        c.expect(
            Method::GET,
            &tpl,
            &format!("{list}&page=101&per_page=100"),
            Some(&full),
            400,
        )
        .await;
        c.expect(Method::GET, &tpl, &list, None, 401).await;
        c.expect(Method::GET, &tpl, &list, Some(&no_scopes), 403)
            .await;

        // One package.
        let tpl = t(pkg);
        for name in ["lib", "app"] {
            let ty = if name == "app" { "container" } else { "npm" };
            c.expect(
                Method::GET,
                &tpl,
                &format!("{p}/packages/{ty}/{name}"),
                Some(&full),
                200,
            )
            .await;
        }
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/packages/npm/lib"),
            None,
            401,
        )
        .await;
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/packages/npm/lib"),
            Some(&no_scopes),
            403,
        )
        .await;
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/packages/npm/nope"),
            Some(&full),
            404,
        )
        .await;

        c.expect(
            Method::DELETE,
            &tpl,
            &format!("{p}/packages/npm/doomed"),
            None,
            401,
        )
        .await;
        c.expect(
            Method::DELETE,
            &tpl,
            &format!("{p}/packages/npm/doomed"),
            Some(&read_only),
            403,
        )
        .await;
        c.expect(
            Method::DELETE,
            &tpl,
            &format!("{p}/packages/npm/doomed"),
            Some(&full),
            204,
        )
        .await;
        c.expect(
            Method::DELETE,
            &tpl,
            &format!("{p}/packages/npm/doomed"),
            Some(&full),
            404,
        )
        .await;

        let tpl = t(&format!("{pkg}/restore"));
        let phoenix = format!("{p}/packages/npm/phoenix");
        send(
            &c.http,
            Method::DELETE,
            &format!("{}{phoenix}", c.base),
            Some(&full),
        )
        .await;
        let restore = format!("{phoenix}/restore");
        c.expect(Method::POST, &tpl, &restore, None, 401).await;
        c.expect(Method::POST, &tpl, &restore, Some(&read_only), 403)
            .await;
        c.expect(Method::POST, &tpl, &restore, Some(&full), 204)
            .await;
        c.expect(Method::POST, &tpl, &restore, Some(&full), 404)
            .await;

        // Versions.
        let tpl = t(&format!("{pkg}/versions"));
        let versions = format!("{p}/packages/npm/lib/versions");
        let active = c
            .expect(Method::GET, &tpl, &versions, Some(&full), 200)
            .await;
        assert_eq!(active.ids(), [newest, middle]);
        let gone = c
            .expect(
                Method::GET,
                &tpl,
                &format!("{versions}?state=deleted"),
                Some(&full),
                200,
            )
            .await;
        assert_eq!(gone.ids(), [deleted]);
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/packages/container/app/versions"),
            Some(&full),
            200,
        )
        .await;
        c.expect(Method::GET, &tpl, &versions, None, 401).await;
        c.expect(Method::GET, &tpl, &versions, Some(&no_scopes), 403)
            .await;
        c.expect(
            Method::GET,
            &tpl,
            &format!("{p}/packages/npm/nope/versions"),
            Some(&full),
            404,
        )
        .await;

        let tpl = t(ver);
        let one = |id: i64| format!("{p}/packages/npm/lib/versions/{id}");
        let got = c
            .expect(Method::GET, &tpl, &one(newest), Some(&full), 200)
            .await;
        assert_eq!(got.json()["license"], "MIT");
        c.expect(Method::GET, &tpl, &one(newest), None, 401).await;
        c.expect(Method::GET, &tpl, &one(newest), Some(&no_scopes), 403)
            .await;
        c.expect(Method::GET, &tpl, &one(deleted), Some(&full), 404)
            .await;

        c.expect(Method::DELETE, &tpl, &one(middle), None, 401)
            .await;
        c.expect(Method::DELETE, &tpl, &one(middle), Some(&read_only), 403)
            .await;
        c.expect(Method::DELETE, &tpl, &one(middle), Some(&full), 204)
            .await;
        c.expect(Method::DELETE, &tpl, &one(middle), Some(&full), 404)
            .await;

        let tpl = t(&format!("{ver}/restore"));
        let restore = |id: i64| format!("{}/restore", one(id));
        c.expect(Method::POST, &tpl, &restore(deleted), None, 401)
            .await;
        let delete_only = gh.token_with_scopes(&["read:packages", "delete:packages"]);
        c.expect(
            Method::POST,
            &tpl,
            &restore(deleted),
            Some(&delete_only),
            403,
        )
        .await;
        c.expect(Method::POST, &tpl, &restore(deleted), Some(&full), 204)
            .await;
        c.expect(Method::POST, &tpl, &restore(newest), Some(&full), 404)
            .await;

        // Where the owner itself is unknown.
        match scope.unknown {
            Some(unknown) => {
                c.expect(
                    Method::GET,
                    &t("/packages"),
                    &format!("{unknown}/packages?package_type=npm"),
                    Some(&full),
                    404,
                )
                .await;
                c.expect(
                    Method::GET,
                    &t("/docker/conflicts"),
                    &format!("{unknown}/docker/conflicts"),
                    Some(&full),
                    404,
                )
                .await;
            }
            None => {
                // The authenticated user always exists: GitHub's 404 here
                // comes from states the fake does not model (GitHub Packages
                // disabled for the account), so a fault stands in for it and
                // its body is checked like any other.
                for rest in ["/packages", "/docker/conflicts"] {
                    let fault = gh
                        .fault("GET", &format!("/user{rest}"))
                        .times(1)
                        .status(404)
                        .unwrap();
                    let query = if rest == "/packages" {
                        "?package_type=npm"
                    } else {
                        ""
                    };
                    c.expect(
                        Method::GET,
                        &t(rest),
                        &format!("/user{rest}{query}"),
                        Some(&full),
                        404,
                    )
                    .await;
                    assert_eq!(fault.hits(), 1);
                }
            }
        }
    }

    let documented = c.spec.documented();
    let missing: Vec<_> = documented.difference(&c.checked).collect();
    assert!(
        missing.is_empty(),
        "documented but not checked: {missing:#?}"
    );
    let extra: Vec<_> = c.checked.difference(&documented).collect();
    assert!(extra.is_empty(), "checked but not documented: {extra:#?}");
    assert_eq!(
        c.checked.len(),
        111,
        "27 operations, 111 documented answers"
    );
}

#[test]
fn the_validator_catches_what_it_must() {
    let spec = Spec::load();
    let version = json!({"$ref": "#/components/schemas/package-version"});
    let good = json!({"id": 1, "name": "1.0.0", "url": "u", "package_html_url": "h",
                      "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
                      "metadata": {"package_type": "npm"}});
    assert_eq!(spec.check(&version, &good), Vec::<String>::new());
    let mut bad = good.clone();
    bad["extra"] = json!(1);
    bad["id"] = json!("1");
    bad["created_at"] = json!("yesterday");
    bad["metadata"]["package_type"] = json!("pip");
    bad.as_object_mut().unwrap().remove("url");
    bad["deleted_at"] = Value::Null;
    let problems = spec.check(&version, &bad);
    assert_eq!(problems.len(), 6, "{problems:#?}");
    let user = json!({"$ref": "#/components/schemas/simple-user"});
    let problems = spec.check(
        &user,
        &json!({"login": "x", "gravatar_id": null, "avatar_url": "not a uri"}),
    );
    assert!(
        problems.iter().any(|p| p.contains("is not a \"uri\"")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("missing required `id`")),
        "{problems:#?}"
    );
    assert!(
        !problems.iter().any(|p| p.contains("gravatar_id")),
        "{problems:#?}"
    );
}

#[tokio::test]
async fn account_bodies_fit_githubs_user_schemas() {
    let gh = FakeGitHub::builder()
        .without_rate_limits()
        .start()
        .await
        .unwrap();
    gh.package(Owner::org("acme"), PackageType::Npm, "lib")
        .version("1.0.0")
        .create()
        .unwrap();
    let read = gh.token_with_scopes(&["read:packages"]);
    let profile = gh.token_with_scopes(&["read:packages", "read:user"]);
    let users = Spec::users();
    let http = http();
    for (path, token, schema, other) in [
        ("/users/acme", None, "public-user", "private-user"),
        ("/users/octocat", Some(&read), "public-user", "private-user"),
        ("/user", Some(&read), "public-user", "private-user"),
        ("/user", Some(&profile), "private-user", "public-user"),
    ] {
        let reply = send(
            &http,
            Method::GET,
            &format!("{}{path}", gh.url()),
            token.map(String::as_str),
        )
        .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        let body = reply.json();
        let problems = users.check_component(schema, &body);
        assert!(problems.is_empty(), "{path} as {schema}: {problems:#?}");
        // The two schemas tell the bodies apart, so the check above is
        // not one any user body passes.
        assert!(
            !users.check_component(other, &body).is_empty(),
            "{path} also fits {other}"
        );
        assert_eq!(body["user_view_type"], schema.trim_end_matches("-user"));
    }
}

#[tokio::test]
async fn without_internal_visibility_every_body_fits_githubs_own_description() {
    let upstream = Spec::upstream();
    let types = ["container", "docker", "npm", "maven", "nuget", "rubygems"];
    for strict in [false, true] {
        let mut builder = FakeGitHub::builder().without_rate_limits().sample_data();
        if strict {
            builder = builder.no_internal_visibility();
        }
        let gh = builder.start().await.unwrap();
        let token = gh.token_with_scopes(ALL);
        let http = http();
        let mut problems = Vec::new();
        let mut visibilities = BTreeSet::new();
        for package_type in types {
            let url = format!(
                "{}/orgs/acme/packages?package_type={package_type}&per_page=100",
                gh.url()
            );
            let listed = send(&http, Method::GET, &url, Some(&token)).await.json();
            for package in listed.as_array().unwrap() {
                visibilities.insert(package["visibility"].as_str().unwrap().to_owned());
                problems.extend(upstream.check_component("package", package));
            }
            let url = format!(
                "{}/orgs/acme/packages?package_type={package_type}&visibility=internal",
                gh.url()
            );
            let internal = send(&http, Method::GET, &url, Some(&token)).await.json();
            if package_type == "container" {
                // The filter still finds the internal package either way.
                assert_eq!(internal[0]["name"], "worker", "strict: {strict}");
            }
        }
        let url = format!("{}/orgs/acme/packages/container/worker", gh.url());
        let worker = send(&http, Method::GET, &url, Some(&token)).await.json();
        problems.extend(upstream.check_component("package", &worker));
        if strict {
            assert!(problems.is_empty(), "{problems:#?}");
            assert_eq!(worker["visibility"], "private");
            assert!(!visibilities.contains("internal"), "{visibilities:?}");
        } else {
            // GitHub's own answer, which its description does not allow.
            assert_eq!(worker["visibility"], "internal");
            assert!(
                !problems.is_empty() && problems.iter().all(|p| p.contains("\"internal\"")),
                "{problems:#?}"
            );
        }
    }
}
