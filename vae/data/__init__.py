"""Datasets: real images, a fixed train/test split, class names. No downloads, ever.

Read in this order: dataset (Dataset, DatasetError, the registry DATASETS), load (load_dataset by
name, cached), builtin (MNIST 5k, Fashion-MNIST, full MNIST, digits), formats (IDX files), images
(your own images: a folder of class folders or an .npz). Callers import from here.
"""
from .builtin import DIGIT_NAMES, FASHION_NAMES, FASHION_SYSTEM_DIR
from .dataset import (CUSTOM, DATASETS, MAX_VALUES, SPLIT_SEED, SYSTEM_DIRS, TEST_FRACTION, Dataset,
                      DatasetError, DatasetInfo, check_data_path, open_regular, stratified_split)
from .formats import read_idx
from .images import IMAGE_SUFFIXES, MAX_IMAGE_SIZE, MAX_IMAGES, MAX_SOURCE_SIDE, MIN_PER_CLASS
from .load import binarized, data_options, dataset_for, dataset_stamp, load_dataset

__all__ = ["CUSTOM", "DATASETS", "DIGIT_NAMES", "FASHION_NAMES", "FASHION_SYSTEM_DIR",
           "IMAGE_SUFFIXES", "MAX_IMAGES", "MAX_IMAGE_SIZE", "MAX_SOURCE_SIDE", "MAX_VALUES",
           "MIN_PER_CLASS", "SPLIT_SEED", "SYSTEM_DIRS", "TEST_FRACTION", "Dataset",
           "DatasetError", "DatasetInfo", "binarized", "check_data_path", "data_options",
           "dataset_for", "dataset_stamp", "load_dataset", "open_regular", "read_idx", "stratified_split"]
