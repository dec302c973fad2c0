"""MkDocs hooks: the reference pages generated from the code, and the glossary linked from every page.

- ``reference/cli.md`` is made from the command line's own definitions (every command, its help,
  its options and defaults), and ``reference/http-api.md`` from the web app's OpenAPI schema, so
  neither can drift from the code.
- The README's screenshots (``benchmarks/screenshots/``) are served as ``screenshots/``.
- The glossary is one page; each term it defines gets an anchor there, and its first use on every
  other page links to it.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = "glossary.md"
SCREENSHOTS = ROOT / "benchmarks" / "screenshots"


# --- the glossary -----------------------------------------------------------------------------

def _slug(term: str) -> str:
    return "term-" + re.sub(r"[^a-z0-9]+", "-", term.strip("`").lower()).strip("-")


def _defined(line: str) -> str | None:
    """The first cell of a glossary table row (what it defines), or None for any other line."""
    cells = line.strip().strip("|").split("|")
    if not line.lstrip().startswith("|") or len(cells) < 2:
        return None
    word = cells[0].strip()
    return None if set(word) <= set("-: ") or word == "word" else word


def glossary_terms(text: str) -> list[tuple[str, str]]:
    """(term, anchor) for every word a glossary table row defines; ``a / b`` defines both."""
    terms = []
    for word in filter(None, map(_defined, text.splitlines())):
        anchor = _slug(word.split(" / ")[0])
        terms += [(part.strip(), anchor) for part in word.split(" / ") if part.strip()]
    return terms


def anchor_glossary(text: str) -> str:
    """The glossary page with an anchor before each defined word, for the links to land on."""
    out = []
    for line in text.splitlines():
        word = _defined(line)
        if word is not None:
            first = line.strip().strip("|").split("|")[0]
            line = line.replace(first, f' <span id="{_slug(word.split(" / ")[0])}"></span>{word} ', 1)
        out.append(line)
    return "\n".join(out) + "\n"


# Spans a link must not be put into: inline code, links and images, HTML tags.
_PROTECTED = re.compile(r"(`[^`\n]+`|!?\[[^\]\n]*\]\([^)\n]*\)|<[^>\n]+>)")


def link_terms(text: str, terms: list[tuple[str, str]], glossary_url: str) -> str:
    """The first use of each term in the prose of ``text`` made a link to its glossary entry.

    Code blocks, inline code (unless it is the term itself, e.g. ``as_of``), headings, existing
    links and HTML are left as they are.
    """
    todo = sorted(terms, key=lambda t: -len(t[0]))
    done: set[str] = set()

    def link(term: str, anchor: str, shown: str) -> str:
        done.add(term)
        return f"[{shown}]({glossary_url}#{anchor})"

    def prose(piece: str) -> str:
        for term, anchor in todo:
            if term in done or term.startswith("`"):
                continue
            # a whole word, not a part of a dotted name or a path (sahelrisk.jobs.run, outputs/run.json)
            match = re.search(rf"(?<![\w./-]){re.escape(term)}(?![\w/-]|\.\w)", piece)
            if match:
                start, end = match.span()
                # the words around the link are prose too; the link itself is left alone
                linked = link(term, anchor, term)
                return prose(piece[:start]) + linked + prose(piece[end:])
        return piece

    def code(piece: str) -> str:
        for term, anchor in todo:
            if term not in done and term.startswith("`") and piece == term:
                return link(term, anchor, piece)
        return piece

    out, fence = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            out.append(line)
            continue
        if fence or line.lstrip().startswith(("#", ":::")):
            out.append(line)
            continue
        pieces = _PROTECTED.split(line)
        out.append("".join(code(piece) if i % 2 else prose(piece) for i, piece in enumerate(pieces)))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


# --- the generated reference --------------------------------------------------------------------

def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def cli_reference() -> str:
    """The command line's reference, from typer's definitions."""
    import typer.main

    from sahelrisk.cli import app

    root = typer.main.get_command(app)
    lines = ["# Command line", "", "Generated from the commands' own definitions (`sahelrisk COMMAND --help` "
             "prints the same). Options before the command (`sahelrisk --threads 2 run`) apply to any command.", ""]

    def visit(command: Any, path: list[str]) -> None:
        title = " ".join(path)
        lines.extend([f"## `{title}`", "", (command.help or "").strip(), ""])
        params = [p for p in command.params if p.name not in ("help", "install_completion", "show_completion")]
        if params:
            lines.extend(["| option | meaning | default |", "|---|---|---|"])
            for p in params:
                names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts]) if p.param_type_name == "option" \
                    else f"`{(p.name or '').upper()}`"
                default = p.default if p.default not in (None, (), [], False) and not callable(p.default) else ""
                lines.append(f"| {names} | {_cell(getattr(p, 'help', '') or '')} | {_cell(default)} |")
            lines.append("")
        for name, sub in getattr(command, "commands", {}).items():   # a group: its commands in their order
            visit(sub, [*path, name])

    visit(root, ["sahelrisk"])
    return "\n".join(lines) + "\n"


def http_reference() -> str:
    """The web app's HTTP reference, from its OpenAPI schema."""
    from sahelrisk.serving.app import ServeSettings, create_app

    with tempfile.TemporaryDirectory() as folder:
        # only the schema is read: the clock is never asked
        schema = create_app(ServeSettings(out_dir=Path(folder), data_dir=Path(folder),
                                          clock=lambda: datetime.fromtimestamp(0, timezone.utc))).openapi()
    lines = ["# HTTP API", "", "Generated from the web app's OpenAPI schema. A running app serves the same "
             "schema at `/openapi.json`, with Swagger UI at `/docs`. When the app has a token "
             "(`SAHELRISK_API_TOKEN`), computations and uploads need it as `Authorization: Bearer TOKEN`.", ""]
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            lines.extend([f"## `{method.upper()} {path}`", "", op.get("summary", ""), "",
                          _cell(op.get("description", "")), ""])
            params = op.get("parameters", [])
            if params:
                lines.extend(["| parameter | in | required | type | default |", "|---|---|---|---|---|"])
                for p in params:
                    kind = p.get("schema", {})
                    shown = kind.get("type") or " or ".join(a.get("type", "?") for a in kind.get("anyOf", []))
                    pattern = f" `{kind['pattern']}`" if "pattern" in kind else ""
                    lines.append(f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | "
                                 f"{_cell(shown)}{_cell(pattern)} | {_cell(kind.get('default', ''))} |")
                lines.append("")
            codes = ", ".join(sorted(op.get("responses", {})))
            lines.extend([f"Answers: {codes}.", ""])
    return "\n".join(lines) + "\n"


# --- MkDocs' hooks ------------------------------------------------------------------------------

def on_files(files: Any, config: Any) -> Any:
    """Add the generated reference pages and the screenshots."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, "reference/cli.md", content=cli_reference()))
    files.append(File.generated(config, "reference/http-api.md", content=http_reference()))
    for image in sorted(SCREENSHOTS.glob("*.png")):
        files.append(File.generated(config, f"screenshots/{image.name}", abs_src_path=str(image)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Anchor the glossary's terms; link every other page's first use of each to them."""
    if page.file.src_uri == GLOSSARY:
        return anchor_glossary(markdown)
    terms = glossary_terms((Path(config["docs_dir"]) / GLOSSARY).read_text())
    depth = page.file.src_uri.count("/")
    return link_terms(markdown, terms, "../" * depth + GLOSSARY)
