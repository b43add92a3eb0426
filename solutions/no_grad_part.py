"""Reference for no_grad_part: y3 = x**2 + (x**3 under no_grad), so dy3/dx = 2x."""
import torch


def no_grad_part(x):
    x = x.detach().clone().requires_grad_(True)
    y1 = x ** 2
    with torch.no_grad():
        y2 = x ** 3
    y3 = y1 + y2
    y3.sum().backward()
    return x.grad


def no_grad_part_without_no_grad(x):
    """y2 recorded too: 2x + 3x²."""
    x = x.detach().clone().requires_grad_(True)
    y3 = x ** 2 + x ** 3
    y3.sum().backward()
    return x.grad
