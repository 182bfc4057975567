"""Look at the built site as a reader would: render pages in headless Chromium and check them.

``make docs-check`` runs this after ``make docs``. The site is served from
``docs/_build/html`` on a local HTTP server (127.0.0.1, a free port) and opened in the
system's Chromium (Debian packages ``chromium`` and ``chromium-driver``) through
Selenium. For each page it checks that

* every image has loaded (``complete`` and ``naturalWidth > 0``), the page has at
  least the number of figures it should, and no figure file is shown twice (figures of
  one page overwriting each other);
* MathJax has typeset the equations (``mjx-container`` elements, where the page has
  math) with no MathJax error boxes, and no raw LaTeX (``\\frac``, ``\\langle``, ``\\(``,
  ``$$`` ...) is left in the visible text outside code blocks;
* the browser console reports no failed resource loads or script errors (MathJax is
  served from the site itself, so this also proves it works offline);

and saves a full-page screenshot of each. Exit code 0 if every check passes, 1 otherwise.
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


@dataclass
class Page:
    """A page to open, and what a reader must see on it."""

    path: str
    min_images: int
    needs_math: bool


@dataclass
class Report:
    """What the browser showed on one page."""

    page: str
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    math: int = 0
    math_errors: int = 0
    raw_latex: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    screenshot: str = ""
    problems: list[str] = field(default_factory=list)


#: the home page, the API reference (overview, a module, a function with math), the
#: Concepts page, the readings of the paper and one tutorial
PAGES = [
    Page("index.html", 0, True),
    Page("api.html", 0, False),
    Page("gen_modules/api/qbattery.models.html", 0, False),
    Page("gen_modules/generated/qbattery.models.kbody.html", 0, True),
    Page("concepts.html", 4, True),
    Page("readings.html", 0, False),
    Page("auto_examples/plot_1_kbody_scaling.html", 2, True),
]

_COLLECT = r"""
const done = arguments[arguments.length - 1];
const settle = () => Promise.all(Array.from(document.images).map(img =>
    img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise : Promise.resolve();
Promise.all([typeset, settle()]).then(() => {
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA"]);
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName) || el.tagName.startsWith("MJX-")) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);
  done({
    images: Array.from(document.images).map(img => ({
      src: img.getAttribute("src"), ok: img.complete && img.naturalWidth > 0,
      width: img.naturalWidth})),
    math: document.querySelectorAll("mjx-container").length,
    mathErrors: document.querySelectorAll("mjx-merror").length,
    mathjax: Boolean(window.MathJax && MathJax.version),
    text: texts.join(" "),
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
    report.console = [
        entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
    ]
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
    if page.needs_math and not seen["mathjax"]:
        report.problems.append("MathJax did not load")
    if page.needs_math and report.math == 0:
        report.problems.append("no typeset equations (mjx-container) on a page with math")
    if report.math_errors:
        report.problems.append(f"{report.math_errors} MathJax error boxes (mjx-merror)")
    if report.raw_latex:
        report.problems.append(f"raw LaTeX left in the text: {report.raw_latex}")
    if report.console:
        report.problems.append(f"browser console errors: {report.console}")
    return report


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
        reports = [check_page(driver, base, page, args.screenshots) for page in PAGES]
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
            f"{len(r.raw_latex)} raw-LaTeX hits, {len(r.console)} console errors"
        )
        for problem in r.problems:
            print(f"      - {problem}")
        print(f"      screenshot: {r.screenshot}")
    (args.screenshots / "report.json").write_text(
        json.dumps([r.__dict__ for r in reports], indent=2)
    )
    print(f"{len(reports) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
