"""`uiseg export` end to end: files written, metadata round trip, flags, and bad input -> one-line errors."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner
from test_parity import CONTRACT, tiny_checkpoint  # one tiny model for both files (tests/ is on sys.path)

from uiseg.cli import main
from uiseg.errors import UisegError


def invoke(*args):
    return CliRunner().invoke(main, ["export", *map(str, args)])


def one_line_error(result, *needles):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.strip().splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.ckpt")


@pytest.fixture(scope="module")
def ts_only(ckpt, tmp_path_factory):
    out = tmp_path_factory.mktemp("ts")
    result = invoke(ckpt, "--out", out, "--no-onnx")
    assert result.exit_code == 0, result.output
    return out, result


def test_no_onnx_writes_only_torchscript(ts_only):
    out, result = ts_only
    assert sorted(p.name for p in out.iterdir()) == ["export.json", "model.ts"]
    assert "parity: PASSED" in result.output and "export " in result.output


@pytest.mark.parity
def test_onnx_form_writes_beside_checkpoint_and_metadata_round_trips(ckpt, tmp_path):
    from uiseg.export.artifact import contract_of, read_metadata

    from uiseg.checkpoint import sha256_file

    local = tmp_path / "run" / "best.ckpt"
    local.parent.mkdir()
    local.write_bytes(ckpt.read_bytes())
    result = invoke("--onnx", local)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in local.parent.iterdir())
    assert names == ["best.ckpt", "export.json", "model.onnx", "model.ts"]   # no temp files or folders left
    manifest = json.loads((local.parent / "export.json").read_text())
    assert manifest["checkpoint_sha256"] == sha256_file(local) and manifest["opset"] == 18
    assert {"torch", "onnx", "onnxruntime"} <= set(manifest["versions"]) and manifest["export_seconds"] > 0
    for name in ("model.ts", "model.onnx"):
        path = local.parent / name
        assert manifest["files"][name]["sha256"] == sha256_file(path)
        assert manifest["files"][name]["size"] == path.stat().st_size
        meta = read_metadata(path)
        assert contract_of(path) == CONTRACT and meta["model"]["depth"] == 2
        assert meta["checkpoint_sha256"] == manifest["checkpoint_sha256"]
        assert meta["parity"]["passed"] and {r["file"] for r in meta["parity"]["rows"]} == {name}
    import onnx

    props = {p.key: p.value for p in onnx.load(str(local.parent / "model.onnx")).metadata_props}
    assert set(CONTRACT.to_dict()) <= set(props) and json.loads(props["uiseg"])["opset"] == 18


def test_no_verify_records_skipped(ckpt, tmp_path):
    from uiseg.export.artifact import read_metadata

    result = invoke(ckpt, "--out", tmp_path, "--no-onnx", "--no-verify")
    assert result.exit_code == 0 and "parity" not in result.output, result.output
    assert json.loads((tmp_path / "export.json").read_text())["parity"]["status"] == "skipped"
    assert read_metadata(tmp_path / "model.ts")["parity"] == {"status": "skipped", "passed": None}


def test_no_torchscript_static_shape(ckpt, tmp_path):
    import onnx
    from uiseg.export.artifact import read_metadata

    result = invoke(ckpt, "--out", tmp_path, "--no-torchscript", "--static-shape", "32x52")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json", "model.onnx"]
    dims = onnx.load(str(tmp_path / "model.onnx")).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 3, 32, 52]
    assert read_metadata(tmp_path / "model.onnx")["static_shape"] == [32, 52]


def test_torchscript_loads_without_uiseg(ts_only):
    out, _ = ts_only
    code = ("import sys, torch; m = torch.jit.load(sys.argv[1]); y = m(torch.rand(1, 3, 20, 36)); "
            "assert tuple(y.shape) == (1, 1, 20, 36); assert not any(k.startswith('uiseg') for k in sys.modules)")
    subprocess.run([sys.executable, "-W", "ignore", "-c", code, str(out / "model.ts")], check=True, timeout=120)


def test_import_uiseg_stays_light():
    code = ("import sys, uiseg, uiseg.export, uiseg.export.artifact, uiseg.cli; "
            "heavy = [m for m in ('torch', 'onnx', 'onnxruntime') if m in sys.modules]; assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_failed_verification_writes_nothing_and_exits_1(ckpt, tmp_path, monkeypatch):
    from uiseg.export import verify

    monkeypatch.setattr(verify, "judge", lambda stats, precision: (0.0, False))
    result = invoke(ckpt, "--out", tmp_path, "--no-onnx")
    one_line_error(result, "parity check failed", "model.ts")
    assert "FAIL" in result.output and "parity: FAILED" in result.output
    assert not list(tmp_path.iterdir())


class _Payload:
    """Unpickling this would create a file: proof that a checkpoint can run code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def test_pickle_checkpoint_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": _Payload(marker)}, path)
    pickle.loads(pickle.dumps(_Payload(tmp_path / "probe")))   # the payload does run under plain pickle
    assert (tmp_path / "probe").exists()
    one_line_error(invoke(path, "--out", tmp_path / "out"), str(path), "refused")
    assert not marker.exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["truncated", "not_uiseg", "text"])
