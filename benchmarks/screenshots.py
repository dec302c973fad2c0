"""Screenshots for the README: the French map zoomed on central Mali (headless Chromium), the
first page of the French PDF bulletin (pdftoppm), from an output folder of `sahelrisk score`, and
the French route maps written by `sahelrisk route` for the same week.

    python benchmarks/screenshots.py outputs/2023-12-25
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "screenshots"
# Central Mali: Ségou, Mopti and the inner Niger delta, at a zoom where towns of 15,000+ are labelled.
VIEW = "#14.2,-4.6,7"


def main(folder: Path) -> None:
    HERE.mkdir(exist_ok=True)
    if shutil.which("chromium") is None or shutil.which("pdftoppm") is None:
        sys.exit("needs chromium and pdftoppm (Debian: chromium, poppler-utils)")
    shots = {"map_fr_central_mali.png": (folder / "map.fr.html").as_uri() + VIEW}
    routes = folder.parent / "routes" / folder.name
    for name in ("segou-niono-sokolo", "bamako-mopti"):
        if (routes / name / "route.fr.html").is_file():
            shots[f"route_fr_{name}.png"] = (routes / name / "route.fr.html").as_uri()
    for shot, url in shots.items():
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--user-data-dir={profile}", "--virtual-time-budget=8000", "--window-size=1200,850",
                            f"--screenshot={HERE / shot}", url], check=True, capture_output=True, timeout=180)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                    str(folder / "bulletin.fr.pdf"), str(HERE / "bulletin_fr_page1")], check=True, timeout=120)
    for name in [*shots, "bulletin_fr_page1.png"]:
        print(f"{HERE / name}  {(HERE / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "outputs/2023-12-25").resolve())
