"""Labelled data: discover and pair files, check the whole set, split, joint transforms, Dataset."""

from uiseg.data.dataset import SegDataset, split_pairs
from uiseg.data.discover import Pair, find_pairs
from uiseg.data.transforms import eval_transform, to_unit_float, train_transform
from uiseg.data.validate import check_dataset, describe

__all__ = ["Pair", "SegDataset", "check_dataset", "describe", "eval_transform", "find_pairs", "split_pairs",
           "to_unit_float", "train_transform"]
