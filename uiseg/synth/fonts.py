"""Fonts, cached per process, plus the words games put on screen.

Sources: Pillow's built-in default font (FreeType, any size), Pillow's old bitmap font, matplotlib's
bundled DejaVu / STIX / Computer Modern TTFs when matplotlib is installed (it is an optional extra, so the
generator falls back to Pillow's fonts alone), and the procedural bitmap and stroke faces of faces.py.
Nothing is fetched at run time.
"""

from __future__ import annotations

import importlib.util
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont

from uiseg.synth import faces
from uiseg.synth.common import Rng

# matplotlib TTFs grouped by look; a style picks a group, so each image has a consistent typeface.
_MPL_GROUPS = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "cmss10.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "STIXGeneral.ttf",
              "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "cmr10.ttf"),
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "cmtt10.ttf"),
    "italic": ("DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf", "STIXGeneralBolIta.ttf"),
}
GROUPS = ("default", "bitmap", "sans", "serif", "mono", "italic", "grid", "stroke")
_PROCEDURAL = {"grid": 48, "stroke": 24}  # how many made-up faces of each kind a style can draw from


@lru_cache(maxsize=1)
def _mpl_font_dir() -> Path | None:
    # Locate the files without importing matplotlib (slow, and it may want a config folder).
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    return folder if folder.is_dir() else None


@cache
def available(group: str) -> tuple[str, ...]:
    """Font names usable for a group here: TTF file names, or 'default' / 'bitmap' for Pillow's own."""
    if group in ("default", "bitmap"):
        return (group,)
    if group in _PROCEDURAL:
        return tuple(f"{group}:{i}" for i in range(_PROCEDURAL[group]))
    folder = _mpl_font_dir()
    names = tuple(n for n in _MPL_GROUPS.get(group, ()) if folder is not None and (folder / n).is_file())
    return names or ("default",)  # no matplotlib: Pillow's font stands in


@lru_cache(maxsize=1024)
def get_font(spec: str, size: int):
    """The face a spec names (see faces.py) at a text size, cached per process (reused across samples)."""
    return faces.make(spec, max(6, int(size)), _pil_font)


@lru_cache(maxsize=512)
def _pil_font(name: str, size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    size = max(6, int(size))
    if name == "bitmap":
        return ImageFont.load_default_imagefont()
    if name == "default":
        return ImageFont.load_default(size)
    folder = _mpl_font_dir()
    # BASIC layout: no shaping is needed for these strings and it keeps output independent of libraqm.
    return ImageFont.truetype(str(folder / name), size, layout_engine=ImageFont.Layout.BASIC)


def text_size(font, text: str) -> tuple[int, int]:
    """Width and height of the ink box of `text` when drawn at the origin (includes the top bearing)."""
    _x0, _y0, x1, y1 = font.getbbox(text)
    return max(1, int(x1)), max(1, int(y1))


def line_height(font) -> int:
    return text_size(font, "Ag")[1] + 2


# What games write on screen; mixed with invented words so the model cannot rely on a vocabulary.
_WORDS_TEXT = (
    "the a of to and you your is it we go in on at this that hero king sword shield potion ether gold key "
    "door castle forest cave village tower dragon slime goblin knight mage thief quest item items magic "
    "power attack defend run escape talk look open chest found received learned level up experience "
    "damage heal poison save load continue options quit start new game world stage lives time score bonus "
    "coins ready fight victory defeat retry yes no buy sell equip status party map north south east west "
    "monster boss legend ancient crystal light dark fire ice thunder wind earth water stone bridge river "
    "ship sky star moon sun night day"
)
WORDS = tuple(_WORDS_TEXT.split())
MENU_WORDS = ("Items", "Magic", "Equip", "Status", "Skills", "Save", "Load", "Options", "Quit", "Attack",
              "Defend", "Run", "Flee", "Talk", "Check", "Party", "Map", "Config", "New Game", "Continue",
              "Settings", "Extras", "Buy", "Sell", "Craft", "Journal", "Abilities", "Inventory", "Resume",
              "Exit", "Controls", "Audio", "Video", "Back", "Confirm", "Cancel", "Yes", "No")
LABELS = ("HP", "MP", "SP", "EXP", "LV", "AP", "TP", "HEALTH", "ENERGY", "MANA", "STAMINA", "SHIELD", "FUEL",
          "PWR", "ATK", "DEF", "XP", "RAGE", "AMMO", "ARMOR")
COUNTERS = ("SCORE", "HI-SCORE", "HI", "TIME", "COINS", "GOLD", "LIVES", "STAGE", "WORLD", "ROUND", "LAP",
            "KILLS", "AMMO", "GEMS", "RINGS", "BONUS", "1UP", "2UP", "CREDITS", "WAVE", "ZONE", "$", "G")
BANNERS = ("STAGE CLEAR", "LEVEL UP!", "GAME OVER", "READY?", "GO!", "VICTORY", "YOU WIN", "PAUSED",
           "ROUND 1", "FIGHT!", "MISSION COMPLETE", "NEW RECORD", "BOSS", "WARNING", "K.O.", "CONTINUE?")
_SYLLABLES = ("ka", "ri", "mo", "zan", "tel", "vor", "ae", "lin", "dra", "gu", "shi", "ro", "bel", "qua",
              "nex", "ur", "tha", "mi", "kor", "el", "ven", "yo", "sar", "ix")


def invented_word(rng: Rng) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))


def name(rng: Rng) -> str:
    """A character name, in one of the cases games use."""
    word = invented_word(rng)
    return word.upper() if rng.chance(0.4) else word.capitalize()


def sentence(rng: Rng, words: int) -> str:
    """A line of dialog-like text: mostly common words, some invented, some numbers and punctuation."""
    out = []
    for _ in range(words):
        r = rng.py.random()
        if r < 0.75:
            out.append(rng.choice(WORDS))
        else:
            out.append(invented_word(rng) if r < 0.93 else str(rng.randint(1, 999)))
    text = " ".join(out)
    text = text[0].upper() + text[1:] + rng.choice((".", "!", "?", "...", ",", ""))
    return text.upper() if rng.chance(0.2) else text


def wrap(font, text: str, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to a pixel width; stops at max_lines (dialog boxes show a page at a time)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and text_size(font, trial)[0] > width:
            lines.append(current)
            current = word
            if len(lines) == max_lines:
                return lines
        else:
            current = trial
    if current and len(lines) < max_lines:
        lines.append(current)
    return lines
