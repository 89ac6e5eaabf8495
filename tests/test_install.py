"""What ``scripts/install`` leaves behind beyond the pip packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="spaCy's wheels for Python >= 3.12 carry no profiling hooks")
@pytest.mark.skipif(shutil.which("c++") is None, reason="no C++ compiler: scripts/install leaves spaCy's wheel as it is")
def test_install_rebuilt_spacy_ner_decoder_without_profiling_hooks() -> None:
    """``scripts/install`` ran ``scripts/rebuild_spacy_parser.py``: the marker matches the installed files."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "rebuild_spacy_parser.py"), "--check"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuilt without profiling hooks" in result.stdout
