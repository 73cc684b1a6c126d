"""Log-in, log-out, cookies, CSRF and lock-out through the web app."""

from __future__ import annotations

from tests.app.conftest import PASSWORD, Web, csrf_of, log_in


def test_log_in_sets_an_http_only_same_site_cookie(web: Web) -> None:
    client = web.anonymous()
    page = client.get("/login")
    assert page.status_code == 200 and 'for="username"' in page.text
    web.account("clinician")
    response = client.post(
        "/login",
        data={"username": "clinician", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "mn_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on localhost (the test client's host)


def test_cookie_is_secure_behind_a_tls_proxy(web: Web) -> None:
    client = web.anonymous()
    client.base_url = client.base_url.copy_with(scheme="https")  # type: ignore[assignment]
    page = client.get("/login")
    assert "Secure" in page.headers["set-cookie"]


def test_wrong_password_is_refused_and_pages_need_a_log_in(web: Web) -> None:
    web.account("clinician")
    client = web.anonymous()
    page = client.get("/login")
    refused = client.post(
        "/login",
        data={"username": "clinician", "password": "wrong!", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 401 and "wrong user name or password" in refused.text
    away = client.get("/", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=/")


def test_log_in_without_its_form_token_is_refused(web: Web) -> None:
    web.account("clinician")
    response = web.anonymous().post(
        "/login", data={"username": "clinician", "password": PASSWORD, "csrf_token": "x"}
    )
    assert response.status_code == 403


def test_log_out_needs_the_csrf_token_and_ends_the_session(web: Web) -> None:
    client = web("clinician")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    done = client.post(
        "/logout", data={"csrf_token": web.csrf("clinician")}, follow_redirects=False
    )
    assert done.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_next_address_never_leaves_the_site(web: Web) -> None:
    web.account("clinician")
    client = web.anonymous()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "clinician",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/patients"


def test_repeated_failures_lock_the_account(web: Web) -> None:
    web.account("assistant")
    client = web.anonymous()
    for _ in range(5):
        token = csrf_of(client.get("/login").text)
        client.post(
            "/login", data={"username": "assistant", "password": "nope", "csrf_token": token}
        )
    token = csrf_of(client.get("/login").text)
    locked = client.post(
        "/login", data={"username": "assistant", "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 401 and "locked" in locked.text
    log_in  # noqa: B018 - imported for other tests' use
