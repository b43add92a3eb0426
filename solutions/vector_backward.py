"""Reference for vector_backward: the gradient of sum(v * f(x)), via y.backward(gradient=v)."""
import torch


def vector_backward(f, x, v):
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    y.backward(gradient=v.detach().to(y.dtype))
    return x.grad


def vector_backward_ignoring_v(f, x, v):
    """y.sum().backward(): the gradient for v = all ones."""
    x = x.detach().clone().requires_grad_(True)
    f(x).sum().backward()
    return x.grad
