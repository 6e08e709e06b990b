"""ONNX export (torch.export-based "dynamo" exporter), fp16 conversion, simplification, checks, sessions.

The graph: input "image" (N x 3 x H x W float32 RGB in [0, 1]), output "logits" (N x C x H x W float32).
Batch, H and W are dynamic; H and W are expressed as multiples of the contract's pad_multiple
(`pad * Dim("h")`), so the ONNX dims read "16*h" / "16*w" and the constraint is part of the exported program.
There is no Resize/Upsample in the graph: the UNet up-samples with 2x2 transposed convolutions.
`dynamo=True` works for this model on torch >= 2.11, so there is no fall-back to the TorchScript-based exporter:
a failure there is a bug to report, not something to paper over with a different graph.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from uiseg.export.artifact import INPUT_NAME, OUTPUT_NAME, onnx_metadata_props

from uiseg.errors import UisegError

MIN_OPSET = 17
MAX_SIDE = 16384      # upper bound for the dynamic H and W, in pixels (the exporter wants a finite range)
MAX_BATCH = 4096


def export_onnx(deploy, example, *, opset: int, pad_multiple: int, static: bool):
    """Export the DeployModel (CPU, eval) to an in-memory ModelProto with dynamic batch (and H, W unless
    `static`: then H and W are fixed to the example's)."""
    import torch
    from torch.export import Dim

    dims = {0: Dim("batch", min=1, max=MAX_BATCH)}
    if not static:
        h = Dim("h", min=1, max=MAX_SIDE // pad_multiple)
        w = Dim("w", min=1, max=MAX_SIDE // pad_multiple)
        dims.update({2: pad_multiple * h, 3: pad_multiple * w})
    with torch.no_grad():
        program = torch.onnx.export(
            deploy.eval(), (example,), dynamo=True, dynamic_shapes={"image": dims},
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], opset_version=opset,
            verbose=False, optimize=True, external_data=False)
    model = program.model_proto
    # The exporter annotates every node with its Python stack trace and FX node (local paths, user names):
    # debugging aids nobody needs at run time, and they would make the same model differ from machine to machine.
    for node in model.graph.node:
        del node.metadata_props[:]
    model.doc_string = "uiseg UNet: RGB [0,1] NCHW 'image' -> 'logits'; see metadata_props['uiseg']"
    return model


def check(model) -> None:
    """onnx's full check (structure plus strict shape inference)."""
    import onnx

    onnx.checker.check_model(model, full_check=True)


def simplify(model):
    """onnxslim's graph simplification; the result is verified like any other artifact."""
    try:
        import onnxslim
    except ImportError:
        raise UisegError("--simplify needs onnxslim: pip install onnxslim (or drop --simplify)") from None
    return onnxslim.slim(model)


# Elementwise ops that may stay fp32 at the graph input (the in-graph normalisation) and the ops the fp16
# conversion knows how to handle; anything else is refused rather than converted blindly.
_PREFIX_OPS = {"Sub", "Div", "Mul", "Add"}
_FP16_OPS = _PREFIX_OPS | {"Conv", "ConvTranspose", "Relu", "MaxPool", "Concat", "Identity", "Sigmoid"}


def to_fp16(model):
    """Half-precision copy whose input and output stay float32 (keep-io-types).

    Written here rather than taken from onnxruntime.transformers.float16: that converter appends its Casts out of
    topological order and leaves stale value_info, so the result fails onnx.checker. Two regions stay fp32:
    the normalisation at the input ((x - mean) / std before any rounding) and the 1x1 head conv producing the
    logits, whose sum decides on which side of the threshold a pixel falls; all else (the convolutions, >99% of
    the work) runs in fp16. Casts go on exactly the edges where the precision changes.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    unknown = {n.op_type for n in graph.node} - _FP16_OPS
    if unknown:
        raise UisegError(f"--fp16: the graph has ops the fp16 conversion does not handle "
                         f"({', '.join(sorted(unknown))}); export without --fp16")
    inits = {t.name: t for t in graph.initializer}
    fp32 = _fp32_nodes(graph, inits)
    producer = {name: i for i, n in enumerate(graph.node) for name in n.output}
    graph_inputs = {i.name for i in graph.input}
    source = [onnx.NodeProto() for _ in graph.node]
    for copy, node in zip(source, graph.node):
        copy.CopyFrom(node)

    def is_fp32(value: str) -> bool:
        return value in graph_inputs or producer[value] in fp32

    nodes, casts, init_use = [], {}, {}
    for i, node in enumerate(source):
        want32 = i in fp32
        for k, value in enumerate(node.input):
            if value in inits:
                init_use.setdefault(value, set()).add(want32)
            elif value and is_fp32(value) != want32:
                if (value, want32) not in casts:
                    casts[(value, want32)] = f"{value}_to_{'fp32' if want32 else 'fp16'}"
                    nodes.append(helper.make_node("Cast", [value], [casts[(value, want32)]],
                                                  to=TensorProto.FLOAT if want32 else TensorProto.FLOAT16,
                                                  name=f"uiseg_cast_{len(casts)}"))
                node.input[k] = casts[(value, want32)]
        nodes.append(node)
    for output in graph.output:
        if not is_fp32(output.name):
            node = source[producer[output.name]]
            node.output[list(node.output).index(output.name)] = f"{output.name}_fp16"
            nodes.append(helper.make_node("Cast", [f"{output.name}_fp16"], [output.name],
                                          to=TensorProto.FLOAT, name="uiseg_cast_output"))
    for name, uses in init_use.items():
        tensor = inits[name]
        if len(uses) > 1:
            raise UisegError(f"--fp16: weight {name!r} feeds both fp32 and fp16 nodes; export without --fp16")
        if tensor.data_type == TensorProto.FLOAT and uses == {False}:
            half = numpy_helper.to_array(tensor).astype(np.float16)
            if not np.isfinite(half).all():
                raise UisegError(f"--fp16: weight {name!r} overflows float16; export without --fp16")
            tensor.CopyFrom(numpy_helper.from_array(half, name))
    graph.ClearField("node")
    graph.node.extend(nodes)
    graph.ClearField("value_info")  # stale float32 annotations; the checker re-infers types
    return out


def _fp32_nodes(graph, inits) -> set[int]:
    """Indices of the nodes kept in fp32: the elementwise prefix fed by the graph input, and Conv heads."""
    keep: set[int] = set()
    fp32_values = {i.name for i in graph.input}
    for i, node in enumerate(graph.node):
        data = [v for v in node.input if v and v not in inits]
        if node.op_type in _PREFIX_OPS and data and all(v in fp32_values for v in data):
            keep.add(i)
            fp32_values.update(node.output)
    outputs = {o.name for o in graph.output}
    keep.update(i for i, n in enumerate(graph.node) if n.op_type == "Conv" and set(n.output) & outputs)
    return keep


def with_metadata(model, meta: dict):
    """Replace metadata_props with the uiseg JSON plus one prop per contract key (in place; returns it)."""
    from onnx import helper

    del model.metadata_props[:]
    helper.set_model_props(model, onnx_metadata_props(meta))
    return model


def serialize(model) -> bytes:
    """One self-contained file: this UNet is a few MB, far below protobuf's 2 GB limit for inline weights."""
    if model.ByteSize() >= 2**31 - 1:
        raise UisegError("ONNX model over 2 GB: it would need external data, which uiseg does not write")
    return model.SerializeToString()


def graph_signature(data: bytes) -> str:
    """sha256 of the model with its metadata_props removed: equal signatures = same graph and weights."""
    import onnx

    model = onnx.load_from_string(data)
    del model.metadata_props[:]
    return hashlib.sha256(model.SerializeToString()).hexdigest()


def session(path: str | Path, device: str = "cpu"):
    """An ONNX Runtime session on CPU, or on CUDA with no silent CPU fall-back (TF32 off, for parity).
    Returns (session, provider) or (None, reason) when CUDA was asked for and the CUDA provider is missing."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if not device.startswith("cuda"):
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), "cpu"
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return None, ("onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu instead of "
                      "onnxruntime): ONNX verified on CPU only")
    index = int(device.split(":")[1]) if ":" in device else 0
    options.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    sess = ort.InferenceSession(str(path), options, providers=[
        ("CUDAExecutionProvider", {"device_id": str(index), "use_tf32": "0"})])
    if sess.get_providers()[0] != "CUDAExecutionProvider":
        return None, f"onnxruntime did not load the CUDA provider ({sess.get_providers()}): ONNX verified on CPU only"
    return sess, "cuda"
