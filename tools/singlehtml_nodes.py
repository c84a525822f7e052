"""Sphinx extension for the single-page build of tools/build_pdf.sh (not the website's build).

Sphinx looks up the visitors of custom nodes by builder name first and falls back to the
format ("html") only when no extension registered any node for that builder name.
sphinx-exercise registers its nodes for "singlehtml", so the nodes that myst-nb registers
for "html" only (HideCodeCellNode: cells tagged hide-input) had no visitor and the
singlehtml build stopped.  This gives the singlehtml builder every "html" visitor that it
does not have itself.
"""


def _share_html_visitors(app):
    handlers = app.registry.translation_handlers
    name = app.builder.name
    if name != "html" and app.builder.format == "html" and name in handlers:
        for node, visitors in handlers.get("html", {}).items():
            handlers[name].setdefault(node, visitors)


def setup(app):
    app.connect("builder-inited", _share_html_visitors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
