"""The documentation a newcomer, a content owner and an operator rely on.

The README stays short enough to read at once, every relative link between
the README, docs/ and results/ leads to a file that exists, and every page
in docs/ says at its top whom it is for.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 150

# [text](target) and ![alt](target), the target up to a space or ")";
# [label]: target at the start of a line (reference links).
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*)?\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.I)


def pages() -> list[Path]:
    return [
        ROOT / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
        *sorted((ROOT / "results").glob("*.md")),
    ]


def relative_links(markdown: str) -> list[str]:
    """The relative link targets of a markdown text, outside code."""
    prose = INLINE_CODE.sub("", FENCE.sub("", markdown))
    targets = INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)
    return [t for t in targets if not EXTERNAL.match(t)]


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file (or directory) does not exist."""
    broken: list[str] = []
    for target in relative_links(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    return broken


def audience_line(markdown: str) -> str:
    """The first line of prose after the title."""
    for line in markdown.splitlines():
        if line.strip() and not line.startswith("#"):
            return line
    return ""


def test_the_link_check_finds_what_it_should(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# there\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok too](there.md#a-section) ![gone](missing.png)\n"
        "[web](https://example.org/x.md) [mail](mailto:someone@example.org) [here](#top)\n"
        "`[not a link](nowhere.md)`\n"
        "```\n[nor this](nowhere.md)\n```\n"
        "[ref]: also-missing.md\n"
    )
    assert broken_links(page) == ["missing.png", "also-missing.md"]


def test_the_readme_is_at_most_150_lines() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; move detail into docs/ (at most {README_MAX_LINES})"
    )


def test_the_readme_shows_the_two_commands_and_links_each_reader() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    for doc in (
        "docs/content-owners.md",
        "docs/operations.md",
        "docs/channels.md",
        "docs/security.md",
    ):
        assert f"]({doc})" in readme, f"the README does not link {doc}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file(page: Path) -> None:
    assert broken_links(page) == [], f"{page.relative_to(ROOT)} links to missing files"


@pytest.mark.parametrize(
    "page", sorted((ROOT / "docs").rglob("*.md")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_doc_says_whom_it_is_for(page: Path) -> None:
    line = audience_line(page.read_text(encoding="utf-8"))
    assert line.startswith("For "), (
        f"{page.relative_to(ROOT)} should open with a line saying whom it is for "
        f"('For operators: ...'), not {line!r}"
    )
