"""The README opens with the two commands a new user runs, and `.ci/run` runs the second one exactly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _first_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert block is not None, "README.md has no bash block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_install_and_serve_then_install_and_test() -> None:
    first, second = _first_commands()[:2]
    assert first == "scripts/install && .venv/bin/storyline serve --demo"
    assert second == "scripts/install --test && .venv/bin/python -m pytest -q"


def test_ci_runs_the_readme_second_command_exactly() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _first_commands()[1] in [line.strip() for line in ci]
