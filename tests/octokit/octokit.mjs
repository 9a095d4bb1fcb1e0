// @octokit/rest, a client generated from GitHub's description and used by
// countless tools, against `ghpkg fake serve`: every packages method for an
// organization, a named user and the authenticated user, `octokit.paginate`
// over a package of about 300 versions, the account calls tools make first,
// and the secondary rate limit as @octokit/plugin-throttling sees it.
//
//   node octokit.mjs <full.json> <limits.json>
//
// Each file holds the JSON line `ghpkg fake serve --json` printed: the first
// fake has sample data, the second nothing and untouched limits. Any
// difference from what octokit expects (a status, a count, a page, a body
// field, a header) fails the run with a message naming it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";

const ORG = "acme";
/// Every packages method of @octokit/rest 22: the 27 operations, and two
/// deprecated aliases of the version listings.
const OPERATIONS = 27;
const ALIASES = [
  "getAllPackageVersionsForAPackageOwnedByAnOrg",
  "getAllPackageVersionsForAPackageOwnedByTheAuthenticatedUser",
];

function served(file) {
  const line = readFileSync(file, "utf8").split("\n")[0];
  const fake = JSON.parse(line);
  const url = new URL(fake.api_url);
  // The token goes to the fake only: never anywhere but loopback.
  assert.equal(url.hostname, "127.0.0.1", `${file}: the fake is not on loopback`);
  assert.ok(fake.token, `${file}: no token`);
  return fake;
}

const full = served(process.argv[2]);
const limits = served(process.argv[3]);
const version = JSON.parse(
  readFileSync(new URL("./node_modules/@octokit/rest/package.json", import.meta.url), "utf8"),
).version;

// What every answer looked like, and which methods ran.
const statuses = new Map();
const called = new Set();
let requests = 0;
// Octokit logs each refused request and each deprecated alias; the checks
// below judge every answer, so its log is kept out of the output.
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/// Checks the headers GitHub sends on every answer of the packages API.
function checkHeaders(status, headers, route) {
  requests += 1;
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  assert.match(headers["x-github-request-id"] ?? "", /\S/, `${route}: no x-github-request-id`);
  assert.equal(headers["x-github-api-version-selected"], "2022-11-28", route);
  assert.match(headers["x-ratelimit-limit"] ?? "", /^\d+$/, `${route}: no x-ratelimit-limit`);
  assert.match(headers["x-ratelimit-remaining"] ?? "", /^\d+$/, route);
  assert.match(headers["x-ratelimit-reset"] ?? "", /^\d+$/, route);
  if (status !== 401) {
    assert.match(headers["x-oauth-scopes"] ?? "", /read:packages/, `${route}: x-oauth-scopes`);
  }
}

function client(fake, options = {}) {
  const octokit = new Octokit({ baseUrl: fake.api_url, auth: fake.token, log: quiet, ...options });
  octokit.hook.after("request", (response, request) =>
    checkHeaders(response.status, response.headers, `${request.method} ${request.url}`),
  );
  octokit.hook.error("request", (error, request) => {
    if (error.response) {
      checkHeaders(error.status, error.response.headers, `${request.method} ${request.url}`);
    }
    throw error;
  });
  return octokit;
}

const octokit = client(full);
const packages = octokit.rest.packages;

/// Calls `packages[name](params)` and checks the status.
async function call(name, params, status) {
  assert.ok(packages[name], `@octokit/rest has no packages.${name}`);
  called.add(name);
  try {
    const response = await packages[name](params);
    assert.equal(response.status, status, `${name}: status ${response.status}`);
    return response;
  } catch (error) {
    if (error.status === undefined || error.status !== status) throw error;
    return error.response;
  }
}

// The body fields octokit's types declare required, with their types.
const PACKAGE = {
  id: "number", name: "string", package_type: "string", url: "string", html_url: "string",
  version_count: "number", visibility: "string", created_at: "string", updated_at: "string",
};
const VERSION = {
  id: "number", name: "string", url: "string", package_html_url: "string",
  created_at: "string", updated_at: "string",
};
const PACKAGE_TYPES = ["npm", "maven", "rubygems", "docker", "nuget", "container"];
let internal = 0;

