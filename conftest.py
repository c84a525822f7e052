"""pytest loads the book's session hooks (nbval's chapter order, the status page's record) from tools/."""

pytest_plugins = ["tools.pytest_book"]
