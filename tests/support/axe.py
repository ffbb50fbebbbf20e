"""axe-core (node_modules/axe-core, from package-lock.json: `make npm`) run in
the page under test. WebDriver's script injection is not subject to the
page's Content-Security-Policy, so axe runs on pages that allow no inline
script, and nothing is fetched."""

from pathlib import Path
from typing import Dict, List, Sequence

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 level AA, as axe tags its rules (each version's A and AA rules).
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
BEST_PRACTICE = ("best-practice",)

RUN = """
const [tags, done] = arguments;
axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(results => done({
  version: results.testEngine.version,
  violations: results.violations.map(rule => ({
    id: rule.id, impact: rule.impact, help: rule.help,
    targets: rule.nodes.map(node => node.target.join(' ')),
  })),
  passes: Object.fromEntries(results.passes.map(rule =>
    [rule.id, rule.nodes.map(node => node.target.join(' '))])),
  incomplete: Object.fromEntries(results.incomplete.map(rule =>
    [rule.id, rule.nodes.map(node => [node.target.join(' '),
      node.any.concat(node.all, node.none).map(check => check.message).join('; ')])])),
}), error => done({error: String(error)}));
"""


def run_axe(driver, tags: Sequence[str]) -> Dict:
    """axe's results for the page as it is now: `violations` (id, impact,
    help, targets), `passes` (rule id -> the targets that passed) and
    `incomplete` (rule id -> [target, why axe could not tell])."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make npm`")
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    results = driver.execute_async_script(RUN, list(tags))
    if "error" in results:
        pytest.fail(f"axe-core failed: {results['error']}")
    return results


def describe(violations: List[Dict]) -> str:
    """One line per violation: its id, impact and the elements it found."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}; {' | '.join(v['targets'])}" for v in violations
    )


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two #rrggbb colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
