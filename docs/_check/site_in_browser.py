"""The built docs site, checked in a real browser: `nox -s docs-browser` (after `nox -s docs`).

Input: the site that `mkdocs build` wrote (`site/` by default), and a Chromium on this machine
(Debian's `chromium`, at /usr/bin/chromium unless `--chromium` or $CHROMIUM says otherwise).
Playwright drives it headless through its Python API with `executable_path`; nothing is
downloaded.

What it does, on a server it starts on 127.0.0.1 and stops itself:

- opens every page reachable from the home page by the site's own links, and fails on a console
  error, an uncaught page error, or a same-origin request answered 4xx/5xx;
- fails on a link to a page of the site that does not exist (every `<a href>` to this origin);
- fails on a code block wider than its box at 1280 px: it would hide the end of its lines
  (the expected output in a trailing comment) behind a scroll bar;
- types each query of QUERIES into the search box and fails when one finds nothing;
- saves screenshots under `site/_browser/` (the home page, a reference page, each search).

Output: a report on stdout, one line per finding; exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, Response, sync_playwright

# What a newcomer searches for first; each must find at least one page.
QUERIES = (
    "retry",
    "proxy",
    "proxies",
    "logging",
    "frameworks",
    "FastAPI",
    "Django",
    "Flask",
    "upgrade",
    "upgrading",
    "OpenTelemetry",
)
REFERENCE_PAGE = "reference/client/"
# Chromium on a machine with no network and no display: no background calls home, no GPU.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEARCH_INPUT = "input[data-md-component=search-query]"
SEARCH_RESULTS = "[data-md-component=search-result] .md-search-result__item"
TIMEOUT_MS = 15_000


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """The site served on 127.0.0.1, on a free port, for the duration of the block."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Findings:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")


def _same_site_links(page: Page, origin: str) -> set[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    return {urldefrag(href)[0] for href in hrefs if href.startswith(origin)}


def _watch(page: Page, findings: Findings, origin: str) -> None:
    def on_console(message: ConsoleMessage) -> None:
        # A failed request logs a console error without its URL; "requestfailed" names it.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            findings.add(page.url, f"console error: {message.text}")

    def on_response(response: Response) -> None:
        if response.url.startswith(origin) and response.status >= 400:
            findings.add(page.url, f"{response.status} for {response.url}")

    def on_request_failed(request: Request) -> None:
        # ERR_ABORTED is a request cancelled on the browser's side, as leaving a page does to
        # what it was still loading (the search worker, the favicon); a missing file is an
        # answer, a 4xx, which on_response reports.
        if request.failure != "net::ERR_ABORTED":
            findings.add(page.url, f"request failed: {request.url} ({request.failure})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: findings.add(page.url, f"page error: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)


# The longest line of each code block that scrolls sideways.
SCROLLING_CODE = """els => els
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => e.innerText.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), ""))"""


def crawl(page: Page, origin: str, findings: Findings) -> list[str]:
    """Every page reachable from the home page; broken links and code blocks that scroll
    sideways are findings."""
    seen: set[str] = set()
    queue = [origin]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url, wait_until="load")
        if response is None or response.status >= 400:
            findings.add(url, f"broken link (HTTP {response.status if response else 'no answer'})")
            continue
        if not urlsplit(url).path.endswith("/") and not url.endswith(".html"):
            continue  # a file (sitemap, objects.inv...), not a page
        for line in page.eval_on_selector_all("pre > code", SCROLLING_CODE):
            findings.add(url, f"code block scrolls sideways ({len(line)} columns): {line[:60]!r}")
        queue.extend(sorted(_same_site_links(page, origin) - seen))
    return sorted(seen)


def search(page: Page, origin: str, query: str, shots: Path, findings: Findings) -> int:
    """Type ``query`` into the search box of the home page; the number of results shown."""
    page.goto(origin, wait_until="load")
    page.click(SEARCH_INPUT)
    # Typed key by key, as a reader does: the search reacts to key events, not to a set value.
    page.locator(SEARCH_INPUT).press_sequentially(query, delay=20)
    try:
        page.wait_for_selector(SEARCH_RESULTS, timeout=TIMEOUT_MS)
    except Exception:  # playwright's TimeoutError: no result appeared
        findings.add(f"search {query!r}", "found nothing")
        count = 0
    else:
        count = page.locator(SEARCH_RESULTS).count()
    page.screenshot(path=str(shots / f"search-{query.lower()}.png"))
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("site"), help="the built site (default: site/)")
    parser.add_argument(
        "--chromium",
        default=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        help="the Chromium binary (default: $CHROMIUM or /usr/bin/chromium)",
    )
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"{args.site}/index.html not found: run `nox -s docs` first")
    if not Path(args.chromium).is_file():
        parser.error(f"no Chromium at {args.chromium} (apt-get install chromium, or --chromium PATH)")
    shots = args.site / "_browser"
    shots.mkdir(exist_ok=True)
    findings = Findings()
    with serving(args.site) as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            _watch(page, findings, origin)
            pages = crawl(page, origin, findings)
            for name, path in (("home", ""), ("reference", REFERENCE_PAGE)):
                page.goto(urljoin(origin, path), wait_until="load")
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            counts = {query: search(page, origin, query, shots, findings) for query in QUERIES}
        finally:
            browser.close()
    print(f"docs in a browser: {len(pages)} pages and files opened, screenshots in {shots}/")
    for query, count in counts.items():
        print(f"  search {query!r}: {count} results")
    for problem in findings.problems:
        print(f"FAIL {problem}")
    return 1 if findings.problems else 0


if __name__ == "__main__":
    sys.exit(main())
