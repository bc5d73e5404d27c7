#!/usr/bin/env python3
"""Put the UI's third-party assets in place: one pinned, scripted step.

Downloads each pinned package from the npm registry with ``npm pack``,
checks the tarball against the pinned SHA-512 integrity, and extracts only
the files the UI serves (compiled CSS/JS, fonts) and the licence files into
``src/opsdesk/ui/static/vendor/<package>/``. The result is committed, so a
machine with only Python gets a working UI; run this script again only to
change a version. Never edit the extracted files by hand.

    python scripts/vendor_assets.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "opsdesk" / "ui" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity for this exact version
    files: dict[str, str]  # path inside the tarball (under package/) -> path under vendor/<name>/


PACKAGES = (
    Package(
        name="bootstrap",
        version="5.3.9",
        integrity="sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIuUXsBqSkk/w==",
        files={
            "LICENSE": "LICENSE",
            "dist/css/bootstrap.min.css": "css/bootstrap.min.css",
            "dist/css/bootstrap.min.css.map": "css/bootstrap.min.css.map",
            "dist/js/bootstrap.bundle.min.js": "js/bootstrap.bundle.min.js",
            "dist/js/bootstrap.bundle.min.js.map": "js/bootstrap.bundle.min.js.map",
        },
    ),
    Package(
        name="bootstrap-icons",
        version="1.13.2",
        integrity="sha512-fAU1Ly3dH7hwRg+CB8EZ0Vl0fF80zgXHeUVJyfUOKzoURr+TbwISbCW5tKUoQLERaWYG2emTCybcPbD96hdD1A==",
        files={
            "LICENSE": "LICENSE",
            "font/bootstrap-icons.min.css": "font/bootstrap-icons.min.css",
            "font/fonts/bootstrap-icons.woff": "font/fonts/bootstrap-icons.woff",
            "font/fonts/bootstrap-icons.woff2": "font/fonts/bootstrap-icons.woff2",
        },
    ),
    Package(  # the CMDB's maps (信息系统运行图, 信息内容应用图)
        name="cytoscape",
        version="3.35.0",
        integrity="sha512-sMvBIXiGMnhkCaWz2R06FwF/27MNlS+Tqvi17foO9UhnUg3XGZccKjxsvEqQFAQYMSSZmN5SxYzUYlQ0DOJJ3g==",
        files={
            "LICENSE": "LICENSE",
            "dist/cytoscape.min.js": "cytoscape.min.js",
        },
    ),
)


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(package: Package, workdir: Path) -> Path:
    spec = f"{package.name}@{package.version}"
    result = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True, capture_output=True, text=True,
    )
    filename = json.loads(result.stdout)[0]["filename"]
    tarball = workdir / filename
    actual = sri(tarball.read_bytes())
    if actual != package.integrity:
        sys.exit(f"{spec}: integrity mismatch (expected {package.integrity}, got {actual})")
    return tarball


def extract(package: Package, tarball: Path) -> list[str]:
    target = VENDOR / package.name
    if target.exists():
        shutil.rmtree(target)
    written = []
    with tarfile.open(tarball, "r:gz") as archive:
        for source, destination in package.files.items():
            member = archive.getmember(f"package/{source}")
            handle = archive.extractfile(member)
            if handle is None:
                sys.exit(f"{package.name}: {source} is not a regular file")
            path = target / destination
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(handle.read())
            written.append(destination)
    return written


def main() -> None:
    if shutil.which("npm") is None:
        sys.exit("npm is needed to refresh the vendored assets (the committed copies work without it)")
    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest = {}
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            tarball = fetch(package, Path(tmp))
            files = extract(package, tarball)
            manifest[package.name] = {"version": package.version, "integrity": package.integrity, "files": files}
            print(f"{package.name}@{package.version}: {len(files)} files")
    (VENDOR / "versions.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
