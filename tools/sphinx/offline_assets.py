"""Keep the built book free of CDN assets.

Jupyter Book 1 registers *every* ``*.js`` and ``*.css`` file found under
``_static/`` as a page asset (see ``jupyter_book/config.py``).  MathJax lives
in ``_static/mathjax/`` (installed by ``tools/fetch_mathjax.sh``) and must be
loaded only once, through ``mathjax_path``; MathJax then loads its own
components from that folder.  This extension drops the auto-registered
``mathjax/...`` entries again.

(Other CDN defaults are switched off in ``_config.yml``.)
"""

from sphinx.application import Sphinx
from sphinx.config import Config

VENDORED_PREFIXES = ("mathjax/",)


def _asset_name(entry):
    # html_js_files / html_css_files entries are "name" or ("name", {attrs}).
    return entry[0] if isinstance(entry, (tuple, list)) else entry


def _drop_vendored(app: Sphinx, config: Config) -> None:
    for key in ("html_js_files", "html_css_files"):
        entries = getattr(config, key, None) or []
        kept = [e for e in entries if not _asset_name(e).startswith(VENDORED_PREFIXES)]
        setattr(config, key, kept)


def setup(app: Sphinx):
    app.connect("config-inited", _drop_vendored)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
