"""Exercises in the reader's language (sphinx-exercise on the Japanese edition).

1. The title of an exercise (the argument of ``{exercise}``) becomes a gettext message
   of its page, like a paragraph: sphinx-exercise builds it as a subtitle node with no
   source and no raw text, which Sphinx's gettext builder skips and its Locale transform
   never translates.  The directive below is sphinx-exercise's own, plus the source, line
   and raw text of that node, so ``tools/update_translations.py`` extracts the title into
   the page's catalog and the Japanese build swaps in its translation.  Solutions repeat
   their exercise's title from sphinx-exercise's registry (a copy made before any
   translation), so the copy is refreshed once the page is translated.

2. sphinx-exercise's own words: its Japanese catalog says 練習 and 解答; the book's word
   for "exercise" is 演習 (the termbase, book/glossary.md), so :data:`WORDS` is put in
   front of that catalog before sphinx-exercise builds its numbering format
   ("演習 %s", also the text of every ``{ref}`` to an exercise).

3. Japanese word order: a box reads "演習 12 タイトル" (the way Sphinx captions a figure,
   "図 1 caption"), not "演習 12 (title)", and a solution "演習 12「タイトル」の解答", not
   "解答 演習 12 (title)" (the link still goes to the exercise).

English pages are left exactly as sphinx-exercise makes them (only the title's node
gains a source, which no writer prints).
"""

from __future__ import annotations

import gettext

from docutils import nodes
from sphinx import locale
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

from sphinx_exercise.directive import ExerciseDirective, ExerciseStartDirective
from sphinx_exercise.nodes import (
    exercise_enumerable_node,
    exercise_node,
    exercise_subtitle,
    exercise_title,
    solution_node,
)
from sphinx_exercise.post_transforms import build_reference_node
from sphinx_exercise.utils import get_node_number

# sphinx-exercise's messages (its catalog "exercise"), per language: the book's terms.
WORDS = {
    "ja": {"Exercise": "演習", "Solution to": "解答", "Solution": "解答"},
}
# How a language arranges an exercise's title around its number, and a solution's title.
LAYOUT = {
    "ja": {"quote": ("「", "」"), "solution": "{exercise}の解答"},
}


def _language(config) -> str:
    return (config.language or "en").split("_")[0]


class Words(gettext.NullTranslations):
    """``words`` first, then the catalog it stands in front of."""

    def __init__(self, words: dict[str, str], fallback=None):
        super().__init__()
        self.words = dict(words)
        if fallback is not None:
            self.add_fallback(fallback)

    def gettext(self, message: str) -> str:
        if message in self.words:
            return self.words[message]
        return super().gettext(message)


def install_words(language: str) -> bool:
    """Put the book's words for ``language`` in front of sphinx-exercise's catalog."""
    words = WORDS.get(language)
    if not words:
        return False
    key = ("general", "exercise")
    current = locale.translators.get(key)
    if isinstance(current, Words):
        current.words.update(words)
    else:
        locale.translators[key] = Words(words, current)
    return True


def _config_inited(app: Sphinx, config) -> None:
    install_words(_language(config))


# --------------------------------------------------------------------------
# 1. the title as a message


class _TranslatableTitle:
    """Mixed into sphinx-exercise's directives: the title argument becomes a translatable message."""

    def run(self):
        result = super().run()
        if self.arguments:
            source, line = self.state_machine.get_source_and_line(self.lineno)
            for node in result:
                for subtitle in node.findall(exercise_subtitle):
                    subtitle.rawsource = self.arguments[0]
                    subtitle.source, subtitle.line = source, line
        return result


class TranslatableExerciseDirective(_TranslatableTitle, ExerciseDirective):
    """sphinx-exercise's ``{exercise}``, its title a translatable message."""


class TranslatableExerciseStartDirective(_TranslatableTitle, ExerciseStartDirective):
    """sphinx-exercise's gated ``{exercise-start}``, its title a translatable message."""


