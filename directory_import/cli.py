"""`connect import-hsds PATH`: one import in one transaction, with progress and the report."""

from __future__ import annotations

import sys
from pathlib import Path

from connect.settings import Settings
from directory_import.importer import DEFAULT_SOURCE, ImportRejected, ImportReport
from directory_import.sources import read_path
from models.db import make_engine, make_session_factory, transaction


def print_report(report: ImportReport, out=None) -> None:
    out = out or sys.stdout
    print(f"HSDS import from source {report.source!r}: {report.summary()}", file=out)
    for label, outcomes in (("updated", report.updated), ("skipped", report.skipped), ("removed", report.removed)):
        for o in outcomes:
            print(f"  {label}: {o.name} ({o.service_id}): {o.reason}", file=out)
    for taxonomy, code in sorted(report.unmapped_terms):
        print(f"  unmapped term: {taxonomy or '(no taxonomy)'} / {code}", file=out)


def run_import(settings: Settings, path: Path, source: str = DEFAULT_SOURCE) -> int:
    engine = make_engine(settings.database_url)
    try:
        services = read_path(path)
        print(f"{path}: {len(services)} services", flush=True)
        from directory_import.importer import import_directory

        with transaction(make_session_factory(engine)) as db:
            report = import_directory(db, services, source=source,
                                      progress=lambda n, total: print(f"  {n}/{total}", flush=True))
    except ImportRejected as rejected:
        print(f"rejected: {rejected.reason}", file=sys.stderr)
        for problem in rejected.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print_report(report)
    return 0
