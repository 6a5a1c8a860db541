"""The checked-in stubs are what protoc makes of proto/ today."""

import importlib.util
import pathlib
import shutil

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "generate_stubs.py"


def test_checked_in_stubs_match_the_proto():
    if not SCRIPT.exists() or not SCRIPT.parent.joinpath("..", "..", "proto").exists():
        pytest.skip("not run from a source checkout")
    if shutil.which("protoc") is None:
        pytest.skip("protoc is not installed (Debian: protobuf-compiler)")
    spec = importlib.util.spec_from_file_location("generate_stubs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    problems = module.stale_files()
    assert not problems, (
        "stale stubs; run clients/python/generate_stubs.py:\n"
        + "\n".join(diff[:2000] for _, diff in problems))
