"""Every function of include/qcos.h is declared in qcos._lib with argtypes and a
restype matching its C signature (so a new or changed C function fails here until
the binding follows)."""

from __future__ import annotations

import ctypes
import os
import re
from pathlib import Path

from qcos import _lib

HEADER = Path(os.environ.get("QCOS_HEADER", Path(__file__).resolve().parents[3] / "include" / "qcos.h"))

C_TO_CTYPES = {
    "qcos_status": ctypes.c_int,
    "char *": ctypes.c_char_p,
    "uint8_t *": ctypes.c_void_p,
    "size_t": ctypes.c_size_t,
    "uint64_t": ctypes.c_uint64,
    "uint32_t": ctypes.c_uint32,
    "uint16_t": ctypes.c_uint16,
    "int64_t": ctypes.c_int64,
    "bool": ctypes.c_bool,
    "void": None,
    "void *": ctypes.c_void_p,
    "size_t *": ctypes.POINTER(ctypes.c_size_t),
    "bool *": ctypes.POINTER(ctypes.c_bool),
    "char * *": ctypes.POINTER(ctypes.c_char_p),
    "qcos_credentials_cb": _lib.CREDENTIALS_CB,
    "qcos_read_cb": _lib.READ_CB,
    "qcos_write_cb": _lib.WRITE_CB,
    "qcos_progress_cb": _lib.PROGRESS_CB,
    "qcos_queue_event_cb": _lib.QUEUE_EVENT_CB,
    "double": ctypes.c_double,
    "qcos_task_state": ctypes.c_int,
    "qcos_task_state *": ctypes.POINTER(ctypes.c_int),
    "qcos_queue_event *": ctypes.POINTER(_lib.QueueEventStruct),
    "uint64_t *": ctypes.POINTER(ctypes.c_uint64),
    "uint32_t *": ctypes.POINTER(ctypes.c_uint32),
}


def header_functions() -> dict:
    src = HEADER.read_text()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r"//[^\n]*", "", src)
    out = {}
    for m in re.finditer(r"^([A-Za-z_][\w \*]*?\b(qcos_\w+))\s*\(([^;{]*?)\)\s*;", src, flags=re.M):
        ret = m.group(1)[: -len(m.group(2))].strip()
        if ret.startswith("typedef"):
            continue
        args = " ".join(m.group(3).split())
        params = [] if args == "void" else [re.match(r"(.*?)\w+$", a.strip()).group(1) for a in args.split(",")]
        out[m.group(2)] = (ret, params)
    return out


def ctype_of(c: str):
    t = " ".join(c.replace("*", " * ").split()).replace("const ", "").strip()
    if t in C_TO_CTYPES:
        return C_TO_CTYPES[t]
    if re.fullmatch(r"qcos_\w+ \* \*", t):
        return ctypes.POINTER(ctypes.c_void_p)
    if re.fullmatch(r"qcos_\w+ \*", t):
        return ctypes.c_void_p
    raise AssertionError(f"no ctypes mapping for C type {c!r}")


def test_header_is_parsed() -> None:
    fns = header_functions()
    assert len(fns) > 100
    assert fns["qcos_client_new"] == ("qcos_status", ["qcos_config *", "const qcos_client **"])


def test_every_function_is_declared_exactly() -> None:
    fns = header_functions()
    missing = sorted(set(fns) - set(_lib.PROTOTYPES))
    assert not missing, f"declare these in bindings/python/qcos/_lib.py: {missing}"
    extra = sorted(set(_lib.PROTOTYPES) - set(fns))
    assert not extra, f"declared in _lib.py but not in the header: {extra}"
    for name, (ret, params) in fns.items():
        restype, argtypes = _lib.PROTOTYPES[name]
        assert restype is ctype_of(ret), f"{name}: restype {restype} for C {ret!r}"
        assert argtypes == [ctype_of(p) for p in params], f"{name}: argtypes {argtypes} for C {params}"
        fn = getattr(_lib.lib, name)
        assert fn.restype is restype and fn.argtypes == argtypes
