"""The paramiko internals wizard/services/sftp/pipeline.py relies on, checked by name and
shape: this fails the day a paramiko release renames, removes or reshapes them (the pin in
pyproject.toml says which major version they were checked against)."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import paramiko
from paramiko.buffered_pipe import BufferedPipe

from wizard.services.sftp.pipeline import Batch, FastPipe


def _params(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)  # type: ignore[arg-type]


def test_the_pinned_major_version_is_installed() -> None:
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    pin = next(d for d in project["project"]["dependencies"] if d.startswith("paramiko"))
    major = int(version("paramiko").split(".")[0])
    assert f">={major}." in pin and f"<{major + 1}" in pin, (pin, version("paramiko"))


def test_the_request_plumbing_keeps_its_shape() -> None:
    client = paramiko.SFTPClient
    assert _params(client._async_request)[:3] == ["self", "fileobj", "t"]
    assert inspect.getfullargspec(client._async_request).varargs == "args"
    assert _params(client._read_response) == ["self", "waitfor"]
    assert _params(client._convert_status) == ["self", "msg"]
    assert _params(client._request)[:2] == ["self", "t"]
    assert _params(paramiko.SFTPAttributes._from_msg)[:3] == ["msg", "filename", "longname"]
    source = inspect.getsource(client.__init__)
    assert "self._expecting = weakref.WeakValueDictionary()" in source
    # answers reach the waiting object through this call, with these arguments
    assert "fileobj._async_response(t, msg, num)" in inspect.getsource(client._read_response)


def test_the_channel_buffer_keeps_its_shape() -> None:
    source = inspect.getsource(BufferedPipe)
    for member in ("self._buffer", "_buffer_frombytes", "_buffer_tobytes"):
        assert member in source, member
    assert "in_buffer" in inspect.getsource(paramiko.Channel.__init__)
    pipe = FastPipe()
    pipe.feed(b"abcdef")
    assert pipe.read(4) == b"abcd" and pipe.read(4) == b"ef"  # the stock read over our buffer


def test_a_batch_object_is_what_the_plumbing_calls_back() -> None:
    assert callable(Batch._async_response)
    assert _params(Batch._async_response) == ["self", "t", "msg", "num"]
