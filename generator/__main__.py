"""``python -m generator {generate,validate,drift}`` — the pipeline's command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import overlay, pipeline
from .rest import GeneratorFailed
from .specs import SpecError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="validate, overlay and regenerate generated/ atomically")
    gen.add_argument("--output", type=Path, default=pipeline.REPO / "generated")
    gen.add_argument("--specs", type=Path, default=pipeline.SPECS)
    gen.add_argument("--overlays", type=Path, help="the spec overlays (default: SPECS/overlays)")
    gen.add_argument(
        "--if-changed", action="store_true", help="skip when MANIFEST.json says the inputs did not change"
    )

    val = sub.add_parser("validate", help="validate the specs and overlays only")
    val.add_argument("--specs", type=Path, default=pipeline.SPECS)
    val.add_argument("--overlays", type=Path, help="the spec overlays (default: SPECS/overlays)")

    drift = sub.add_parser("drift", help="fail if generated/ differs from a fresh regeneration")
    drift.add_argument("--output", type=Path, default=pipeline.REPO / "generated")

    args = parser.parse_args(argv)
    if getattr(args, "specs", None) is not None and args.overlays is None:
        args.overlays = args.specs / "overlays"  # spec overlays live with the specs they patch
    started = time.perf_counter()
    try:
        if args.command == "validate":
            # Apply the overlays too, as generate does: a target that selects nothing or an
            # overlaid spec that no longer validates must fail here, not only at generation.
            notes = overlay.Notes()
            pipeline.overlaid(pipeline.load_inputs(args.specs, args.overlays), notes)
            print("specs and overlays are valid")
            for overlap in notes.overlaps:
                print(f"note: {overlap.describe()}")
            for name in notes.stale_rules:
                print(f"note: spec overlay {name}: its rules select nothing any more")
        elif args.command == "generate":
            changed = pipeline.generate(
                args.output, spec_dir=args.specs, overlay_dir=args.overlays, force=not args.if_changed
            )
            verb = "generated" if changed else "up to date:"
            print(f"{verb} {args.output} in {time.perf_counter() - started:.2f}s")
        else:
            differences = pipeline.check_drift(args.output)
            if differences:
                print(f"{args.output} drifted from the specs; run `nox -s generate`. Files:", file=sys.stderr)
                for name in differences:
                    print(f"  {name}", file=sys.stderr)
                return 1
            print(f"{args.output} matches a fresh regeneration")
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (GeneratorFailed, pipeline.OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
