"""The `connect` command: dev | api | worker | migrate | seed | setup-temporal | import-hsds."""

from __future__ import annotations

import argparse
import asyncio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="connect", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="run the whole system locally with demo data")
    api = sub.add_parser("api", help="run the web/API server")
    api.add_argument("--host", default="0.0.0.0")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1)
    sub.add_parser("worker", help="run a Temporal worker (run more to scale out)")
    sub.add_parser("migrate", help="migrate the database to the latest schema")
    sub.add_parser("seed", help="load the Montana demo data into an empty database")
    sub.add_parser("setup-temporal", help="register CONNECT's search attributes on the cluster")
    hsds = sub.add_parser("import-hsds", help="load an Open Referral HSDS 3.0 directory (JSON or CSV package)")
    hsds.add_argument("path", help="a .json file, a .zip of the CSV package, or the package's folder")
    hsds.add_argument("--source", default="hsds",
                      help="name of the data set: a later import of the same source marks what it no longer has")
    args = parser.parse_args(argv)

    from connect.settings import load_settings

    if args.command == "dev":
        from connect.dev import run_dev

        run_dev()
    elif args.command == "api":
        import uvicorn

        uvicorn.run("api.main:build", factory=True, host=args.host, port=args.port,
                    workers=args.workers, **load_settings().proxy_options)
    elif args.command == "worker":
        # The worker is its own top-level program (worker.py): run it, as `connect dev` does,
        # rather than import it into the platform package.
        import os
        import sys

        os.execv(sys.executable, [sys.executable, "-m", "worker"])
    elif args.command == "migrate":
        from connect.migrate import migrate

        migrate(load_settings().database_url)
    elif args.command == "seed":
        from demo.seed import seed_if_empty

        for email, role, _ in seed_if_empty(load_settings()):
            print(email, role)
    elif args.command == "setup-temporal":
        from connect.temporal_setup import ensure_search_attributes

        added = asyncio.run(ensure_search_attributes(load_settings()))
        print("added:", ", ".join(added) or "nothing (all present)")
    elif args.command == "import-hsds":
        from pathlib import Path

        from directory_import.cli import run_import

        raise SystemExit(run_import(load_settings(), Path(args.path), args.source))


if __name__ == "__main__":
    main()
