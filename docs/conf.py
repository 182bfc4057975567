"""Sphinx configuration of the qbattery documentation (``make docs``).

Sphinx + pydata-sphinx-theme + numpydoc + sphinx-gallery + MyST, built with warnings as
errors (``-W --keep-going``) and ``nitpicky`` cross-references, so that a broken link,
a missing reference or a failing tutorial fails the build. Everything is offline:
MathJax is served from the ``django-static-mathjax`` wheel (plain MathJax 3 files, no
Django needed) and no intersphinx inventories are fetched.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import shutil
import warnings
from pathlib import Path

import mathjax  # the `django-static-mathjax` package: MathJax 3.2 as static files
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer

import qbattery

os.environ.setdefault("MPLBACKEND", "Agg")  # figures of the plot directive and the gallery

DOCS = Path(__file__).resolve().parent

# -- project -------------------------------------------------------------------------------
project = "qbattery"
author = "the qbattery developers"
copyright = "2026, the qbattery developers"
release = qbattery.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinx_design",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "tutorials/README.rst",  # sphinx-gallery's own header, rendered into auto_examples/
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
    "gen_modules/variables.md",  # included by getting-started.md, not a page of its own
    "gen_modules/extras.md",  # included by index.md
]
templates_path = ["_templates", "_sidebars"]

# -- strictness: every reference must resolve ----------------------------------------------
nitpicky = True
# No network here, so no intersphinx: names from other projects (and prose type words of
# numpydoc parameter lists) cannot be linked; everything of qbattery's own must resolve.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|scipy|sp|xarray|xr|qutip|matplotlib|dask|distributed|zarr)(\..*)?"),
    (r"py:.*", r"(typing|collections|types|pathlib|os|abc|enum|dataclasses)\..*"),
    (
        r"py:.*",
        r"(int|float|complex|bool|str|bytes|dict|list|tuple|set|frozenset|object|callable"
        r"|None|type|Any|Path|PathLike|Mapping|Sequence|Iterable|Callable|Literal|ndarray"
        r"|Generator|Dataset|DataArray|Axes|Figure|Client|Qobj|LinearOperator|ClassVar"
        r"|array_like|array-like|optional|default|mapping|sequence|iterable|scalar|function"
        r"|file-like|path-like|str or path-like|shape|of|or)",
    ),
    # private modules (``qbattery._progress``) have no pages; a docstring may still name one
    (r"py:mod", r"qbattery(\.\w+)*\._\w+.*"),
    # numpydoc's prose types: "shape (nt,)", "{'auto', 'dense'}", "float, optional", ...
    (r"py:.*", r".*[ (){}'\"=,].*"),
]

# -- autodoc / autosummary / numpydoc ------------------------------------------------------
autosummary_imported_members = False
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # types are in the numpydoc Parameters sections
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # autosummary lists members; avoids duplicates
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True
add_module_names = False

# -- MyST ----------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3
myst_substitutions = {"version": release}

# -- math: MathJax 3 served from _static/mathjax (works offline) ---------------------------
MATHJAX_SRC = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    "tex": {"macros": {"Tr": r"\operatorname{Tr}", "dd": r"\mathrm{d}"}},
}

# -- plot directive (figures of the Concepts page, computed at build time) -----------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (6.4, 3.6), "figure.constrained_layout.use": True}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\nimport qbattery as qb\n"

# -- sphinx-gallery (executed tutorials) ---------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "tutorials",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every tutorial is executed
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "only_warn_on_example_error": False,  # a failing tutorial fails the build
    "abort_on_example_error": False,  # ... after running the others, to report all
    "doc_module": ("qbattery",),
    "reference_url": {"qbattery": None},  # link names in the code to the API pages
    "backreferences_dir": "gen_modules/backreferences",
    "show_memory": False,
    "capture_repr": (),  # tutorials print what they want shown
    "plot_gallery": "True",
    # no sg_execution_times page: it loads jQuery and DataTables from CDNs (the site must
    # work offline), and run times of the build machine are not documentation
    "write_computation_times": False,
}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"qbattery {release}"
html_static_path = ["_static"]
html_css_files = ["qbattery.css"]
html_show_sourcelink = False
html_favicon = "_static/favicon.svg"
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 8,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
# the whole site's navigation on every page (the theme's default shows only the current
# section's pages, and nothing at all on top-level pages such as Concepts)
html_sidebars = {"**": ["site-nav.html"]}


def _repository() -> str:
    """The source repository: ``[project.urls] Repository`` of pyproject.toml if set."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return DEFAULT_REPOSITORY
    meta = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())["project"]
    return str(meta.get("urls", {}).get("Repository", DEFAULT_REPOSITORY))


