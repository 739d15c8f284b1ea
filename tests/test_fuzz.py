"""Bad input of every kind, on both databases: never a 5xx.

Hypothesis writes the values (any Unicode, NUL bytes, bytes that are not UTF-8, very long strings); each is
sent in every parameter of the public GET pages and API, of the admin area's lists, in every field of the
public forms, and in the path of the vendor pages.
"""

import re
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import NotFound

from tests.factories import add_user, add_vendors, csrf_token, login, post_form, vendor_record
from tests.test_sharing_and_inquiries import inquiry_data, send_inquiry
from tests.test_submissions import all_submissions, submission_data, submit
from vendors.admin import audit_log

PARAMETERS = {
    "/vendors": [
        "q",
        "country",
        "shore",
        "size",
        "rate_min",
        "rate_max",
        "sort",
        "page",
        "per_page",
        "buyer_country",
    ],
    "/api/v1/vendors": [
        "q",
        "country",
        "language",
        "rate_min",
        "page",
        "per_page",
        "buyer_country",
        "coverage",
    ],
    "/api/v1/suggest": ["q"],
    "/api/v1/estimate": ["headcount", "salary", "hourly_rate", "years", "vendor"],
    "/api/v1/compare": ["vendor", "buyer_country"],
    "/estimate": ["headcount", "salary", "hourly_rate", "vendor", "preset"],
}

awkward_bytes = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\x00", b"a\x00b", b"\xff\xfe", b"\xc0\xaf", b"%", b"\xed\xa0\x80", b"x" * 5000]),
    st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@pytest.fixture
def fuzz_client(client):
    add_vendors(vendor_record(name="Fuzz Target"))
    client.get("/vendors?q=fuzz")  # the index exists, so searches go through it
    return client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=awkward_bytes, path=st.sampled_from(sorted(PARAMETERS)), data=st.data())
def test_no_parameter_value_is_a_server_error(fuzz_client, value, path, data):
    name = data.draw(st.sampled_from(PARAMETERS[path]))
    response = fuzz_client.get(f"{path}?{name}={quote_from_bytes(value)}")
    assert response.status_code < 500, (path, name, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=awkward_bytes.filter(bool))
def test_no_vendor_path_is_a_server_error(fuzz_client, value):
    escaped = quote_from_bytes(value, safe="")
    for prefix in ("/vendors/", "/api/v1/vendors/", "/s/"):
        response = fuzz_client.get(prefix + escaped)
        assert response.status_code < 500, (prefix, value)


ADMIN_PARAMETERS = {
    "/admin/vendors": ["q", "status", "problem", "page"],
    "/admin/audit": ["actor", "vendor", "page", "since", "until"],
    "/admin/inquiries": ["status", "vendor", "page"],
    "/admin/inquiries/export.csv": ["status", "vendor"],
    "/admin/submissions": ["status"],
}


@pytest.fixture
def admin_client(fuzz_client):
    add_user("fuzz-admin@example.com", role="admin")
    login(fuzz_client, "fuzz-admin@example.com")
    return fuzz_client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=awkward_bytes, path=st.sampled_from(sorted(ADMIN_PARAMETERS)), data=st.data())
def test_no_admin_list_parameter_is_a_server_error(admin_client, value, path, data):
    name = data.draw(st.sampled_from(ADMIN_PARAMETERS[path]))
    response = admin_client.get(f"{path}?{name}={quote_from_bytes(value)}")
    assert response.status_code < 500, (path, name, value)


awkward_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["\x00", "Harbour\x00 CX", "\x00" * 300, "\U0001f600\x00\u202e", "x" * 6000]),
)
FORMS = {
    "submission": (submit, lambda: submission_data()),
    "inquiry": (send_inquiry, lambda: inquiry_data(["fuzz-target"], ["fuzz-target"])),
    "login": (
        lambda client, data: post_form(client, "/admin/login", data, token_from="/admin/login"),
        lambda: {"email": "", "password": ""},
    ),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=awkward_text, form=st.sampled_from(sorted(FORMS)), data=st.data())
