"""The installed package works without a checkout: bundled codebook, samples and app script.

Builds the wheel offline (``pip wheel --no-deps --no-build-isolation``), installs it with
``--no-deps`` into a fresh virtualenv that sees this environment's dependencies through a
``.pth`` line (not its editable qualcode), and runs ``init`` (no codebook given),
``demo --no-app`` and the app's start-up there, from a folder outside the repository.
"""

from __future__ import annotations

import os
import site
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheel")
    # No PYTHONPATH: the checkout (and the egg-info a build leaves in it) must stay unseen.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QUALCODE_PROJECT", "QUALCODE_DATABASE_URL")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(root / "dist"), str(REPO)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    wheel = next((root / "dist").glob("qualcode-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=env, check=True, timeout=120)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q",
                        "--no-index", str(wheel)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # Installed first (else pip sees this environment's qualcode), then the dependencies
    # (torch, spaCy, the packaged model...) come from this environment; a plain path line
    # does not run its .pth files, so its editable qualcode stays out.
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "_qualcode_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    work = root / "work"
    work.mkdir()
    return venv, env, work


def _run(venv, env, work, *args, timeout=600):
    return subprocess.run([str(venv / "bin" / "qualcode"), *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_installed_qualcode_is_the_wheel(wheel_venv):
    venv, env, work = wheel_venv
    r = subprocess.run([str(venv / "bin" / "python"), "-c", "import qualcode; print(qualcode.__file__)"],
                       cwd=work, env=env, capture_output=True, text=True, check=True)
    assert str(venv) in r.stdout and str(REPO) not in r.stdout


def test_init_without_codebook_and_demo_from_the_wheel(wheel_venv):
    venv, env, work = wheel_venv
    r = _run(venv, env, work, "init", "study")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "codes" in r.stdout and "Created project" in r.stdout
    r = _run(venv, env, work, "demo", "--project", "demo", "--no-app")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "9 documents" in r.stdout or "documents" in r.stdout
    status = _run(venv, env, work, "--project", "demo", "status", "--json")
    assert '"documents": 0' not in status.stdout, status.stdout


def test_app_starts_from_the_wheel(wheel_venv):
    venv, env, work = wheel_venv
    assert _run(venv, env, work, "init", "appproj").returncode == 0
    port = _free_port()
    proc = subprocess.Popen([str(venv / "bin" / "qualcode"), "--project", "appproj", "app", "--port", str(port)],
                            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200 and b"ok" in resp.read():
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the app did not answer its health check"
            time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
