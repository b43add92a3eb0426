"""Reference for control_flow_grad: d2l 2.5.4's f and the gradient of f(a).sum()."""
import torch


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_flow_grad(a):
    a = a.detach().clone().requires_grad_(True)
    d = f(a)
    d.sum().backward()
    return a.grad
