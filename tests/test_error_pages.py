"""Every error a visitor can meet is a page in the site's layout (JSON under /api/), never a traceback."""

import html

import pytest
from werkzeug.exceptions import InternalServerError, MethodNotAllowed, NotFound, RequestedRangeNotSatisfiable

from tests.factories import add_user, login
from vendors import errors


def in_layout(response) -> str:
    body = html.unescape(response.get_data(as_text=True))
    assert response.mimetype == "text/html"
    assert 'class="site-header"' in body and 'class="error-page"' in body
    assert "Traceback" not in body and "werkzeug" not in body.lower()
    return body


def test_400_a_form_without_its_security_token(client):
    in_layout(client.post("/submit", data={"name": "x"}))


def test_403_an_area_the_account_may_not_use(client):
    add_user("viewer@example.com", role="viewer")
    login(client, "viewer@example.com")
    response = client.get("/admin/users")
    assert response.status_code == 403
    in_layout(response)


def test_404_and_405(client):
    assert client.get("/nowhere").status_code == 404
    wrong = client.put("/vendors")
    assert wrong.status_code == 405
    in_layout(wrong)


@pytest.mark.parametrize("path", ["/vendors", "/estimate", "/api/v1/vendors", "/api/v1/estimate"])
def test_a_405_names_the_methods_the_address_takes_on_pages_and_in_the_api(client, path):
    wrong = client.delete(path)
    assert wrong.status_code == 405
    allowed = {method.strip() for method in wrong.headers["Allow"].split(",")}
    assert "GET" in allowed and "DELETE" not in allowed
    assert wrong.mimetype == ("application/json" if path.startswith("/api/") else "text/html")
    said = wrong.get_json()["message"] if wrong.is_json else in_layout(wrong)
    assert "This address does not take a DELETE request, only GET." in said


def test_a_405_where_an_address_takes_only_head_names_what_it_takes(app):
    app.add_url_rule("/only-head", "only_head", lambda: "", methods=["HEAD"])
    wrong = app.test_client().get("/only-head")
    assert wrong.status_code == 405
    assert "This address does not take a GET request, only HEAD or OPTIONS." in in_layout(wrong)


WERKZEUG_WORDING = [
    error.description
    for error in (NotFound, MethodNotAllowed, RequestedRangeNotSatisfiable, InternalServerError)
]


def in_the_sites_words(said: str) -> str:
    assert not any(theirs in said for theirs in WERKZEUG_WORDING), said
    return said


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "*/*", None], ids=["browser", "curl", "no Accept"])
def test_a_page_address_answers_its_error_as_a_page_unless_json_is_asked_for_first(client, accept):
    headers = {"Accept": accept} if accept else {}
    missing = client.get("/vendors/nobody-here", headers=headers)
    assert missing.status_code == 404
    in_layout(missing)
    assert "Accept" in missing.vary, "a cache must not give the page to a script, or the JSON to a browser"


def test_a_script_asking_for_json_gets_the_error_as_json(client):
    missing = client.get("/vendors/nobody-here", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and missing.is_json
    assert missing.get_json() == {
        "error": "Not Found",
        "message": "There is no published vendor at this address.",
    }
    assert "Accept" in missing.vary


def test_413_a_body_over_the_limit_is_refused_before_it_is_read(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/submit", data={"description": "x" * 4096})
    assert response.status_code == 413
    in_layout(response)


def test_429_says_when_to_try_again(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "2 per minute")
    for _ in range(3):
        response = login(client, "nobody@example.com", password="wrong-password-here")
    assert response.status_code == 429 and response.headers.get("Retry-After")
    page = in_layout(response)
    assert "too many attempts" in page.lower()
    # "2 per minute": the wait left is within the minute, as Retry-After says.
    wait = int(response.headers["Retry-After"])
    assert 0 <= wait <= 60 and "Try again in 1 minute." in page


def break_the_home_page(app, monkeypatch) -> None:
    """The home page's view raises, and the app answers the error as it would in production."""

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "site.home", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def test_500_is_a_page_in_the_layout(client, app, monkeypatch):
    break_the_home_page(app, monkeypatch)
    response = client.get("/")
    assert response.status_code == 500
    page = in_the_sites_words(in_layout(response))
    assert "boom" not in page and "Something went wrong on our side" in page


def test_500_asked_for_as_json_is_in_the_sites_words(client, app, monkeypatch):
    break_the_home_page(app, monkeypatch)
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.get_json() == {"error": "Internal Server Error", "message": errors.SITE_WORDING[500]}


@pytest.mark.parametrize("url", ["/api/v1/nowhere", "/api/v1/vendors/no-such-vendor"])
def test_api_errors_are_json(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.is_json
    in_the_sites_words(response.get_json()["message"])


def test_an_unknown_api_address_points_to_the_description(client):
    message = client.get("/api/v1/nowhere").get_json()["message"]
    assert "its paths are described at /api/v1/openapi.json" in message


def test_a_range_past_a_files_end_is_a_416_in_the_sites_words(client):
    response = client.get("/static/css/site.css", headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416
    assert "lies past the file's end" in in_the_sites_words(in_layout(response))


def test_the_api_has_a_rate_limit_per_address_answered_with_429_and_retry_after(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_LIMIT_PER_ADDRESS", "3 per minute")
    answers = [client.get("/api/v1/vendors") for _ in range(3)]
    limited = client.get("/api/v1/suggest?q=ab")
    assert [answer.status_code for answer in answers] == [200, 200, 200] and limited.status_code == 429
    assert limited.is_json and 0 < int(limited.headers["Retry-After"]) <= 60
    # A read let through carries the limit's headers, but no Retry-After: there is nothing to wait for.
    assert all("Retry-After" not in answer.headers for answer in answers)
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0"]
    assert client.get("/vendors").status_code == 200, "pages are not counted against the API"


def test_reading_pages_counts_against_no_limit_while_the_api_and_form_posts_stay_limited(
    client, app, monkeypatch
):
    for setting in ("API_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ADDRESS", "SHORTLIST_LIMIT_PER_ADDRESS"):
        monkeypatch.setitem(app.config, setting, "1 per minute")
    for path in ("/", "/vendors", "/estimate", "/admin/login", "/shortlist", "/api") * 3:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "X-RateLimit-Limit" not in response.headers, path
    assert [client.get("/api/v1/vendors").status_code for _ in range(2)] == [200, 429]
    assert [login(client, "nobody@example.com", "wrong-password-here").status_code for _ in range(2)][
        1
    ] == 429
