"""Sphinx configuration of the infoplane site (Sphinx + myst-nb).

    make site         # the lessons as executed by `make lessons` (lessons/_build/), API, bibliography
    make site-quick   # SITE_QUICK=1: no lessons (API and pages only), what CI builds

Lessons are never executed here (``nb_execution_mode = "off"``): ``lessons/execute.py``
runs them once, with their figures inline, into ``lessons/_build/``, and ``make`` re-runs
only a lesson whose notebook changed, so the executed outputs are cached between builds.
The executed copies are staged into ``docs/_lessons/`` (generated, not in git) because
Sphinx reads sources from its own folder only.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
import types
from pathlib import Path

import nbformat

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import infoplane  # noqa: E402

QUICK = os.environ.get("SITE_QUICK", "0") == "1"
EXECUTED = Path(os.environ.get("SITE_LESSONS", ROOT / "lessons" / "_build"))

project = "infoplane"
author = "the infoplane authors"
copyright = "2026, the infoplane authors"
release = version = infoplane.__version__

extensions = [
    "myst_nb",                      # MyST markdown + notebooks (also registers myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",          # numpydoc-style docstrings
    "sphinx.ext.mathjax",
    "sphinxcontrib.bibtex",
]
if not QUICK:
    extensions.append("sphinx.ext.viewcode")   # highlighted sources: slow, so full builds only
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}

# MyST
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"           # executed by lessons/execute.py (make lessons), not here
nb_merge_streams = True

# API reference from the docstrings
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True,
                           "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = False   # True fails on ib_curve's signature (Sphinx 9.0)
autodoc_type_aliases = {"ArrayLike": "ArrayLike", "npt.ArrayLike": "ArrayLike"}
autosummary_generate = False
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_param = False          # parameter types stay text ("array_like of shape (n, d)")
napoleon_use_rtype = False
# numpydoc types are prose ("ndarray of shape (n, d)", "B + 1"), not class names: render the
# Attributes section like Parameters, as text, instead of cross-referenced :type: fields
napoleon_custom_sections = [("Attributes", "params_style")]

# -n (nitpicky): every reference to infoplane, or inside the site, must resolve. References to
# other packages' types cannot resolve offline (no intersphinx inventories can be fetched), so
# those - and the typing aliases the signatures use - are the only ones let through.
nitpicky = True
# an ambiguity between a documented name and the canonical alias autodoc adds for it
# (infoplane.info.Distribution / infoplane.info.distribution.Distribution) resolves to the first
suppress_warnings = ["ref.python"]
nitpick_ignore_regex = [
    (r"py:.*", r"(torch|numpy|np|scipy|matplotlib|sklearn|numpy\.typing|npt|typing|typing_extensions|"
               r"collections\.abc|os|pathlib|dataclasses|enum|abc|joblib|dask|tqdm|builtins|sympy)(\..*)?"),
    (r"py:.*", r"(Tensor|ndarray|ArrayLike|NDArray|Axes|Figure|Module|Generator|Parameter|Optimizer|"
               r"Callable|Iterable|Iterator|Sequence|Mapping|Any|Path|PathLike|Literal|Self|NamedTuple|"
               r"Protocol|Dataset|DataLoader|LRScheduler|device|dtype|Distribution)"),
    (r"py:class", r"TypeAliasForwardRef"),  # how Sphinx 9 renders autodoc_type_aliases
    (r"py:.*", r"(infoplane\.[\w.]+\.)?(Samples|Device|LossFn|Optimizers|Schedulers|Row|Grid|Condition|Shape|"
               r"Number|Value)"),
    (r"py:class", r".*\[.*"),            # a generic annotation the signature parser splits ("list[dict[str")
    (r"py:.*", r"(array_like|array-like|array|optional|callable|sequence|tensor|float|int|bool|str|"
               r"dict|list|tuple|None|object)"),
]

# bibliography
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "unsrt"
bibtex_reference_style = "author_year"

# HTML
html_theme = "furo"
html_title = f"infoplane {release}"
html_static_path: list[str] = []


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return fallback


def _stage_lessons() -> None:
    """Write docs/_lessons/: the executed lessons and their index (or, quick, the index alone)."""
    out = DOCS / "_lessons"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    sources = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    lines = ["# Lessons", "",
             "The numbered notebooks of the course, with exercises that check themselves",
             "(`lessons/checks.py`; official solutions under `lessons/solutions/`). Open them with",
             "`make lab`; `make lessons` executes them (figures inline) into `lessons/_build/`.", ""]
    if QUICK:
        lines += ["```{note}", "This is a quick build (`SITE_QUICK=1`): the lessons are listed, not",
                  "rendered. `make site` renders them with their figures.", "```", ""]
        for path in sources:
            lines.append(f"- `{path.name}`: {_title(nbformat.read(path, as_version=4), path.stem)}")
    else:
        missing = [p.name for p in sources if not (EXECUTED / p.name).exists()]
        if missing:
            raise RuntimeError(f"SITE_LESSONS: executed lessons missing from {EXECUTED}: {missing}; "
                               "run `make lessons` (or `make site`, which runs the stale ones)")
        lines += ["```{toctree}", ":maxdepth: 1", ""]
        for path in sources:
            shutil.copy2(EXECUTED / path.name, out / path.name)
            lines.append(path.stem)
        lines += ["```"]
    (out / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


_stage_lessons()

SUBPACKAGES = ["info", "estimators", "metrics", "data", "bottleneck", "inn", "bibae", "plane"]
MODULES = ["train", "sweep"]
INTERNALS = ["_gaussian", "_units", "_nn", "_validation", "_runtime"]


def _automodule(name: str, members: list[str] | None = None, no_index: bool = False) -> list[str]:
    lines = ["```{eval-rst}", f".. automodule:: {name}"]
    if members is not None:
        lines.append(f"   :members: {', '.join(members)}" if members else "   :no-members:")
    if no_index:
        lines.append("   :no-index:")
    return lines + ["```", ""]


def _stage_api() -> None:
    """Write docs/_api/: one page per subpackage (its public names), its modules, the internals."""
    import importlib
    import pkgutil
    out = DOCS / "_api"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    pages = ["infoplane"] + SUBPACKAGES + MODULES + ["internals"]
    (out / "index.md").write_text("\n".join([
        "# API reference", "",
        "Generated from the docstrings (numpydoc style), one page per subpackage, its public names",
        "documented where you import them from (`from infoplane.info import evaluate`). Layers",
        "(`DESIGN.md`): 0 the private helpers (internals); 1 `info`, `estimators`, `metrics`, `data`;",
        "2 `bottleneck`, `inn`, `bibae`; 3 `train`, `plane`, `sweep`; 4 the `infoplane` command.", "",
        "```{toctree}", ":maxdepth: 1", "", *pages, "```", ""]), encoding="utf-8")
    (out / "infoplane.md").write_text("\n".join(["# `infoplane`", "", *_automodule("infoplane")]),
                                      encoding="utf-8")
    for name in MODULES:
        (out / f"{name}.md").write_text("\n".join([f"# `infoplane.{name}`", "",
                                                   *_automodule(f"infoplane.{name}")]), encoding="utf-8")
    for name in SUBPACKAGES:
        package = importlib.import_module(f"infoplane.{name}")
        exported = set(package.__all__)
        lines = [f"# `infoplane.{name}`", "", *_automodule(package.__name__), "## Modules", ""]
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            modname = f"{package.__name__}.{info.name}"
            module = importlib.import_module(modname)
            public = getattr(module, "__all__", None)
            if public is None:                     # no __all__: the public names it defines
                public = [n for n, v in vars(module).items() if not n.startswith("_")
                          and getattr(v, "__module__", None) == modname and callable(v)]
            # documented here: names the package does not re-export, and data (a re-exported
            # constant cannot be documented on the package page: autodoc finds no source for it)
            rest = [n for n in public if getattr(package, n, None) is not getattr(module, n)
                    or not (callable(getattr(module, n)) or isinstance(getattr(module, n), types.ModuleType))]
            # e.g. the function metrics.mmd beside the module metrics.mmd: one name, two objects
            clash = info.name in exported and getattr(package, info.name) is not module
            lines += [f"### `{modname}`", "", *_automodule(modname, rest, no_index=clash)]
        (out / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    lines = ["# Internals (layer 0)", "",
             "Shared helpers of every layer: not part of the public API, documented because the",
             "public docstrings refer to them.", ""]
    for name in INTERNALS:
        lines += [f"## `infoplane.{name}`", "", *_automodule(f"infoplane.{name}")]
    (out / "internals.md").write_text("\n".join(lines), encoding="utf-8")


_stage_api()


@functools.cache
def _import_path(path: str) -> object | None:
    """The object a dotted path names (a module, or an attribute of one), or None."""
    import importlib
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        if not name.startswith("infoplane"):
            return None
        try:
            obj = importlib.import_module(name)
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


@functools.cache
def _documented_names(path: str) -> tuple[str, ...]:
    """Where the object ``path`` names may be documented: its defining module, or a re-export."""
    obj = _import_path(path)
    if obj is None:
        return ()
    names = [path]
    if getattr(obj, "__module__", None) and getattr(obj, "__qualname__", None):
        names.append(f"{obj.__module__}.{obj.__qualname__}")
    elif not isinstance(obj, types.ModuleType):          # a constant: the module that defines it
        last = path.rsplit(".", 1)[-1]
        names += [f"{m}.{last}" for m, module in list(sys.modules.items())
                  if m.startswith("infoplane") and module is not None and vars(module).get(last) is obj]
    for dotted in names[:2]:
        parts = dotted.split(".")
        for cut in range(len(parts) - 2, 0, -1):   # pkg.module.name -> pkg.name
            alias = ".".join(parts[:cut] + parts[-1:])
            if _import_path(alias) is obj:
                names.append(alias)
    return tuple(names)


_EXTERNAL = {"torch", "numpy", "np", "scipy", "matplotlib", "sklearn", "typing", "collections", "os",
             "pathlib", "sympy", "builtins", "int", "float", "str", "bool", "dict", "list", "tuple", "None"}


def _resolve_same_object(app, env, node, contnode):  # noqa: ANN001, ANN202 (a Sphinx event handler)
    """Resolve a reference to an infoplane object through any name that object is documented under.

    The API pages document a subpackage's public names where users import them
    (``infoplane.estimators.estimate_layer``); docstrings may name the defining module
    (``infoplane.estimators.layer.estimate_layer``) or, inside that module, the short name
    (``estimate_layer``). Only the very same Python object resolves: a name that does not
    exist still fails the build.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip("~.")
    if target.split(".")[0] in _EXTERNAL:
        return None
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates += ([f"{module}.{cls}.{target}"] if cls else []) + [f"{module}.{target}"]
        parts = module.split(".")
        # a parent package (a module docstring naming a sibling's export) ...
        candidates += [f"{'.'.join(parts[:cut])}.{target}" for cut in range(len(parts) - 1, 0, -1)]
        # ... or one of the package's modules (a re-exported docstring naming its own module's name)
        candidates += sorted(f"{name}.{target}" for name in list(sys.modules)
                             if name.startswith(module + ".") and name.count(".") == module.count(".") + 1)
    domain = env.get_domain("py")
    for candidate in candidates:
        if not candidate.startswith("infoplane"):
            continue
        for name in _documented_names(candidate):
            if name in domain.objects or name in domain.modules:
                node["reftarget"] = name
                return domain.resolve_xref(env, node.get("refdoc", ""), app.builder, node["reftype"], name,
                                           node, contnode)
    return None


