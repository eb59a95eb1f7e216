"""Great Expectations Data Docs made readable offline and for auditors.

GE's site fetches scripts and styles from CDNs, shows a newsletter footer with
links out, names failing rows by DataFrame index and marks any suite with a
failed expectation "Failed", even when every failure is a warning. This
module rewrites the built site: vendored copies of the scripts and styles
(assets/datadocs_vendor/), no external links or footer, and warning-only
validations shown as passed with warnings. It is also where data values meet
HTML: GE's templates put failing values (source URLs, titles, file names in
`where`) into the page unescaped, so a raw file's `<script>` ran when an
auditor opened the failed report. escape_stored_results escapes every string
of the stored results once (escape.html_text) before the site is built.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from analysis.core import paths
from analysis.core.escape import escape_strings, html_text

VENDOR_DIR = paths.ASSETS_DIR / "datadocs_vendor"
# CDN address in the Data Docs templates -> vendored file (see assets/datadocs_vendor/README.md)
CDN_TO_VENDOR = {
    r"https://cdn\.jsdelivr\.net/npm/vega@5": "js/vega.min.js",
    r"https://cdn\.jsdelivr\.net/npm/vega-lite@5": "js/vega-lite.min.js",
    r"https://cdn\.jsdelivr\.net/npm/vega-embed@6": "js/vega-embed.min.js",
    r"https://cdnjs\.cloudflare\.com/ajax/libs/font-awesome/[\d.]+/css/all\.min\.css": "css/all.min.css",
    r"https://code\.jquery\.com/jquery-[\d.]+\.min\.js": "js/jquery.min.js",
    r"https://cdnjs\.cloudflare\.com/ajax/libs/popper\.js/[\d.]+/umd/popper\.min\.js": "js/popper.min.js",
    r"https://stackpath\.bootstrapcdn\.com/bootstrap/[\d.]+/js/bootstrap\.min\.js": "js/bootstrap.min.js",
    r"https://maxcdn\.bootstrapcdn\.com/bootstrap/[\d.]+/css/bootstrap\.min\.css": "css/bootstrap.min.css",
    r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.js": "js/bootstrap-table.min.js",
    r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.css": "css/bootstrap-table.min.css",
    r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/extensions/filter-control/bootstrap-table-filter-control(\.min)?\.js":
        "js/bootstrap-table-filter-control.min.js",
    r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/extensions/filter-control/bootstrap-table-filter-control(\.min)?\.css":
        "css/bootstrap-table-filter-control.min.css",
    r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/[\d.]+/js/bootstrap-datepicker\.min\.js":
        "js/bootstrap-datepicker.min.js",
    r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/[\d.]+/css/bootstrap-datepicker\.min\.css":
        "css/bootstrap-datepicker.min.css",
    r"https://cdn\.jsdelivr\.net/npm/@forevolve/bootstrap-dark@[\d.]+/dist/css/bootstrap-prefers-dark\.css":
        "css/bootstrap-prefers-dark.css",
}

def offline_copy(site: Path, target: Path, warning_pages: set[str] = frozenset()) -> None:
    """Copy the Data Docs site, pointing every CDN script and style at the vendored copies.

    warning_pages: file names of validation pages whose only failures are warnings (see passed_with_warnings).
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(site, target)
    shutil.copytree(VENDOR_DIR, target / "static" / "vendor")
    for page in target.rglob("*.html"):
        depth = len(page.relative_to(target).parts) - 1
        prefix = "../" * depth + "static/vendor/"
        html = page.read_text(encoding="utf-8")
        for pattern, local in CDN_TO_VENDOR.items():
            html = re.sub(pattern, prefix + local, html)
        html = re.sub(r'\s(integrity|crossorigin)="[^"]*"', "", html)
        # GE gets the depth of some static links wrong on validation pages (the favicon): fix them all
        html = re.sub(r'(src|href)="(?:\./|(?:\.\./)*)static/', lambda m: f'{m.group(1)}="{"../" * depth}static/', html)
        # the logo is fetched from a remote bucket with the context id attached: use the local copy
        html = re.sub(r'src="https://great-expectations-web-assets[^"]*logo-long\.png[^"]*"',
                      f'src="{"../" * depth}static/images/logo-long.png"', html)
        # and the validation pages' header draws a remote logo as a CSS background: an office intranet would see
        # the request (issue 24); the local logo stands in
        html = re.sub(r"""url\(\s*['"]?https?://great-expectations-web-assets[^)'"]*['"]?\s*\)""",
                      f"url('{'../' * depth}static/images/logo-long.png')", html)
        # GE's pandas tutorial snippet under each failing expectation ("To retrieve all unexpected values...
        # df.filter(items=[...])") names DataFrame index numbers an auditor cannot use; the rows are named by file
        # and row in the table above it
        html = re.sub(r'<div id="[^"]*-parent" >\s*<p class="m-0">\s*<a [^>]*>\s*To retrieve all unexpected values\.\.\.'
                      r'\s*</a>.*?<code >\s*df\.filter\([^<]*</code>\s*</div>\s*</div>', "", html, flags=re.S)
        html = without_external_links(html, page.name in warning_pages)
        if page.name == "index.html" and depth == 0:
            html = with_provenance_note(index_with_warnings(html, warning_pages))
        page.write_text(html, encoding="utf-8")
    for sheet in (target / "static" / "styles").glob("*.css"):     # GE's own style sheets draw the remote logo too
        css = sheet.read_text(encoding="utf-8")
        sheet.write_text(re.sub(r"""url\(\s*['"]?https?://great-expectations-web-assets[^)'"]*['"]?\s*\)""",
                                "url('../images/logo-long.png')", css), encoding="utf-8")


