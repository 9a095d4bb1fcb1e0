//! The direct commands: list, versions, get, delete, restore, conflicts.
//! Each is one library call and a table or JSON document.

use std::io::{BufRead, Write};

use futures::TryStreamExt;
use github_packages::{Package, PackageType, PackageVersion, Scope};
use serde_json::json;

use crate::args::{Kind, State, Target, Vis};
use crate::context::{Ctx, Failure, Outcome};
use crate::output::out;
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

pub(crate) async fn versions(ctx: &Ctx, target: &Target, state: Option<State>) -> Outcome {
    let scope = target.owner.scope();
    let mut listing = ctx
        .client
        .packages(&scope)
        .versions(target.kind.into(), &target.name);
    if let Some(state) = state {
        listing = listing.state(state.into());
    }
    let versions: Vec<PackageVersion> = listing.stream().try_collect().await?;
    if ctx.json {
        output::json(&versions)?;
    } else {
        version_table(&versions).print()?;
    }
    Ok(())
}

pub(crate) async fn get(ctx: &Ctx, target: &Target, version: Option<i64>) -> Outcome {
    let scope = target.owner.scope();
    let packages = ctx.client.packages(&scope);
    let kind: PackageType = target.kind.into();
    match version {
        Some(id) => {
            let v = packages.version(kind, &target.name, id).get().await?;
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
            let p = packages.get(kind, &target.name).await?;
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

pub(crate) async fn delete(ctx: &Ctx, target: &Target, version: Option<i64>, yes: bool) -> Outcome {
    let scope = target.owner.scope();
    let kind: PackageType = target.kind.into();
    let what = match version {
        Some(id) => format!("version {id} of {kind} package {} ({scope})", target.name),
        None => format!(
            "{kind} package {} with all its versions ({scope})",
            target.name
        ),
    };
    if !yes {
        if !crate::context::interactive() {
            return Err(Failure::Usage(format!(
                "refusing to delete {what} without confirmation: not on a terminal; pass --yes"
            )));
        }
        let confirmed = match version {
            Some(_) => confirm(&format!("Delete {what}? [y/N]"), "y")?,
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
    match version {
        Some(id) => packages.version(kind, &target.name, id).delete().await?,
        None => packages.delete(kind, &target.name).await?,
    }
    if ctx.json {
        output::json(&json!({
            "deleted": true,
            "package_type": kind,
            "package": target.name,
            "version": version,
        }))?;
    } else {
        out!("deleted {what}; `ghpkg restore` can bring it back within 30 days")?;
    }
    Ok(())
}

pub(crate) async fn restore(
    ctx: &Ctx,
    target: &Target,
    version: Option<i64>,
    token: Option<crate::args::Secret>,
) -> Outcome {
    let scope = target.owner.scope();
    let kind: PackageType = target.kind.into();
    let packages = ctx.client.packages(&scope);
    match version {
        Some(id) => packages.version(kind, &target.name, id).restore().await?,
        None => {
            let mut request = packages.restore(kind, &target.name);
            if let Some(token) = token {
                request = request.token(token.0);
            }
            request.await?;
        }
    }
    if ctx.json {
        output::json(&json!({
            "restored": true,
            "package_type": kind,
            "package": target.name,
            "version": version,
        }))?;
    } else {
        match version {
            Some(id) => out!("restored version {id} of {kind} package {}", target.name)?,
            None => out!("restored {kind} package {}", target.name)?,
        }
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
