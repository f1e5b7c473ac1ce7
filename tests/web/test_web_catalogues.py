"""The Ukrainian catalogues cover every text the templates show, and the parts' catalogues never contradict."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from quartermaster.web.i18n import LOCALES_DIR, translations
from quartermaster.web.refusals import every_explanation
from quartermaster.web.templating import TEMPLATES

WEB = TEMPLATES.parent

# ``_("...")`` / ``_('...')`` and the singular of ``ngettext("...", "...", n)`` in a template.
GETTEXT = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# Texts written the same in both languages (abbreviations Ukrainian procurement uses as they are).
SAME_IN_BOTH = {"API", "NSN"}
NGETTEXT = re.compile(r"""\bngettext\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)\"""")


def _template_texts() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for page in sorted(TEMPLATES.rglob("*.html")):
        source = page.read_text(encoding="utf-8")
        name = str(page.relative_to(TEMPLATES))
        for a, b in GETTEXT.findall(source):
            used.setdefault(a or b, set()).add(name)
        for singular, _plural in NGETTEXT.findall(source):
            used.setdefault(singular, set()).add(name)
    return used


def test_every_template_text_has_a_ukrainian_translation() -> None:
    used = _template_texts()
    uk = translations("uk")

    missing = sorted(
        f"{text!r} in {', '.join(sorted(pages))}"
        for text, pages in used.items()
        if uk.gettext(text) == text and text not in SAME_IN_BOTH
    )

    assert len(used) > 200
    assert missing == []


def test_no_two_catalogues_translate_a_text_differently() -> None:
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for path in sorted((LOCALES_DIR / "uk" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as source:
            catalog = read_po(source, locale="uk")
        for message in catalog:
            if not message.id or not message.string:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            text = message.string if isinstance(message.string, str) else message.string[0]
            if key in seen and seen[key][1] != text:
                conflicts.append(f"{key!r}: {seen[key][0]} says {seen[key][1]!r}, {path.name} says {text!r}")
            seen.setdefault(key, (path.name, text))

    assert conflicts == []


def test_placeholders_survive_translation() -> None:
    placeholder = re.compile(r"%\((\w+)\)s")
    broken = []
    for path in sorted(Path(LOCALES_DIR / "uk" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as source:
            catalog = read_po(source, locale="uk")
        for message in catalog:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(placeholder.findall(ids[0])) if ids[0] else set()
            for text in strings:
                if text and set(placeholder.findall(text)) != wanted:
                    broken.append(f"{path.name}: {ids[0]!r} -> {text!r}")

    assert broken == []


def _page_texts() -> dict[str, set[str]]:
    """The English texts the parts pass to the shared 403, 404 and refusal pages (``web.refusals``): the heading and
    message of ``denied``/``not_found`` calls, the text of every ``Link`` and a ``message`` chosen before the call."""
    used: dict[str, set[str]] = {}
    for module in sorted(WEB.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            texts: list[ast.expr] = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in ("denied", "not_found", "refused"):
                    texts += [k.value for k in node.keywords if k.arg in ("heading", "message")]
                elif node.func.id == "Link" and len(node.args) == 2:
                    texts.append(node.args[1])
            elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["message"]:
                texts.append(node.value)
            for text in texts:
                if isinstance(text, ast.Constant) and isinstance(text.value, str):
                    used.setdefault(text.value, set()).add(module.name)
    return used


def test_every_refusal_explanation_and_shared_page_text_has_a_ukrainian_translation() -> None:
    uk = translations("uk")
    pages = _page_texts()

    missing = sorted(text for text in every_explanation() if uk.gettext(text) == text)
    missing += sorted(
        f"{text!r} in {', '.join(sorted(where))}" for text, where in pages.items() if uk.gettext(text) == text
    )

    assert len(pages) > 15
    assert "Your organization has no contract at this address." in pages
    assert missing == []
