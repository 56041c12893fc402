"""The API reference (docs/reference/*.md, rendered by mkdocstrings) against the package.

- Every public name of `crewai_amp`, `crewai_amp.webhooks`, `crewai_amp.testing` and
  `crewai_amp.errors` (their `__all__`) has an entry, and so does every generated model a user
  reaches through a status's attributes (`completed.result.tasks[0]`...).
- No entry is stale: each `::: path` names something that exists, that is public, and, under
  those four modules, that is in the module's `__all__`.
- Each entry renders: mkdocstrings shows an object without a docstring only when its directive
  says `show_if_no_docstring: true`; a class with a private base hides its bases.
- Docstrings are markdown as the site renders them: no Sphinx roles (`:func:` shows literally),
  no `>>>` prompts (a blockquote), no private module or helper named in a rendered docstring,
  and every python example in one compiles.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import itertools
import re
import sys
import textwrap
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs
import griffe
import pytest
import yaml
from support.docs import REPO

PUBLIC_MODULES = ("crewai_amp", "crewai_amp.errors", "crewai_amp.webhooks", "crewai_amp.testing")
REFERENCE = REPO / "docs" / "reference"
PACKAGE = REPO / "overlays" / "crewai_amp"
# `::: path`, then its indented YAML options block, if any.
DIRECTIVE = re.compile(r"^::: *(?P<path>[\w.]+)[ \t]*\n(?P<options>(?:(?:[ \t]+\S.*)?\n)*)", re.M)
SPHINX_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|exc|data|obj|ref|const):`")
DOCTEST_PROMPT = re.compile(r"^\s*>>>", re.M)
# A backticked name with one leading underscore (`_base`, ``_fanout``); dunders are fine.
PRIVATE_NAME = re.compile(r"`+(_[A-Za-z][\w.]*)`+")
FENCED_PYTHON = re.compile(r"^[ \t]*```python[ \t]*\n(?P<code>.*?)^[ \t]*```", re.M | re.S)
# Generated-model helpers a reference page may leave out (their meaning is said in prose).
MODEL_HELPERS = ("to_dict", "from_dict", "additional_keys")


@dataclass(frozen=True)
class Entry:
    path: str
    page: str
    options: dict[str, Any] = field(default_factory=dict)

    def excludes(self, name: str) -> bool:
        """Whether this entry's `filters` leave `name` out (mkdocstrings' regex filters)."""
        filters = self.options.get("filters", [])
        if not isinstance(filters, list):
            return False
        return any(f.startswith("!") and re.search(f[1:], name) for f in filters)


def entries() -> list[Entry]:
    found = []
    for page in sorted(REFERENCE.glob("*.md")):
        for match in DIRECTIVE.finditer(page.read_text("utf-8")):
            block = textwrap.dedent(match.group("options"))
            options = (yaml.safe_load(block) or {}).get("options", {}) if block.strip() else {}
            found.append(Entry(match.group("path"), page.name, options))
    return found


def resolve(path: str) -> Any:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(path)


def identifiable(obj: object) -> bool:
    """Objects compared by identity (a class or function re-exported under another path);
    anything else (a constant, an alias) must be named by its own path."""
    return inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj)


ENTRIES = entries()
PATHS = {entry.path for entry in ENTRIES}


def documented(module: str, name: str) -> bool:
    if f"{module}.{name}" in PATHS:
        return True
    for entry in ENTRIES:  # a module entry shows every name of its __all__ its filters keep
        shows_members = entry.options.get("members", True) is not False
        if entry.path == module and shows_members and not entry.excludes(name):
            return True
    obj = getattr(importlib.import_module(module), name)
    if identifiable(obj):
        return any(identifiable(o) and o is obj for o in map(_resolved, PATHS))
    return False


def _resolved(path: str) -> Any:
    try:
        return resolve(path)
    except (AttributeError, ModuleNotFoundError):  # a stale entry: test_no_entry_is_stale says so
        return None


def reached_models() -> set[type]:
    """The generated REST models and enums a user reaches through the attributes of what the
    client returns (statuses, kickoff and resume answers), however deep."""
    import crewai_amp
    import crewai_amp_api.models as models
    import crewai_amp_api.types as api_types

    seen: set[type] = set()
    todo: list[type] = [
        *typing.get_args(crewai_amp.Status),
        crewai_amp.KickoffResponse,
        crewai_amp.ResumeResponse,
    ]
    while todo:
        cls = todo.pop()
        if cls in seen or getattr(cls, "__module__", "").split(".")[0] != "crewai_amp_api":
            continue
        seen.add(cls)
        if attrs.has(cls):
            # The model's own module (its imports: datetime, UUID, File...), then the names it
            # imports only under TYPE_CHECKING.
            namespace = {**vars(sys.modules[cls.__module__]), "Any": Any, **vars(api_types), **vars(models)}
            hints = typing.get_type_hints(cls, namespace)
            for hint in hints.values():
                todo.extend(_classes_in(hint))
    return seen


def _classes_in(hint: object) -> list[type]:
    if isinstance(hint, type) and (attrs.has(hint) or issubclass(hint, enum.Enum)):
        return [hint]
    return [c for arg in typing.get_args(hint) for c in _classes_in(arg)]


def test_the_reference_has_entries() -> None:
    assert len(ENTRIES) > 50, [e.path for e in ENTRIES]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_has_a_reference_entry(module: str) -> None:
    names = importlib.import_module(module).__all__
    missing = [name for name in names if not documented(module, name)]
    assert not missing, f"{module}: add a `::: {module}.NAME` entry to docs/reference/ for {missing}"


def test_every_model_a_user_reaches_has_an_entry() -> None:
    models = reached_models()
    assert {"StatusCompletedResult", "TaskResult", "UsageMetrics", "TriggeredBy"} <= {
        m.__name__ for m in models
    }
    missing = sorted(m.__name__ for m in models if not documented("crewai_amp_api.models", m.__name__))
    assert not missing, f"add these generated models to docs/reference/: {missing}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.path)
def test_no_entry_is_stale(entry: Entry) -> None:
    try:
        resolve(entry.path)
    except (AttributeError, ModuleNotFoundError):
        pytest.fail(f"{entry.page}: `::: {entry.path}` names nothing")
    parts = entry.path.split(".")
    private = [part for part in parts if part.startswith("_") and not part.startswith("__")]
    assert not private, f"{entry.page}: `::: {entry.path}` names a private object"
    parent = ".".join(parts[:-1])
    if parent in PUBLIC_MODULES and not inspect.ismodule(resolve(entry.path)):
        public = importlib.import_module(parent).__all__
        assert parts[-1] in public, f"{entry.page}: {entry.path} is not in {parent}.__all__"


@pytest.fixture(scope="module")
def loaded() -> griffe.ModulesCollection:
    """The packages as mkdocstrings reads them: statically, from overlays/ and generated/."""
    loader = griffe.GriffeLoader(search_paths=[str(REPO / "overlays"), str(REPO / "generated")])
    for package in ("crewai_amp", "crewai_amp_api", "crewai_amp_events"):
        loader.load(package)
    loader.resolve_aliases(implicit=True, external=False)
    return loader.modules_collection


def _static(collection: griffe.ModulesCollection, path: str) -> griffe.Object:
    obj = collection.get_member(path)
    return obj.final_target if isinstance(obj, griffe.Alias) else obj


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.path)
def test_every_entry_renders(entry: Entry, loaded: griffe.ModulesCollection) -> None:
    obj = _static(loaded, entry.path)
    assert obj.docstring or entry.options.get("show_if_no_docstring"), (
        f"{entry.page}: {entry.path} has no docstring, so mkdocstrings shows nothing for it"
    )


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.path)
def test_no_private_base_is_shown(entry: Entry) -> None:
    obj = resolve(entry.path)
    private = [b.__name__ for b in getattr(obj, "__bases__", ()) if b.__name__.startswith("_")]
    if private:
        assert entry.options.get("show_bases") is False, (
            f"{entry.page}: {entry.path} would show `Bases: {', '.join(private)}`"
        )


def _rendered(collection: griffe.ModulesCollection) -> list[tuple[str, str]]:
    """(path, docstring) of every object the reference renders: each entry and its public
    members (one level: classes' attributes and methods, modules' exported names)."""
    shown: list[tuple[str, str]] = []
    for entry in ENTRIES:
        obj = _static(collection, entry.path)
        if obj.docstring:
            shown.append((entry.path, obj.docstring.value))
        if entry.options.get("members", True) is False or obj.is_module:
            continue
        for name, member in obj.members.items():
            if name.startswith("_") or entry.excludes(name) or name in MODEL_HELPERS:
                continue
            target = member.final_target if isinstance(member, griffe.Alias) else member
            if target.docstring:
                shown.append((f"{entry.path}.{name}", target.docstring.value))
    return shown


def test_rendered_docstrings_name_no_private_module_or_helper(loaded: griffe.ModulesCollection) -> None:
    leaks = [
        f"{path}: {name}"
        for path, text in _rendered(loaded)
        for name in PRIVATE_NAME.findall(FENCED_PYTHON.sub("", text))
    ]
    assert not leaks, leaks


def test_docstring_examples_compile(loaded: griffe.ModulesCollection) -> None:
    examples = [
        (path, match.group("code"))
        for path, text in _rendered(loaded)
        for match in FENCED_PYTHON.finditer(text)
    ]
    assert any(path == "crewai_amp.AmpClient" for path, _ in examples)
    for path, code in examples:
        compile(textwrap.dedent(code), f"<docstring of {path}>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _docstrings(source: Path) -> list[tuple[str, str]]:
    tree = ast.parse(source.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node, clean=False)
            if text:
                found.append((f"{source.relative_to(REPO)}:{getattr(node, 'lineno', 1)}", text))
        # attribute docstrings: a string statement after an assignment
        body = getattr(node, "body", None)
        if not isinstance(body, list):  # a lambda's body is an expression
            continue
        for before, after in itertools.pairwise(body):
            assigned = isinstance(before, (ast.Assign, ast.AnnAssign))
            value = after.value if isinstance(after, ast.Expr) else None
            if assigned and isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.append((f"{source.relative_to(REPO)}:{after.lineno}", value.value))
    return found


ALL_DOCSTRINGS = [item for source in sorted(PACKAGE.rglob("*.py")) for item in _docstrings(source)]


def test_docstrings_have_no_sphinx_roles_or_doctest_prompts() -> None:
    assert len(ALL_DOCSTRINGS) > 200
    roles = [where for where, text in ALL_DOCSTRINGS if SPHINX_ROLE.search(text)]
    prompts = [where for where, text in ALL_DOCSTRINGS if DOCTEST_PROMPT.search(text)]
    assert not roles, f"Sphinx roles render literally; use [name][crewai_amp.path]: {roles}"
    assert not prompts, f">>> renders as a blockquote; use a ```python block: {prompts}"


def test_the_checks_catch_what_they_look_for() -> None:
    assert SPHINX_ROLE.search("see :func:`verify`") and SPHINX_ROLE.search(":class:`AmpError`")
    assert not SPHINX_ROLE.search("[verify][crewai_amp.webhooks.verify]")
    assert DOCTEST_PROMPT.search("An example.\n\n    >>> client.run()")
    assert PRIVATE_NAME.findall("see the ``_fanout`` module and `__init__`") == ["_fanout"]
    entry = Entry("m", "p.md", {"filters": ["!^_", "!^(to_dict|from_dict)$"]})
    assert entry.excludes("to_dict") and not entry.excludes("to_dicts") and not entry.excludes("x")
    text = "::: a.b\n    options:\n      show_bases: false\n\n::: a.c\n"
    found = [(m.group("path"), m.group("options")) for m in DIRECTIVE.finditer(text)]
    assert [path for path, _ in found] == ["a.b", "a.c"]
    assert yaml.safe_load(textwrap.dedent(found[0][1]))["options"] == {"show_bases": False}
    assert resolve("crewai_amp.errors") is importlib.import_module("crewai_amp.errors")
