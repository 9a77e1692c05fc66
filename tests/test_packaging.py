"""A non-editable install carries the spec, its sources, the fixtures and every subpackage."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    return next(out.glob("calendar_contract_kit-*.whl"))


def test_wheel_holds_data_and_every_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("calendar_spec/openapi.yaml", "calendar_spec/sources/CONTRACT.md",
                     "calendar_fixtures/demo.json", "mock_server/pytest_plugin.py",
                     "contract_tests/checks/semantic/paging.py", "contract_tests/checks/auth/isolation.py",
                     "mock_server/pages/templates/dashboard.html", "mock_server/pages/static/docs.js"):
        assert required in names, required
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "calendar-mock = mock_server.serve.cli:main" in text
    assert "calendar-contract = contract_tests.cli:entry" in text
    assert "calendar_mock = mock_server.pytest_plugin" in text


def test_unpacked_wheel_serves_and_checks_without_the_source_tree(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    script = (
        "import calendar_spec, contract_tests.checks.semantic, mock_server;"
        "from mock_server import create_app;"
        f"assert calendar_spec.__file__.startswith({str(tmp_path)!r}), calendar_spec.__file__;"
        "assert len(calendar_spec.rules('strict')) > 50;"
        "client = create_app().test_client();"
        "r = client.get('/api/v1/groups/4/calendars?apikey=demo-apikey-4f1c2b',"
        " headers={'Authorization': 'Basic cHJvQGRlbW8udGVzdDpkZW1vLXBhc3N3b3Jk'});"
        "assert r.status_code == 200, r.status_code;"
        "assert b'swagger-ui-bundle.js' in client.get('/_mock/docs').data;"
        "assert client.get('/_mock/pages/dashboard.js').status_code == 200;"
        "assert b'id=\"journal\"' in client.get('/_mock/').data"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
