"""``qcos.Client.from_env`` (``qcos_config_from_env``) reads every option variable;
bad values fail naming the variable and never showing a secret."""

from __future__ import annotations

import hashlib
import os

import pytest

import qcos
from conftest import REGION, SECRET_ID, SECRET_KEY

_ALL_COS = [k for k in os.environ if k.startswith("COS_")]


def _base_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, bucket: str) -> None:
    for k in _ALL_COS:
        monkeypatch.delenv(k, raising=False)
    for k, v in {
        "COS_REGION": REGION,
        "COS_BUCKET": bucket,
        "COS_SECRET_ID": SECRET_ID,
        "COS_SECRET_KEY": SECRET_KEY,
        "COS_ENDPOINT": endpoint,
    }.items():
        monkeypatch.setenv(k, v)


def test_from_env_options_take_effect(
    endpoint: str, client: qcos.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _base_env(monkeypatch, endpoint, client.bucket)
    for k, v in {
        "COS_PATH_STYLE": "on",
        "COS_UPLOAD_ADD_META_MD5": "1",
        "COS_UPLOAD_CHECK_CONTENT_MD5": "true",
        "COS_MAX_RETRIES": "0",
        "COS_TIMEOUT_MS": "600000",
        "COS_CONNECT_TIMEOUT_MS": "20000",
        "COS_CHUNK_SIZE": "1048576",
        "COS_AUTO_SWITCH_HOST": "no",
        "COS_USER_AGENT": "py-config-env/1",
    }.items():
        monkeypatch.setenv(k, v)
    body = b"python from the environment"
    with qcos.Client.from_env() as c:
        c.put_object("envopts", body)
        assert c.get_object("envopts") == body
    # COS_UPLOAD_ADD_META_MD5 took effect: the object carries its MD5.
    info = client.head_object("envopts")
    assert info.metadata.get("md5") == hashlib.md5(body).hexdigest()


@pytest.mark.parametrize(
    "var,value,why",
    [
        ("COS_TIMEOUT_MS", "soon", "is not a whole number"),
        ("COS_MAX_RETRIES", "-2", "is negative"),
        ("COS_USE_ACCELERATE", "maybe", "is not a boolean"),
        ("COS_CHUNK_SIZE", "4096", "at least 1048576"),
        ("COS_FILE_PARALLEL_LIMIT", "0", "at least 1"),
        ("COS_PROTOCOL", "ftp", "is not a protocol"),
    ],
)
def test_from_env_bad_value_names_the_variable(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, var: str, value: str, why: str
) -> None:
    _base_env(monkeypatch, endpoint, "envbad-1250000000")
    monkeypatch.setenv("COS_SECURITY_TOKEN", "py-secret-token-value")
    monkeypatch.setenv(var, value)
    with pytest.raises(qcos.InvalidArgumentError) as e:
        qcos.Client.from_env()
    msg = str(e.value)
    assert var in msg and why in msg and value in msg, msg
    assert SECRET_KEY not in msg and "py-secret-token-value" not in msg, msg


def test_from_env_token_without_keys_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in _ALL_COS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("COS_REGION", REGION)
    monkeypatch.setenv("COS_SECURITY_TOKEN", "py-secret-token-value")
    with pytest.raises(qcos.InvalidArgumentError) as e:
        qcos.Client.from_env()
    assert "COS_SECURITY_TOKEN" in str(e.value)
    assert "py-secret-token-value" not in str(e.value)