#: where the code lives unless pyproject.toml names a ``Repository`` URL
DEFAULT_REPOSITORY = "https://github.com/qbattery/qbattery"
#: the source repository (linked from the home page and the navigation bar)
REPOSITORY = _repository()
html_theme_options["icon_links"] = [
    {"name": "Source repository", "url": REPOSITORY, "icon": "fa-brands fa-github"}
]

# -- pages of the feature guides -----------------------------------------------------------
#: Markdown guides written next to the features (docs/<name>.md), in the order they appear
#: in the how-to section. A guide listed here but not (yet) written is left out of the
#: toctrees; a docs/*.md guide that is not listed is appended, so no guide is ever orphaned.
FEATURE_GUIDES = ["engines", "scaling", "sweeps", "beyond", "open", "cli"]
#: top-level pages placed explicitly by index.md
SITE_PAGES = {"index", "getting-started", "concepts", "readings", "changelog", "architecture"}
_FEATURE_MARK = "% feature guides (filled in by conf.py)"
_API_MARK = ".. API pages (filled in by conf.py)"
_OPTIONAL_RE = re.compile(
    r"^(?P<indent>\s*)(?P<entry>(?:[^<\n%]*<)?(?P<name>/?[\w-]+)>?) *% optional$", re.M
)
_OPTIONAL_LINE_RE = re.compile(r"^(?P<line>.*?) *% optional-line (?P<name>[\w-]+)$", re.M)


def _top_level_guides() -> list[str]:
    return sorted(p.stem for p in DOCS.glob("*.md") if p.stem not in SITE_PAGES)


def _fill_toctrees(app: object, docname: str, source: list[str]) -> None:
    """Drop toctree entries of optional pages that do not exist; list the feature guides."""
    text = source[0]

    def keep(m: re.Match[str]) -> str:
        name = m["name"].lstrip("/")
        return f"{m['indent']}{m['entry']}" if (DOCS / f"{name}.md").exists() else ""

    text = _OPTIONAL_RE.sub(keep, text)
    text = _OPTIONAL_LINE_RE.sub(
        lambda m: m["line"] if (DOCS / f"{m['name']}.md").exists() else "", text
    )
    if _API_MARK in text:
        text = text.replace(_API_MARK, _api_index())
    if _FEATURE_MARK in text:
        present = _top_level_guides()
        ordered = [g for g in FEATURE_GUIDES if g in present]
        ordered += [g for g in present if g not in FEATURE_GUIDES]
        text = text.replace(_FEATURE_MARK, "\n".join(f"/{g}" for g in ordered))
    source[0] = text


def _reread_marked(app: object, env: object, *changes: set[str]) -> list[str]:
    """Re-read the pages whose toctrees depend on which guides and modules exist."""
    marked = []
    for path in [*DOCS.glob("*.md"), *DOCS.glob("*.rst"), *DOCS.glob("how-to/*.md")]:
        text = path.read_text()
        if "% optional" in text or _FEATURE_MARK in text or _API_MARK in text:
            marked.append(path.relative_to(DOCS).with_suffix("").as_posix())
    return marked


def _copy_mathjax(app: object, exc: Exception | None) -> None:
    """Copy the parts of MathJax that tex-chtml.js loads into ``_static/mathjax``."""
    if exc is not None or getattr(app, "builder", None) is None:
        return
    if app.builder.format != "html":  # type: ignore[attr-defined]
        return
    out = Path(app.outdir) / "_static" / "mathjax"  # type: ignore[attr-defined]
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(MATHJAX_SRC / "tex-chtml.js", out / "tex-chtml.js")
    for sub in ("output/chtml", "input/tex/extensions", "ui", "a11y", "adaptors"):
        shutil.copytree(MATHJAX_SRC / sub, out / sub, dirs_exist_ok=True)


def _write_if_changed(path: Path, text: str) -> None:
    """Write atomically, and only if the text changed (keeps Sphinx's cache valid)."""
    if path.exists() and path.read_text() == text:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


