"""The contract is checked where it is read (uiseg.config.load_contract), once for every backend, for evaluate
and for export: an unusable field is one line naming the file and the field, exit 1, never a traceback half-way
through a run. (segment, export and loading run over the same kinds in test_corpus*.py, via MODEL_KINDS.)"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from corpus import FIX_WORDS, TRACEBACK, rgb
from corpus_models import MODEL_KINDS
from PIL import Image

from uiseg.cli import main
from uiseg.config import Contract, load_contract
from uiseg.errors import UisegError

CONTRACT_KINDS = [k for k in MODEL_KINDS if k.msg.startswith("contract field")]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("contract-data")
    for i in range(2):
        (root / "images").mkdir(exist_ok=True)
        (root / "masks").mkdir(exist_ok=True)
        Image.fromarray(rgb(24, 32, i)).save(root / "images" / f"s{i}.png")
        Image.fromarray((rgb(24, 32, i)[..., 0] > 60).astype("uint8") * 255).save(root / "masks" / f"s{i}.png")
    return root


@pytest.mark.parametrize("kind", CONTRACT_KINDS, ids=lambda k: k.name)
def test_evaluate_refuses_an_unusable_contract(kind, data, tmp_path):
    model = kind.make(tmp_path / kind.file)
    flag = "-c" if kind.checkpoint else "-m"
    result = CliRunner().invoke(main, ["evaluate", str(data), flag, str(model), "--out", str(tmp_path / "r"),
                                       "--workers", "0", "--device", "cpu"])
    assert result.exit_code == 1 and TRACEBACK not in result.output, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(model) in lines[0] and kind.msg in lines[0] and FIX_WORDS.search(lines[0]), lines


@pytest.mark.parametrize("changes", [{}, {"resize_policy": "resize"}, {"resize_policy": "stretch"},
                                     {"pad_multiple": 1, "image_size": (7, 9)}, {"threshold": 0.01}])
def test_usable_contracts_load(changes):
    contract = Contract(**{**Contract().to_dict(), **changes})
    assert load_contract(contract.to_dict(), "m.onnx") == contract


@pytest.mark.parametrize("data, field", [
    ({"pad_multiple": 12}, "pad_multiple"), ({"pad_multiple": True}, "pad_multiple"),
    ({"image_size": [224, 256, 3]}, "image_size"), ({"threshold": float("inf")}, "threshold"),
    ({"threshold": 0}, "threshold"), ({"threshold": 1}, "threshold"), ({"mean": [0, 0, float("nan")]}, "mean"),
    ({"std": [1, 1, -1]}, "std"), ({"classes": [""]}, "classes"), ({"resize_policy": 3}, "resize_policy"),
])
def test_unusable_fields_are_named(data, field):
    with pytest.raises(UisegError) as err:
        load_contract({**Contract().to_dict(), **data}, "m.onnx")
    text = str(err.value)
    assert text.startswith(f"m.onnx: contract field {field} ") and "\n" not in text, text


def test_a_broken_contract_mapping_is_named():
    with pytest.raises(UisegError, match=r"^m\.ckpt: broken contract \(unknown Contract keys: size\)"):
        load_contract({"size": 3}, "m.ckpt")
