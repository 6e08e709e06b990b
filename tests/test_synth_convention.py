"""The mask convention, pixel for pixel: panels are UI over their whole box, unframed pieces over their own
boxes only, shadows are not UI; effects never move the mask."""

from __future__ import annotations

import importlib
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from uiseg.synth import FAMILIES, fonts, post, render, ui_float, ui_hud, ui_text
from uiseg.synth.common import Rng
from uiseg.synth.families import sample_style
from uiseg.synth.frames import Element, canvas, panel, text

R = importlib.import_module("uiseg.synth.render")  # the module (the package exports the function)
H, W = 120, 200
GREY = (90, 120, 150)


def _style(**changes):
    st = sample_style(Rng(1, 2), "arcade_hud", H, W)
    base = {"ui_p": 1, "lh": H, "lw": W, "text": 14, "aa": True, "font": "default", "font2": "default",
            "alpha": 255, "frost": 0, "shadow": False, "outline": True, "text_shadow": False, "border": 2}
    return replace(st, **(base | changes))


def _composite(el: Element, st, x: int = 10, y: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Paste an element on a flat world the way render() does; returns (rgb, mask)."""
    base = Image.new("RGBA", (W, H), (*GREY, 255))
    mask = np.zeros((H, W), bool)
    R._composite(base, el, x, y, st, mask)
    return np.asarray(base.convert("RGB")), mask


def test_unframed_two_line_counter_leaves_world_between_lines_and_pieces():
    st = _style(frame="none")
    face = fonts.get_font("default", st.text)
    rows = [[("SCORE", face), ("001200", face)], [("TIME", face), ("321", face)]]
    el = ui_float._lines_element(Rng(3), st, rows, gap=12, framed=False, anchors=("tl",))
    assert len(el.boxes) == 4 and not el.shadow
    rgb, mask = _composite(el, st)
    (x0, y0), (x1, y1) = np.argwhere(mask).min(0)[::-1], np.argwhere(mask).max(0)[::-1]
    rows_on = mask[y0:y1 + 1, x0:x1 + 1].any(axis=1)
    assert not rows_on.all(), "no world row between the two lines"
    first = mask[y0:y0 + 5, x0:x1 + 1].any(axis=0)
    assert not first[:first.nonzero()[0].max()].all(), "no world column between 'SCORE' and '001200'"
    drawn = (rgb != GREY).any(axis=2)
    assert drawn[~mask].sum() == 0  # every drawn pixel (ink and outline) is inside a piece's box
    assert (~drawn[mask]).any()  # ...and the boxes hold world pixels too (between letters)


def test_icon_beside_an_unframed_counter_is_its_own_box():
    st = _style(frame="none")
    face = fonts.get_font("default", st.text)
    el = ui_float._lines_element(Rng(4), st, [[("x07", face)]], gap=4, framed=False, anchors=("tl",))
    el = ui_float._with_icon(Rng(5), el, W, H)
    assert len(el.boxes) == 2
    (_, _, ax1, _), (bx0, _, _, _) = sorted(el.boxes)
    assert ax1 < bx0  # a visible gap: two boxes, not their union
    _, mask = _composite(el, st)
    assert not mask[:, 10 + ax1:10 + bx0].any()


def test_framed_panel_is_ui_over_its_whole_box_border_included():
    st = _style(frame="plain", alpha=160, border=3, edge=(250, 250, 0))
    img, _ = canvas(60, 30)
    assert panel(img, (0, 0, 60, 30), st)
    rgb, mask = _composite(Element(img, [(0, 0, 60, 30)], shadow=True), st)
    assert mask[10:40, 10:70].all() and mask.sum() == 60 * 30
    border = np.zeros((H, W), bool)
    border[10:40, 10:70] = True
    border[13:37, 13:67] = False
    assert (rgb[border] == (250, 250, 0)).all()  # the border drawn is the border marked


def test_drop_shadow_pixels_outside_the_box_are_not_ui():
    st = _style(frame="plain", shadow=True)
    img, _ = canvas(60, 30)
    panel(img, (0, 0, 60, 30), st)
    rgb, mask = _composite(Element(img, [(0, 0, 60, 30)], shadow=True), st)
    shadow = (rgb.astype(int).sum(axis=2) < sum(GREY)) & ~mask
    assert shadow.sum() > 20  # a shadow was drawn down-right of the panel...
    assert not mask[shadow].any() and shadow[41:, :].any()  # ...and none of it is UI


def test_text_box_holds_the_outline_not_the_drop_shadow():
    st = _style(text_shadow=True)
    img, _ = canvas(120, 40)
    box = text(img, (2, 2), "FINAL LAP", st, fonts.get_font("default", 20), color=(250, 250, 250),
               outline=True)
    alpha = np.asarray(img.getchannel("A")) > 0
    inside = np.zeros_like(alpha)
    inside[box[1]:box[3], box[0]:box[2]] = True
    assert alpha[inside].any() and alpha[~inside].any()  # the shadow lies partly outside the box
    st = _style(text_shadow=False)
    img, _ = canvas(120, 40)
    box = text(img, (2, 2), "FINAL LAP", st, fonts.get_font("default", 20), color=(250, 250, 250),
               outline=True)
    alpha = np.asarray(img.getchannel("A")) > 0
    assert alpha.sum() == alpha[box[1]:box[3], box[0]:box[2]].sum()  # the outline is inside it


@pytest.mark.parametrize("maker", [ui_hud.hotbar, ui_hud.bar, ui_hud.hearts, ui_text.menu, ui_text.text_panel,
                                   ui_float.counter, ui_float.race, ui_hud.inventory])
def test_unframed_widgets_mark_pieces_not_their_union(maker):
    st = _style(frame="none")
    gaps = 0
    for seed in range(12):
        el = maker(Rng(seed, 9), st, W - 2, H - 2)
        if el is None:
            continue
        rgb, mask = _composite(el, st, 1, 1)
        drawn = (rgb != GREY).any(axis=2)
        assert not drawn[~mask].any()  # nothing drawn lies outside the boxes (no shadows without a panel)
        h, w = el.image.height, el.image.width
        gaps += int(not mask[1:1 + h, 1:1 + w].all())  # some world shows between pieces
    assert gaps > 0


def test_effects_never_move_the_mask(monkeypatch):
    kept = [render(seed, (96, 112))[1] for seed in range(16)]
    monkeypatch.setattr(post, "finish", lambda rng, img, p: img)
    monkeypatch.setattr(post, "retro", lambda rng, img, grid: img)
    monkeypatch.setattr(post, "four_shades", lambda img, pal, exact=False: img)
    for seed, mask in enumerate(kept):
        assert np.array_equal(render(seed, (96, 112))[1], mask)


def test_retro_palettes_and_dithering_keep_size_and_reduce_colours():
    img = np.asarray(render(3, (90, 120), "modern_flat")[0])
    for seed in range(6):
        out = post.retro(Rng(seed), img, 1 + seed % 3)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert len(np.unique(out.reshape(-1, 3), axis=0)) <= 32


@pytest.mark.parametrize("family", ["handheld", "platformer", "arcade_hud"])
def test_pixel_art_masks_sit_on_the_ui_pixel_grid(family):
    h, w = 480, 640
    grids = set()
    for seed in range(8):
        st = sample_style(Rng(seed, R._SALT, h, w, FAMILIES.index(family)), family, h, w, None)
        mask = render(seed, (h, w), family)[1]
        p = st.ui_p
        grids.add(p)
        cut = mask[:h // p * p, :w // p * p].reshape(h // p, p, w // p, p)
        assert (cut.all(axis=(1, 3)) == cut.any(axis=(1, 3))).all()  # each p x p block is all UI or none
    assert max(grids) > 1


def test_every_drawn_ui_pixel_is_in_the_mask(monkeypatch):
    # On a flat world, with effects, drop shadows and glows off (they are not UI), whatever the widgets
    # draw must lie inside the mask: no piece draws outside its own box.
    from uiseg.synth import ui_float

    flat = np.asarray(GREY, np.uint8)
    monkeypatch.setattr(R, "render_world", lambda rng, kind, h, w, p, d: np.tile(flat, (h, w, 1)))
    for name in ("finish", "retro"):
        monkeypatch.setattr(post, name, lambda rng, img, p: img)
    monkeypatch.setattr(post, "dim_world", lambda rng, world: world)
    monkeypatch.setattr(post, "four_shades", lambda img, pal, exact=False: img)
    sample = R.sample_style
    monkeypatch.setattr(R, "sample_style", lambda *a, **k: replace(sample(*a, **k), shadow=False, frost=0,
                                                                   text_shadow=False))
    plain = ui_float.text
    monkeypatch.setattr(ui_float, "text", lambda *a, **k: plain(*a, **(k | {"glow": None})))
    for seed in range(60):
        img, mask = R.render(seed, (144, 160))
        drawn = (np.asarray(img) != flat).any(axis=2)
        assert mask.any() and not (drawn & ~mask).any(), seed