class KeepTitlesForGettext(SphinxPostTransform):
    """For the gettext builder: the title stays a node of its own, so it is extracted.

    The gettext builder reads the page after the post-transforms, and sphinx-exercise's
    ResolveTitlesInExercises (20) melts the title's node into the box's heading; a box
    whose heading is a plain title is left alone by it (nothing is rendered here)."""

    default_priority = 19
    builders = ("gettext",)

    def run(self, **kwargs) -> None:
        for node in self.document.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
            title = node.children[0] if node.children else None
            if isinstance(title, exercise_title):
                plain = nodes.title()
                children = list(title.children)  # moved, not copied: gettext needs their uid
                for child in children:
                    title.remove(child)
                plain += children
                node.replace(title, plain)


class RefreshExerciseRegistry(SphinxTransform):
    """After the Locale transform (20): the registry's copy of each exercise of this page,
    from which sphinx-exercise titles its solutions, is the translated node."""

    default_priority = 25

    def apply(self, **kwargs) -> None:
        if _language(self.config) == "en":
            return
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
            entry = registry.get(node.get("label"))
            if entry is not None and entry.get("docname") == self.env.docname:
                entry["node"] = node.deepcopy()


# --------------------------------------------------------------------------
# 3. word order


def _subtitle_children(exercise) -> list[nodes.Node]:
    """Copies of the (translated) title's nodes of an exercise from the registry, or []."""
    title = exercise.children[0] if exercise.children else None
    if title is None:
        return []
    for child in title.children:
        if isinstance(child, exercise_subtitle):
            return [c.deepcopy() for c in child.children]
    return []


class ExerciseTitlesInWordOrder(SphinxPostTransform):
    """A box's title without the English parentheses: "演習 12 タイトル"."""

    default_priority = 21  # after sphinx-exercise's ResolveTitlesInExercises (20)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        if _language(self.config) not in LAYOUT:
            return
        for node in self.document.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
            title = node.children[0] if node.children else None
            if not isinstance(title, nodes.title):
                continue
            texts = [c for c in title.children if isinstance(c, nodes.Text)]
            # sphinx-exercise: [word,] " (", <title's nodes>, ")"
            opening = next((t for t in texts if t.astext() == " ("), None)
            if opening is None or not texts or texts[-1].astext() != ")" or title.children[-1] is not texts[-1]:
                continue
            index = title.index(opening)
            title.remove(texts[-1])
            if index == 0:  # numbered: the number is written before the title ("演習 12 ")
                title.remove(opening)
            else:  # not numbered: "演習" + " " + title
                title.replace(opening, nodes.Text(" "))


class SolutionTitlesInWordOrder(SphinxPostTransform):
    """A solution's title as the language puts it: "演習 12「タイトル」の解答", the link on the exercise."""

    default_priority = 23  # after ResolveTitlesInSolutions (21) and ResolveLinkTextToSolutions (22)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        layout = LAYOUT.get(_language(self.config))
        if layout is None:
            return
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(solution_node):
            entry = registry.get(node.get("target_label"))
            if entry is None or not node.children or not isinstance(node.children[0], nodes.title):
                continue
            exercise = entry["node"]
            name = WORDS[_language(self.config)]["Exercise"]
            if isinstance(exercise, exercise_enumerable_node):
                name = self.config.numfig_format["exercise"] % get_node_number(self.app, exercise, "exercise")
            link = build_reference_node(self.app, exercise)
            link += nodes.Text(name)
            subtitle = _subtitle_children(exercise)
            if subtitle:
                link += nodes.Text(layout["quote"][0])
                link += subtitle
                link += nodes.Text(layout["quote"][1])
            before, _, after = layout["solution"].partition("{exercise}")
            title = nodes.title()
            if before:
                title += nodes.Text(before)
            title += link
            if after:
                title += nodes.Text(after)
            node.children[0] = title
            title.parent = node
            node["title"] = title.astext()
            if node.get("label") in registry:
                registry[node["label"]]["node"] = node


def setup(app: Sphinx):
    app.setup_extension("sphinx_exercise")
    app.add_directive("exercise", TranslatableExerciseDirective, override=True)
    app.add_directive("exercise-start", TranslatableExerciseStartDirective, override=True)
    app.connect("config-inited", _config_inited, priority=400)  # before sphinx-exercise's numfig format (500)
    app.add_transform(RefreshExerciseRegistry)
    app.add_post_transform(KeepTitlesForGettext)
    app.add_post_transform(ExerciseTitlesInWordOrder)
    app.add_post_transform(SolutionTitlesInWordOrder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
