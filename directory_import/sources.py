"""Reading an HSDS 3.0 data set from what a person hands over: a JSON file (a list of fully
nested services, a Page of them, or {"services": [...]}), a CSV package folder (or its
datapackage.json), or a .zip of the CSV package. Anything unreadable is an `ImportRejected`."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path, PurePosixPath

from directory_import.importer import ImportRejected
from directory_import.tabular import TABLES, read_tables


def services_from_json(data: object) -> list:
    if isinstance(data, dict):
        for key in ("contents", "services"):
            if isinstance(data.get(key), list):
                return data[key]
        if "id" in data and "name" in data:
            return [data]
    if isinstance(data, list):
        return data
    raise ImportRejected("The JSON holds no services: give a list of services, a Page of them, "
                         'or {"services": [...]}.', ["(top): no list of services"])


def read_bytes(name: str, content: bytes) -> list:
    """The services of an uploaded file (.json, or .zip of the CSV package)."""
    try:
        if name.lower().endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                files = {PurePosixPath(n).name: archive.read(n).decode("utf-8-sig")
                         for n in archive.namelist() if PurePosixPath(n).name in TABLES}
            return _tables(files)
        return services_from_json(json.loads(content.decode("utf-8-sig")))
    except (ValueError, zipfile.BadZipFile) as err:
        raise ImportRejected(f"{name} could not be read: {err}", [f"(file): {err}"]) from None


def read_path(path: Path) -> list:
    """The services of a file or CSV package folder on disk."""
    if path.is_dir() or path.name == "datapackage.json":
        folder = path if path.is_dir() else path.parent
        try:
            return _tables({n: (folder / n).read_text(encoding="utf-8-sig") for n in TABLES if (folder / n).exists()})
        except UnicodeDecodeError as err:
            raise ImportRejected(f"{folder} could not be read: {err}", [f"(file): {err}"]) from None
    if not path.exists():
        raise ImportRejected(f"There is no file {path}.", [f"(file): {path} not found"])
    return read_bytes(path.name, path.read_bytes())


def _tables(files: dict[str, str]) -> list:
    if "services.csv" not in files:
        raise ImportRejected("The CSV package has no services.csv.", ["(package): services.csv missing"])
    try:
        return read_tables(files)
    except csv.Error as err:
        raise ImportRejected(f"The CSV package could not be read: {err}", [f"(package): {err}"]) from None
