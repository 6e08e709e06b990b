"""`uiseg doctor`: facts are gathered without crashing and verdicts name the fix."""

import json

from click.testing import CliRunner

from uiseg.cli import main
from uiseg.doctor import verdicts


def test_doctor_json_has_facts_and_verdicts(tmp_path):
    result = CliRunner().invoke(main, ["doctor", "--json", "--out", str(tmp_path / "not" / "yet")])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["torch"] and facts["verdicts"]["torch-cpu"] == "ready"
    assert facts["disk_free_gb"] > 0
    assert set(facts["verdicts"]) == {"torch-cpu", "torch-cuda", "torchscript", "onnxruntime-cpu",
                                      "onnxruntime-cuda"}


def test_both_onnxruntime_dists_is_called_out():
    facts = {"torch": "2.14", "cuda_available": False, "torch_cuda_build": None,
             "onnxruntime_dists": {"onnxruntime": "1.30", "onnxruntime-gpu": "1.31"}, "onnxruntime": "1.31"}
    v = verdicts(facts)
    assert "uninstall both" in v["onnxruntime-cpu"] and "uiseg[gpu]" in v["onnxruntime-cuda"]


def test_cuda_provider_that_does_not_load_is_not_ready():
    facts = {"torch": "2.14", "cuda_available": True, "torch_cuda_build": "13.0",
             "onnxruntime_dists": {"onnxruntime-gpu": "1.31"}, "onnxruntime": "1.31",
             "ort_providers": ["CUDAExecutionProvider", "CPUExecutionProvider"], "ort_cuda_loads": False,
             "ort_cuda_error": "libcudnn.so.9: cannot open shared object file"}
    v = verdicts(facts)
    assert v["torch-cuda"] == "ready"
    assert v["onnxruntime-cuda"].startswith("CUDA provider present but does not load (libcudnn")


def test_text_output_lists_each_backend():
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code == 0
    for name in ("torch-cpu", "onnxruntime-cpu", "onnxruntime-cuda"):
        assert name in result.output