WARNING_TEXT = "Passed with warnings 通过（有警告）"

# what these pages cannot show: rows that pass are not listed, so an auditor tracing a figure is sent to the files that
# list every one (reports/<quarter>/figures.csv beside this folder, validation.pdf one level up)
PROVENANCE_NOTE = (
    '<div class="alert alert-info m-3" role="note">'
    "<strong>数据来源追溯 / Where each figure comes from:</strong> 这些页面只列出未通过检查的行（按“原始文件:行号”）；"
    "每个数据的编号、原始文件、行号和出处网址见 <a href=\"../../figures.csv\">figures.csv</a>，"
    "检查清单和结果见 <a href=\"../validation.pdf\">validation.pdf</a>。 "
    "These pages list only the rows that fail a check (as raw file:row); every figure's id, raw file, row and source "
    "address are in <a href=\"../../figures.csv\">figures.csv</a>, and every check with its result in "
    '<a href="../validation.pdf">validation.pdf</a>.</div>')


def with_provenance_note(html: str) -> str:
    """The index page opens with where to trace a figure (GE shows failures only)."""
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + PROVENANCE_NOTE, html, count=1)


def index_with_warnings(html: str, warning_pages: set[str]) -> str:
    """The index table's row of a warning-only validation says "passed with warnings", as its page does.

    GE writes the index rows as a JavaScript list of objects, one per validation, with a green tick and
    the status text 'Success' for every stored result marked successful; the row links to its page."""
    def mark(m: re.Match) -> str:
        row = m.group(0)
        link = re.search(r"'_table_row_link_path': '([^']*)'", row)
        if not link or link.group(1).rsplit("/", 1)[-1] not in warning_pages:
            return row
        return (row.replace("fas fa-check-circle text-success ge-success-icon",
                            "fas fa-exclamation-triangle text-warning")
                .replace("'_validation_success_text': 'Success'", f"'_validation_success_text': '{WARNING_TEXT}'"))
    return re.sub(r"\{'validation_success':.*?'asset_name': '[^']*'\}", mark, html, flags=re.S)


def without_external_links(html: str, warnings_only: bool = False) -> str:
    """Drop GE's newsletter footer and every link out of the site (the text stays); say "passed with warnings"
    where a validation's only failures are warnings (its stored result was marked successful before the build)."""
    html = re.sub(r"<footer>.*?</footer>", "", html, flags=re.S)
    html = re.sub(r'<a\b[^>]*href="https?://[^"]*"[^>]*>(.*?)</a>', r"\1", html, flags=re.S)
    html = re.sub(r'<img\b[^>]*src="https?://[^"]*"[^>]*>', "", html)
    # a failed warning expectation gets a warning sign, not the red cross of an error
    html = re.sub(r"<tr\b.*?</tr>", lambda m: m.group(0).replace(
        '<i class="fas fa-times text-danger" ></i>', '<i class="fas fa-exclamation-triangle text-warning" ></i>')
        if "· warning]" in m.group(0) else m.group(0), html, flags=re.S)
    if warnings_only:
        html = re.sub(r'<i class="fas fa-check-circle text-success" aria-hidden="true"></i>\s*Succeeded',
                      '<i class="fas fa-exclamation-triangle text-warning" aria-hidden="true"></i> '
                      + WARNING_TEXT, html)
    return html


def passed_with_warnings(ctx) -> set[str]:
    """Mark stored validation results whose failed expectations are all warnings as successful.

    GE marks a validation failed when any expectation fails, whatever its severity, so a suite holding only
    warnings showed a red "Failed" although nothing stops the pipeline. Returns the page file names
    (<batch id>.html) of the results changed, so that their pages can say "passed with warnings".
    """
    store = ctx.validation_results_store
    changed = set()
    for key in store.list_keys():
        vr = store.get(key)
        failed = [r for r in vr.results if not r.success]
        if failed and not vr.success and all(str(getattr(r.expectation_config, "severity", "")).lower().endswith("warning")
                                             for r in failed):
            vr.success = True
            store.set(key, vr)
            changed.add(f"{key.batch_identifier}.html")
    return changed


def escape_stored_results(ctx) -> None:
    """HTML-escape every string in the stored validation results (failing values, `where`, exception messages).

    GE renders these values into its Jinja templates without escaping, so they are escaped here, once, just
    before build_data_docs; results.json and the PDF use the unescaped in-memory results, never the store.
    Expectation configurations (our own regexes, column names, value sets) are left as they are.
    """
    store = ctx.validation_results_store
    for key in store.list_keys():
        vr = store.get(key)
        for r in vr.results:
            r.result = escape_strings(r.result, html_text)
            if r.exception_info:
                r.exception_info = escape_strings(r.exception_info, html_text)
        store.set(key, vr)


def offline_violations(site: Path) -> list[str]:
    """Remote scripts, styles, images or fonts a Data Docs page or style sheet would fetch (should be none):
    tags that load a remote address, and CSS url(...) of one (a background image, a web font)."""
    bad = []
    for page in Path(site).rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<(script|link|img|iframe)[^>]+(src|href)="(https?://[^"]+)"', html):
            bad.append(f"{page.name}: {m.group(3)}")
        bad += [f"{page.name}: {m.group(1)}" for m in re.finditer(r"""url\(\s*['"]?(https?://[^)'"\s]+)""", html)]
    for sheet in Path(site).rglob("*.css"):
        bad += [f"{sheet.name}: {m.group(1)}"
                for m in re.finditer(r"""url\(\s*['"]?(https?://[^)'"\s]+)""", sheet.read_text(encoding="utf-8", errors="replace"))]
    return bad
