# Return a value too large to send back.
import numpy as np


def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
    return np.zeros(200_000_000, dtype=np.uint8), np.zeros(3)


distance = list(range(5_000_000))