KNOWN_WARNINGS = DOCS / "known_warnings.txt"


class _KnownWarnings:
    """Let through (not count) the warnings listed in docs/known_warnings.txt; any other fails -W.

    The list holds docstring problems of modules whose owners have not fixed them yet, one
    ``path | message`` per line; each is printed as ``known warning: ...``. Delete a line
    once its docstring is fixed; ``SITE_STRICT=1`` ignores the list.
    """

    def __init__(self) -> None:
        self.known: set[str] = set()
        if KNOWN_WARNINGS.exists() and os.environ.get("SITE_STRICT", "0") != "1":
            self.known = {line.strip() for line in KNOWN_WARNINGS.read_text(encoding="utf-8").splitlines()
                          if line.strip() and not line.startswith("#")}
        self.seen: list[str] = []

    @staticmethod
    def key(record) -> str:  # noqa: ANN001
        from sphinx.util.logging import get_node_location
        try:
            message = str(record.msg) % record.args if record.args else str(record.msg)
        except (TypeError, ValueError):
            message = str(record.msg)
        location = getattr(record, "location", None)
        if location is not None and not isinstance(location, str) and not isinstance(location, tuple):
            location = get_node_location(location)
        elif isinstance(location, tuple):
            location = str(location[0])
        location = str(location or "")
        location = location.split(":docstring of")[0].split(":")[0].replace(str(ROOT) + os.sep, "")
        message = message.split("\n")[0].replace(str(ROOT) + os.sep, "")
        return f"{location} | {message}"

    def filter(self, record) -> bool:  # noqa: ANN001
        key = self.key(record)
        if os.environ.get("SITE_LIST_WARNINGS"):        # write every warning's key (to update the list)
            with open(os.environ["SITE_LIST_WARNINGS"], "a", encoding="utf-8") as f:
                f.write(key + "\n")
        if key in self.known:
            self.seen.append(key)
            return False
        return True


def setup(app):  # noqa: ANN001, ANN201
    app.connect("missing-reference", _resolve_same_object)
    known = _KnownWarnings()
    import logging
    for handler in logging.getLogger("sphinx").handlers:
        if type(handler).__name__ == "WarningStreamHandler":
            handler.filters.insert(0, known)

    def report(app, exception) -> None:  # noqa: ANN001
        if known.seen:
            print(f"{len(known.seen)} known warnings let through (docs/known_warnings.txt):")
            for key in sorted(set(known.seen)):
                print(f"  known warning: {key}")

    app.connect("build-finished", report)
    return {"parallel_read_safe": True}
