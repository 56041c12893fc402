"""The release command line: one parser, one function per subcommand."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import pipeline
from ..rest import GeneratorFailed
from ..specs import SpecError
from .common import CHANGELOG, GENERATED, OVERLAYS, REPO, SPECS, VERSION_FILE, ReleaseError, log
from .publish import publish
from .report import changelog_entry, prepend_changelog, render_markdown, render_text
from .sides import build_report
from .vendor import vendor
from .versions import is_plain, plain_bump, plain_current, report_version, write_version

CHANGELOG_HEAD = """# Changelog

All notable changes to crewai-amp-client are recorded here. The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/) and the project uses
[Semantic Versioning](https://semver.org/spec/v2.0.0.html) (before 1.0: a breaking change bumps
the minor version, anything else the patch version).

## [Unreleased]
"""


def cmd_diff(args: argparse.Namespace) -> int:
    report = build_report(
        args.old, args.new, python_api=not args.no_python_api, current_version=report_version()
    )
    rendered = (render_markdown if args.format == "markdown" else render_text)(report)
    print(rendered, end="")
    if args.output:
        try:
            args.output.write_text(rendered, "utf-8")
        except OSError as exc:  # a directory, a missing parent: a clear error, no traceback
            raise ReleaseError(f"--output {args.output}: cannot write the report ({exc})") from None
    if report.breaking and not args.allow_breaking:
        log(f"{len(report.breaking)} breaking change(s); pass --allow-breaking to accept them")
        return 1
    return 0


def _valid_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def cmd_changelog(args: argparse.Namespace) -> int:
    # Every input is checked before anything is written: a refusal leaves both files as they were
    # (a bumped _version.py without its CHANGELOG entry would be bumped again on the retry).
    if args.version is not None and not is_plain(args.version):
        raise ReleaseError(f"--version {args.version!r}: not a plain X.Y.Z version")
    date = args.date or _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    if not _valid_date(date):
        raise ReleaseError(f"--date {date!r}: not a YYYY-MM-DD date")
    current = plain_current(args.version_file) if args.bump else report_version(args.version_file)
    report = build_report(args.old, args.new, python_api=not args.no_python_api, current_version=current)
    if args.bump:
        if report.bump == "none":
            raise ReleaseError("no user-visible change: nothing to release (use --version to force an entry)")
        version = report.next_version or current
    else:
        version = args.version
    entry = changelog_entry(report, version, date)
    try:
        text = args.file.read_text("utf-8") if args.file.exists() else CHANGELOG_HEAD
        updated = prepend_changelog(text, entry)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReleaseError(f"{args.file}: {exc}") from None
    try:
        args.file.write_text(updated, "utf-8")
    except OSError as exc:
        raise ReleaseError(f"{args.file}: cannot write it ({exc})") from None
    if args.bump:
        write_version(version, args.version_file)
        log(f"{args.version_file}: {current} → {version} ({report.bump})")
    print(entry, end="")
    log(f"{args.file}: added [{version}]")
    return 0


def cmd_bump(args: argparse.Namespace) -> int:
    current = plain_current(args.version_file)
    version = plain_bump(current, args.level)
    write_version(version, args.version_file)
    print(version)
    log(f"{args.version_file}: {current} → {version}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    publish(args.dist, simple_url=args.simple_url)
    return 0


def cmd_vendor(args: argparse.Namespace) -> int:
    def run(source: Path) -> Path:
        return vendor(args.dest, package_name=args.package_name, rest_models=args.rest_models, source=source)

    if args.fresh:
        with tempfile.TemporaryDirectory(prefix="amp-vendor-") as tmp:
            fresh = Path(tmp) / "generated"
            fresh.mkdir()
            pipeline.generate_into(fresh, pipeline.load_inputs(SPECS, OVERLAYS))
            target = run(fresh)
    else:
        target = run(GENERATED)
    record = json.loads((target / "VENDORED.json").read_text("utf-8"))
    print(f"vendored {len(record['files'])} files into {target}; needs: {', '.join(record['requires'])}")
    return 0


def _add_diff_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="the old specs: a spec file, a directory of specs, or git:REV")
    parser.add_argument("new", nargs="?", default=str(SPECS), help="the new specs (default: specs/)")
    parser.add_argument(
        "--no-python-api",
        action="store_true",
        help="skip generating both sides and comparing them with griffe",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator.release",
        description="Living with spec updates: diff, changelog, bump, publish, vendor.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.set_defaults(run=run)
        return p

    diff = command("diff", cmd_diff, "what a spec change does to users, and the semver bump it implies")
    _add_diff_args(diff)
    diff.add_argument("--allow-breaking", action="store_true", help="exit 0 even when a change is breaking")
    diff.add_argument("--format", choices=("markdown", "text"), default="markdown")
    diff.add_argument("--output", type=Path, help="also write the report to this file")

    changelog = command("changelog", cmd_changelog, "prepend the diff's summary to CHANGELOG.md")
    _add_diff_args(changelog)
    which = changelog.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", help="the version heading (X.Y.Z)")
    which.add_argument("--bump", action="store_true", help="apply the implied bump to _version.py and use it")
    changelog.add_argument("--date", default=None, help="the release date (default: today, UTC)")
    changelog.add_argument("--file", type=Path, default=CHANGELOG)
    changelog.add_argument("--version-file", type=Path, default=VERSION_FILE)

    bump = command("bump", cmd_bump, "a plain semver bump of overlays/crewai_amp/_version.py")
    bump.add_argument("level", choices=("major", "minor", "patch"))
    bump.add_argument("--version-file", type=Path, default=VERSION_FILE)

    pub = command("publish", cmd_publish, "check, then upload dist/ to $TWINE_REPOSITORY_URL")
    pub.add_argument("dist", nargs="?", type=Path, default=REPO / "dist")
    pub.add_argument("--simple-url", help="the index's simple API (default: derived from the upload URL)")

    ven = command("vendor", cmd_vendor, "write the models as a self-contained package into DEST")
    ven.add_argument("dest", type=Path)
    ven.add_argument("--rest-models", action="store_true", help="also the REST models (needs attrs)")
    ven.add_argument("--package-name", default="crewai_amp_models")
    ven.add_argument(
        "--fresh", action="store_true", help="generate from specs/ first instead of using generated/"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except (ReleaseError, SpecError, GeneratorFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if args.command in {"diff", "changelog"} else 1
    return result
