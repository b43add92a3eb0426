"""Reference for detach_grad: z = y.detach() * x with y = x*x, so dz/dx = u = x*x."""
import torch


def detach_grad(x):
    x = x.detach().clone().requires_grad_(True)
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    return x.grad


def detach_grad_without_detach(x):
    """z = y * x = x³ without detach: 3x²."""
    x = x.detach().clone().requires_grad_(True)
    y = x * x
    z = y * x
    z.sum().backward()
    return x.grad
