//! The direct commands: list, versions, get, delete, restore, conflicts.
//! Each is one library call and a table or JSON document.

use std::io::{BufRead, Write};

use futures::TryStreamExt;
use github_packages::{Package, PackageType, PackageVersion, Scope, VersionState};
use github_packages_retention::TagPattern;
use serde_json::json;

use crate::args::{Kind, State, Target, Vis};
use crate::context::{Ctx, Failure, Outcome};
use crate::locate;
use crate::names::VersionSpec;
use crate::output::out;
use crate::output::plural;
use crate::output::{self, Table};

/// A version's tags, owned, whichever metadata block GitHub put them in.
fn owned_tags(version: &PackageVersion) -> Vec<String> {
    version.tags().into_iter().map(str::to_owned).collect()
}

fn package_table(packages: &[Package]) -> Table {
    let mut table = Table::new(&["TYPE", "NAME", "VISIBILITY", "VERSIONS", "UPDATED"]);
    for p in packages {
        table.row(vec![
            p.package_type.to_string(),
            p.name.clone(),
            p.visibility.to_string(),
            p.version_count.to_string(),
            output::time(p.updated_at),
        ]);
    }
    table
}

fn version_table(versions: &[PackageVersion]) -> Table {
    let mut table = Table::new(&["ID", "CREATED", "TAGS", "NAME"]);
    for v in versions {
        table.row(vec![
            v.id.to_string(),
            output::time(v.created_at),
            output::tags(&owned_tags(v)),
            v.name.clone(),
        ]);
    }
    table
}

pub(crate) async fn list(
    ctx: &Ctx,
    scope: &Scope,
    kind: Option<Kind>,
    visibility: Option<Vis>,
) -> Outcome {
    let kinds = match kind {
        Some(kind) => vec![kind],
        None => Kind::ALL.to_vec(),
    };
    let mut packages = Vec::new();
    for kind in kinds {
        let mut listing = ctx.client.packages(scope).list(kind.into());
        if let Some(visibility) = visibility {
            listing = listing.visibility(visibility.into());
        }
        packages.extend(listing.stream().try_collect::<Vec<_>>().await?);
    }
    if ctx.json {
        output::json(&packages)?;
    } else if packages.is_empty() {
        eprintln!("no packages for {scope}");
    } else {
        package_table(&packages).print()?;
    }
    Ok(())
}

pub(crate) async fn versions(
    ctx: &Ctx,
    target: &Target,
    state: Option<State>,
    tags: &[TagPattern],
) -> Outcome {
    let scope = locate::scope(ctx, &target.owner, target.kind, &target.name).await?;
    let mut listing = ctx
        .client
        .packages(&scope)
        .versions(target.kind.into(), &target.name);
    if let Some(state) = state {
        listing = listing.state(state.into());
    }
    let mut versions: Vec<PackageVersion> = match listing.stream().try_collect().await {
        Ok(versions) => versions,
        Err(e) => return Err(locate::not_found(ctx, &scope, target.kind, &target.name, e).await),
    };
    if !tags.is_empty() {
        versions.retain(|v| v.tags().iter().any(|t| tags.iter().any(|p| p.matches(t))));
    }
    if ctx.json {
        output::json(&versions)?;
    } else if versions.is_empty() && !tags.is_empty() {
        eprintln!(
            "no version of {} package {} ({scope}) has a tag matching {}",
            PackageType::from(target.kind),
            target.name,
            tags.iter()
                .map(|p| p.source().to_owned())
                .collect::<Vec<_>>()
                .join(" or ")
        );
    } else {
        version_table(&versions).print()?;
    }
    Ok(())
}

/// `container package app (organization acme)`.
fn package_words(target: &Target, scope: &Scope) -> String {
    format!(
        "{} package {} ({scope})",
        PackageType::from(target.kind),
        target.name
    )
}

/// `version 12 (tags v1, latest)`.
fn version_words(v: &PackageVersion) -> String {
    let tags = owned_tags(v);
    match tags.as_slice() {
        [] => format!("version {}", v.id),
        [one] => format!("version {} (tag {one})", v.id),
        many => format!("version {} (tags {})", v.id, many.join(", ")),
    }
}

