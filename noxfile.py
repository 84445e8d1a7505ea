"""Sessions: one per backend, plus jax-x64, minimum versions, fuzz, parity, lint, docs and bench.

``nox`` with no arguments runs everything that can run on a CPU machine. torch is pinned to the CPU
build that installs quickly here (2.13.0); an unpinned torch pulls several GB of CUDA packages.
"""

from __future__ import annotations

import pathlib
import re

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = [
    "tests-numpy",
    "tests-strict",
    "tests-torch",
    "tests-jax",
    "tests-dask",
    "parity",
    "integrations",
    "tests-jax-x64",
    "tests-minimum",
    "lint",
    "docs",
]

TORCH = "torch==2.13.0"
# pytest-xdist (in the test extra) spreads a session over every core: CI's 2 cores halve its time
PYTEST = ["-q", "-p", "no:cacheprovider", "-n", "auto"]
BACKEND_PACKAGES = {
    "numpy": ["matplotlib", "pillow"],  # the plot tests run here
    "strict": [],
    "torch": [TORCH],
    "jax": ["jax"],
    "dask": ["dask[array]"],
    "cupy": ["cupy-cuda12x"],
}


def _tests(session: nox.Session, backend: str) -> None:
    session.install("-e", ".[test]", *BACKEND_PACKAGES[backend])
    session.run(
        "pytest",
        *(session.posargs or PYTEST),
        env={"LRSCHEDULE_TEST_BACKENDS": backend},
    )


for _backend in ("numpy", "strict", "torch", "jax", "dask", "cupy"):

    def _session(session: nox.Session, backend: str = _backend) -> None:
        _tests(session, backend)

    _session.__doc__ = f"The test suite with the {_backend} backend fixture."
    nox.session(name=f"tests-{_backend}", python=None)(_session)


@nox.session(name="tests-jax-x64", python=None)
def tests_jax_x64(session: nox.Session) -> None:
    """The JAX tests with float64 on (JAX_ENABLE_X64=1): the jax and jax-jit backends then
    compute in float64 with float64 defaults (jax-x64-jit, the same under x64, runs in tests-jax).
    One test checks the refusal of float64 without x64, which cannot happen here: deselected."""
    session.install("-e", ".[test]", "jax")
    session.run(
        "pytest",
        *(session.posargs or PYTEST),
        "tests",
        "-k",
        "jax and not jax-x64-jit",  # that backend runs in tests-jax already
        "--deselect",
        "tests/test_call.py::test_jax_jit_traces_once_and_float64_needs_x64",
        env={"LRSCHEDULE_TEST_BACKENDS": "jax", "JAX_ENABLE_X64": "1"},
    )


def _minimums() -> list[str]:
    """pyproject's lower bounds of the runtime dependencies, pinned: ``numpy>=1.26`` -> ``numpy==1.26``."""
    text = pathlib.Path("pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M)
    assert block is not None, "no dependencies in pyproject.toml"
    return [
        f"{name}=={version}" for name, version in re.findall(r'"([\w.-]+)>=([\w.]+)"', block[1])
    ]


@nox.session(name="tests-minimum", python=None)
def tests_minimum(session: nox.Session) -> None:
    """The test suite (NumPy and array-api-strict backends) on the oldest supported versions of
    the runtime dependencies, exactly pyproject's lower bounds."""
    pins = _minimums()
    session.install("-e", ".[test]", *pins)
    session.run(
        "python",
        "-c",
        "import numpy, array_api_compat; print(numpy.__version__, array_api_compat.__version__)",
    )
    session.run(
        "pytest",
        *(session.posargs or PYTEST),
        env={"LRSCHEDULE_TEST_BACKENDS": "numpy,strict"},
    )


@nox.session(python=None)
def fuzz(session: nox.Session) -> None:
    """Longer fuzzing: tests/test_fuzz.py with the hypothesis "fuzz" profile (a few minutes; not in
    the default run). Prints how many examples each test ran."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        *(session.posargs or PYTEST),
        "--hypothesis-show-statistics",
        "tests/test_fuzz.py",
        env={"LRSCHEDULE_HYPOTHESIS_PROFILE": "fuzz", "LRSCHEDULE_TEST_BACKENDS": "numpy"},
    )


@nox.session(python=None)
def parity(session: nox.Session) -> None:
    """Compare against the peers themselves: Keras 3 (numpy and torch backends) directly, and
    optax, torch.optim and transformers through golden values recomputed in this session."""
    session.install("-e", ".[test]", TORCH, "keras", "jax", "optax", "transformers")
    for keras_backend in ("numpy", "torch"):
        session.run(
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "parity",
            "tests/test_parity.py",
            env={"KERAS_BACKEND": keras_backend, "LRSCHEDULE_TEST_BACKENDS": "numpy"},
        )
    fresh = session.create_tmp() + "/golden"
    session.run("python", "tests/golden/make.py", "--out", fresh)
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_golden.py",
        env={"LRSCHEDULE_GOLDEN_DIR": fresh, "LRSCHEDULE_TEST_BACKENDS": "numpy,torch,jax"},
    )


@nox.session(python=None)
def integrations(session: nox.Session) -> None:
    """lrschedule.torch, lrschedule.keras and optax in real training loops (with their doctests).
    The Keras tests run each backend (jax, torch, numpy) in a subprocess; tensorflow is not
    installable here (and its tensors are not array API arrays)."""
    session.install("-e", ".[test]", TORCH, "jax", "optax", "keras")
    session.run(
        "pytest",
        *(session.posargs or PYTEST),
        "tests/test_integration_torch.py",
        "tests/test_integration_keras.py",
        "tests/test_integration_optax.py",
        "src/lrschedule/torch.py",
        "src/lrschedule/keras.py",
        env={"KERAS_BACKEND": "numpy"},  # in this process: no training, only calls and configs
    )


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict."""
    # torch and jax too: mypy checks the integrations against their real types
    session.install("-e", ".", "ruff==0.17.6", "mypy==2.4.1", "numpy", "matplotlib", TORCH, "jax")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=None)
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs --strict."""
    session.install("-e", ".", "mkdocs-material", "mkdocstrings[python]", "matplotlib")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(session.create_tmp() + "/site"))


@nox.session(python=None)
def bench(session: nox.Session) -> None:
    """The benchmark suite (benchmarks/run.py): every section but gpu, against hand-written
    expressions, Keras 3, optax and torch.optim; keeps the numbers the page shows in
    benchmarks/results/summary.json and writes docs/performance.md. Not a test. Arguments go to
    run.py (``-- --quick``, ``-- --only percall,compiled``, ``-- --no-write``, ``-- --render``)."""
    session.install(
        "-e", ".", TORCH, "jax", "optax", "keras", "dask[array]", "mpmath", "matplotlib"
    )
    session.run("python", "benchmarks/run.py", *session.posargs)
