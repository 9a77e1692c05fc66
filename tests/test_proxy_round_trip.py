"""Issue 13's round trip, through the real proxy: record a session through `calendar-mock proxy
--record` → `seed-from-har` → the mock serves that seed → `calendar-contract replay` of the
recording against it shows no difference; and the recording holds no secret."""

from __future__ import annotations

import json

import pytest
from proxy_support import proxy, upstream_mock
from recorded_sessions import APIKEY, IDENTITY, PASSWORD, clinic_seed, run_session

from contract_tests.cli import main
from contract_tests.client import Api
from contract_tests.http import HttpTransport
from mock_server.recorded import PLACEHOLDER_APIKEY, PLACEHOLDER_PASSWORD
from mock_server.serve.cli import main as mock_main

pytestmark = pytest.mark.http


def test_record_through_the_proxy_seed_serve_replay_differs_in_nothing(tmp_path, capsys):
    har = tmp_path / "staging.har"
    with upstream_mock(fixtures=clinic_seed()) as upstream, \
            proxy(upstream.base_url, record=str(har)) as (_, base_url):
        transport = HttpTransport(base_url)
        try:
            created = run_session(Api(transport, IDENTITY, []), IDENTITY)
        finally:
            transport.close()
        assert len(created) == 2
    text = har.read_text(encoding="utf-8")
    recorded = json.loads(text)["log"]
    assert recorded["version"] == "1.2" and len(recorded["entries"]) == 19
    assert APIKEY not in text and PASSWORD not in text  # masked: apikey, password, Basic, cookie

    seed = tmp_path / "seed.json"
    assert mock_main(["seed-from-har", str(har), "--out", str(seed), "--state", "before"]) == 0
    capsys.readouterr()
    replayed = main(["replay", str(har), "--fixtures", str(seed), "--apikey", PLACEHOLDER_APIKEY,
                     "--user", IDENTITY.user, "--password", PLACEHOLDER_PASSWORD, "--group-id", "7"])
    out = capsys.readouterr().out
    assert replayed == 0, out
    assert "result: no differences: 0 of 19 requests differ, 0 difference(s)" in out