/// The failure for a version `spec` that names none in `state`.
fn no_such_version(target: &Target, scope: &Scope, spec: &VersionSpec, state: &str) -> Failure {
    Failure::Failed(format!(
        "no {state} version of {} has the tag or name {spec}; `ghpkg versions {} {} {}` lists \
         them",
        package_words(target, scope),
        PackageType::from(target.kind),
        crate::shell::quote(&target.name),
        owner_flag(scope)
    ))
}

/// The flag that names `scope`'s owner.
fn owner_flag(scope: &Scope) -> String {
    match scope {
        Scope::Org(org) => format!("--org {org}"),
        Scope::User(user) => format!("--user {user}"),
        _ => "--me".to_owned(),
    }
}

pub(crate) async fn get(ctx: &Ctx, target: &Target, version: Option<VersionSpec>) -> Outcome {
    let scope = locate::scope(ctx, &target.owner, target.kind, &target.name).await?;
    let packages = ctx.client.packages(&scope);
    let kind: PackageType = target.kind.into();
    match version {
        Some(spec) => {
            let mut found = locate::version(
                ctx,
                &scope,
                target.kind,
                &target.name,
                &spec,
                VersionState::Active,
            )
            .await?;
            if found.is_none() {
                found = locate::version(
                    ctx,
                    &scope,
                    target.kind,
                    &target.name,
                    &spec,
                    VersionState::Deleted,
                )
                .await?;
            }
            let Some(v) = found else {
                return Err(no_such_version(target, &scope, &spec, "active or deleted"));
            };
            if ctx.json {
                output::json(&v)?;
            } else {
                let mut table = Table::new(&["FIELD", "VALUE"]);
                table.row(vec!["id".into(), v.id.to_string()]);
                table.row(vec!["name".into(), v.name.clone()]);
                table.row(vec!["tags".into(), output::tags(&owned_tags(&v))]);
                table.row(vec!["created".into(), output::time(v.created_at)]);
                table.row(vec!["updated".into(), output::time(v.updated_at)]);
                if let Some(deleted) = v.deleted_at {
                    table.row(vec!["deleted".into(), output::time(deleted)]);
                }
                table.row(vec!["url".into(), v.html_url.clone().unwrap_or_default()]);
                table.print()?;
            }
        }
        None => {
            let p = match packages.get(kind, &target.name).await {
                Ok(p) => p,
                Err(e) => {
                    return Err(locate::not_found(ctx, &scope, target.kind, &target.name, e).await);
                }
            };
            if ctx.json {
                output::json(&p)?;
            } else {
                let mut table = Table::new(&["FIELD", "VALUE"]);
                table.row(vec!["id".into(), p.id.to_string()]);
                table.row(vec!["name".into(), p.name.clone()]);
                table.row(vec!["type".into(), p.package_type.to_string()]);
                let owner = p
                    .owner
                    .as_ref()
                    .map(|o| o.login.clone())
                    .unwrap_or_default();
                table.row(vec!["owner".into(), owner]);
                table.row(vec!["visibility".into(), p.visibility.to_string()]);
                table.row(vec!["versions".into(), p.version_count.to_string()]);
                table.row(vec!["created".into(), output::time(p.created_at)]);
                table.row(vec!["updated".into(), output::time(p.updated_at)]);
                table.row(vec!["url".into(), p.html_url.clone()]);
                table.print()?;
            }
        }
    }
    Ok(())
}

/// Asks on the terminal; `expected` is what the user must type.
fn confirm(question: &str, expected: &str) -> Result<bool, Failure> {
    eprint!("{question} ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Failed(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == expected)
}

/// What `delete` was asked to do.
#[derive(Debug)]
pub(crate) struct DeleteArgs<'a> {
    pub(crate) target: &'a Target,
    pub(crate) version: Option<VersionSpec>,
    pub(crate) with_parts: bool,
    pub(crate) yes: bool,
}

