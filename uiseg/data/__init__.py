"""Labelled data: discover and pair files, check the whole set, split, joint transforms, Dataset."""

from uiseg.data.dataset import SeededSampler, SegDataset, split_pairs
from uiseg.data.discover import Pair, find_pairs
from uiseg.data.transforms import eval_transform, pad_collate, to_unit_float, train_transform
from uiseg.data.validate import check_dataset, describe

__all__ = ["Pair", "SeededSampler", "SegDataset", "check_dataset", "describe", "eval_transform", "find_pairs",
           "pad_collate", "split_pairs", "to_unit_float", "train_transform"]
