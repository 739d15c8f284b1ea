"""bench/security_scan.py as the README describes it: the targets sqlmap is pointed at, built from a served
copy of the sample data, and the verdict it ends with (the exit status and its one-line summary). Neither
sqlmap nor bandit is run: the targets are only built, and the verdict is given made-up results."""

import dataclasses
import importlib.util
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen

import pytest

from tests.served import in_process as served
from vendors.directory.params import FACET_VALUES
from vendors.estimator.parameters import PARAMETERS

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "security_scan.py"


@pytest.fixture(scope="module")
def scan():
    spec = importlib.util.spec_from_file_location("security_scan", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def site(seeded_app) -> Iterator[str]:
    with served(seeded_app) as base_url:
        yield base_url


def query_names(target) -> set[str]:
    return set(parse_qs(urlsplit(target.path.replace("*", "")).query))


def kind_of(target) -> str:
    """What the target's path addresses: a slug in the path reads as <slug>."""
    path = urlsplit(target.path.replace("*", "")).path
    return re.sub(r"^(/api/v1)?/vendors/[^/]+$", r"\1/vendors/<slug>", path)


# ------------------------------------------------------------------------------------------ targets
def test_fifteen_targets_cover_the_api_and_the_pages_the_readme_lists(scan, site):
    targets = scan.build_targets(site)
    assert len({target.name for target in targets}) == len(targets) == 15
    # The API's listing (search words...; every facet), vendor, suggest, estimate (with and without a rate
    # preset) and compare; the directory page (the same two groups, and the sort its form carries), a vendor
    # page, the estimator page (its inputs, a preset, a vendor) and the comparison page.
    assert Counter(kind_of(target) for target in targets) == {
        "/api/v1/vendors": 2,
        "/api/v1/vendors/<slug>": 1,
        "/api/v1/suggest": 1,
        "/api/v1/estimate": 2,
        "/api/v1/compare": 1,
        "/vendors": 3,
        "/vendors/<slug>": 1,
        "/estimate": 3,
        "/compare": 1,
    }
    assert [target.page for target in targets] == [not kind_of(t).startswith("/api/") for t in targets]
    estimates = [query_names(t) for t in targets if kind_of(t) == "/api/v1/estimate"]
    assert sorted("preset" in names for names in estimates) == [False, True]
    estimator_pages = [query_names(t) for t in targets if kind_of(t) == "/estimate"]
    assert sum("preset" in names for names in estimator_pages) == 1
    assert sum("vendor" in names for names in estimator_pages) == 1
    carried = [t for t in targets if {"shown_q", "shown_sort"} <= query_names(t)]
    assert [kind_of(t) for t in carried] == ["/vendors"]
    assert set(carried[0].parameters) == {"shown_q", "shown_sort"}


def test_quick_scans_eight_of_the_targets_on_their_main_parameters(scan, site):
    targets = scan.build_targets(site)
    quick = [target for target in targets if target.quick is not None]
    assert len(quick) == 8
    for target in quick:
        assert set(target.quick) <= query_names(target), target.name  # each names parameters it has


def test_every_target_is_on_the_loopback_site_and_answers_before_any_payload(scan, site):
    """sqlmap compares the answers to its payloads with the target's own answer, so each must be a page or
    answer the site gives (200), and every address the scan asks for is on 127.0.0.1."""
    for target in scan.build_targets(site):
        address = site + target.path
        assert urlsplit(address).hostname == "127.0.0.1", target.name
        headers = {"Cookie": target.cookie.replace("*", "")} if target.cookie else {}
        with urlopen(Request(address.replace("*", ""), headers=headers), timeout=10) as response:
            assert response.status == 200, target.name


def test_the_vendor_page_is_tested_in_its_path_its_query_and_its_cookie(scan, site):
    [vendor_page] = [t for t in scan.build_targets(site) if kind_of(t) == "/vendors/<slug>"]
    path, _, query = vendor_page.path.partition("?")
    assert re.fullmatch(r"/vendors/[a-z0-9-]+\*", path)
    assert query == "buyer_country=US*"
    assert vendor_page.cookie == "buyer_country=US*"


def test_facet_and_estimator_parameter_names_come_from_the_codes_declarations(scan, site, monkeypatch):
    targets = scan.build_targets(site)
    facet_targets = [t for t in targets if set(FACET_VALUES) <= query_names(t)]
    assert sorted(kind_of(t) for t in facet_targets) == ["/api/v1/vendors", "/vendors"]
    [api_estimate] = [t for t in targets if kind_of(t) == "/api/v1/estimate" and "preset" not in t.path]
    assert {parameter.name for parameter in PARAMETERS} <= query_names(api_estimate)

    # A new estimator input is scanned without the script being changed.
    new_input = dataclasses.replace(PARAMETERS[0], name="new_input", default=Decimal("7"))
    monkeypatch.setattr(scan, "PARAMETERS", (*PARAMETERS, new_input))
    [api_estimate] = [
        t for t in scan.build_targets(site) if kind_of(t) == "/api/v1/estimate" and "preset" not in t.path
    ]
    assert parse_qs(urlsplit(api_estimate.path).query)["new_input"] == ["7"]


# ------------------------------------------------------------------------------------------ the verdict
def target_result(scan, *findings, problem=None, statuses=None):
    target = scan.Target("API suggest (search box)", "/api/v1/suggest?q=Acme")
    return scan.TargetResult(
        target,
        seconds=12.0,
        parameters=["GET parameter 'q'"],
        statuses=Counter(statuses or {200: 40, 400: 60}),
        findings=list(findings),
        problem=problem,
    )


def bandit_result(scan, *findings, problem=None):
    counts = Counter({"LOW": 3}) + Counter(finding.severity for finding in findings)
    return scan.BanditResult(
        files=130, lines=13_766, counts=counts, reviewed=5, findings=list(findings), problem=problem
    )


def summary_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("Summary:")]


