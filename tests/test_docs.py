"""The documentation does not go stale: its code runs, its build helpers do what they say.

* every ```python block of the hand-written pages (getting started, how-to guides) runs
  as written: a page's blocks in order, each in a fresh namespace, in one empty
  working directory (a later block may read a file an earlier one saved);
* the helpers of docs/conf.py: bars of bras and kets are escaped outside literals and
  math, optional pages drop out of toctrees, and the API pages list every public object
  of ``qbattery`` exactly once;
* every function and class on the API pages has a docstring with an ``Examples``
  section of doctests (which ``make test`` runs with ``--doctest-modules``).

``make docs`` itself (warnings as errors, tutorials executed) runs in ``.ci/run``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import pytest

import qbattery as qb

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: pages whose code blocks are complete programs (the feature guides of other authors
#: contain cluster addresses and shell sessions, and are built, not run)
RUNNABLE_PAGES = [
    "getting-started.md",
    *sorted(p.name for p in (DOCS / "how-to").glob("*.md") if p.name != "index.md"),
]
_FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _pages() -> list[pytest.param]:
    params = []
    for name in RUNNABLE_PAGES:
        path = DOCS / name if (DOCS / name).exists() else DOCS / "how-to" / name
        blocks = [m.group(1) for m in _FENCE.finditer(path.read_text())]
        params.append(pytest.param(blocks, id=path.relative_to(DOCS).as_posix()))
    return params


PAGES = _pages()


def test_pages_have_code_blocks() -> None:
    """The collection above found the pages' examples (a wrong path would find none)."""
    assert len(PAGES) >= 5
    assert all(len(p.values[0]) >= 2 for p in PAGES)


@pytest.mark.parametrize("blocks", PAGES)
def test_code_blocks_run(
    blocks: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's blocks run top to bottom, each in a fresh namespace, in one directory."""
    monkeypatch.chdir(tmp_path)
    for i, code in enumerate(blocks):
        exec(compile(code, f"<block {i + 1}>", "exec"), {"__name__": "__docs__"})


@pytest.fixture(scope="module")
def conf() -> object:
    """docs/conf.py as a module (it writes the generated API pages under docs/gen_modules)."""
    spec = importlib.util.spec_from_file_location("qbattery_docs_conf", DOCS / "conf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("Evolve |ψ0⟩ to |ψ_t⟩.", r"Evolve \|ψ0⟩ to \|ψ_t⟩.", id="kets"),
        pytest.param("F = |⟨ψ0|ψ_t⟩|²", r"F = \|⟨ψ0\|ψ_t⟩\|²", id="fidelity"),
        pytest.param("the literal ``|0⟩`` stays", "the literal ``|0⟩`` stays", id="literal"),
        pytest.param(":math:`|x|` stays", ":math:`|x|` stays", id="role"),
        pytest.param(r"already \|escaped\|", r"already \|escaped\|", id="escaped"),
        pytest.param("no bars here", "no bars here", id="none"),
    ],
)
def test_escape_bars_in_text(conf: object, line: str, expected: str) -> None:
    lines = [line]
    conf._escape_bars(None, "function", "f", None, None, lines)  # type: ignore[attr-defined]
    assert lines == [expected]


def test_escape_bars_leaves_math_and_doctests(conf: object) -> None:
    lines = [
        "Fidelity |⟨ψ0|ψ_t⟩|².",
        "",
        ".. math:: F = |\\langle\\psi_0|\\psi_t\\rangle|^2",
        "   + |x|",
        "",
        ">>> abs(-1) | 0",
        "1",
        "",
        "Back to |text⟩.",
    ]
    expected = list(lines)
    expected[0] = r"Fidelity \|⟨ψ0\|ψ_t⟩\|²."
    expected[-1] = r"Back to \|text⟩."
    conf._escape_bars(None, "function", "f", None, None, lines)  # type: ignore[attr-defined]
    assert lines == expected


