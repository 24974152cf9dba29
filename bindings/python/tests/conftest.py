"""Fixture models for the binding's tests, made by the converter from tests/fixtures.

EDGEBERT_CONVERT names the edgebert-convert binary (default: build/converter/edgebert-convert of
the repository); scripts/python_test.sh sets it.
"""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"


def convert_binary() -> str:
    path = os.environ.get("EDGEBERT_CONVERT", str(ROOT / "build" / "converter" / "edgebert-convert"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"edgebert-convert not found at {path}: build the repository or set EDGEBERT_CONVERT")
    return path


def convert(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([convert_binary(), *args], check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict:
    """.ebm files: the tiny classifier (fp32, int8) and the task heads (fp32)."""
    out = tmp_path_factory.mktemp("models")
    paths = {}
    convert("import", "--hf", str(FIXTURES / "tiny_bert" / "classifier"), "-o", str(out / "classifier.ebm"))
    paths["classifier"] = out / "classifier.ebm"
    convert("quantize", str(out / "classifier.ebm"), "-o", str(out / "classifier_int8.ebm"))
    paths["classifier_int8"] = out / "classifier_int8.ebm"
    # The task heads: BERT with WordPiece ("qa", ...) and RoBERTa with byte-level BPE
    # ("roberta_qa", ...).
    for family, prefix in (("tasks", ""), ("tasks_roberta", "roberta_")):
        for task in ("qa", "tagger", "mlm", "reranker"):
            path = out / f"{prefix}{task}.ebm"
            convert("import", "--hf", str(FIXTURES / family / task), "-o", str(path))
            paths[prefix + task] = path
    return paths


@pytest.fixture(scope="session")
def classifier_reference() -> dict:
    return json.loads((FIXTURES / "tiny_bert" / "reference.json").read_text())


@pytest.fixture(scope="session")
def tasks_references() -> dict:
    """The pipelines' outputs by model prefix: "" (BERT, WordPiece), "roberta_" (BPE)."""
    return {"": json.loads((FIXTURES / "tasks" / "reference.json").read_text()),
            "roberta_": json.loads((FIXTURES / "tasks_roberta" / "reference.json").read_text())}


@pytest.fixture(scope="session")
def tasks_reference(tasks_references) -> dict:
    return tasks_references[""]
