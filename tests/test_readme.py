"""The README's Python quick start runs as written (in a scratch directory)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_quick_start_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no python block"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    assert (tmp_path / "kbody.nc").exists()
    ds = namespace["ds"]
    assert ds.sizes["time"] == 200  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        namespace["undefined"]


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    """Every python block of the README, in order, in one session (later blocks use the
    names of earlier ones, as a reader typing them would)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{README}:block{i + 1}", "exec"), namespace)
    # d = 2^16, a TFIM-like chain: jax when it is installed (the dev extra has it)
    expected = "jax" if importlib.util.find_spec("jax") is not None else "krylov"
    assert namespace["ds"].attrs["engine"] == expected  # type: ignore[attr-defined]
