"""The website's Binder and Colab buttons open the chapter's reader's edition, in the page's language.

sphinx-book-theme points both buttons at the source notebook (``book/NN.ipynb``), whose MyST
prose JupyterLab and Colab show as markup.  This extension, run after the theme's
``add_launch_buttons``, points them at the reader's edition instead (``python -m cnnbook.reader``):

* **Binder** opens ``_build/notebooks/<lang>/NN.ipynb``, which ``postBuild`` writes into the image
  (the ``lab`` flavour, for JupyterLab with jupyterlab-myst, both pinned in requirements.txt);
* **Colab** opens ``notebooks/<lang>/NN.ipynb`` from the branch the website is published on
  (``reader_pages_branch``, default ``gh-pages``), which ``tools/build_book.sh`` writes into
  ``_build/html/notebooks/`` (the ``portable`` flavour: plain Markdown, since Colab has no
  jupyterlab-myst).

``<lang>`` is ``ja`` on the Japanese site, ``en`` otherwise.  tests/site/test_launch_buttons.py
checks the built pages.
"""

import re

_BLOB = re.compile(r"/blob/[^/]+/.*$")


def _lang(app):
    return "ja" if (app.config.language or "en").startswith("ja") else "en"


def retarget(app, pagename, templatename, context, doctree):
    stem = pagename.rsplit("/", 1)[-1]
    lang = _lang(app)
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if button.get("text") == "Binder" and "?urlpath=" in url:
                head, _, urlpath = url.partition("?urlpath=")
                ui = "lab/tree" if urlpath.startswith("lab/tree/") else urlpath.split("/")[0]
                button["url"] = f"{head}?urlpath={ui}/_build/notebooks/{lang}/{stem}.ipynb"
            elif button.get("text") == "Colab" and _BLOB.search(url):
                branch = app.config.reader_pages_branch
                button["url"] = _BLOB.sub(f"/blob/{branch}/notebooks/{lang}/{stem}.ipynb", url)


def setup(app):
    app.add_config_value("reader_pages_branch", "gh-pages", "html")
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", retarget, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
