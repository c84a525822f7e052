"""cnnbook: what builds and checks the CNN book, apart from what a reader imports.

A chapter imports ``cnnlib`` (layers, models, datasets, training, plotting,
exercise checks, ``claim`` and the notebook setup), and ``pip install`` of
cnnlib is all a hosted runtime needs to run one.  The book's own tooling lives
here, with its own dependencies (``tools/pyproject.toml``), installed into the
project's ``.venv`` by ``scripts/setup.sh``:

* :mod:`cnnbook.classroom`: ``python -m cnnbook.classroom student-edition OUTDIR``
  writes the student edition (answers replaced by stubs) or, with
  ``--format nbgrader``, an nbgrader course (book/teachers.md).
"""

__version__ = "1.0.0"
