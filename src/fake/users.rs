//! `GET /user` and `GET /users/{username}`: the calls tools make before any
//! packages call, to learn whom their token acts as and whether an owner is
//! a user or an organization. Answered from the accounts the fake knows.

use super::answer::Answer;
use super::auth::TokenRecord;
use super::bodies::Bodies;
use super::routes::AccountRoute;
use super::shared::Inner;

const USER_DOCS: &str = "https://docs.github.com/rest/users/users#get-a-user";
const AUTHENTICATED_USER_DOCS: &str =
    "https://docs.github.com/rest/users/users#get-the-authenticated-user";

/// The answer to an account route; `token` is `None` for an anonymous
/// request, which only `/users/{username}` accepts.
pub(crate) fn answer(
    bodies: Bodies<'_>,
    inner: &Inner,
    route: &AccountRoute,
    token: Option<&TokenRecord>,
) -> Answer {
    let (account, private) = match (route, token) {
        (AccountRoute::User(login), _) => match inner.store.account(login) {
            Some(account) => (account, false),
            None => return Answer::github_error(404, "Not Found", USER_DOCS),
        },
        (AccountRoute::AuthenticatedUser, None) => {
            return Answer::github_error(401, "Requires authentication", AUTHENTICATED_USER_DOCS);
        }
        (AccountRoute::AuthenticatedUser, Some(token)) if token.is_actions() => {
            return Answer::github_error(
                403,
                "Resource not accessible by integration",
                AUTHENTICATED_USER_DOCS,
            );
        }
        (AccountRoute::AuthenticatedUser, Some(token)) => match inner.store.account(&token.login) {
            Some(account) => (account, token.reads_private_profile()),
            None => return Answer::github_error(404, "Not Found", AUTHENTICATED_USER_DOCS),
        },
    };
    Answer::json(200, bodies.user(account, private).to_string().into_bytes())
}
