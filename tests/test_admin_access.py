"""Every /admin URL checks who is asking, on the server: a walk over the app's own routes."""

import re

import pytest
from flask import Flask

from tests.factories import add_user, add_vendors, csrf_token, login, vendor_record
from vendors.accounts.access import PUBLIC
from vendors.database import write_transaction
from vendors.inquiries import desk
from vendors.submissions.models import Submission

ADMIN_ONLY = {"admin.user_list", "admin.user_disable", "admin.user_enable"}


def admin_rules(app: Flask):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]


def concrete_url(rule, ids: dict[str, int]) -> str:
    """The rule's URL with real ids filled in (a vendor, a submission, a user), so views get past lookups."""
    return re.sub(
        r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>",
        lambda match: str(ids.get(match.group(1), "unknown-token")),
        rule.rule,
    )


@pytest.fixture
def ids(app):
    [vendor] = add_vendors(vendor_record())
    editor = add_user("ed@example.com", role="editor")
    add_user("ann@example.com", role="admin")
    with write_transaction() as session:
        submission = Submission(
            record={"name": "Queued Co"}, submitter_name="Q", submitter_email="q@example.com"
        )
        session.add(submission)
    inquiry = desk.receive(
        {
            "name": "Bo",
            "company": "Buyer Ltd",
            "email": "bo@example.com",
            "headcount": 5,
            "timeline": "now",
            "message": "Tell us more.",
        },
        [vendor],
    )
    return {
        "vendor_id": vendor.id,
        "submission_id": submission.id,
        "user_id": editor.id,
        "inquiry_id": inquiry.id,
    }


def requests_for(app, ids):
    for rule in admin_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, concrete_url(rule, ids)


def send(client, method: str, url: str, token: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token})


def test_every_admin_view_declares_who_may_open_it(app):
    for rule in admin_rules(app):
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "required_role", None) in (PUBLIC, "editor", "admin"), rule.endpoint
    public = {
        rule.endpoint
        for rule in admin_rules(app)
        if app.view_functions[rule.endpoint].required_role == PUBLIC
    }
    assert public == {"accounts.login"}


def test_anonymous_visitors_are_sent_to_the_login_page_from_every_admin_url(app, client, ids):
    token = csrf_token(client)
    walked = 0
    for rule, method, url in requests_for(app, ids):
        if rule.endpoint == "accounts.login":
            continue
        response = send(client, method, url, token)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.location.startswith("/admin/login"), (method, url)
        if method == "GET":
            assert "next=" in response.location
        walked += 1
    assert walked >= 20


def test_editors_get_403_on_admin_only_urls_and_reach_the_rest(app, client, ids):
    login(client, "ed@example.com")
    token = csrf_token(client, "/admin")
    refused, reached = set(), set()
    for rule, method, url in requests_for(app, ids):
        if rule.endpoint in ("accounts.logout", "accounts.login"):
            continue
        response = send(client, method, url, token)
        assert response.status_code != 302 or not response.location.startswith("/admin/login"), (method, url)
        (refused if response.status_code == 403 else reached).add(rule.endpoint)
    assert refused == ADMIN_ONLY
    assert "admin.vendor_edit" in reached and "admin.dashboard" in reached


def test_admins_reach_every_admin_url(app, client, ids):
    login(client, "ann@example.com")
    token = csrf_token(client, "/admin")
    for rule, method, url in requests_for(app, ids):
        if rule.endpoint in ("accounts.logout", "accounts.login"):
            continue
        response = send(client, method, url, token)
        assert response.status_code != 403, (method, url)
        assert not (response.status_code == 302 and response.location.startswith("/admin/login")), (
            method,
            url,
        )


def test_a_disabled_users_session_opens_nothing(client, app, ids):
    from tests.factories import post_form

    admin, editor = app.test_client(), client
    login(editor, "ed@example.com")
    login(admin, "ann@example.com")
    assert editor.get("/admin/vendors").status_code == 200

    response = post_form(admin, f"/admin/users/{ids['user_id']}/disable", token_from="/admin/users")

    assert response.status_code == 303
    assert editor.get("/admin/vendors").status_code == 302


def test_no_admin_page_gives_two_elements_the_same_id(app, client, ids):
    """Pages with a form per row (vendors, users) or several forms (a submission, the import) must not
    repeat an id: labels, error links and assistive technology find elements by it."""
    add_vendors(vendor_record(name="Second Row Co"))
    add_user("cy@example.com", role="editor")  # two accounts besides one's own: two rows with a button
    login(client, "ann@example.com")
    pages = 0
    for rule in admin_rules(app):
        if "GET" not in rule.methods:
            continue
        response = client.get(concrete_url(rule, ids))
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        found = re.findall(r'\sid="([^"]+)"', response.get_data(as_text=True))
        repeated = {name for name in found if found.count(name) > 1}
        assert not repeated, (rule.rule, repeated)
        pages += 1
    assert pages >= 10
