"""Reference for weighted_grad: d/dx sum(w * x**2) = 2 w x."""
import torch


def weighted_grad(x, w):
    x = x.detach().clone().requires_grad_(True)
    (w * x ** 2).sum().backward()
    return x.grad


def weighted_grad_unweighted(x, w):
    """Forgets w: 2x."""
    x = x.detach().clone().requires_grad_(True)
    (x ** 2).sum().backward()
    return x.grad
