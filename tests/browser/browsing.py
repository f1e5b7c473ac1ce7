"""Helpers for the browser tests: the record of what a page should not have done, and the accessibility audit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The message Chromium logs for any response >= 400 (a refused form, a wrong password): not a script error.
HTTP_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of \d{3}")

# Every form control a person fills in needs a name a screen reader can read out; images need alt text.
AUDIT_SCRIPT = """() => {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang) problems.push('html has no lang');
  if (!document.title.trim()) problems.push('page has no title');
  if (document.querySelectorAll('main').length !== 1) problems.push('page needs exactly one <main>');
  if (document.querySelectorAll('h1').length !== 1) problems.push('page needs exactly one <h1>');
  const describe = (el) => el.outerHTML.slice(0, 120);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
    const named = el.labels.length > 0 || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push('control without a label: ' + describe(el));
  }
  for (const el of document.querySelectorAll('button, input[type=submit], a[href]')) {
    const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.getAttribute('title') || '').trim();
    const img = el.querySelector && el.querySelector('img[alt]:not([alt=""])');
    if (!name && !img) problems.push('control without an accessible name: ' + describe(el));
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push('image without alt: ' + describe(img));
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) {
    if (ids[el.id]) problems.push('duplicate id: ' + el.id);
    ids[el.id] = true;
  }
  return problems;
}"""


@dataclass
class Watch:
    """What the pages of one test did that they should not have."""

    base_url: str
    offsite: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    http_errors_allowed: bool = False

    def allow_http_errors(self) -> None:
        """This test expects refusals (4xx): Chromium's 'Failed to load resource' console lines are fine."""
        self.http_errors_allowed = True

    def unexpected(self) -> list[str]:
        """Everything that should fail the test."""
        console = [m for m in self.console_errors if not (self.http_errors_allowed and HTTP_ERROR.match(m))]
        return [f"off-site request: {u}" for u in self.offsite] + self.script_errors + console
