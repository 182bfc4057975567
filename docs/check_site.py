"""Look at the built site as a reader would: render every page in headless Chromium.

``make docs-check`` runs this after ``make docs``. The site is served from
``docs/_build/html`` on a local HTTP server (127.0.0.1, a free port) and opened in the
system's Chromium (Debian packages ``chromium`` and ``chromium-driver``) through
Selenium. Every HTML page of the site is opened, and on each it checks that

* every image has loaded (``complete`` and ``naturalWidth > 0``), the page has at
  least the number of figures it should (:data:`MIN_IMAGES`), no figure file is shown
  twice (figures of one page overwriting each other), and no image is wider than the
  content column;
* where the page has math, MathJax has typeset it (``mjx-container`` elements) with no
  MathJax error boxes;
* the visible text outside code and math has no markup that failed to render: raw LaTeX
  (``\\frac``, ``\\(``, ``$$`` ...), a ``$``, a literal ``**``, a raw ``<tag>``
  (``<H0>`` read as HTML), and no italics longer than a sentence (stray underscores);
* no text mentions the project's internal specification ("SPEC"), which users cannot see;
* code boxes fit: no ``<pre>`` is wider than its box (``scrollWidth > clientWidth``);
* tables fit: no table of a hand-written page is wider than the content column (a cell
  hidden behind a horizontal scroll bar is not read);
* every script and stylesheet comes from the site itself (it must work offline), and
  the browser console reports no failed resource loads or script errors.

It saves a full-page screenshot of every hand-written page (not of the generated API
and source pages, which are checked all the same). Exit code 0 if every check passes,
1 otherwise.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException

#: LaTeX that must not survive typesetting (outside <pre>/<code>)
RAW_LATEX = re.compile(
    r"\\(frac|mathcal|langle|rangle|cot|tan|sqrt|sum|int|theta|Omega|omega|sigma|left|right"
    r"|tag|begin|end|operatorname|Tr|mathrm|tilde|Delta|ge|le|qquad)\b|\\\(|\\\)|\\\[|\\\]|\$\$"
)


#: markup that must not reach the visible text: a raw tag, bold or math delimiters left
#: unrendered, and the name of a document users cannot read
#: (``**kwargs`` of a parameter list is not bold markup)
RAW_MARKUP = re.compile(r"</?[A-Za-z][\w-]*>|\*\*(?![A-Za-z_]\w*\b)|\$|\bSPEC\b")
#: a sentence boundary inside italics: stray underscores that italicised running text
SENTENCE_BREAK = re.compile(r"[.!?:;]\s+[A-Z(]")
#: italics longer than this are running text, not an emphasised phrase or a title
MAX_ITALICS = 120

#: pages that must show at least this many figures
MIN_IMAGES = {
    "index.html": 1,
    "getting-started.html": 1,
    "concepts.html": 4,
    "auto_examples/plot_1_kbody_scaling.html": 2,
    "auto_examples/plot_2_ising_chain.html": 2,
    "auto_examples/plot_3_custom_battery.html": 2,
}
#: directories of generated pages: checked, but not photographed
NO_SCREENSHOT = ("gen_modules/", "_modules/")
#: files that are not pages of the site
SKIP = ("_static/", "_sources/", "_images/", "_downloads/", "plot_directive/")


@dataclass
class Page:
    """A page to open, and what a reader must see on it."""

    path: str
    min_images: int = 0
    screenshot: bool = True


@dataclass
class Report:
    """What the browser showed on one page."""

    page: str
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    math: int = 0
    math_errors: int = 0
    raw_latex: list[str] = field(default_factory=list)
    raw_markup: list[str] = field(default_factory=list)
    long_italics: list[str] = field(default_factory=list)
    wide_images: list[str] = field(default_factory=list)
    overflowing_code: list[str] = field(default_factory=list)
    wide_tables: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    screenshot: str = ""
    problems: list[str] = field(default_factory=list)


def pages(site: Path) -> list[Page]:
    """Every HTML page of the built site, the hand-written ones first."""
    found = sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).as_posix().startswith(SKIP)
    )
    found.sort(key=lambda path: path.startswith(NO_SCREENSHOT))
    return [
        Page(path, MIN_IMAGES.get(path, 0), not path.startswith(NO_SCREENSHOT)) for path in found
    ]


_COLLECT = r"""
const done = arguments[arguments.length - 1];
const settle = () => Promise.all(Array.from(document.images).map(img =>
    img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise : Promise.resolve();
Promise.all([typeset, settle()]).then(() => {
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "KBD", "SAMP", "NOSCRIPT"]);
  // signatures are code: ``**kwargs``, ``= <factory>`` defaults, reprs of constants
  const hidden = el => el.closest("[hidden], .visually-hidden, .sr-only, .headerlink, .sig");
  const visibleText = root => {
    const texts = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode(node) {
        for (let el = node.parentElement; el; el = el.parentElement) {
          if (skip.has(el.tagName) || el.tagName.startsWith("MJX-")) {
            return NodeFilter.FILTER_REJECT;
          }
        }
        if (hidden(node.parentElement)) return NodeFilter.FILTER_REJECT;
        return NodeFilter.FILTER_ACCEPT;
      }
    });
    while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);
    return texts.join(" ");
  };
  const main = document.querySelector("article.bd-article") || document.querySelector("main")
    || document.body;
  const column = main.getBoundingClientRect();
  const italics = Array.from(main.querySelectorAll("em, i"))
    .filter(el => !el.closest("pre, code, .sig, mjx-container") && !el.className.includes("fa"))
    .map(el => el.textContent.replace(/\s+/g, " ").trim());
  const wide = Array.from(main.querySelectorAll("img")).filter(img => {
    const r = img.getBoundingClientRect();
    return r.width > 0 && (r.width > column.width + 1 || r.right > column.right + 1);
  }).map(img => img.getAttribute("src"));
  const overflowing = Array.from(main.querySelectorAll("pre")).filter(
    pre => pre.scrollWidth > pre.clientWidth + 1
  ).map(pre => pre.textContent.split("\n").reduce((a, b) => (b.length > a.length ? b : a), ""));
  const wideTables = Array.from(main.querySelectorAll("table")).filter(table => {
    const r = table.getBoundingClientRect();
    return r.width > column.width + 1 || r.right > column.right + 1;
  }).map(table => (table.querySelector("th, td")?.textContent ?? "").trim().slice(0, 40));
  const here = location.origin;
  const external = [
    ...Array.from(document.querySelectorAll("script[src]")).map(el => el.src),
    ...Array.from(document.querySelectorAll("link[rel~=stylesheet][href]")).map(el => el.href),
  ].filter(url => !url.startsWith(here));
  done({
    images: Array.from(document.images).map(img => ({
      src: img.getAttribute("src"), ok: img.complete && img.naturalWidth > 0,
      width: img.naturalWidth})),
    hasMath: document.querySelectorAll(".math, mjx-container").length > 0,
    math: document.querySelectorAll("mjx-container").length,
    mathErrors: document.querySelectorAll("mjx-merror").length,
    mathjax: Boolean(window.MathJax && MathJax.version),
    text: visibleText(document.body),
    italics: italics,
    wide: wide,
    overflowing: overflowing,
    wideTables: wideTables,
    external: external,
    height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
  });
});
"""


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def browser(chromium: str, chromedriver: str) -> webdriver.Chrome:
    """Headless Chromium with the flags this machine needs (root, no GPU, no network)."""
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(
        service=webdriver.ChromeService(executable_path=chromedriver), options=options
    )


def check_page(driver: webdriver.Chrome, base: str, page: Page, shots: Path) -> Report:
    """Open ``page``, wait for MathJax and the images, collect what a reader sees."""
    report = Report(page.path)
    driver.set_window_size(1280, 900)
    driver.get(base + page.path)
    try:
        seen = driver.execute_async_script(_COLLECT)
    except TimeoutException:
        report.problems.append("timed out waiting for MathJax and images")
        return report
    report.images = len(seen["images"])
    report.broken_images = [img["src"] for img in seen["images"] if not img["ok"]]
    report.math = seen["math"]
    report.math_errors = seen["mathErrors"]
    report.raw_latex = sorted({m.group(0) for m in RAW_LATEX.finditer(seen["text"])})
    report.raw_markup = sorted(
        {_context(seen["text"], m) for m in RAW_MARKUP.finditer(seen["text"])}
    )
    report.long_italics = [
        text[:80] + "..."
        for text in seen["italics"]
        if len(text) > MAX_ITALICS or SENTENCE_BREAK.search(text)
    ]
    report.wide_images = seen["wide"]
    report.overflowing_code = [line[:80] for line in seen["overflowing"]]
    report.wide_tables = seen["wideTables"]
    report.external = seen["external"]
    report.console = [
        entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
    ]
    if page.screenshot:
        driver.set_window_size(1280, min(int(seen["height"]) + 40, 16000))
        name = page.path.replace("/", "__").removesuffix(".html") + ".png"
        driver.save_screenshot(str(shots / name))
        report.screenshot = str(shots / name)

    if report.images < page.min_images:
        report.problems.append(f"{report.images} images, expected at least {page.min_images}")
    if report.broken_images:
        report.problems.append(f"images that did not load: {report.broken_images}")
    figures = [img["src"] for img in seen["images"] if img["width"] > 100]
    repeated = sorted({src for src in figures if figures.count(src) > 1})
    if repeated:
        report.problems.append(f"the same figure shown more than once: {repeated}")
    if seen["hasMath"] and not seen["mathjax"]:
        report.problems.append("MathJax did not load")
    if seen["hasMath"] and report.math == 0:
        report.problems.append("no typeset equations (mjx-container) on a page with math")
    if report.math_errors:
        report.problems.append(f"{report.math_errors} MathJax error boxes (mjx-merror)")
    if report.raw_latex:
        report.problems.append(f"raw LaTeX left in the text: {report.raw_latex}")
    if report.raw_markup:
        report.problems.append(f"raw markup in the text: {report.raw_markup}")
    if report.long_italics:
        report.problems.append(f"italics longer than a sentence: {report.long_italics}")
    if report.wide_images:
        report.problems.append(f"images wider than the content column: {report.wide_images}")
    if report.overflowing_code:
        report.problems.append(f"code boxes that overflow: {report.overflowing_code}")
    if report.wide_tables:
        report.problems.append(f"tables wider than the content column: {report.wide_tables}")
    if report.external:
        report.problems.append(f"scripts or stylesheets from outside the site: {report.external}")
    if report.console:
        report.problems.append(f"browser console errors: {report.console}")
    return report


def _context(text: str, match: re.Match[str], width: int = 30) -> str:
    """The match with a little of the text around it, on one line."""
    start, end = max(match.start() - width, 0), match.end() + width
    return " ".join(text[start:end].split())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. docs/_build/html")
    parser.add_argument("--screenshots", type=Path, default=Path("docs/_build/screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument(
        "--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per page")
    args = parser.parse_args(argv)

    if not (args.site / "index.html").is_file():
        print(f"{args.site}/index.html does not exist; run `make docs` first", file=sys.stderr)
        return 1
    args.screenshots.mkdir(parents=True, exist_ok=True)
    server, base = serve(args.site)
    driver = browser(args.chromium, args.chromedriver)
    driver.set_script_timeout(args.timeout)
    try:
        reports = [check_page(driver, base, page, args.screenshots) for page in pages(args.site)]
    finally:
        driver.quit()
        server.shutdown()

    failed = 0
    for r in reports:
        status = "FAIL" if r.problems else "ok"
        failed += bool(r.problems)
        print(
            f"{status:4}  {r.page}: {r.images} images ({len(r.broken_images)} broken), "
            f"{r.math} typeset equations, {r.math_errors} MathJax errors, "
            f"{len(r.raw_latex) + len(r.raw_markup)} markup hits, {len(r.console)} console errors"
        )
        for problem in r.problems:
            print(f"      - {problem}")
        if r.screenshot:
            print(f"      screenshot: {r.screenshot}")
    (args.screenshots / "report.json").write_text(
        json.dumps([r.__dict__ for r in reports], indent=2)
    )
    print(f"{len(reports) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