pub(crate) async fn delete(ctx: &Ctx, args: DeleteArgs<'_>) -> Outcome {
    let target = args.target;
    let scope = locate::scope(ctx, &target.owner, target.kind, &target.name).await?;
    let kind: PackageType = target.kind.into();
    let package = package_words(target, &scope);
    let (what, version, parts) = match &args.version {
        Some(spec) => {
            let v = locate::version(
                ctx,
                &scope,
                target.kind,
                &target.name,
                spec,
                VersionState::Active,
            )
            .await?
            .ok_or_else(|| no_such_version(target, &scope, spec, "active"))?;
            let parts = leaves_behind(ctx, &scope, target, &v, &args).await?;
            (
                format!("{} of {package}", version_words(&v)),
                Some(v),
                parts,
            )
        }
        None => (format!("{package} with all its versions"), None, Vec::new()),
    };
    if !args.yes {
        if !crate::context::interactive() {
            return Err(Failure::Usage(format!(
                "refusing to delete {what} without confirmation: not on a terminal; pass --yes"
            )));
        }
        let with = match parts.len() {
            0 => String::new(),
            n => format!(" and {}", plural(n, "part")),
        };
        let confirmed = match version {
            Some(_) => confirm(&format!("Delete {what}{with}? [y/N]"), "y")?,
            None => confirm(
                &format!("Delete {what}? Type the package name to confirm:"),
                &target.name,
            )?,
        };
        if !confirmed {
            return Err(Failure::Failed("not confirmed; nothing deleted".into()));
        }
    }
    let packages = ctx.client.packages(&scope);
    let deleted = match &version {
        Some(v) => packages.version(kind, &target.name, v.id).delete().await,
        None => packages.delete(kind, &target.name).await,
    };
    if let Err(e) = deleted {
        return Err(locate::not_found(ctx, &scope, target.kind, &target.name, e).await);
    }
    // The parts go after the index that lists them, as the engine orders
    // a prune's deletes.
    let mut parts_deleted = Vec::new();
    for part in &parts {
        if let Err(e) = packages.version(kind, &target.name, part.id).delete().await {
            return Err(Failure::Failed(format!(
                "deleted {what}, and {} of its {}; then version {} failed: {}",
                parts_deleted.len(),
                plural(parts.len(), "part"),
                part.id,
                crate::context::describe(&e)
            )));
        }
        parts_deleted.push(part.id);
    }
    if ctx.json {
        let mut document = json!({
            "deleted": true,
            "package_type": kind,
            "package": target.name,
            "version": version.as_ref().map(|v| v.id),
        });
        if !parts_deleted.is_empty() {
            document["parts"] = json!(parts_deleted);
        }
        output::json(&document)?;
    } else {
        let with = match parts_deleted.len() {
            0 => String::new(),
            n => format!(" and {}", plural(n, "part")),
        };
        out!("deleted {what}{with}; `ghpkg restore` can bring it back within 30 days")?;
    }
    Ok(())
}

/// The parts and referrers of container version `v` that go with it:
/// none unless it has some and --with-parts (or a yes on the terminal)
/// says so. Those it would leave are named on stderr.
async fn leaves_behind(
    ctx: &Ctx,
    scope: &Scope,
    target: &Target,
    v: &PackageVersion,
    args: &DeleteArgs<'_>,
) -> Result<Vec<github_packages_retention::Entry>, Failure> {
    if target.kind != Kind::Container {
        return Ok(Vec::new());
    }
    let parts = match crate::parts::of(ctx, scope, &target.name, &v.name).await {
        Ok(parts) => parts,
        Err(why) => {
            if args.with_parts {
                return Err(Failure::Failed(format!(
                    "--with-parts: {why}; nothing deleted"
                )));
            }
            eprintln!("warning: {why}");
            return Ok(Vec::new());
        }
    };
    if parts.is_empty() || args.with_parts {
        return Ok(parts);
    }
    eprintln!(
        "warning: {} is a multi-arch image; {} belong to it:",
        version_words(v),
        plural(parts.len(), "version")
    );
    for part in &parts {
        eprintln!("  {}  {}", part.id, crate::words::part(&part.reason));
    }
    if !args.yes && crate::context::interactive() && confirm("Delete them with it? [y/N]", "y")? {
        return Ok(parts);
    }
    eprintln!(
        "they stay (--with-parts deletes them with it); without it, nothing pulls them by tag, \
         and a prune with --untagged deletes them"
    );
    Ok(Vec::new())
}