function checkShape(body, fields, what) {
  for (const [field, type] of Object.entries(fields)) {
    assert.equal(typeof body[field], type, `${what}: ${field} is ${typeof body[field]}`);
  }
  for (const field of ["created_at", "updated_at"]) {
    assert.ok(!Number.isNaN(Date.parse(body[field])), `${what}: ${field} ${body[field]}`);
  }
}

function checkPackage(body, what) {
  checkShape(body, PACKAGE, what);
  assert.ok(PACKAGE_TYPES.includes(body.package_type), `${what}: ${body.package_type}`);
  // GitHub's description allows public and private; GitHub (and the fake,
  // unless told otherwise) also answers internal. Counted, not refused.
  assert.ok(["public", "private", "internal"].includes(body.visibility), `${what}: ${body.visibility}`);
  if (body.visibility === "internal") internal += 1;
  assert.equal(typeof body.owner?.login, "string", `${what}: owner`);
}

function checkVersions(list, what) {
  for (const v of list) checkShape(v, VERSION, what);
  const ids = new Set(list.map((v) => v.id));
  assert.equal(ids.size, list.length, `${what}: an id comes twice`);
  for (let i = 1; i < list.length; i++) {
    assert.ok(
      Date.parse(list[i - 1].created_at) >= Date.parse(list[i].created_at),
      `${what}: not newest first at ${i}`,
    );
  }
}

/// Follows `octokit.paginate` and counts the pages it asked for.
async function paginate(method, params) {
  let pages = 0;
  const items = [];
  for await (const page of octokit.paginate.iterator(method, params)) {
    pages += 1;
    items.push(...page.data);
  }
  return { items, pages };
}

// The account calls tools make before any packages call.
const org = await octokit.rest.users.getByUsername({ username: ORG });
assert.equal(org.data.type, "Organization");
const me = await octokit.rest.users.getAuthenticated();
assert.equal(me.data.type, "User");
const login = me.data.login;
const user = await octokit.rest.users.getByUsername({ username: login });
assert.equal(user.data.id, me.data.id);
const missing = await octokit.rest.repos.get({ owner: ORG, repo: "app" }).catch((e) => e);
assert.equal(missing.status, 404);
assert.match(missing.message, /does not model GET \/repos\/acme\/app/);

