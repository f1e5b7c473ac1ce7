"""Helpers for the browser tests: the record of what a page should not have done, and the accessibility audit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The message Chromium logs for any response >= 400 (a refused form, a wrong password): not a script error.
HTTP_ERROR = re.compile(r"^Failed to load resource: the server responded with a status of \d{3}")

# Every form control a person fills in needs a name a screen reader can read out; images need alt text; visible text
# has the contrast WCAG 2.1 AA asks against its effective background.
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
    const text = el.innerText || el.textContent || el.value;  // textContent: a button folded in a closed <details>
    const name = (text || el.getAttribute('aria-label') || el.getAttribute('title') || '').trim();
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
  problems.push(...contrastProblems());
  return problems;

  // WCAG 2.1 AA, 1.4.3: visible text against its effective background, at least 4.5:1 (3:1 for large text:
  // >= 24px, or >= 18.66px and bold). The background is found by walking up the ancestors and blending their
  // background colours (semi-transparent layers included) over the white canvas.
  function rgba(value) {
    const m = /rgba?\\(([^)]+)\\)/.exec(value || '');
    if (!m) return null;
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  }
  function over(top, bottom) {
    const a = top.a + bottom.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (t, b) => (t * top.a + b * bottom.a * (1 - top.a)) / a;
    return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a };
  }
  function luminance(c) {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  }
  function ratio(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }
  function background(el) {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage && style.backgroundImage !== 'none') return null;  // an image: not decidable here
      const colour = rgba(style.backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };  // the canvas
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  }
  function shown(el) {
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || style.display === 'none' || Number(style.opacity) === 0) return false;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) return false;  // visually hidden text (read out, never seen)
    if (box.right <= 0 || box.bottom <= 0) return false;  // parked off-screen (the skip link until focused)
    const clipped = /rect\\(0(px)?,? 0(px)?,? 0(px)?,? 0(px)?\\)/;
    if (style.clip && style.clip !== 'auto' && clipped.test(style.clip)) return false;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (Number(getComputedStyle(node).opacity) === 0) return false;
    }
    return true;
  }
  function contrastProblems() {
    const out = [];
    const seen = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const candidates = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeValue.trim() && node.parentElement) candidates.push(node.parentElement);
    }
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const typed = !['hidden', 'checkbox', 'radio', 'image', 'file'].includes(el.type);
      if (typed && (el.value || '').trim()) candidates.push(el);
    }
    for (const el of candidates) {
      if (seen.has(el)) continue;
      seen.add(el);
      if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TITLE', 'OPTION'].includes(el.tagName) || el.closest('[disabled]')) continue;
      if (el.closest('svg title')) continue;  // a tooltip, not text on the page
      if (!shown(el)) continue;
      const style = getComputedStyle(el);
      const inSvg = el instanceof SVGElement;
      const fg = rgba(inSvg ? style.fill : style.color);
      const bg = background(inSvg ? el.closest('svg').parentElement : el);
      if (!fg || !bg) continue;
      const text = over(fg, bg);
      const size = parseFloat(style.fontSize);
      const bold = Number(style.fontWeight) >= 700 || style.fontWeight === 'bold';
      const large = size >= 24 || (size >= 18.66 && bold);
      const needed = large ? 3 : 4.5;
      const got = ratio(text, bg);
      if (got + 1e-9 < needed) {
        const rgb = (c) => `rgb(${Math.round(c.r)}, ${Math.round(c.g)}, ${Math.round(c.b)})`;
        const words = (inSvg ? el.textContent : (el.innerText || el.value || '')).trim().slice(0, 40);
        out.push(`contrast ${got.toFixed(2)}:1 < ${needed}:1 for "${words}" (${rgb(text)} on ${rgb(bg)}, `
          + `${size}px${bold ? ' bold' : ''}): ` + el.outerHTML.slice(0, 80));
      }
    }
    return out;
  }
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
