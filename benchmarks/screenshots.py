"""Screenshots for the README: the French map zoomed on central Mali (headless Chromium), the
first page of the French PDF bulletin (pdftoppm), from an output folder of `sahelrisk score`, and
the French route maps written by `sahelrisk route` for the same week. With ``--west-africa``, the
map of a West Africa run zoomed on northern Benin and Togo instead.

    python benchmarks/screenshots.py outputs/2023-12-25
    python benchmarks/screenshots.py outputs-west-africa/2023-12-25 --west-africa
    python benchmarks/screenshots.py outputs-west-africa-01/2023-12-25 --west-africa --shot map_fr_benin_togo_01.png
    python benchmarks/screenshots.py --track-record /tmp/track/outputs   # the web app's track-record page, in French
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
# Northern Benin and Togo with Burkina Faso's south-east, where the violence crossed the border.
COAST_VIEW = "#11.0,1.0,7"


def _shoot(shot: str, url: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={profile}", "--virtual-time-budget=8000", "--window-size=1200,850",
                        f"--screenshot={HERE / shot}", url], check=True, capture_output=True, timeout=180)
    print(f"{HERE / shot}  {(HERE / shot).stat().st_size // 1024} KiB")


def main(folder: Path, west_africa: bool = False, shot: str = "map_fr_benin_togo.png") -> None:
    HERE.mkdir(exist_ok=True)
    if shutil.which("chromium") is None or shutil.which("pdftoppm") is None:
        sys.exit("needs chromium and pdftoppm (Debian: chromium, poppler-utils)")
    if west_africa:
        _shoot(shot, (folder / "map.fr.html").as_uri() + COAST_VIEW)
        return
    shots = {"map_fr_central_mali.png": (folder / "map.fr.html").as_uri() + VIEW}
    routes = folder.parent / "routes" / folder.name
    for name in ("segou-niono-sokolo", "bamako-mopti"):
        if (routes / name / "route.fr.html").is_file():
            shots[f"route_fr_{name}.png"] = (routes / name / "route.fr.html").as_uri()
    for shot, url in shots.items():
        _shoot(shot, url)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                    str(folder / "bulletin.fr.pdf"), str(HERE / "bulletin_fr_page1")], check=True, timeout=120)
    print(f"{HERE / 'bulletin_fr_page1.png'}  {(HERE / 'bulletin_fr_page1.png').stat().st_size // 1024} KiB")


def track_record(out_dir: Path) -> None:
    """The web app's track-record page in French, served from ``out_dir`` by uvicorn on 127.0.0.1."""
    import socket
    import threading
    import time

    import uvicorn

    from sahelrisk.cli import utc_now  # a script is an edge: the week page measures its age by the real clock
    from sahelrisk.serving.app import ServeSettings, create_app
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ServeSettings(out_dir=out_dir, data_dir=out_dir, mlruns=out_dir / "mlruns", clock=utc_now))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        HERE.mkdir(exist_ok=True)
        _shoot("track_record_fr.png", f"http://127.0.0.1:{port}/track-record?lang=fr")
    finally:
        server.should_exit = True
        thread.join(10)


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--track-record" in argv:
        track_record(Path(argv[argv.index("--track-record") + 1]).resolve())
        sys.exit(0)
    name = argv[argv.index("--shot") + 1] if "--shot" in argv else "map_fr_benin_togo.png"
    args = [a for a in argv if a not in ("--west-africa", "--shot", name)]
    main(Path(args[0] if args else "outputs/2023-12-25").resolve(), west_africa="--west-africa" in argv, shot=name)
