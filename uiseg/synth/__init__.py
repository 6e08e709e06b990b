"""Synthetic game screenshots with exact UI masks: uiseg's built-in training data (nothing is downloaded).

    from uiseg.synth import render, generate, FAMILIES, VAL_FAMILIES
    image, mask = render(seed=7, size=(224, 256))            # PIL RGB image, HxW bool mask (True = UI)
    generate(Path("data"), count=1000, sizes=[(224, 256)], seed=0, families=TRAIN_FAMILIES)

WORLDS are the kinds of game world; generate(..., worlds=...) draws only those, and OUT/meta.jsonl records
each sample's family and world kind. FAMILIES are style families (worlds, widgets, frames, fonts, colours
biased towards one kind of game); VAL_FAMILIES are kept out of TRAIN_FAMILIES so a validation score shows
generalisation to an unseen look. Masks follow the convention in the README ("What counts as UI").
"""

from uiseg.synth.families import FAMILIES, TRAIN_FAMILIES, VAL_FAMILIES
from uiseg.synth.generate import LAYOUTS, META, generate, sample_names
from uiseg.synth.render import render
from uiseg.synth.worlds import WORLDS

__all__ = ["FAMILIES", "LAYOUTS", "META", "TRAIN_FAMILIES", "VAL_FAMILIES", "WORLDS", "generate", "render",
           "sample_names"]
