//! The shape of the public API, checked by the compiler: handles and
//! builders own their data, every future and stream is `Send + 'static`
//! (streams also `Unpin`), every operation finishes by `.await` or `.send()`,
//! and the error type is `Send + Sync + 'static`. Nothing here sends a
//! request: futures are built, checked and dropped.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;

use futures::Stream;
use github_packages::{
    Client, DeletePackage, DeleteVersion, Error, GetPackage, GetVersion, ItemStream,
    ListDockerConflicts, ListPackages, ListVersions, Package, PackageType, PackageVersion,
    PackagesHandler, Page, PageStream, RestorePackage, RestoreVersion, Scope, VersionHandler,
};

fn client() -> Client {
    Client::builder().token("ghp_unused").build().unwrap()
}

fn is_send_static<T: Send + 'static>(value: T) -> T {
    value
}

/// Checks that `future` is `Send + 'static` with output `Result<T>`,
/// without running it.
fn is_future<T, F: Future<Output = Result<T, Error>> + Send + 'static>(
    future: F,
) -> PhantomData<T> {
    drop(future);
    PhantomData
}

fn is_stream<T, S: Stream<Item = Result<T, Error>> + Send + Unpin + 'static>(stream: S) -> S {
    stream
}

fn is_owned_clone<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}

/// The case issue 10 found broken: a future from a temporary handler,
/// stored and awaited later (E0716 on 0.1).
#[allow(dead_code)]
async fn a_future_from_a_temporary_handler_can_be_awaited_later(gh: Client, org: Scope) {
    let f = gh.packages(&org).get(PackageType::Npm, "x");
    let _ = f.await;
    let name = String::from("y");
    let restore = gh
        .packages(&org)
        .restore(PackageType::Npm, &name)
        .token("t");
    drop(name);
    let _ = restore.await;
    let version = gh.packages(org).version(PackageType::Container, "z", 1);
    let _ = version.delete().await;
}

#[test]
fn every_operation_turns_into_a_send_static_future_both_ways() {
    let gh = client();
    let org = gh.packages(Scope::org("o"));
    let npm = PackageType::Npm;
    let version = org.version(npm, "app", 1);

    let _: PhantomData<Package> = is_future(org.get(npm, "app").into_future());
    let _: PhantomData<Package> = is_future(org.get(npm, "app").send());
    let _: PhantomData<()> = is_future(org.delete(npm, "app").into_future());
    let _: PhantomData<()> = is_future(org.delete(npm, "app").send());
    let _: PhantomData<()> = is_future(org.restore(npm, "app").token("t").into_future());
    let _: PhantomData<()> = is_future(org.restore(npm, "app").send());
    let _: PhantomData<PackageVersion> = is_future(version.get().into_future());
    let _: PhantomData<PackageVersion> = is_future(version.get().send());
    let _: PhantomData<()> = is_future(version.delete().into_future());
    let _: PhantomData<()> = is_future(version.delete().send());
    let _: PhantomData<()> = is_future(version.restore().into_future());
    let _: PhantomData<()> = is_future(version.restore().send());
    let _: PhantomData<Vec<Package>> = is_future(org.docker_conflicts().into_future());
    let _: PhantomData<Vec<Package>> = is_future(org.docker_conflicts().send());
    let _: PhantomData<Vec<Package>> = is_future(org.list(npm).into_future());
    let _: PhantomData<Vec<Package>> = is_future(org.list(npm).send());
    let _: PhantomData<Vec<PackageVersion>> = is_future(org.versions(npm, "app").into_future());
    let _: PhantomData<Vec<PackageVersion>> = is_future(org.versions(npm, "app").send());
    // Reserving a write borrows nothing either.
    let reserve = gh.reserve_write();
    drop(gh);
    drop(is_send_static(reserve));
}

#[test]
fn listings_stream_items_and_pages_with_named_send_unpin_static_types() {
    let gh = client();
    let org = gh.packages(Scope::org("o"));
    let items: ItemStream<Package> = is_stream(org.list(PackageType::Npm).stream());
    let pages: PageStream<Package> =
        is_stream::<Page<Package>, _>(org.list(PackageType::Npm).pages());
    let versions: ItemStream<PackageVersion> =
        is_stream(org.versions(PackageType::Npm, "app").max_items(3).stream());
    let version_pages: PageStream<PackageVersion> =
        is_stream::<Page<PackageVersion>, _>(org.versions(PackageType::Npm, "app").pages());
    drop((items, pages, versions, version_pages));
}

#[test]
fn handles_and_builders_own_their_data() {
    is_owned_clone::<Client>();
    is_owned_clone::<Scope>();
    is_owned_clone::<PackagesHandler>();
    is_owned_clone::<VersionHandler>();
    is_owned_clone::<ListPackages>();
    is_owned_clone::<ListVersions>();
    is_owned_clone::<GetPackage>();
    is_owned_clone::<DeletePackage>();
    is_owned_clone::<RestorePackage>();
    is_owned_clone::<GetVersion>();
    is_owned_clone::<DeleteVersion>();
    is_owned_clone::<RestoreVersion>();
    is_owned_clone::<ListDockerConflicts>();
    let gh = client();
    // Names and scopes may be borrowed or owned; nothing keeps the borrow.
    let scope = Scope::user("octocat");
    let by_ref = is_send_static(gh.packages(&scope));
    let by_value = is_send_static(gh.packages(scope.clone()));
    assert_eq!(by_ref.scope(), by_value.scope());
    let name = String::from("app");
    let version = is_send_static(by_ref.version(PackageType::Container, name.as_str(), 7));
    drop(name);
    assert_eq!((version.id(), version.package_name()), (7, "app"));
    assert_eq!(version.package_type(), PackageType::Container);
}

#[test]
fn the_error_is_send_sync_static_and_a_std_error() {
    fn is_error<E: std::error::Error + Send + Sync + 'static>() {}
    is_error::<Error>();
    is_error::<github_packages::ApiError>();
    is_error::<github_packages::LinkError>();
}
