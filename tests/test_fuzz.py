"""Bad input of every kind, on both databases: never a 5xx.

Hypothesis writes the values (any Unicode, NUL bytes, bytes that are not UTF-8, very long strings); each is
sent in every parameter of the public GET pages and API, and in the path of the vendor pages.
"""

from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import add_vendors, vendor_record

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
