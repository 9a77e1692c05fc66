"""The planted-fault sets of tests/independent/ (run by `make independent-faults`, not here)
still apply to the servers they were written against: each script checks that every text it
replaces occurs exactly once (and stops otherwise), and each faulty copy it writes differs from
its server and compiles. A server edited since would otherwise break the set hours later."""

from __future__ import annotations

import json
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

SERVERS = Path(__file__).parent / "independent"
SETS = {"strict_server_faults.py": "strict_server.py",
        "busy_staging_server_faults.py": "busy_staging_server.py"}


@pytest.mark.parametrize("script", sorted(SETS))
def test_every_planted_fault_still_applies_to_its_server(script, tmp_path):
    subprocess.run([sys.executable, str(SERVERS / script), str(tmp_path)], check=True, capture_output=True)
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    original = (SERVERS / SETS[script]).read_text(encoding="utf-8")
    assert len(index) >= 40
    assert len({v["name"] for v in index}) == len(index)
    for v in index:
        assert v["tag"] in {"DOC", "INF", "ASM"}, v["name"]
        faulty = tmp_path / f"{v['name']}.py"
        assert faulty.read_text(encoding="utf-8") != original, v["name"]
        py_compile.compile(str(faulty), cfile=str(tmp_path / f"{v['name']}.pyc"), doraise=True)
