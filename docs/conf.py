"""Sphinx configuration of minigrad's documentation site.

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html     # then open docs/_build/html/index.html

-W makes every warning an error (a broken link or cross-reference, a docstring autodoc
cannot read, an example that raises). The example gallery (docs/auto_examples/, generated)
is built by sphinx-gallery from examples/*.py: each script is executed, its printed output
and its figures are put on its page, and a Jupyter notebook is made from it.
"""
import os
import pathlib
import shutil
import sys
import time
import warnings

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))          # the checkout's minigrad, even when it is not installed
os.environ.setdefault("MPLBACKEND", "Agg")
# sphinx-gallery's link finder reads attributes of the examples' variables, `.grad` of
# non-leaf tensors included, which warns (as torch does); the examples' own warnings still show.
warnings.filterwarnings("ignore", message="The .grad attribute of a Tensor that is not a leaf",
                        module="sphinx_gallery.backreferences")

import minigrad  # noqa: E402  (after the path is set)

project = "minigrad"
author = "the minigrad authors"
copyright = "2026, the minigrad authors"
release = version = getattr(minigrad, "__version__", "")

extensions = [
    "myst_parser",                      # the Markdown pages in docs/
    "sphinx.ext.autodoc",               # the API reference, from the docstrings
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",       # examples/*.py -> executed pages and notebooks
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
html_static_path = ["_static"]
html_css_files = ["minigrad.css"]
html_theme = "furo"
html_title = "minigrad"
html_theme_options = {"navigation_with_keys": True}
pygments_style = "friendly"
pygments_dark_style = "monokai"

# Broken cross-references are errors (with -W): every `ref`, every link between pages.
nitpicky = True
myst_heading_anchors = 3                # [text](#a-heading) links inside the Markdown pages
myst_enable_extensions = ["dollarmath"]
suppress_warnings = [
    "myst.header",                      # the Markdown pages start at a level-1 title, then may skip to ###
    "config.cache",                     # sphinx_gallery_conf holds the scraper and sort key below (not picklable)
]

# ---- the API reference -----------------------------------------------------------------------
# The docstrings are plain text that states the math (d loss / d x = ..., sums, |x|), not
# reStructuredText: read as RST, their *, |, ` and indentation would be mangled and warned
# about. Each one is shown verbatim, as a literal block, exactly as help() prints it.
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"              # the signature shows the defaults; the docstring says the types
autodoc_inherit_docstrings = False      # a method without its own docstring shows none (not its base's)
add_module_names = False


def literal_docstring(app, what, name, obj, options, lines):
    """Turn a plain-text docstring into one literal block (its text unchanged, no highlighting)."""
    if not any(line.strip() for line in lines):
        lines[:] = []
        return
    while lines and not lines[-1].strip():
        lines.pop()
    lines[:] = [".. code-block:: text", "   :class: docstring", ""] + \
        ["   " + line if line.strip() else "" for line in lines] + [""]


# ---- the gallery -------------------------------------------------------------------------------
# Scripts that draw write image files (the lessons' plots with a file argument, the graph
# pictures of mg.viz.draw_graph). The scraper below puts each image a code cell wrote on the
# page under that cell, and moves it out of examples/ so that the checkout stays clean.
BUILD_STARTED = time.time()
IMAGE_SUFFIXES = (".png", ".svg")


class WrittenImages:
    """sphinx-gallery image scraper: the image files an example wrote into its directory."""

    def __repr__(self):                 # sphinx-gallery caches the configuration by its repr
        return "WrittenImages"

    def __call__(self, block, block_vars, gallery_conf):
        from sphinx_gallery.scrapers import figure_rst
        folder = pathlib.Path(block_vars["src_file"]).parent
        written = sorted((p for p in folder.iterdir()
                          if p.suffix in IMAGE_SUFFIXES and p.stat().st_mtime >= BUILD_STARTED),
                         key=lambda p: p.stat().st_mtime)
        shown = []
        for path, target in zip(written, block_vars["image_path_iterator"]):
            target = pathlib.Path(target).with_suffix(path.suffix)
            shutil.move(str(path), target)
            shown.append(str(target))
        return figure_rst(shown, gallery_conf["src_dir"])


def example_argv(gallery_conf, script_vars):
    """Command-line arguments of an example in the gallery: the lessons that draw their plots
    only when given a file name get one (their plain `python examples/NAME.py` draws none)."""
    name = pathlib.Path(script_vars["src_file"]).stem
    if name[:2] in {"01", "02", "03", "04", "05", "09"}:
        return [f"{name}.png"]
    return []


class ReadingOrder:
    """Gallery order: autograd by hand first, then the numbered lessons, then the rest."""

    FIRST = ("autograd_by_hand.py",)

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __repr__(self):
        return "ReadingOrder"

    def __call__(self, filename):
        return (filename not in self.FIRST, not filename[:2].isdigit(), filename)


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",     # execute every example, not only plot_*.py
    "within_subsection_order": ReadingOrder,
    "image_scrapers": ("matplotlib", WrittenImages()),
    "reset_argv": example_argv,
    "download_all_examples": False,
    "write_computation_times": False,   # no sg_execution_times page in the source tree
    "remove_config_comments": True,
    "capture_repr": (),                 # only what the scripts print, as `python NAME.py` shows
    "min_reported_time": 1,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,  # an example that raises fails the build
    "show_memory": False,
    "matplotlib_animations": False,
}


def setup(app):
    app.connect("autodoc-process-docstring", literal_docstring)
