"""The repo's noxfile as a module, for tests of the functions its sessions call: imported with a
stub `nox` module, since the test environment does not need nox."""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

from support.paths import REPO


def _session(func: Any = None, **_: Any) -> Any:
    """`@nox.session` and `@nox.session(name=...)` alike: the function itself."""
    return func if func is not None else (lambda decorated: decorated)


def load_noxfile() -> Any:
    stub = types.ModuleType("nox")
    stub.options = types.SimpleNamespace()  # type: ignore[attr-defined]
    stub.session = _session  # type: ignore[attr-defined]
    stub.Session = object  # type: ignore[attr-defined]
    saved = sys.modules.get("nox")
    sys.modules["nox"] = stub
    try:
        spec = importlib.util.spec_from_file_location("amp_noxfile", REPO / "noxfile.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["nox"]
        else:
            sys.modules["nox"] = saved
    return module
