"""Install what the benchmark needs (wrk from Debian, Prism and json-server from npm) and
report the versions of everything measured."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from load import wrk_version

NODE_DIR = Path(__file__).resolve().parent / ".node"
# Exact versions, so two runs compare the same peers. Prism: the latest 5.x when written.
NODE_PACKAGES = {"@stoplight/prism-cli": "5.16.0", "json-server": "0.17.4"}


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("benchmarks: wrk is missing; install it (Debian/Ubuntu: apt-get install -y wrk)")
    print("benchmarks: installing wrk from the Debian packages", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def installed_node_version(package: str) -> str | None:
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_node_packages() -> None:
    missing = [f"{name}@{version}" for name, version in NODE_PACKAGES.items()
               if installed_node_version(name) != version]
    if not missing:
        return
    if not shutil.which("npm"):
        sys.exit("benchmarks: npm is missing; install Node.js 18+ to compare with Prism and json-server")
    print(f"benchmarks: installing {' '.join(missing)} into {NODE_DIR}", flush=True)
    NODE_DIR.mkdir(exist_ok=True)
    subprocess.run(["npm", "install", "--prefix", str(NODE_DIR), "--save-exact", "--no-audit",
                    "--no-fund", "--loglevel=error", *missing], check=True)


def ensure_all(node: bool = True) -> None:
    ensure_wrk()
    if node:
        ensure_node_packages()


def _first_line(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return ((out.stdout or out.stderr).strip().splitlines() or ["?"])[0]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _uncommitted(root: Path) -> list[str]:
    """Measured code that differs from the commit (read-only `git status`)."""
    try:
        out = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "mock_server",
                              "contract_tests", "spec", "fixtures", "pyproject.toml"],
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]


MEASURED_CODE = ("mock_server", "spec", "fixtures", "contract_tests")


def code_fingerprints() -> dict[str, str]:
    """A short hash per folder of measured code and data, to notice when it changes."""
    root = Path(__file__).resolve().parent.parent
    prints = {}
    for folder in MEASURED_CODE:
        digest = hashlib.sha256()
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".json"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
        prints[folder] = digest.hexdigest()[:10]
    return prints


def environment() -> dict:
    root = Path(__file__).resolve().parent.parent
    python_packages = {name: metadata.version(name)
                       for name in ("flask", "werkzeug", "granian", "waitress", "jsonschema")}
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _first_line(["git", "-C", str(root), "rev-parse", "--short", "HEAD"]),
        "uncommitted": _uncommitted(root),
        "os": _os_name(),
        "kernel": platform.release(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_gib(), 1),
        "python": platform.python_version(),
        "python_packages": python_packages,
        "node": _first_line(["node", "--version"]),
        "node_packages": {name: installed_node_version(name) for name in NODE_PACKAGES},
        "wrk": wrk_version(),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }
