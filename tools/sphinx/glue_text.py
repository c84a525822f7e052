"""Show glued strings without their Python quotes.

``cnnlib.claim`` glues each measured figure as a string ('97.8%'); myst-nb pastes
a glued value's text/plain, which for a string is its repr, quotes included.
This transform strips the quotes of pasted inline strings, so the prose reads
"reaches 97.8%" while the notebook keeps the repr that nbval's sanitizer masks.
"""

import re

from docutils import nodes

# straight quotes, or the curly ones docutils' smart-quotes transform made of them
_QUOTED = re.compile(r"""^(?:'(.*)'|"(.*)"|\u2018(.*)\u2019|\u201c(.*)\u201d)$""", re.DOTALL)


def _strip_quotes(app, doctree):
    for node in list(doctree.findall(nodes.inline)):
        classes = node.get("classes", [])
        # {glue:text} gives class "pasted-text"; {glue:} renders text/plain inline as "text_plain"
        if not any(c.startswith("pasted") or c == "text_plain" for c in classes):
            continue
        for text in list(node.findall(nodes.Text)):
            m = _QUOTED.match(text.astext())
            if m:
                inner = next(g for g in m.groups() if g is not None)
                text.parent.replace(text, nodes.Text(inner))


def setup(app):
    app.connect("doctree-read", _strip_quotes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
