"""Output names (corpus.NAME_TREES) through `uiseg segment`: no two inputs, and no input and an extra output,
ever share a file in OUT; an INPUT that exists is taken literally, glob characters and all."""

from __future__ import annotations

import json

import pytest
from corpus import TRACEBACK
from corpus_models import brightness_onnx
from corpus_trust import NAME_TREES, build_tree
from trustkit import cli, outputs
from uiseg.infer.io import name_outputs


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return brightness_onnx(tmp_path_factory.mktemp("names") / "bright.onnx")


@pytest.mark.parametrize("tree", NAME_TREES, ids=lambda t: t.name)
def test_names(tree, model, tmp_path):
    arg = build_tree(tmp_path / "in", tree)
    out = tmp_path / "out"
    run = cli("segment", arg, out, "-m", model, "--workers", 0, "--overlay", "--probs", "-q")
    assert TRACEBACK not in run.output
    if tree.masks is None:
        errors = [line for line in run.output.splitlines() if line.startswith("Error:")]
        assert run.code == 2 and len(errors) == 1, run.output
        assert all(str(tmp_path / "in" / f) in errors[0] for f in tree.files), errors[0]
        assert not (out / "results.jsonl").exists()
        return
    assert run.code == 0, run.output
    records = {json.loads(line)["path"]: json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()}
    assert {k: r["mask"] for k, r in records.items()} == tree.masks
    expected = {m for mask in tree.masks.values() for m in (mask, f"overlays/{mask}", f"probs/{mask}")}
    assert set(outputs(out)) == expected  # one file per output: nothing overwrote another


def test_name_rule_is_collision_free_on_awkward_lists():
    """Every list of names built from a few stems, extensions and folders: distinct outputs, or SetupError."""
    from itertools import combinations

    from uiseg.infer import SetupError

    names = ["a.png", "a.jpg", "a.jpg.png", "a.png.png", "overlays/a.png", "masks/overlays/a.png", "A.png",
             "probs/a.jpg", "masks/probs/a.jpg.png"]
    for n in range(1, 5):
        for subset in combinations(names, n):
            try:
                files = name_outputs({rel: rel for rel in subset})
            except SetupError as exc:
                assert "masks/" in str(exc)  # only the masks/ prefix can still meet another name
                continue
            outs = [f.out for f in files]
            assert len(set(outs)) == len(outs), subset
            assert not any(o.startswith(("overlays/", "probs/")) for o in outs), subset


def test_a_glob_that_names_no_existing_path_is_still_a_glob(model, tmp_path):
    tree = NAME_TREES[0]
    build_tree(tmp_path / "in", tree)
    run = cli("segment", f"{tmp_path}/in/a.*", tmp_path / "out", "-m", model, "--workers", 0, "-q")
    assert run.code == 0, run.output
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["path"] for line in lines) == ["a.jpg", "a.jpg.png", "a.png"]
