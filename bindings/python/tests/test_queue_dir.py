"""Directory transfers through the task queue (Queue.upload_dir, Queue.download_prefix)
through the Python binding against qcos-server: a tree up and back byte for byte,
symbolic links skipped, hostile keys refused with nothing queued or written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import qcos

TREE = {
    "a.txt": b"hello",
    "empty": b"",
    "sub/deeper/b.bin": os.urandom(200_000),
    "日本/ü n i.txt": "中身".encode(),
}


def _make_tree(root: Path) -> None:
    for rel, data in TREE.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def test_tree_round_trip(client: qcos.Client, tmp_path: Path) -> None:
    src = tmp_path / "src"
    _make_tree(src)
    (src / "empty-dir").mkdir()
    os.symlink(src / "a.txt", src / "link")
    with qcos.Queue(client) as q:
        up = q.upload_dir(src, "py/")
        assert [(p, k) for p, k, _ in up] == [(str(src / rel), "py/" + rel) for rel in sorted(TREE, key=os.fsencode)]
        for _, _, t in up:
            assert q.wait(t) == qcos.TaskState.SUCCEEDED
        assert sorted(o.key for o in client.iter_objects(prefix="py/")) == sorted("py/" + r for r in TREE)

        client.put_object("py/marker/", b"")
        dst = tmp_path / "dst"
        down = q.download_prefix("py/", dst)
        assert [k for k, _, _ in down] == sorted("py/" + r for r in TREE)
        for key, path, t in down:
            assert q.wait(t) == qcos.TaskState.SUCCEEDED
            assert Path(path) == dst / key[len("py/") :]
        for rel, data in TREE.items():
            assert (dst / rel).read_bytes() == data
        assert (dst / "marker").is_dir()
        assert not (dst / "link").exists()


@pytest.mark.parametrize(
    "hostile, why",
    [("h/a//b", "empty path segment"), ("h/a\\b", "'\\'")],
)
def test_hostile_keys_refused(client: qcos.Client, tmp_path: Path, hostile: str, why: str) -> None:
    client.put_object("h/fine", b"fine")
    client.put_object(hostile, b"evil")
    target = tmp_path / "target"
    with qcos.Queue(client) as q:
        with pytest.raises(qcos.InvalidArgumentError) as e:
            q.download_prefix("h/", target)
        assert '"' + hostile.replace("\\", "\\\\") + '"' in str(e.value)
        assert why in str(e.value)
        assert q.next_event() is None  # nothing queued: no task's first event
    assert not target.exists()


def test_collision_and_symlink_in_target(client: qcos.Client, tmp_path: Path) -> None:
    client.put_object("c/a", b"file")
    client.put_object("c/a/b", b"under")
    with qcos.Queue(client) as q:
        with pytest.raises(qcos.InvalidArgumentError, match="both a file and a directory"):
            q.download_prefix("c/", tmp_path / "col")
        assert not (tmp_path / "col").exists()

        client.put_object("l/sub/x", b"evil")
        outside = tmp_path / "outside"
        outside.mkdir()
        target = tmp_path / "t"
        target.mkdir()
        os.symlink(outside, target / "sub")
        with pytest.raises(qcos.InvalidArgumentError, match="symbolic link"):
            q.download_prefix("l/", target)
        assert list(outside.iterdir()) == []
        assert q.next_event() is None  # nothing queued: no task's first event


def test_bad_names_and_arguments(client: qcos.Client, tmp_path: Path) -> None:
    src = tmp_path / "bad"
    src.mkdir()
    (src / "fine").write_bytes(b"x")
    (src / "ctl\x01char").write_bytes(b"x")
    with qcos.Queue(client) as q:
        with pytest.raises(qcos.InvalidArgumentError, match="U\\+0001"):
            q.upload_dir(src, "p/")
        (src / "ctl\x01char").unlink()
        os.close(os.open(os.path.join(os.fsencode(src), b"caf\xe9"), os.O_CREAT | os.O_WRONLY))
        with pytest.raises(qcos.InvalidArgumentError, match="not UTF-8"):
            q.upload_dir(src, "p/")
        with pytest.raises(qcos.InvalidArgumentError, match="not a directory"):
            q.upload_dir(src / "fine", "p/")
        with pytest.raises(TypeError, match="prefix"):
            q.upload_dir(src, None)  # type: ignore[arg-type]
        assert q.next_event() is None  # nothing queued: no task's first event
    assert list(client.iter_objects(prefix="p/")) == []