def test_optional_pages_drop_out(conf: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A toctree entry or line for a guide not (yet) written is removed, a written one kept."""
    source = [
        "```{toctree}\ngetting-started % optional\nno-such-page % optional\n"
        "Start <getting-started> % optional\nGone <no-such-page> % optional\n```\n"
        "See {doc}`/no-such-page`. % optional-line no-such-page\n"
        "See {doc}`concepts`. % optional-line concepts\n"
    ]
    conf._fill_toctrees(None, "index", source)  # type: ignore[attr-defined]
    assert source[0] == (
        "```{toctree}\ngetting-started\n\nStart <getting-started>\n\n```\n\nSee {doc}`concepts`.\n"
    )


def test_feature_guides_are_listed(
    conf: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every docs/*.md guide lands in the how-to toctree, known ones first, in order."""
    for name in ("index", "concepts", "sweeps", "engines", "zeta"):
        (tmp_path / f"{name}.md").write_text("# x\n")
    monkeypatch.setattr(conf, "DOCS", tmp_path)
    source = ["```{toctree}\nown-battery\n% feature guides (filled in by conf.py)\n```\n"]
    conf._fill_toctrees(None, "how-to/index", source)  # type: ignore[attr-defined]
    assert source[0] == "```{toctree}\nown-battery\n/engines\n/sweeps\n/zeta\n```\n"


def _api_pages() -> dict[str, str]:
    """Page name → text of the generated API pages (written by the ``conf`` fixture)."""
    return {path.stem: path.read_text() for path in (DOCS / "gen_modules" / "api").glob("*.rst")}


def _listed(pages: dict[str, str]) -> list[str]:
    """Full names of the entries of the pages' autosummary tables, in page order."""
    listed: list[str] = []
    for text in pages.values():
        current = re.search(r"^\.\. currentmodule:: (\S+)$", text, re.M)
        assert current is not None
        table = text.split(":nosignatures:\n", 1)[1]
        for entry in re.findall(r"^   ~?(\S+)$", table, re.M):
            listed.append(f"{current.group(1)}.{entry}")
    return listed


def _resolve(full: str) -> object:
    """The object of a listed name: ``module.name`` or ``module.Class.name``."""
    owner_name, _, name = full.rpartition(".")
    try:
        owner: object = importlib.import_module(owner_name)
    except ImportError:
        module, _, cls = owner_name.rpartition(".")
        owner = getattr(importlib.import_module(module), cls)
    return getattr(owner, name)


def test_api_pages_list_every_public_object_once(conf: object) -> None:
    pages = _api_pages()
    implementation = pages.pop("implementation")
    assert set(pages) == set(conf.API_PAGES)  # type: ignore[attr-defined]
    # every other public module has a target on the implementation page
    assert ".. py:module:: qbattery.engines.dense" in implementation
    listed = _listed(pages)
    assert len(listed) == len(set(listed))
    public = [
        f"qbattery.{name}"
        for name in qb.__all__
        if inspect.isclass(getattr(qb, name)) or callable(getattr(qb, name))
    ]
    for name in public:
        assert name in listed, f"{name} is public but not in the API reference"
    for name in qb.models.__all__:
        assert f"qbattery.models.{name}" in listed


_EXAMPLES = re.compile(r"^Examples\n-+\n", re.M)


def test_api_objects_have_examples(conf: object) -> None:
    """Issue 7: every function and class on the API pages has an Examples section with
    doctests; constants (documented by ``#:`` comments) are exempt."""
    pages = _api_pages()
    pages.pop("implementation")
    checked: list[str] = []
    lacking: list[str] = []
    for full in _listed(pages):
        obj = _resolve(full)
        if not (inspect.isclass(obj) or callable(obj)):
            continue
        checked.append(full)
        doc = inspect.getdoc(obj) or ""
        parts = _EXAMPLES.split(doc, maxsplit=1)
        if len(parts) < 2:
            lacking.append(f"{full} (no docstring)" if not doc else full)
        elif ">>>" not in parts[1]:
            lacking.append(f"{full} (Examples without doctest)")
    assert len(checked) >= 100, f"found only {len(checked)} objects on the API pages"
    assert not lacking, "public objects without an Examples section:\n" + "\n".join(lacking)


# ---- issue 14: no internal documents cited, typeset variables, shown output -------------

#: the internal specification's name, which users cannot read and pages must not cite
_SPEC = re.compile(r"\bSPEC\b")
SRC = DOCS.parent / "src" / "qbattery"
BUILT = DOCS / "_build" / "html"


def _spec_hits(paths: list[Path]) -> list[str]:
    hits = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if _SPEC.search(line):
                hits.append(f"{path.relative_to(DOCS.parent)}:{number}: {line.strip()}")
    return hits


def test_docs_pages_do_not_cite_spec() -> None:
    """Pages and tutorials point to public pages (Concepts, Readings, the variables table)."""
    sources = [
        p
        for p in [*DOCS.rglob("*.md"), *DOCS.rglob("*.rst"), *(DOCS / "tutorials").glob("*.py")]
        if not p.relative_to(DOCS)
        .as_posix()
        .startswith(("_build/", "auto_examples/", "gen_modules/"))
    ]
    assert len(sources) >= 10
    hits = _spec_hits(sources)
    assert not hits, "pages cite the internal SPEC:\n" + "\n".join(hits)


def _docstrings(path: Path) -> list[tuple[int, str]]:
    import ast

    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append((getattr(node, "lineno", 1), doc))
    return found


def test_docstrings_do_not_cite_spec() -> None:
    """The API reference is built from the docstrings: they must not cite SPEC either."""
    hits = [
        f"{path.relative_to(SRC.parent)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        for line, doc in _docstrings(path)
        if _SPEC.search(doc)
    ]
    assert not hits, "docstrings cite the internal SPEC:\n" + "\n".join(hits)


def _built(generated: bool) -> list[Path]:
    if not (BUILT / "index.html").is_file():
        pytest.skip("the site is not built (make docs)")
    pages = []
    for path in BUILT.rglob("*.html"):
        rel = path.relative_to(BUILT).as_posix()
        if rel.startswith(("_static/", "_sources/")):
            continue
        # api.html lists the modules with the first sentence of their docstrings
        from_docstrings = rel.startswith(("gen_modules/", "_modules/")) or rel == "api.html"
        if from_docstrings == generated:
            pages.append(path)
    return pages


def _visible_spec_hits(pages: list[Path]) -> list[str]:
    hits = []
    for path in pages:
        text = re.sub(r"<script.*?</script>|<style.*?</style>", "", path.read_text(), flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
        for m in _SPEC.finditer(text):
            context = " ".join(text[max(m.start() - 40, 0) : m.end() + 40].split())
            hits.append(f"{path.relative_to(BUILT)}: ...{context}...")
    return hits


def test_built_pages_do_not_cite_spec() -> None:
    """The built site's hand-written pages (if ``make docs`` has run) never show "SPEC"."""
    hits = _visible_spec_hits(_built(generated=False))
    assert not hits, "built pages cite the internal SPEC:\n" + "\n".join(hits)


def test_built_api_pages_do_not_cite_spec() -> None:
    """The built API and source pages (if ``make docs`` has run) never show "SPEC"."""
    hits = _visible_spec_hits(_built(generated=True))
    assert not hits, "built API pages cite the internal SPEC:\n" + "\n".join(hits)


def test_variables_table_is_typeset(conf: object) -> None:
    """Every long name of the schema is typeset: no ``<W_t>`` or ``N^W_t`` left as text."""
    from qbattery._dataset import EXTRA_VARIABLES, VARIABLES

    for long_name, _units, _eq in [*VARIABLES.values(), *EXTRA_VARIABLES.values()]:
        text = conf.typeset_long_name(long_name)  # type: ignore[attr-defined]
        assert not re.search(r"[<>^_]", re.sub(r"\$[^$]*\$", "", text)), text
    assert conf.typeset_long_name("mean work <W_t>") == (  # type: ignore[attr-defined]
        r"mean work $\langle\mathcal{W}_t\rangle$"
    )
    with pytest.raises(ValueError, match="MATH_FRAGMENTS"):
        conf.typeset_long_name("a new quantity <X_t>")  # type: ignore[attr-defined]
    assert conf.typeset_units("(energy)^3") == "energy³"  # type: ignore[attr-defined]
    table = (DOCS / "gen_modules" / "variables.md").read_text()
    assert "<H0>" not in table
    assert r"$\langle H_0\rangle_t - E_\mathrm{passive}$" in table


def test_printed_output_is_shown(conf: object) -> None:
    """A block that prints gets its output below it; a silent block gets nothing."""
    source = ["# Page\n\n```python\nx = 2\n```\n\ntext\n\n```python\nprint(6 * 7)\n```\n\nmore\n"]
    conf._show_output(None, "getting-started", source)  # type: ignore[attr-defined]
    assert source[0] == (
        "# Page\n\n```python\nx = 2\n```\n\ntext\n\n```python\nprint(6 * 7)\n```\n"
        "```{code-block} text\n:class: qb-output\n\n42\n```\n\nmore\n"
    )
    untouched = ["```python\nprint(1)\n```\n"]
    conf._show_output(None, "concepts", untouched)  # type: ignore[attr-defined]
    assert untouched == ["```python\nprint(1)\n```\n"]


def test_output_pages_exist(conf: object) -> None:
    """The pages whose output the site shows exist (a renamed page would run nothing)."""
    for page in conf.OUTPUT_PAGES:  # type: ignore[attr-defined]
        assert (DOCS / f"{page}.md").exists(), page


def _check_site() -> object:
    spec = importlib.util.spec_from_file_location("qbattery_check_site", DOCS / "check_site.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    except ImportError:
        pytest.skip("selenium is not installed (make docs-check installs it)")
    return module


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        pytest.param("ergotropy of ρ_t for <H0>: ...", True, id="raw-tag"),
        pytest.param("E1 writes it as **+**Ω", True, id="bold-markers"),
        pytest.param("the mean $W_t$ of", True, id="dollar"),
        pytest.param("the 13 quantities of SPEC §5", True, id="spec"),
        pytest.param("a < b and c > d, 2 * 3", False, id="comparisons"),
        pytest.param("SPECTRUM of H", False, id="word"),
        pytest.param("f(x, **charge_options)", False, id="kwargs"),
        pytest.param("bold **text** left", True, id="bold-text"),
    ],
)
def test_check_site_finds_raw_markup(text: str, bad: bool) -> None:
    site = _check_site()
    assert bool(site.RAW_MARKUP.search(text)) == bad  # type: ignore[attr-defined]


def test_check_site_lists_every_page(tmp_path: Path) -> None:
    site = _check_site()
    for name in ("index.html", "concepts.html", "gen_modules/api/x.html", "_static/a.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html></html>")
    pages = site.pages(tmp_path)  # type: ignore[attr-defined]
    assert [p.path for p in pages] == ["concepts.html", "index.html", "gen_modules/api/x.html"]
    assert [p.screenshot for p in pages] == [True, True, False]
    assert pages[1].min_images == 1


# ---- issue 14: defaults and allowed values from the code, links that resolve ------------


def _processed(conf: object, obj: object, what: str = "function") -> list[str]:
    """``obj``'s docstring after the API reference's hooks (before numpydoc)."""
    lines = (inspect.getdoc(obj) or "").splitlines()
    conf._add_defaults(None, what, "x", obj, None, lines)  # type: ignore[attr-defined]
    conf._link_returned_datasets(None, what, "x", obj, None, lines)  # type: ignore[attr-defined]
    return lines


def _entry(lines: list[str], name: str) -> list[str]:
    """The lines of the Parameters entry ``name`` (its type line and description)."""
    start = next(i for i, line in enumerate(lines) if re.match(rf"{name}( :|$)", line))
    stop = next(
        (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
        len(lines),
    )
    while not lines[stop - 1].strip():
        stop -= 1
    return lines[start:stop]


def test_charge_lists_every_registered_engine(
    conf: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``engine : {...}`` is the registry, not a list written once by hand."""
    from qbattery.engines import REGISTRY, DenseEngine

    head = _entry(_processed(conf, qb.charge), "engine")[0]
    assert re.findall(r"'([\w-]+)'", head) == ["auto", *REGISTRY]
    assert {"dense", "krylov", "structured"} <= set(REGISTRY)
    monkeypatch.setitem(REGISTRY, "dense-copy", DenseEngine)
    head = _entry(_processed(conf, qb.charge), "engine")[0]
    assert "'dense-copy'" in head


def test_every_default_is_listed(conf: object) -> None:
    """Each parameter with a default says it, as ``repr`` of the signature's value."""
    lines = _processed(conf, qb.charge)
    with_default = [
        (name, p.default)
        for name, p in inspect.signature(qb.charge).parameters.items()
        if p.default is not inspect.Parameter.empty
    ]
    assert len(with_default) >= 6
    for name, default in with_default:
        block = "\n".join(_entry(lines, name))
        assert f"Default: ``{default!r}``." in block, block
    assert "Default" not in "\n".join(_entry(lines, "battery"))  # no default: none shown


def _chooser(mode: Literal["fast", "exact"] | None = "fast", size: int = 3) -> int:
    """Choose.

    Parameters
    ----------
    mode : {"fast"}, optional
        How.
    size : int
        How many.

    Returns
    -------
    int
        The size.
    """
    return size


def test_literal_values_replace_a_stale_set(conf: object) -> None:
    """A ``Literal`` annotation is the list of allowed values; a stale ``{...}`` is fixed."""
    lines = _processed(conf, _chooser)
    mode = _entry(lines, "mode")
    assert mode[0] == "mode : {'fast', 'exact'}, optional"
    assert mode[-1].strip() == "Default: ``'fast'``."
    assert _entry(lines, "size")[-1].strip() == "Default: ``3``."
    assert "variables-table" not in "\n".join(lines)  # returns an int, not a Dataset


def test_literal_values_without_a_set_are_listed(conf: object) -> None:
    def pick(kind: Literal["a", "b"] = "b") -> None:
        """Pick.

        Parameters
        ----------
        kind : str
            Which.
        """

    kind = _entry(_processed(conf, pick), "kind")
    assert kind[-1].strip() == "Default: ``'b'``. One of ``'a'``, ``'b'``."


def test_returned_datasets_link_to_the_variables_table(conf: object) -> None:
    lines = _processed(conf, qb.charge)
    returns = lines[lines.index("Returns") :]
    assert ":ref:`variables table <variables-table>`" in "\n".join(returns)


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))


def broken_links(site: Path) -> list[str]:
    """Links between the site's pages whose file or ``#anchor`` does not exist."""
    parsed: dict[Path, _Anchors] = {}

    def parse(path: Path) -> _Anchors:
        if path not in parsed:
            parsed[path] = _Anchors()
            parsed[path].feed(path.read_text(errors="replace"))
        return parsed[path]

    broken = []
    for page in sorted(site.rglob("*.html")):
        if page.relative_to(site).parts[0] in ("_static", "_sources"):
            continue
        for href in parse(page).hrefs:
            url = urlsplit(href)
            if url.scheme or url.netloc:
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {href} (no such file)")
            elif (
                target.suffix == ".html"
                and url.fragment
                and unquote(url.fragment) not in parse(target).ids
            ):
                broken.append(f"{page.relative_to(site)}: {href} (no such anchor)")
    return broken


def test_broken_links_are_found(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<a href="b.html#x">ok</a><a href="b.html#y">bad</a><a href="c.html">gone</a>'
        '<a href="#top">self</a><p id="top"></p><a href="https://example.org/#z">out</a>'
    )
    (tmp_path / "b.html").write_text('<h1 id="x">B</h1>')
    assert broken_links(tmp_path) == [
        "a.html: b.html#y (no such anchor)",
        "a.html: c.html (no such file)",
    ]


def test_built_links_resolve() -> None:
    """Every link of the built site (source pages' "[docs]" links included) resolves."""
    _built(generated=True)  # skips if the site is not built
    broken = broken_links(BUILT)
    assert not broken, "broken links in the built site:\n" + "\n".join(broken)