#: the plain-text math of the schema's long names (``qbattery._dataset``), typeset for the
#: variables table; a long name with math not listed here fails the build (see below)
MATH_FRAGMENTS = {
    "F_t = |<ψ_0|ψ_t>|^2": r"F_t = \lvert\langle\psi_0\vert\psi_t\rangle\rvert^2",
    "cot²θ^W_t − f(W_0, W_t)": r"\cot^2\theta^W_t - f(W_0, W_t)",
    "cot²θ^P_t − f(P_0, P_t)": r"\cot^2\theta^P_t - f(P_0, P_t)",
    "θ^W_t = ∫ sqrt(I^W)/2 dt": r"\theta^W_t = \int_0^t \tfrac12\sqrt{I^W}\,\dd t",
    "θ^P_t = ∫ sqrt(I^P)/2 dt": r"\theta^P_t = \int_0^t \tfrac12\sqrt{I^P}\,\dd t",
    "2 sqrt(Eq. 6 bound)": r"2\sqrt{B}",
    "N^W_t N^P_t": r"\mathcal{N}^W_t\mathcal{N}^P_t",
    "N^W_t + N^P_t": r"\mathcal{N}^W_t + \mathcal{N}^P_t",
    "κ_3/κ_2^(3/2)": r"\kappa_3/\kappa_2^{3/2}",
    "κ_4/κ_2^2": r"\kappa_4/\kappa_2^2",
    "<H0>_t − E_passive": r"\langle H_0\rangle_t - E_\mathrm{passive}",
    "W_t − W_0": r"W_t - W_0",
    "P_t − P_0": r"P_t - P_0",
    "<ΔE_t + Q_t>": r"\langle\Delta E_t + Q_t\rangle",
    "<Q_t>": r"\langle Q_t\rangle",
    "(ΔQ_t)^2": r"(\Delta Q_t)^2",
    "(ΔW_t)^2": r"(\Delta\mathcal{W}_t)^2",
    "(ΔP_t)^2": r"(\Delta\mathcal{P}_t)^2",
    "f(W_0, W_t)": r"f(W_0, W_t)",
    "f(P_0, P_t)": r"f(P_0, P_t)",
    "τ* = argmax_t <W_t>/t": r"\tau^* = \operatorname{argmax}_t \langle\mathcal{W}_t\rangle/t",
    "<W_τ*>/τ*": r"\langle\mathcal{W}_{\tau^*}\rangle/\tau^*",
    "argmax_t <P_t>": r"\operatorname{argmax}_t \langle\mathcal{P}_t\rangle",
    "max_t <P_t>": r"\max_t \langle\mathcal{P}_t\rangle",
    "i<[H, H0]>": r"i\langle[H, H_0]\rangle",
    "<W_t>/t": r"\langle\mathcal{W}_t\rangle/t",
    "t = 0": r"t = 0",
    "ρ0": r"\rho_0",
    "<W_t>": r"\langle\mathcal{W}_t\rangle",
    "<P_t>": r"\langle\mathcal{P}_t\rangle",
    "N^W_t": r"\mathcal{N}^W_t",
    "N^P_t": r"\mathcal{N}^P_t",
    "I^W_t": r"I^W_t",
    "I^P_t": r"I^P_t",
    "W_0": r"W_0",
    "P_0": r"P_0",
    "ρ_t": r"\rho_t",
    "H0": r"H_0",
}
_MATH_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(MATH_FRAGMENTS, key=len, reverse=True)) + r"|κ_(\d+)"
)
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def typeset_long_name(long_name: str) -> str:
    """A schema long name with its math in ``$...$`` (``<W_t>`` -> ``$\\langle W_t\\rangle$``).

    Raises ``ValueError`` if plain-text math (``<``, ``^``, ``_``, ``|``) is left over,
    so that a new variable cannot reach the table untypeset: add its fragment to
    :data:`MATH_FRAGMENTS`.
    """

    def tex(m: re.Match[str]) -> str:
        body = MATH_FRAGMENTS[m[0]] if m[1] is None else r"\kappa_" + m[1]
        return f"${body}$"

    text = _MATH_RE.sub(tex, long_name)
    plain = re.sub(r"\$[^$]*\$", "", text)
    if re.search(r"[<>^_|]", plain):
        raise ValueError(
            f"untypeset math in the long name {long_name!r}: add it to MATH_FRAGMENTS "
            "in docs/conf.py"
        )
    if "Eq. 6 bound" in long_name:
        text += ", with $B$ the bound of Eq. (6)"
    return text.replace("|", "\\|")


def typeset_units(units: str) -> str:
    """``(energy)^3`` -> ``energy³``, ``1/time^2`` -> ``1/time²``."""
    units = re.sub(r"^\((\w+)\)\^", r"\1^", units)
    return re.sub(r"\^(\d+)", lambda m: m[1].translate(_SUPERSCRIPTS), units)


def _write_variables_table() -> None:
    """``gen_modules/variables.md``: the result variables, from the one schema in the code."""
    from qbattery._dataset import EXTRA_VARIABLES, VARIABLES

    rows = ["| variable | meaning | units | paper |", "|---|---|---|---|"]
    for table, extra in ((VARIABLES, ""), (EXTRA_VARIABLES, " (extra)")):
        for name, (long_name, units, eq) in table.items():
            meaning = typeset_long_name(long_name)
            rows.append(f"| `{name}`{extra} | {meaning} | {typeset_units(units)} | {eq} |")
    out = DOCS / "gen_modules" / "variables.md"
    out.parent.mkdir(exist_ok=True)
    text = "\n".join(rows) + "\n"
    _write_if_changed(out, text)


