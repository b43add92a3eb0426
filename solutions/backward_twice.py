"""Reference for backward_twice: two backward calls on y = 2·xᵀx, graph retained: 8x."""
import torch


def backward_twice(x):
    x = x.detach().clone().requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    return x.grad
