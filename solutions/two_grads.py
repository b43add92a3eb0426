"""Reference for two_grads: (4x, ones), two gradients on the same leaf, zeroed in between."""
import torch


def two_grads(x):
    x = x.detach().clone().requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    g1 = x.grad.clone()
    x.grad.zero_()
    x.sum().backward()
    g2 = x.grad.clone()
    return g1, g2


def two_grads_without_zeroing(x):
    """No x.grad.zero_(): g2 = 4x + 1."""
    x = x.detach().clone().requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    g1 = x.grad.clone()
    x.sum().backward()
    return g1, x.grad.clone()


def two_grads_aliased(x):
    """g1 is x.grad itself, zeroed and refilled by the second backward: (ones, ones)."""
    x = x.detach().clone().requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    g1 = x.grad
    x.grad.zero_()
    x.sum().backward()
    return g1, x.grad
