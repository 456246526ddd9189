"""Read-only, syntax-highlighted YAML (or diff) text in a Static; highlighting imported lazily."""

from __future__ import annotations

from textual.widgets import Static


class CodeView(Static):
    """Shows `text` highlighted as `language`; keeps the raw text for tests and copying."""

    DEFAULT_CSS = """
    CodeView { width: auto; min-width: 100%; padding: 0 1; }
    """

    def __init__(self, text: str = "", *, language: str = "yaml", **kwargs) -> None:
        super().__init__("", **kwargs)
        self.language = language
        self.text = ""
        if text:
            self.set_text(text)

    def set_text(self, text: str) -> None:
        if text == self.text and self.text:
            return
        self.text = text
        if not text:
            self.update("")
            return
        from textual.highlight import highlight

        self.update(highlight(text, language=self.language))
