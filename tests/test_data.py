"""uiseg.data: pairing by stem, whole-set checks with one line per problem, split, joint transforms, Dataset."""

from __future__ import annotations

import io
import pickle
import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from uiseg.data import Pair, SeededSampler, SegDataset, check_dataset, describe, eval_transform, pad_collate
from uiseg.data.dataset import split_pairs
from uiseg.data.discover import find_pairs
from uiseg.data.transforms import Geometry, train_transform
from uiseg.data.validate import mask_problem
from uiseg.errors import UisegError
from uiseg.images import read_mask, read_rgb
from uiseg.resize import aspect_size, resize_image, resize_nearest

H, W = 16, 24


def save(path, array, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    (array if isinstance(array, Image.Image) else Image.fromarray(array)).save(path, **kw)


def sample(i: int, h: int = H, w: int = W) -> tuple[np.ndarray, np.ndarray]:
    """Image i has red = 10*i; mask i has its first i columns white: a wrong pairing shows in the pixels."""
    image = np.dstack([np.full((h, w), 10 * i), np.full((h, w), 100), np.zeros((h, w))]).astype(np.uint8)
    mask = np.zeros((h, w), np.uint8)
    mask[:, :i] = 255
    return image, mask


def assert_matched(pair: Pair, i: int) -> None:
    assert read_rgb(pair.image)[0, 0, 0] == 10 * i, pair
    assert read_mask(pair.mask)[0].sum() == i, pair


def make_folders(root, ids, mask_ext=".png"):
    for i in ids:
        image, mask = sample(i)
        save(root / "images" / f"{i}.png", image)
        save(root / "masks" / f"{i}{mask_ext}", mask)


def messages(root) -> list[str]:
    with pytest.raises(UisegError) as info:
        check_dataset(root, workers=2)
    return str(info.value).splitlines()


def test_folders_layout_pairs_by_stem_not_by_order(tmp_path):
    # Images written in one shuffled order, masks in another and in mixed formats: only names can pair them.
    for i in random.Random(1).sample(range(1, 13), 12):
        save(tmp_path / "images" / f"{i}.png", sample(i)[0])
    for i in random.Random(2).sample(range(1, 13), 12):
        save(tmp_path / "masks" / f"{i}{['.png', '.bmp', '.webp'][i % 3]}", sample(i)[1], **(
            {"lossless": True} if i % 3 == 2 else {}))
    pairs = check_dataset(tmp_path, workers=2)
    assert [p.key for p in pairs] == sorted(str(i) for i in range(1, 13))
    for pair in pairs:
        assert_matched(pair, int(pair.key))
    image, mask = SegDataset(pairs, eval_transform((H, W)))[[p.key for p in pairs].index("7")]
    assert round(float(image[0, 0, 0]) * 255) == 70 and mask[0, 0].sum() == 7


def test_seed_layout_with_jpeg_masks_and_subfolders(tmp_path):
    where = {1: tmp_path, 2: tmp_path, 10: tmp_path, 3: tmp_path / "sub", 4: tmp_path / "sub" / "deeper"}
    order = random.Random(3).sample(list(where), len(where))
    for i in order:
        save(where[i] / f"{i}_input.png", sample(i)[0])
    for i in reversed(order):
        save(where[i] / f"{i}_target.jpg", sample(i)[1], quality=75)  # the tutorial's format: JPEG masks
    pairs = check_dataset(tmp_path, workers=0)
    assert [p.key for p in pairs] == ["1", "10", "2", "sub/3", "sub/deeper/4"]
    for pair in pairs:
        assert_matched(pair, int(pair.key.rsplit("/", 1)[-1]))


def test_folders_layout_recurses_into_subfolders(tmp_path):
    make_folders(tmp_path / "game_a", [1, 2])
    save(tmp_path / "images" / "night" / "5.PNG", sample(5)[0])  # subfolders inside images/ mirrored in masks/
    save(tmp_path / "masks" / "night" / "5.png", sample(5)[1])
    save(tmp_path / "images" / "._5.png", np.zeros((2, 2), np.uint8))  # macOS AppleDouble litter is ignored
    pairs, problems = find_pairs(tmp_path)
    assert problems == []
    assert [p.key for p in pairs] == ["game_a/1", "game_a/2", "night/5"]
    assert_matched(pairs[2], 5)



def test_image_without_mask_and_mask_without_image(tmp_path):
    make_folders(tmp_path, [1, 2])
    save(tmp_path / "images" / "3.png", sample(3)[0])
    save(tmp_path / "masks" / "4.png", sample(4)[1])
    save(tmp_path / "seed" / "1_input.png", sample(1)[0])
    save(tmp_path / "seed" / "2_target.png", sample(2)[1])
    assert messages(tmp_path) == [
        f"{tmp_path}/images/3.png: no mask; add {tmp_path}/masks/3.png or remove the image",
        f"{tmp_path}/masks/4.png: no image; add {tmp_path}/images/4.png or remove the mask",
        f"{tmp_path}/seed/1_input.png: no mask; add {tmp_path}/seed/1_target.png or remove the image",
        f"{tmp_path}/seed/2_target.png: no image; add {tmp_path}/seed/2_input.png or remove the mask",
    ]
    for pair in find_pairs(tmp_path)[0]:  # the gap does not shift later pairs (the tutorial's index pairing did)
        assert_matched(pair, int(pair.key))


def test_size_mismatch_and_duplicate_stems(tmp_path):
    make_folders(tmp_path, [1])
    save(tmp_path / "images" / "2.png", sample(2, 16, 24)[0])
    save(tmp_path / "masks" / "2.png", sample(2, 8, 12)[1])
    assert messages(tmp_path)[0].startswith(
        f"{tmp_path}/masks/2.png: image is 24x16 but mask is 12x8; re-export the mask at the image's size")
    save(tmp_path / "images" / "1.jpg", sample(1)[0])
    assert messages(tmp_path)[0] == (f"{tmp_path}/images/1.jpg, {tmp_path}/images/1.png: same name with "
                                     f"different extensions; keep one of them and remove the others")


def test_truncated_and_empty_files(tmp_path):
    make_folders(tmp_path, [1, 2, 3])
    data = (tmp_path / "images" / "2.png").read_bytes()
    (tmp_path / "images" / "2.png").write_bytes(data[: len(data) // 2])
    (tmp_path / "masks" / "3.png").write_bytes(b"")
    lines = messages(tmp_path)
    assert len(lines) == 2
    assert lines[0].startswith(f"{tmp_path}/images/2.png: unreadable or truncated image")
    assert lines[1] == f"{tmp_path}/masks/3.png: empty file (0 bytes); re-export or delete it"


def test_non_binary_masks(tmp_path):
    make_folders(tmp_path, [1])
    y, x = np.mgrid[:H, :W]
    save(tmp_path / "images" / "2.png", sample(2)[0])
    save(tmp_path / "masks" / "2.png", (x * 255 // W + y).astype(np.uint8))  # a gradient "photo"
    save(tmp_path / "images" / "3.png", sample(3)[0])
    save(tmp_path / "masks" / "3.png", (sample(3)[1] > 0).astype(np.uint8))  # label indices 0/1
    lines = messages(tmp_path)
    assert lines[0].startswith(f"{tmp_path}/masks/2.png: not a binary mask")
    assert lines[1].startswith(f"{tmp_path}/masks/3.png: mask values only reach 1")


def test_mask_problem_accepts_jpeg_ringing_rejects_noise():
    mask = np.zeros((40, 32), np.uint8)
    mask[3:20, 5:30] = mask[25:38, 2:9] = 255
    for quality in (30, 75):
        buf = io.BytesIO()
        Image.fromarray(mask).save(buf, "JPEG", quality=quality)
        ringing = np.asarray(Image.open(buf))
        assert ((ringing > 0) & (ringing < 255)).any()  # the test really has ringing
        assert mask_problem(ringing) is None
    assert "not a binary mask" in mask_problem(np.random.default_rng(0).integers(0, 256, (40, 32), dtype=np.uint8))
    assert mask_problem(np.zeros((8, 8), np.uint8)) is None  # a screenshot without UI is fine


def test_empty_and_missing_folders(tmp_path):
    expected = (f"{tmp_path}: no image/mask pairs found; expected {tmp_path}/images + {tmp_path}/masks "
                "or N_input/N_target files")
    assert messages(tmp_path) == [expected]
    (tmp_path / "images").mkdir()
    assert messages(tmp_path)[0].startswith(f"{tmp_path}/images: no masks folder beside it; add")
    with pytest.raises(UisegError, match="does not exist"):
        find_pairs(tmp_path / "nope")


def test_all_problems_reported_and_capped(tmp_path):
    for i in range(60):
        save(tmp_path / "images" / f"{i:03d}.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "masks").mkdir()
    lines = messages(tmp_path)
    assert len(lines) == 51 and lines[-1] == "... and 10 more"
    assert all(": no mask; add " in line for line in lines[:50])


def test_converted_modes_and_jpeg_masks_accepted(tmp_path):
    base, mask = sample(4)
    gray = base[..., 1]
    images = {
        "gray": Image.fromarray(gray, "L"),
        "rgba": Image.fromarray(np.dstack([base, np.full((H, W), 200, np.uint8)]), "RGBA"),
        "palette": Image.fromarray(base).convert("P"),
        "sixteen": Image.fromarray(gray.astype(np.uint16) * 257),
    }
    for name, im in images.items():
        save(tmp_path / "images" / f"{name}.png", im)
        save(tmp_path / "masks" / f"{name}.jpg", mask, quality=60)
    pairs = check_dataset(tmp_path)
    assert len(pairs) == 4
    for image, target in SegDataset(pairs, eval_transform((8, 12))):
        assert image.shape == (3, 8, 12) and target.shape == (1, 8, 12)
        assert target[0, :, :2].all() and not target[0, :, 2:].any()



def fake_pairs(n):
    return [Pair(f"{i:04d}", f"i{i}.png", f"m{i}.png") for i in range(n)]


def test_split_is_seeded_and_independent_of_input_order():
    pairs = fake_pairs(40)
    train, val = split_pairs(pairs, 0.1, seed=0)
    assert len(val) == 4 and len(train) == 36 and not {p.key for p in train} & {p.key for p in val}
    assert split_pairs(pairs[::-1], 0.1, seed=0) == (train, val)
    assert split_pairs(pairs, 0.1, seed=1)[1] != val
    train, val = split_pairs(fake_pairs(10), overfit_num=3, seed=5)  # overfit mode: train on what you validate
    assert train == val and len(train) == 3
    assert split_pairs(fake_pairs(10), overfit_num=3, seed=5) == (train, val)
    assert split_pairs(fake_pairs(1), overfit_num=1) == (fake_pairs(1), fake_pairs(1))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 60), fraction=st.floats(0.0, 0.95))
def test_split_keeps_one_of_each(n, fraction):
    train, val = split_pairs(fake_pairs(n), fraction, seed=n)
    assert len(val) >= 1 and len(train) >= 1 and len(train) + len(val) == n


def test_split_errors():
    with pytest.raises(UisegError, match="--overfit-num 1"):
        split_pairs(fake_pairs(1))
    with pytest.raises(UisegError, match="below 1"):
        split_pairs(fake_pairs(5), val_fraction=1.0)
    with pytest.raises(UisegError, match="from 1 to 10"):
        split_pairs(fake_pairs(10), overfit_num=11)



def blocky(h=37, w=53, seed=0):
    """A binary layout of big boxes and the image that equals it (white where the mask is on)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), bool)
    for _ in range(4):
        y, x = rng.integers(0, h - 8), rng.integers(0, w - 8)
        mask[y:y + rng.integers(6, 16), x:x + rng.integers(6, 20)] = True
    return np.repeat((mask * 255).astype(np.uint8)[..., None], 3, axis=2), mask


def near_edge(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1, mode="edge")
    around = [padded[1 + dy:1 + dy + mask.shape[0], 1 + dx:1 + dx + mask.shape[1]]
              for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    return np.any([a != mask for a in around], axis=0)


@pytest.mark.parametrize("policy", ["aspect", "stretch"])
def test_train_geometry_keeps_image_and_mask_aligned(policy):
    image, mask = blocky()
    geometry = Geometry(policy, (24, 32), crop_size=(16, 16) if policy == "aspect" else None)
    full = eval_transform((24, 32), "stretch")(image, mask)[1][0].numpy().astype(bool)
    rng, saw_full = np.random.default_rng(0), False
    for _ in range(40):
        out_image, out_mask = geometry(image, mask.astype(np.uint8), rng)
        m = out_mask.astype(bool)
        assert m.shape == ((16, 16) if policy == "aspect" else (24, 32))
        disagree = (out_image[..., 0] >= 128) != m
        assert not (disagree & ~near_edge(m)).any()  # only at box borders, where bilinear meets nearest
        saw_full |= np.array_equal(m, full)
    assert saw_full or policy == "aspect"  # stretch shows the whole image (UI on the edges) sometimes


def test_train_transform_output_contract_and_seeds():
    image = np.random.default_rng(0).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    mask = blocky(40, 30)[1]
    for policy in ("aspect", "stretch"):
        transform = pickle.loads(pickle.dumps(train_transform((16, 16), strength=2.0, policy=policy)))
        for seed in range(12):
            out_image, out_mask = transform(image, mask, seed)
            assert (out_image.shape, out_mask.shape, out_image.dtype, out_mask.dtype) == (
                (3, 16, 16), (1, 16, 16), torch.float32, torch.float32)
            assert type(out_image) is torch.Tensor and type(out_mask) is torch.Tensor
            assert 0.0 <= out_image.min() and out_image.max() <= 1.0
            assert set(out_mask.unique().tolist()) <= {0.0, 1.0}
        again = transform(image, mask, 5)
        assert all(torch.equal(a, b) for a, b in zip(again, transform(image, mask, 5)))  # the seed decides
        assert not torch.equal(again[0], transform(image, mask, 6)[0])
    pytest.raises(UisegError, train_transform, (0, 16))
    pytest.raises(UisegError, train_transform, (16, 16), 0.0, "native")


def test_eval_transform_is_the_shared_resize():
    image, mask = blocky(37, 53, seed=3)
    image = image // 3 + np.random.default_rng(0).integers(0, 100, image.shape, dtype=np.uint8)
    out_image, out_mask = eval_transform((16, 24), "stretch")(image, mask)
    assert torch.equal(out_image, torch.from_numpy(resize_image(image, (16, 24))).permute(2, 0, 1).float() / 255)
    assert torch.equal(out_mask[0], torch.from_numpy(resize_nearest(mask, (16, 24))).float())
    aspect_image, aspect_mask = eval_transform((16, 24), "aspect")(image, mask)
    assert tuple(aspect_image.shape[-2:]) == aspect_size(37, 53, (16, 24)) == tuple(aspect_mask.shape[-2:])


def test_pad_collate_marks_real_pixels():
    items = [(torch.ones(3, 4, 6), torch.ones(1, 4, 6)), (torch.ones(3, 5, 3), torch.zeros(1, 5, 3))]
    images, masks, valid = pad_collate(items)
    assert images.shape == (2, 3, 5, 6) and masks.shape == valid.shape == (2, 1, 5, 6)
    assert int(valid[0].sum()) == 24 and int(valid[1].sum()) == 15 and images[0, :, 4].sum() == 0


def test_augmentation_does_not_depend_on_workers(tmp_path):
    make_folders(tmp_path, [1, 2, 3, 4, 5, 6])
    dataset = SegDataset(check_dataset(tmp_path), train_transform((H, W), strength=1.0, crop_size=(8, 8)))

    def batches(workers):
        sampler = SeededSampler(len(dataset), seed=3)
        sampler.set_epoch(2)
        loader = torch.utils.data.DataLoader(dataset, batch_size=2, sampler=sampler, num_workers=workers)
        return [torch.cat([im.flatten(), m.flatten()]) for im, m in loader]

    first = batches(0)
    assert all(torch.equal(a, b) for a, b in zip(first, batches(2))) and len(first) == 3
    sampler = SeededSampler(6, seed=3)
    assert list(sampler) == list(sampler) and sorted(i for i, _ in sampler) == list(range(6))
    sampler.set_epoch(1)
    assert list(sampler) != list(SeededSampler(6, seed=3))


def test_dataset_picklable_and_loads_in_worker(tmp_path):
    make_folders(tmp_path, [1, 2, 3, 4], mask_ext=".jpg")
    pairs = check_dataset(tmp_path)
    dataset = pickle.loads(pickle.dumps(SegDataset(pairs, train_transform((H, W)))))
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=1, sampler=SeededSampler(4, 0))
    images, masks = next(iter(loader))
    assert images.shape == (2, 3, H, W) and masks.shape == (2, 1, H, W)
    raw_image, raw_mask = SegDataset(pairs, None)[3]
    assert raw_image.shape == (3, H, W) and int(raw_mask.sum()) == 4 * H
    assert describe(pairs).startswith("4 pairs; sizes 24x16 (4)")