pub(crate) async fn restore(
    ctx: &Ctx,
    target: &Target,
    version: Option<VersionSpec>,
    token: Option<crate::args::Secret>,
) -> Outcome {
    let scope = locate::scope(ctx, &target.owner, target.kind, &target.name).await?;
    let kind: PackageType = target.kind.into();
    let packages = ctx.client.packages(&scope);
    let id = match &version {
        None => {
            let mut request = packages.restore(kind, &target.name);
            if let Some(token) = token {
                request = request.token(token.0);
            }
            if let Err(e) = request.await {
                return Err(locate::not_found(ctx, &scope, target.kind, &target.name, e).await);
            }
            None
        }
        Some(spec) => match restore_version(ctx, &scope, target, spec).await? {
            Ok(id) => Some(id),
            Err(active) => return already_active(ctx, target, &scope, &active),
        },
    };
    if ctx.json {
        output::json(&json!({
            "restored": true,
            "package_type": kind,
            "package": target.name,
            "version": id,
        }))?;
    } else {
        match id {
            Some(id) => out!("restored version {id} of {kind} package {}", target.name)?,
            None => out!("restored {kind} package {}", target.name)?,
        }
    }
    Ok(())
}

/// Restores the deleted version `spec` names: its id, or the active
/// version it names (GitHub answers a restore of one with 404).
async fn restore_version(
    ctx: &Ctx,
    scope: &Scope,
    target: &Target,
    spec: &VersionSpec,
) -> Result<Result<i64, PackageVersion>, Failure> {
    let find = |state| locate::version(ctx, scope, target.kind, &target.name, spec, state);
    let active = || async {
        let found = find(VersionState::Active).await.ok().flatten();
        found.filter(|v| v.deleted_at.is_none())
    };
    let deleted = match spec {
        VersionSpec::Id(id) => Some(*id),
        VersionSpec::Named(_) => find(VersionState::Deleted).await?.map(|v| v.id),
    };
    let Some(id) = deleted else {
        return match active().await {
            Some(v) => Ok(Err(v)),
            None => Err(no_such_version(target, scope, spec, "deleted or active")),
        };
    };
    let restoring = ctx
        .client
        .packages(scope)
        .version(target.kind.into(), &target.name, id)
        .restore();
    match restoring.await {
        Ok(()) => Ok(Ok(id)),
        Err(e) if e.is_not_found() => match active().await {
            Some(v) => Ok(Err(v)),
            None => Err(locate::not_found(ctx, scope, target.kind, &target.name, e).await),
        },
        Err(e) => Err(e.into()),
    }
}

/// A restore of a version that is active: nothing to do, and said so.
fn already_active(ctx: &Ctx, target: &Target, scope: &Scope, v: &PackageVersion) -> Outcome {
    if ctx.json {
        output::json(&json!({
            "restored": false,
            "already_active": true,
            "package_type": PackageType::from(target.kind),
            "package": target.name,
            "version": v.id,
        }))?;
    } else {
        out!(
            "{} of {} is already active; nothing to restore",
            version_words(v),
            package_words(target, scope)
        )?;
    }
    Ok(())
}

pub(crate) async fn conflicts(ctx: &Ctx, scope: &Scope) -> Outcome {
    let packages = ctx.client.packages(scope).docker_conflicts().await?;
    if ctx.json {
        output::json(&packages)?;
    } else if packages.is_empty() {
        eprintln!("no Docker migration conflicts for {scope}");
    } else {
        package_table(&packages).print()?;
    }
    Ok(())
}