def test_no_form_field_value_is_a_server_error(fuzz_client, value, form, data):
    send, valid = FORMS[form]
    fields = valid()
    name = data.draw(st.sampled_from(sorted(fields)))
    response = send(fuzz_client, {**fields, name: value})
    assert response.status_code < 500, (form, name, value)


def test_nul_characters_are_taken_out_of_what_is_sent_before_anything_reads_it(admin_client):
    assert (
        submit(admin_client, submission_data(name="Harbour\x00 CX", tagline="Care\x00 at sea")).status_code
        == 303
    )
    stored = all_submissions()[-1]
    assert (stored.record["name"], stored.record["tagline"]) == ("Harbour CX", "Care at sea")
    listed = admin_client.get("/admin/vendors?q=Fu%00zz").get_data(as_text=True)
    assert "Fuzz Target" in listed
    assert admin_client.get("/vendors?q=fu%00zz").get_data(as_text=True).count("Fuzz Target") >= 1


PAST_ANY_ROW = ("2147483648", str(2**63), "9" * 40)  # past PostgreSQL's INTEGER, SQLite's, any
PATH_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # <name>, <int:name>, <int(max=9):name>


def test_no_path_part_the_database_cannot_be_asked_reaches_a_view(app, admin_client):
    """Every URL rule with a number or a text part, each of its methods, as a signed-in admin with a valid
    CSRF token: an id past what an INTEGER column holds, or a text part holding a NUL, is a 404, never a
    database error."""
    token = csrf_token(admin_client, "/admin")
    asked = 0
    for rule in app.url_map.iter_rules():
        kinds = {kind or "string" for kind, _ in PATH_PART.findall(rule.rule)}
        if not kinds or not kinds <= {"int", "string"}:
            continue
        for awkward in PAST_ANY_ROW:
            path = PATH_PART.sub(
                lambda part, awkward=awkward: awkward if part[1] == "int" else "a%00b", rule.rule
            )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = admin_client.open(path, method=method, data={"csrf_token": token})
                assert response.status_code == 404, (method, path, response.status_code)
                asked += 1
    assert asked >= 3 * 15  # the rules with such parts, each asked for each awkward value


def test_the_sites_url_rules_keep_werkzeugs_arguments():
    """Routes written later may bound a text part's length or take a signed number: the converters that
    refuse NUL and ids past a row's keep those arguments working."""
    from werkzeug.routing import Rule

    from vendors.incoming import SiteMap

    rules = SiteMap(
        [
            Rule("/code/<string(length=2):code>", endpoint="code"),
            Rule("/n/<int(signed=True):n>", endpoint="n"),
        ]
    )
    urls = rules.bind("localhost")
    assert urls.match("/code/ab") == ("code", {"code": "ab"})
    assert urls.match("/n/-3") == ("n", {"n": -3})
    for refused in ("/code/abc", "/code/a%00", f"/n/{2**31}"):
        with pytest.raises(NotFound):
            urls.match(refused)


# Names url_for takes as options of its own rather than as query arguments.
LINK_BUILDER_OPTIONS = ["_anchor", "_method", "_scheme", "_external"]


@pytest.mark.parametrize("name", LINK_BUILDER_OPTIONS)
def test_an_argument_named_as_a_link_builders_option_stays_an_argument(admin_client, monkeypatch, name):
    add_vendors(vendor_record(), vendor_record())
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 1)  # three entries: a page before the second and one after
    slug = admin_client.get("/api/v1/vendors").get_json()["items"][0]["slug"]
    pages_linking_to_their_own_arguments = [
        "/vendors?shown_q=&shown_sort=name&",  # redirected without the sort it carried
        f"/estimate?vendor={slug}&",  # "your own hourly rate instead" keeps the other inputs
        "/admin/audit?page=2&",  # its newer and older pages keep the filters
    ]
    for page in pages_linking_to_their_own_arguments:
        response = admin_client.get(f"{page}{name}=x&{name}=y")
        assert response.status_code < 500, page
        links = [response.headers.get("Location", ""), *re.findall(r'href="([^"]*)"', response.text)]
        carried = [link for link in links if f"{name}=x&amp;{name}=y" in link or f"{name}=x&{name}=y" in link]
        assert carried, f"{page}: no link keeps {name}"
        assert all(link.startswith("/") and not link.startswith("//") for link in carried), carried
