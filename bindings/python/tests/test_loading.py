"""Where the package finds libqcos."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import qcos


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "QCOS_LIBRARY"}
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=60)


def test_library_location() -> None:
    path = Path(qcos.library_path)
    if os.environ.get("QCOS_EXPECT_BUNDLED") == "1":
        # Installed with pip: the library travels next to the package.
        assert path.parent == Path(qcos.__file__).parent, path
    assert path.name.startswith("libqcos") or path.name == "qcos.dll"


def test_qcos_library_variable_wins() -> None:
    lib = str(Path(qcos.library_path).resolve())
    r = _python("import qcos; print(qcos.library_path)", QCOS_LIBRARY=lib)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == lib


def test_qcos_library_variable_must_exist() -> None:
    r = _python("import qcos", QCOS_LIBRARY="/nonexistent/libqcos.so")
    assert r.returncode != 0
    assert "QCOS_LIBRARY" in r.stderr and "/nonexistent/libqcos.so" in r.stderr
