"""Reference for leaf_again: a leaf copy of t's values that requires grad."""


def leaf_again(t):
    return t.detach().clone().requires_grad_(True)