def test_a_clean_scan_exits_0_with_one_summary_line_giving_its_figures(scan, capsys):
    results = [target_result(scan), target_result(scan, statuses={200: 10, 404: 5})]
    assert scan.summarise(results, bandit_result(scan), seconds=90) == 0
    assert summary_lines(capsys) == [
        "Summary: PASS: sqlmap 2/2 targets, 2 parameters, 115 requests, 0 injections, 0 server errors; "
        "bandit high 0, medium 0, low 3 (5 reviewed, # nosec); 0 findings of medium or higher; 1.5 min"
    ]


def test_low_findings_alone_still_pass(scan, capsys):
    hint = scan.Finding("sqlmap", "LOW", "directory page", "heuristic hint of SQL injection, not confirmed")
    assert scan.summarise([target_result(scan, hint)], bandit_result(scan), seconds=60) == 0
    [summary] = summary_lines(capsys)
    assert summary.startswith("Summary: PASS: ")


@pytest.mark.parametrize("tool", ["sqlmap", "bandit"])
@pytest.mark.parametrize("severity", ["MEDIUM", "HIGH"])
def test_a_finding_of_medium_severity_or_higher_exits_1(scan, capsys, tool, severity):
    finding = scan.Finding(tool, severity, "somewhere", "something")
    results = [target_result(scan, *([finding] if tool == "sqlmap" else []))]
    bandit = bandit_result(scan, *([finding] if tool == "bandit" else []))
    assert scan.summarise(results, bandit, seconds=60) == 1
    [summary] = summary_lines(capsys)
    assert summary.startswith("Summary: FAIL: ")
    assert "; 1 findings of medium or higher;" in summary


def test_server_errors_and_injections_are_counted_in_the_summary(scan, capsys):
    injection = scan.Finding("sqlmap", "HIGH", "API compare", "injection confirmed: vendor (GET)")
    server_errors = scan.Finding("sqlmap", "MEDIUM", "API compare", "3 answers with a 5xx status (site log)")
    results = [target_result(scan, injection, server_errors, statuses={200: 7, 500: 3})]
    assert scan.summarise(results, bandit_result(scan), seconds=60) == 1
    [summary] = summary_lines(capsys)
    assert "10 requests, 1 injections, 3 server errors;" in summary
    assert "; 2 findings of medium or higher;" in summary


@pytest.mark.parametrize("unfinished", ["a target", "bandit"])
def test_a_scan_that_did_not_finish_exits_2(scan, capsys, unfinished):
    results = [target_result(scan), target_result(scan)]
    bandit = bandit_result(scan)
    if unfinished == "a target":
        results[1] = target_result(scan, problem="over its bound of 5 minutes")
    else:
        bandit = bandit_result(scan, problem="bandit could not read vendors/broken.py")
    assert scan.summarise(results, bandit, seconds=60) == 2
    [summary] = summary_lines(capsys)
    finished = "1/2" if unfinished == "a target" else "2/2"
    assert summary.startswith(f"Summary: INCOMPLETE: sqlmap {finished} targets, ")


def test_a_finding_outweighs_a_scan_that_did_not_finish(scan, capsys):
    finding = scan.Finding("sqlmap", "MEDIUM", "API suggest", "sqlmap's probe came back unescaped")
    results = [target_result(scan, finding), target_result(scan, problem="sqlmap exited with 1")]
    assert scan.summarise(results, bandit_result(scan), seconds=60) == 1
    assert summary_lines(capsys)[0].startswith("Summary: FAIL: ")


def test_a_scan_that_could_not_start_says_why_and_exits_2(scan, capsys, monkeypatch):
    def site_that_does_not_start(args, work):
        raise RuntimeError("gunicorn did not start; see its log")

    monkeypatch.setattr(scan, "run_bandit", lambda: bandit_result(scan))
    monkeypatch.setattr(scan, "scan_site", site_that_does_not_start)
    monkeypatch.setattr("sys.argv", ["security_scan.py", "--quick"])
    assert scan.main() == 2
    output = capsys.readouterr().out
    assert "The scan could not run: gunicorn did not start; see its log" in output
    assert "Summary:" not in output