// The organization.
const containers = await call("listPackagesForOrganization", { org: ORG, package_type: "container" }, 200);
containers.data.forEach((p) => checkPackage(p, "org container"));
assert.deepEqual(containers.data.map((p) => p.name).sort(), ["app", "worker"]);
const byOne = await paginate(packages.listPackagesForOrganization, {
  org: ORG, package_type: "container", per_page: 1,
});
assert.deepEqual([byOne.items.length, byOne.pages], [2, 2]);
for (const type of ["npm", "maven", "nuget", "rubygems", "docker"]) {
  const listed = await call("listPackagesForOrganization", { org: ORG, package_type: type }, 200);
  assert.equal(listed.data.length, 1, `acme has one ${type} package`);
  listed.data.forEach((p) => checkPackage(p, `org ${type}`));
}
const app = await call(
  "getPackageForOrganization", { org: ORG, package_type: "container", package_name: "app" }, 200,
);
checkPackage(app.data, "acme/app");
const total = app.data.version_count;
assert.ok(total > 250, `acme/app has ${total} versions; the sample data promises about 300`);
const paged = {};
for (const perPage of [100, 30]) {
  const { items, pages } = await paginate(packages.getAllPackageVersionsForPackageOwnedByOrg, {
    org: ORG, package_type: "container", package_name: "app", per_page: perPage,
  });
  assert.equal(items.length, total, `paginate at ${perPage} a page found ${items.length} of ${total}`);
  assert.equal(pages, Math.ceil(total / perPage), `pages at ${perPage}`);
  checkVersions(items, `acme/app at ${perPage}`);
  paged[perPage] = { items, pages };
}
assert.deepEqual(paged[100].items.map((v) => v.id), paged[30].items.map((v) => v.id));
const first = await call(
  "getAllPackageVersionsForAPackageOwnedByAnOrg",
  { org: ORG, package_type: "container", package_name: "app", per_page: 1 },
  200,
);
assert.equal(first.data.length, 1);
assert.match(first.headers.link ?? "", /rel="next"/);
const untagged = paged[100].items.find((v) => v.metadata.container.tags.length === 0);
assert.ok(untagged, "acme/app has untagged versions");
const appVersion = { org: ORG, package_type: "container", package_name: "app" };
const got = await call("getPackageVersionForOrganization", { ...appVersion, package_version_id: untagged.id }, 200);
assert.equal(got.data.id, untagged.id);
await call("deletePackageVersionForOrg", { ...appVersion, package_version_id: untagged.id }, 204);
await call("getPackageVersionForOrganization", { ...appVersion, package_version_id: untagged.id }, 404);
const deleted = await call("getAllPackageVersionsForPackageOwnedByOrg", { ...appVersion, state: "deleted" }, 200);
assert.deepEqual(deleted.data.map((v) => v.id), [untagged.id]);
await call("restorePackageVersionForOrg", { ...appVersion, package_version_id: untagged.id }, 204);
await call("deletePackageVersionForOrg", { ...appVersion, package_version_id: 1 }, 404);
const maven = { org: ORG, package_type: "maven", package_name: "com.acme.core" };
await call("deletePackageForOrg", maven, 204);
await call("getPackageForOrganization", maven, 404);
await call("restorePackageForOrg", maven, 204);
await call("getPackageForOrganization", maven, 200);
const orgConflicts = await call("listDockerMigrationConflictingPackagesForOrganization", { org: ORG }, 200);
assert.deepEqual(orgConflicts.data.map((p) => p.name), ["legacy"]);

// A named user (the token's own account, under /users/{username}).
const mine = await call("listPackagesForUser", { username: login, package_type: "container" }, 200);
assert.deepEqual(mine.data.map((p) => p.name), ["hello"]);
const hello = { username: login, package_type: "container", package_name: "hello" };
const helloPackage = await call("getPackageForUser", hello, 200);
checkPackage(helloPackage.data, "hello");
const helloVersions = await call("getAllPackageVersionsForPackageOwnedByUser", hello, 200);
assert.equal(helloVersions.data.length, helloPackage.data.version_count);
checkVersions(helloVersions.data, "hello");
const plain = helloVersions.data.find((v) => v.metadata.container.tags.length === 0);
await call("getPackageVersionForUser", { ...hello, package_version_id: plain.id }, 200);
await call("deletePackageVersionForUser", { ...hello, package_version_id: plain.id }, 204);
await call("restorePackageVersionForUser", { ...hello, package_version_id: plain.id }, 204);
const helloNpm = { username: login, package_type: "npm", package_name: "hello-npm" };
await call("deletePackageForUser", helloNpm, 204);
await call("getPackageForUser", helloNpm, 404);
await call("restorePackageForUser", helloNpm, 204);
const userConflicts = await call("listDockerMigrationConflictingPackagesForUser", { username: login }, 200);
assert.deepEqual(userConflicts.data, []);