#: what each user-facing extra of pyproject.toml adds, for the install box of the home
#: page; an extra appears there once pyproject.toml defines it
EXTRAS = {
    "dask": "sweeps on all cores or a Dask cluster",
    "qutip": "qutip.Qobj operators and states",
    "jax": "the JAX engine (CPU)",
    "gpu": "the JAX engine on an NVIDIA GPU",
    "hpc": "sweeps on SLURM or PBS clusters",
}


def _write_extras_table() -> None:
    """``gen_modules/extras.md``: ``pip install "qbattery[extra]"`` for each extra defined,
    as a shell block with what each adds."""
    defined = re.search(
        r"^\[project\.optional-dependencies\]\n(.*?)(?=^\[)",
        (DOCS.parent / "pyproject.toml").read_text(),
        re.S | re.M,
    )
    names = set(re.findall(r"^([\w-]+) = \[", defined[1] if defined else "", re.M))
    listed = [(name, what) for name, what in EXTRAS.items() if name in names]
    width = max((len(name) for name, _ in listed), default=0) + len('pip install "qbattery[]"')
    lines = ["pip install qbattery".ljust(width) + "  # the library and the qbattery command"]
    lines += [
        f'pip install "qbattery[{name}]"'.ljust(width) + f"  # {what}" for name, what in listed
    ]
    rows = ["```bash", *lines, "```"]
    _write_if_changed(DOCS / "gen_modules" / "extras.md", "\n".join(rows) + "\n")


_write_variables_table()
_write_extras_table()
# pages of execution times written by older builds (see ``write_computation_times``)
(DOCS / "sg_execution_times.rst").unlink(missing_ok=True)
(DOCS / "auto_examples" / "sg_execution_times.rst").unlink(missing_ok=True)

# -- API reference: one page per public module, listing what is public now -------------
#: modules first in the API reference (others found in the package follow alphabetically)
API_ORDER = [
    "qbattery",
    "qbattery.models",
    "qbattery.analytic",
    "qbattery.operators",
    "qbattery.engines",
    "qbattery.statistics",
    "qbattery.bounds",
    "qbattery.plotting",
    "qbattery.errors",
]
#: modules whose public objects are documented elsewhere (top level, CLI page)
API_SKIP = {"qbattery.battery", "qbattery.charge", "qbattery.cli", "qbattery.__main__"}


def _attr_docs(modname: str) -> set[str]:
    """Module-level names that carry a ``#:`` doc comment."""
    try:
        docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
    except PycodeError:
        return set()
    return {name for (scope, name) in docs if scope == ""}


def _documentable(mod: object, name: str, obj: object) -> bool:
    """A function (also behind ``functools`` wrappers), a class, or documented data."""
    if inspect.isclass(obj) or inspect.isroutine(inspect.unwrap(obj)):  # type: ignore[arg-type]
        return True
    if inspect.ismodule(obj) or name.startswith("_"):
        return False
    return _data_home(mod, name, obj) is not None


def _data_home(mod: object, name: str, obj: object) -> str | None:
    """The module whose ``#:`` comment documents the data ``name`` that ``mod`` makes
    public: ``mod`` itself, or for a package the submodule that defines it
    (``qbattery.studies.reproduce.settings`` for ``reproduce.QUICK``)."""
    modname = mod.__name__  # type: ignore[attr-defined]
    if name in _attr_docs(modname):
        return modname  # type: ignore[no-any-return]
    for sub in pkgutil.walk_packages(getattr(mod, "__path__", []), modname + "."):
        module = sub.name
        if (
            name in _attr_docs(module)
            and getattr(importlib.import_module(module), name, None) is obj
        ):
            return module
    return None


def _public_objects(mod: object) -> list[str]:
    """Names a module makes public: its ``__all__`` (else what it defines), plus the
    module-level constants it documents with ``#:`` comments."""
    modname = mod.__name__  # type: ignore[attr-defined]
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [
            n
            for n, obj in vars(mod).items()
            if (inspect.isclass(obj) or inspect.isroutine(inspect.unwrap(obj)))
            and getattr(obj, "__module__", None) == modname
        ]
    names = list(names) + [n for n in sorted(_attr_docs(modname)) if n not in names]
    return [n for n in names if not n.startswith("_")]


def _relative(name: str, current: str) -> str:
    """``qbattery.errors.ConfigError`` under ``qbattery`` -> ``~errors.ConfigError``."""
    rel = name.removeprefix(current + ".")
    return f"~{rel}" if "." in rel else rel


