"""zeros_npy.py PATH SHAPE [PATH SHAPE ...]: writes f32 zeros of each shape
(comma-separated) to each .npy path."""

import sys

import numpy as np

for path, shape in zip(sys.argv[1::2], sys.argv[2::2]):
    np.save(path, np.zeros([int(d) for d in shape.split(",")], np.float32))
