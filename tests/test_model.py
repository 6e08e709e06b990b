"""UNet shapes and errors, DeployModel normalisation, and the LightningModule's pieces (no training here)."""

from __future__ import annotations

import pytest
import torch

from uiseg.config import Contract, ModelConfig
from uiseg.errors import UisegError
from uiseg.model import DeployModel, UNet, count_parameters
from uiseg.system import UisegSystem, lr_factor


@pytest.mark.parametrize("h,w", [(64, 64), (32, 96), (48, 16)])
@pytest.mark.parametrize("classes", [1, 2])
def test_unet_output_shape_matches_input(h, w, classes):
    net = UNet(num_classes=classes, base=4, depth=4).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 3, h, w))
    assert out.shape == (2, classes, h, w)
    assert out.dtype == torch.float32


@pytest.mark.parametrize("h,w,ph,pw", [(65, 64, 80, 64), (67, 71, 80, 80), (224, 250, 224, 256)])
def test_odd_size_error_names_padded_size(h, w, ph, pw):
    net = UNet(base=4, depth=4)
    with pytest.raises(UisegError, match=f"height={ph}, width={pw}"):
        net(torch.rand(1, 3, h, w))


def test_shallow_unet_accepts_sizes_its_depth_allows():
    net = UNet(base=4, depth=2).eval()  # multiple of 4 is enough
    with torch.no_grad():
        assert net(torch.rand(1, 3, 36, 44)).shape == (1, 1, 36, 44)


def test_default_unet_has_one_to_two_million_parameters():
    assert 1_000_000 <= count_parameters(UNet()) <= 2_000_000


def test_bad_unet_shape_is_an_error():
    with pytest.raises(UisegError, match="depth >= 1"):
        UNet(depth=0)


def test_deploy_model_normalises_inside_the_graph():
    torch.manual_seed(0)
    net = UNet(base=4, depth=2).eval()
    contract = Contract(mean=(0.1, 0.2, 0.3), std=(0.5, 0.25, 2.0))
    x = torch.rand(2, 3, 32, 32)
    mean = torch.tensor(contract.mean).view(1, 3, 1, 1)
    std = torch.tensor(contract.std).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(DeployModel(net, contract)(x), net((x - mean) / std))


def test_system_matches_deploy_model_and_keeps_only_unet_weights():
    torch.manual_seed(0)
    system = UisegSystem(ModelConfig(base=4, depth=2), Contract(image_size=(32, 32), pad_multiple=4),
                         {"loss": "bce"}).eval()
    assert all(k.startswith("model.") for k in system.state_dict())
    assert set(system.hparams) == {"model", "contract", "train"}
    assert all(type(v) is dict for v in system.hparams.values())  # plain values: weights_only-loadable
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(system(x), DeployModel(system.model, system.contract)(x))
        probs = system.predict_probs(x)
    assert probs.shape == (1, 1, 32, 32) and 0 <= probs.min() and probs.max() <= 1


def test_system_rejects_unknown_choices():
    with pytest.raises(UisegError, match="unknown optimizer 'sgd'"):
        UisegSystem(ModelConfig(base=4, depth=2), Contract(), {"optimizer": "sgd"})


def test_loss_options():
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 8, 8)
    target = (torch.rand(2, 1, 8, 8) > 0.7).float()
    model, contract = ModelConfig(base=4, depth=2), Contract()
    bce = UisegSystem(model, contract, {"loss": "bce"}).loss(logits, target)
    dice = UisegSystem(model, contract, {"loss": "bce+dice"}).loss(logits, target)
    weighted = UisegSystem(model, contract, {"loss": "bce", "pos_weight": 3.0}).loss(logits, target)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    torch.testing.assert_close(bce, expected)
    assert dice > bce and weighted > bce


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_lr_schedules_start_peak_and_end_where_documented(schedule):
    factors = [lr_factor(schedule, s / 100) for s in range(101)]
    assert factors[-1] < 0.02 and max(factors) == pytest.approx(1.0)
    if schedule == "onecycle":
        assert factors[0] == pytest.approx(0.04) and factors.index(max(factors)) == 15
    else:
        assert factors[0] == pytest.approx(1.0)
    assert lr_factor(schedule, 5.0) == factors[-1]  # past the end it holds, never errors


def test_time_budget_drives_the_schedule_when_it_is_further_than_steps():
    import time

    system = UisegSystem(ModelConfig(base=4, depth=2), Contract(), {"time_budget": 10.0})
    assert system._progress(50, 100) == 0.5  # not started: steps only
    system._train_start = time.monotonic() - 8.0
    assert 0.8 <= system._progress(10, 100) < 0.9
    assert system._progress(95, 100) == 0.95