def _write_implementation_page(out: Path, names: list[str], modules: dict[str, object]) -> None:
    """``implementation.rst``: what each module without a page of its own is for.

    Their public objects are documented on the pages above (``qbattery.engines.dense``'s
    engine under ``qbattery.engines``); the module itself still gets a target, so that
    ``:mod:`` references to it resolve, and a reader finds what each module is for.
    """
    lines = [
        ".. This page is written by docs/conf.py from the package; do not edit.",
        "",
        "Implementation modules",
        "======================",
        "",
        "The modules that implement the engines, models and tools, and whose public",
        "objects are documented on the pages of the API reference under the names",
        "users import them by.",
        "",
    ]
    for modname in names:
        if modname.endswith("__main__"):
            continue
        parent, _, leaf = modname.rpartition(".")
        owner = modules.get(parent) or importlib.import_module(parent)
        shadowed = not inspect.ismodule(getattr(owner, leaf, None))  # ``qb.charge``
        title = f"``{modname}``"
        lines += [title, "-" * len(title), "", f".. py:module:: {modname}"]
        lines += ["   :no-index:", ""] if shadowed else [""]
        lines += [_summary(modname), ""]
    _write_if_changed(out / "implementation.rst", "\n".join(lines))


def _summary(modname: str) -> str:
    """The first sentence of a module's docstring, roles turned into literals."""
    doc = inspect.getdoc(importlib.import_module(modname)) or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    first = re.split(r"\.\s+(?=[A-Z])", paragraph)[0]  # not at "Eq. 5"
    first = re.sub(r":[\w:]+:`~?\.?([^`<]*?)(?: <[^`]*>)?`", r"``\1``", first)
    return first.rstrip(".") + "." if paragraph else ""


def _write_api_pages() -> list[str]:
    """Write ``gen_modules/api/<module>.rst`` for every public module; return the names.

    Every public function and class appears exactly once: on the page of the first
    module (in :data:`API_ORDER`, then alphabetically) that makes it public, under the
    shortest name users import it by (``qbattery.QBatteryError``, not
    ``qbattery.errors.QBatteryError``). The top-level page keeps what has no module page
    of its own (``qb.Battery``, ``qb.charge``).
    """
    everything = sorted(
        m.name
        for m in pkgutil.walk_packages(qbattery.__path__, "qbattery.")
        if not any(part.startswith("_") for part in m.name.split("."))
    )
    found = everything
    # Modules of sub-packages (``qbattery.engines.dense``) are implementation: what they
    # offer users is exported by the package's ``__all__``. One that defines its own
    # ``__all__`` opts in to a page.
    found = [
        m for m in found if m.count(".") == 1 or hasattr(importlib.import_module(m), "__all__")
    ]
    order = [m for m in API_ORDER if m in found] + [m for m in found if m not in API_ORDER]
    # a module shadowed by a function of the same name (``qb.sweep``) still gets a page
    # for the rest of what it makes public
    modules = {m: importlib.import_module(m) for m in order if m not in API_SKIP}

    def objects(mod: object) -> list[tuple[str, object]]:
        pairs = [(n, getattr(mod, n, None)) for n in _public_objects(mod)]
        return [(n, o) for n, o in pairs if _documentable(mod, n, o)]

    seen: set[int] = set()
    pages: dict[str, list[str]] = {"qbattery": []}
    for modname, mod in modules.items():
        for name, obj in objects(mod):
            if id(obj) not in seen:
                seen.add(id(obj))
                top = hasattr(qbattery, name) and getattr(qbattery, name) is obj
                home = modname
                if not (inspect.isclass(obj) or inspect.isroutine(inspect.unwrap(obj))):
                    home = _data_home(mod, name, obj) or modname  # its ``#:`` comment
                pages.setdefault(modname, []).append(
                    f"qbattery.{name}" if top else f"{home}.{name}"
                )
    pages["qbattery"] = [f"qbattery.{n}" for n, o in objects(qbattery) if id(o) not in seen]

    out = DOCS / "gen_modules" / "api"
    out.mkdir(parents=True, exist_ok=True)
    for modname, entries in pages.items():
        # names in the autosummary table resolve against this module (relative
        # references in summary lines), unless the page mixes in top-level names
        own = all(e.startswith(modname + ".") for e in entries)
        current = modname if own else "qbattery"
        title = f"``{modname}``"
        parent, _, leaf = modname.rpartition(".")
        shadowed = parent and not inspect.ismodule(getattr(modules.get(parent, qbattery), leaf))
        lines = [
            ".. This page is written by docs/conf.py from the package; do not edit.",
            "",
            title,
            "=" * len(title),
            "",
            f".. automodule:: {modname}",
            "   :no-members:",
            *(["   :no-index:"] if shadowed else []),  # the function ``qb.sweep`` has the name
            "",
            f".. currentmodule:: {current}",
            "",
            ".. autosummary::",
            "   :toctree: ../generated",
            "   :nosignatures:",
            "",
            *[f"   {_relative(e, current)}" for e in entries],
            "",
        ]
        text = "\n".join(lines)
        _write_if_changed(out / f"{modname}.rst", text)
    _write_implementation_page(out, [m for m in everything if m not in pages], modules)
    for stale in out.glob("*.rst"):
        if stale.stem not in pages and stale.stem != "implementation":
            stale.unlink()
    stubs = {e for entries in pages.values() for e in entries}
    for stale in (DOCS / "gen_modules" / "generated").glob("*.rst"):
        if stale.stem not in stubs:
            stale.unlink()  # a stub of something no longer public
    return list(pages)


