"""PEP 517 build backend for the qcos Python package (standard library only).

``pip install ./bindings/python`` calls :func:`build_wheel`, which

1. takes ``libqcos.so`` from ``QCOS_LIBRARY`` when that is set, or else runs
   ``cargo build --release --lib`` in the repository (``QCOS_CARGO_PROFILE``
   chooses another profile, ``CARGO`` another cargo, ``CARGO_TARGET_DIR`` the
   target directory) and takes ``target/<profile>/libqcos.so``;
2. writes a wheel holding the ``qcos`` package with the library beside it, tagged
   for this platform (it contains native code) and any Python 3.

No sdist: the package is built from a checkout of the repository.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

NAME = "qcos"
VERSION = "0.1.0"
HERE = Path(__file__).resolve().parent.parent  # bindings/python
REPO = Path(os.environ.get("QCOS_SOURCE_DIR", HERE.parent.parent))

if sys.platform == "darwin":
    LIB = "libqcos.dylib"
elif sys.platform == "win32":
    LIB = "qcos.dll"
else:
    LIB = "libqcos.so"


def _library() -> Path:
    given = os.environ.get("QCOS_LIBRARY")
    if given:
        p = Path(given)
        if not p.is_file():
            raise RuntimeError(f"QCOS_LIBRARY={given!r} is not a file")
        return p
    manifest = REPO / "Cargo.toml"
    if not manifest.is_file():
        raise RuntimeError(
            f"{manifest} not found: build from a qcos checkout, or set QCOS_SOURCE_DIR "
            "to it, or QCOS_LIBRARY to a built libqcos"
        )
    profile = os.environ.get("QCOS_CARGO_PROFILE", "release")
    cargo = os.environ.get("CARGO", "cargo")
    cmd = [cargo, "build", "--lib", "-p", "qcos", "--manifest-path", str(manifest), "--profile", profile]
    print("qcos build:", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    out = target / ("debug" if profile == "dev" else profile) / LIB
    if not out.is_file():
        raise RuntimeError(f"cargo finished but {out} does not exist")
    return out


def _tag() -> str:
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"py3-none-{plat}"


def _metadata() -> str:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {VERSION}\n"
        "Summary: Tencent Cloud COS (XML API) client: Python binding of the qcos C library\n"
        "License: MIT OR Apache-2.0\n"
        "Requires-Python: >=3.8\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = Path(metadata_directory) / f"{NAME}-{VERSION}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(_metadata(), encoding="utf-8")
    return dist_info.name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    lib = _library()
    tag = _tag()
    wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
    dist_info = f"{NAME}-{VERSION}.dist-info"
    files = []
    for p in sorted((HERE / NAME).iterdir()):
        if p.suffix in (".py", ".typed"):
            files.append((f"{NAME}/{p.name}", p.read_bytes(), 0o644))
    files.append((f"{NAME}/{LIB}", lib.read_bytes(), 0o755))
    files.append((f"{dist_info}/METADATA", _metadata().encode(), 0o644))
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: qcos_build\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{dist_info}/WHEEL", wheel_meta.encode(), 0o644))
    record = [_record_line(n, d) for n, d, _ in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))
    out = Path(wheel_directory) / wheel_name
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    shutil.move(str(tmp), str(out))
    return wheel_name
