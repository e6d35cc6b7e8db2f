# Write into the course folder, the temporary folder and the home folder.
import numpy as np

for path in ("../lrcourse-pwned.npy", "../../lrcourse-pwned.npy", "/tmp/lrcourse-pwned.npy",
             "/lrcourse-pwned.npy", "/usr/lrcourse-pwned.npy"):
    try:
        np.save(path, np.zeros(3))
    except OSError:
        pass
distance = 0.0