def test_bad_checkpoints_are_one_line_errors(ckpt, tmp_path, kind):
    path = tmp_path / "bad.ckpt"
    if kind == "truncated":
        path.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    elif kind == "not_uiseg":
        torch.save({"weights": torch.zeros(3)}, path)
    else:
        path.write_text("not a checkpoint")
    # (a text file currently reads "refused: ... arbitrary unpickling": uiseg.checkpoint treats every
    # UnpicklingError as a weights_only refusal; the line still names the file)
    one_line_error(invoke(path), str(path), {"truncated": "truncated", "not_uiseg": "not a uiseg checkpoint",
                                             "text": ""}[kind])


def test_usage_errors_exit_2(ckpt, tmp_path):
    assert invoke(tmp_path / "missing.ckpt").exit_code == 2
    assert "does not exist" in invoke(tmp_path / "missing.ckpt").output
    for args in (["--no-onnx", "--no-torchscript"], ["--no-onnx", "--fp16"], ["--opset", "16"],
                 ["--static-shape", "wide"], ["--device", "tpu"]):
        result = invoke(ckpt, "--out", tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
    one_line_error(invoke(ckpt, "--out", tmp_path, "--static-shape", "30x48"), "multiples of 4", "32x48")
    if not torch.cuda.is_available():
        one_line_error(invoke(ckpt, "--out", tmp_path, "--device", "cuda"), "no CUDA device", "--device cpu")


def _tiny_onnx(path, input_name="image", metadata=None):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", [input_name], ["logits"])], "g",
                              [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, 4, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    if metadata is not None:
        helper.set_model_props(model, {"uiseg": metadata})
    onnx.save(model, str(path))
    return path


def test_read_metadata_refuses_bad_artifacts(tmp_path):
    from uiseg.export.artifact import read_metadata

    def refused(path, *needles):
        with pytest.raises(UisegError) as info:
            read_metadata(path)
        assert str(path) in str(info.value) and all(n in str(info.value) for n in needles), str(info.value)

    refused(_tiny_onnx(tmp_path / "x.onnx", "x"), "input is 'x', expected 'image'", "uiseg export")
    refused(_tiny_onnx(tmp_path / "plain.onnx"), "no uiseg metadata")
    refused(_tiny_onnx(tmp_path / "eval.onnx", metadata="__import__('os').system('x')"), "invalid JSON")
    refused(_tiny_onnx(tmp_path / "old.onnx", metadata='{"format_version": 1}'), "missing")
    good = (tmp_path / "plain.onnx").read_bytes()
    (tmp_path / "cut.onnx").write_bytes(good[: len(good) // 2])
    refused(tmp_path / "cut.onnx", "corrupt")
    (tmp_path / "junk.onnx").write_bytes(bytes(range(256)) * 4)
    refused(tmp_path / "junk.onnx", "corrupt")
    (tmp_path / "empty.onnx").write_bytes(b"")
    refused(tmp_path / "empty.onnx", "corrupt")
    torch.save({"w": torch.zeros(2)}, tmp_path / "ckpt.ts")
    refused(tmp_path / "ckpt.ts", "not a TorchScript file")
    (tmp_path / "cut.ts").write_bytes(b"PK\x03\x04" + b"\0" * 64)
    refused(tmp_path / "cut.ts", "corrupt")
    refused(tmp_path / "model.pt2", "not found")
