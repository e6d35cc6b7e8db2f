# Print a gigabyte.
print("x" * 1_000_000_000)
distance = 0.0