// The authenticated user, under /user.
const npm = await call("listPackagesForAuthenticatedUser", { package_type: "npm" }, 200);
assert.deepEqual(npm.data.map((p) => p.name), ["hello-npm"]);
const own = { package_type: "npm", package_name: "hello-npm" };
const ownPackage = await call("getPackageForAuthenticatedUser", own, 200);
checkPackage(ownPackage.data, "hello-npm");
const ownVersions = await call("getAllPackageVersionsForPackageOwnedByAuthenticatedUser", own, 200);
assert.deepEqual(ownVersions.data.map((v) => v.name), ["1.1.0", "1.0.1", "1.0.0"]);
const alias = await call("getAllPackageVersionsForAPackageOwnedByTheAuthenticatedUser", own, 200);
assert.deepEqual(alias.data, ownVersions.data);
const oldest = ownVersions.data[2];
await call("getPackageVersionForAuthenticatedUser", { ...own, package_version_id: oldest.id }, 200);
await call("deletePackageVersionForAuthenticatedUser", { ...own, package_version_id: oldest.id }, 204);
await call("restorePackageVersionForAuthenticatedUser", { ...own, package_version_id: oldest.id }, 204);
const ownContainer = { package_type: "container", package_name: "hello" };
await call("deletePackageForAuthenticatedUser", ownContainer, 204);
await call("restorePackageForAuthenticatedUser", ownContainer, 204);
await call("getPackageForAuthenticatedUser", ownContainer, 200);
const ownConflicts = await call("listDockerMigrationConflictingPackagesForAuthenticatedUser", {}, 200);
assert.deepEqual(ownConflicts.data, []);

// Without a token: GitHub's 401.
const anonymous = client({ ...full, token: undefined });
const refused = await anonymous.rest.packages
  .listPackagesForOrganization({ org: ORG, package_type: "container" })
  .catch((e) => e);
assert.equal(refused.status, 401);
assert.equal(refused.response.data.message, "Requires authentication");

const all = Object.keys(packages);
const notCalled = all.filter((name) => !called.has(name));
assert.deepEqual(notCalled, [], "packages methods not called");
const routes = new Set(all.map((name) => `${packages[name].endpoint.DEFAULTS.method} ${packages[name].endpoint.DEFAULTS.url}`));
assert.equal(routes.size, OPERATIONS, `${routes.size} distinct operations`);
assert.equal(all.length, OPERATIONS + ALIASES.length);

// The secondary rate limit: 950 GETs at once against a fresh budget of 900
// points; the throttling plugin must recognise the 50 refusals (403,
// "secondary rate limit", retry-after) and, told not to retry, give up.
const Throttled = Octokit.plugin(throttling);
let secondary = 0;
let primary = 0;
const retryAfters = new Set();
const throttled = new Throttled({
  baseUrl: limits.api_url,
  auth: limits.token,
  log: quiet,
  throttle: {
    onSecondaryRateLimit: (retryAfter) => {
      secondary += 1;
      retryAfters.add(retryAfter);
      return false;
    },
    onRateLimit: () => {
      primary += 1;
      return false;
    },
  },
});
const burst = await Promise.allSettled(
  Array.from({ length: 950 }, () =>
    throttled.rest.packages.listPackagesForAuthenticatedUser({ package_type: "container" }),
  ),
);
const answered = burst.filter((r) => r.status === "fulfilled").length;
const limited = burst.filter((r) => r.status === "rejected" && r.reason.status === 403).length;
assert.deepEqual(
  { answered, limited, secondary, primary },
  { answered: 900, limited: 50, secondary: 50, primary: 0 },
  "950 GETs against 900 points a minute",
);
assert.ok([...retryAfters].every((s) => s > 0), `retry-after ${[...retryAfters]}`);

const counts = [...statuses.entries()]
  .sort(([a], [b]) => a - b)
  .map(([status, n]) => `${status} x${n}`)
  .join(", ");
console.log(`@octokit/rest ${version} against ghpkg fake serve (${full.api_url}, ${limits.api_url})`);
console.log(`methods: ${all.length} of ${all.length} packages methods called (${OPERATIONS} operations, ${ALIASES.length} deprecated aliases)`);
console.log(`paginate: acme/app ${paged[100].items.length} of ${total} versions at 100 a page (${paged[100].pages} pages), ${paged[30].items.length} of ${total} at 30 (${paged[30].pages} pages)`);
console.log(`answers: ${requests} checked (${counts}); ${internal} package bodies said "internal"`);
console.log(`throttling: 950 parallel GETs, ${answered} answered, ${limited} secondary-limit 403s recognised by @octokit/plugin-throttling (retry-after ${[...retryAfters].join(", ")} s)`);
console.log("ok");