API_PAGES = _write_api_pages()


def _api_index() -> str:
    """A table of the API pages, in :data:`API_ORDER`, each with its module's summary."""
    rows, entries = [], []
    for modname in API_PAGES:
        summary = _summary(modname)
        page = f"gen_modules/api/{modname}"
        rows += [f"   * - :doc:`{modname} <{page}>`", f"     - {summary}"]
        entries.append(f"   {page}")
    page = "gen_modules/api/implementation"
    rows += [f"   * - :doc:`Implementation modules <{page}>`", "     - What the other modules do."]
    entries.append(f"   {page}")
    table = [".. list-table::", "   :widths: 35 65", "", *rows]
    toctree = [".. toctree::", "   :hidden:", "   :maxdepth: 1", "", *entries]
    return "\n".join([*table, "", *toctree, ""])


# the pages above are new on a first build: name them, so autosummary reads them even
# when an incremental build's environment does not know them yet
autosummary_generate = ["api.rst", *(f"gen_modules/api/{m}.rst" for m in API_PAGES)]


_LITERAL_OR_ROLE = re.compile(r"(``.*?``|:[\w:]+:`[^`]*`|`[^`]*`_?)")
_BLOCK_START = re.compile(r"(::\s*$|^\s*\.\. )")


def _escape_bars(
    app: object, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """Docstrings write bras and kets in Unicode (``|ψ⟩``, ``⟨ψ|``); escape those bars.

    reStructuredText would read ``|...|`` as a substitution. Bars inside literals, roles,
    ``.. math::`` and other directive blocks, literal blocks and doctests are left alone.
    """
    block_indent: int | None = None
    in_doctest = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if block_indent is not None:
            if not stripped or indent > block_indent:
                continue
            block_indent = None
        if in_doctest:
            if stripped:
                continue
            in_doctest = False
        if stripped.startswith(">>>"):
            in_doctest = True
            continue
        if _BLOCK_START.search(line):
            block_indent = indent
            if stripped.startswith(".."):
                continue
        if "|" not in line:
            continue
        parts = _LITERAL_OR_ROLE.split(line)
        lines[i] = "".join(
            p if k % 2 else p.replace("\\|", "|").replace("|", "\\|") for k, p in enumerate(parts)
        )


def _resolve_unqualified(app: object, env: object, node: object, contnode: object) -> object:
    """Resolve a docstring's relative reference (``:func:`sweep```) to the unique public
    object of that name, wherever the API reference documents it.

    Objects are documented under the name users import them by (``qbattery.sweep``),
    while docstrings refer to them relative to the module that defines them
    (``qbattery.sweep.run_sweep`` says ``:func:`sweep```). This is Sphinx's own "fuzzy"
    search (``refspecific``): an unknown or ambiguous name still fails the build.
    """
    if node.get("refdomain") != "py" or node.get("refspecific"):  # type: ignore[attr-defined]
        return None
    node["refspecific"] = True  # type: ignore[index]
    domain = env.get_domain("py")  # type: ignore[attr-defined]

    def resolve(target: str) -> object:
        return domain.resolve_xref(
            env,
            node["refdoc"],  # type: ignore[index]
            app.builder,  # type: ignore[attr-defined]
            node["reftype"],  # type: ignore[index]
            target,
            node,
            contnode,
        )

    found = resolve(node["reftarget"])  # type: ignore[index]
    if found is None:
        # a full name by where the object is defined (``qbattery.numerics.quadrature.
        # speed_angle``): the page that documents that same object under another name
        other = _documented_as(node["reftarget"], domain.objects)  # type: ignore[index]
        if other is not None:
            found = resolve(other)
    return found


def _lookup(dotted: str) -> object:
    """The object a full dotted name refers to, or a fresh ``object()`` if none."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return object()
        return obj
    return object()


def _documented_as(target: str, objects: dict[str, object]) -> str | None:
    """The one documented name of the object ``target`` names, if it has one."""
    if not target.startswith("qbattery."):
        return None
    obj = _lookup(target)
    leaf = "." + target.rsplit(".", 1)[-1]
    names = [n for n in objects if n.endswith(leaf) and n != target and _lookup(n) is obj]
    return names[0] if len(names) == 1 else None


#: pages whose ```python blocks run at build time, their printed output shown below each
#: block (the same pages tests/test_docs.py runs; a block that fails fails the build)
OUTPUT_PAGES = [
    "getting-started",
    "engines",
    "how-to/own-battery",
    "how-to/engines-and-memory",
    "how-to/design",
    "how-to/save-load",
]
_PY_FENCE = re.compile(r"^```python\n(.*?)^```[ \t]*\n", re.S | re.M)


def run_blocks(blocks: list[str]) -> list[str]:
    """Run a page's code blocks in order, each in a fresh namespace, in one empty working
    directory (a later block may read a file an earlier one saved); return what each
    printed."""
    import contextlib
    import io
    import tempfile

    outputs = []
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            for i, code in enumerate(blocks):
                buffer = io.StringIO()
                with contextlib.redirect_stdout(buffer):
                    exec(compile(code, f"<block {i + 1}>", "exec"), {"__name__": "__docs__"})
                outputs.append(buffer.getvalue())
        finally:
            os.chdir(cwd)
    return outputs


def _show_output(app: object, docname: str, source: list[str]) -> None:
    """Below each ```python block of :data:`OUTPUT_PAGES` that prints, show its output."""
    if docname not in OUTPUT_PAGES:
        return
    text = source[0]
    matches = list(_PY_FENCE.finditer(text))
    outputs = run_blocks([m.group(1) for m in matches])
    pieces, last = [], 0
    for m, out in zip(matches, outputs, strict=True):
        pieces.append(text[last : m.end()])
        last = m.end()
        if out.strip():
            pieces.append(f"```{{code-block}} text\n:class: qb-output\n\n{out.rstrip()}\n```\n")
    source[0] = "".join(pieces) + text[last:]


def _fill_repository(app: object, docname: str, source: list[str]) -> None:
    """``@REPOSITORY@`` in a page is the address of :data:`REPOSITORY`."""
    source[0] = source[0].replace("@REPOSITORY@", REPOSITORY)


# -- API reference: defaults and allowed values from the code, links from returned Datasets
_SECTION = re.compile(r"^\s*-{3,}\s*$")
_SET_TYPE = re.compile(r"\{[^{}]*\}")


def _sections(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Numpydoc section name -> (first line after its dashes, end), in ``lines``."""
    heads = [
        i
        for i in range(len(lines) - 1)
        if lines[i].strip() and _SECTION.match(lines[i + 1]) and not _SECTION.match(lines[i])
    ]
    return {
        lines[h].strip(): (h + 2, heads[k + 1] if k + 1 < len(heads) else len(lines))
        for k, h in enumerate(heads)
    }


def _literal_values(annotation: object) -> list[object] | None:
    """The values a ``Literal[...]`` (also inside ``X | None``) annotation allows."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return list(typing.get_args(annotation))
    if origin is typing.Union or origin is types.UnionType:
        values: list[object] = []
        literal = False
        for arg in typing.get_args(annotation):
            if arg is type(None):
                values.append(None)
                continue
            inner = _literal_values(arg)
            if inner is None:
                return None  # a union with a non-literal type: no closed list
            literal = True
            values += inner
        return values if literal else None
    return None


def _signature_info(obj: object) -> dict[str, tuple[object, list[object] | None]]:
    """Parameter name -> (default or ``inspect.Parameter.empty``, allowed values or None).

    Allowed values come from ``Literal[...]`` annotations and, for ``engine``, from the
    engine registry (every registered engine and ``"auto"``), so they cannot drift.
    """
    import typing

    from qbattery.engines import REGISTRY

    target = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
    try:
        sig = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return {}
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # an annotation that only exists for type checkers
        hints = {}
    info: dict[str, tuple[object, list[object] | None]] = {}
    for name, param in sig.parameters.items():
        allowed = _literal_values(hints[name]) if name in hints else None
        engine_name = hints.get(name) is str or isinstance(param.default, str)
        if name == "engine" and allowed is None and engine_name:
            allowed = ["auto", *REGISTRY]
        info[name] = (param.default, allowed)
    return info


def _literal(value: object) -> str:
    text = repr(value)
    return f"``{text}``" if len(text) <= 60 else f"``{text[:57]}...``"


def _add_defaults(
    app: object, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """After each parameter's description: its default and the values it allows.

    Read from the signature (defaults, ``Literal[...]`` annotations) and from the engine
    registry (``engine``), so that the API reference lists them as the code has them. A
    ``{...}`` set in the type of such a parameter is replaced by the generated one.
    Runs before numpydoc (priority 400), on the docstring as written.
    """
    if what not in ("function", "method", "class") or not callable(obj):
        return
    bounds = _sections(lines).get("Parameters")
    info = _signature_info(obj)
    if bounds is None or not info:
        return
    start, end = bounds
    entries = [
        i
        for i in range(start, end)
        if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) == 0
    ]
    for k in reversed(range(len(entries))):  # from the bottom, so inserts keep indices
        i = entries[k]
        stop = entries[k + 1] if k + 1 < len(entries) else end
        head, _, kind = lines[i].partition(" : ")
        names = [n.strip().lstrip("*") for n in head.split(",")]
        if len(names) != 1 or names[0] not in info:
            continue
        default, allowed = info[names[0]]
        stale = _SET_TYPE.search(kind)
        listed = allowed is not None and stale is not None
        if allowed is not None and stale is not None:
            choices = "{" + ", ".join(repr(v) for v in allowed if v is not None) + "}"
            lines[i] = f"{head} : {kind[: stale.start()]}{choices}{kind[stale.end() :]}"
        facts = []
        if default is not inspect.Parameter.empty:
            facts.append(f"Default: {_literal(default)}.")
        if allowed is not None and not listed:
            facts.append("One of " + ", ".join(_literal(v) for v in allowed) + ".")
        if not facts:
            continue
        last = stop
        while last > i + 1 and not lines[last - 1].strip():
            last -= 1
        indent = "    "
        if last > i + 1:
            body = lines[last - 1]
            indent = body[: len(body) - len(body.lstrip())] or indent
        lines[last:last] = [indent + " ".join(facts)]


#: what a returned Dataset's Returns entry links to
_DATASET_RETURN = re.compile(r"\b(xarray\.|xr\.)?Dataset\b")


def _link_returned_datasets(
    app: object, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """A Returns section that returns a Dataset links to the variables table."""
    bounds = _sections(lines).get("Returns")
    if bounds is None:
        return
    start, end = bounds
    section = lines[start:end]
    if "variables-table" in "\n".join(section):
        return
    for j, line in enumerate(section):
        if line.strip() and not line.startswith(" ") and _DATASET_RETURN.search(line):
            last = start + j + 1
            while last < end and (not lines[last].strip() or lines[last].startswith(" ")):
                last += 1
            while last > start + j + 1 and not lines[last - 1].strip():
                last -= 1
            note = "    Its variables are listed in the :ref:`variables table <variables-table>`."
            lines[last:last] = [note]
            return


_SOURCE_LINK = re.compile(
    r'href="(?P<path>[^"#]*gen_modules/generated/(?P<stem>[^"#/]+)\.html)#(?P<frag>[^"]+)"'
)


def _fix_source_anchors(app: object, exc: Exception | None) -> None:
    """Point the "[docs]" links of the source pages at the ids the API pages have.

    ``sphinx.ext.viewcode`` builds each link from the first name it saw for the module
    (``#qbattery.cumulants_from_moments`` on the page whose object is documented as
    ``qbattery.distribution.cumulants_from_moments``); the page's file name is the name
    it is documented under, so the anchor is that name plus the member path.
    """
    if exc is not None or getattr(app, "builder", None) is None:
        return
    if app.builder.format != "html":  # type: ignore[attr-defined]
        return
    root = Path(app.outdir)  # type: ignore[attr-defined]

    def fix(m: re.Match[str]) -> str:
        stem, frag = m["stem"], m["frag"]
        top = "." + stem.rsplit(".", 1)[-1]
        if frag == stem or frag.startswith(stem + "."):
            return m[0]
        if frag.endswith(top):
            anchor = stem
        elif top + "." in frag:
            anchor = stem + "." + frag.rsplit(top + ".", 1)[1]
        else:
            return m[0]
        return f'href="{m["path"]}#{anchor}"'

    for page in (root / "_modules").rglob("*.html"):
        text = page.read_text()
        fixed = _SOURCE_LINK.sub(fix, text)
        if fixed != text:
            page.write_text(fixed)


def setup(app: object) -> None:
    app.connect("missing-reference", _resolve_unqualified)  # type: ignore[attr-defined]
    app.connect("autodoc-process-docstring", _escape_bars)  # type: ignore[attr-defined]
    app.connect("source-read", _fill_toctrees)  # type: ignore[attr-defined]
    app.connect("source-read", _show_output)  # type: ignore[attr-defined]
    app.connect("source-read", _fill_repository)  # type: ignore[attr-defined]
    app.connect("env-get-outdated", _reread_marked)  # type: ignore[attr-defined]
    app.connect("build-finished", _copy_mathjax)  # type: ignore[attr-defined]
    app.connect("build-finished", _fix_source_anchors)  # type: ignore[attr-defined]
    # before numpydoc (priority 500) turns the sections into reStructuredText
    app.connect("autodoc-process-docstring", _add_defaults, priority=400)  # type: ignore[attr-defined]
    app.connect("autodoc-process-docstring", _link_returned_datasets, priority=400)  # type: ignore[attr-defined]


# matplotlib emits a UserWarning for Agg's show(); the gallery never calls it, the
# plot directive does not either, but keep a stray one from failing -W builds.
warnings.filterwarnings("ignore", message="FigureCanvasAgg is non-interactive")
