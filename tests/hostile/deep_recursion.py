# Recurse without end.
def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
    return adagrad_step(theta, grad, state_sum, lr, eps)


distance = 0.0
