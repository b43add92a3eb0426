"""Reference for backward_twice_error: the second backward without retain_graph raises."""
import torch


def backward_twice_error(x):
    x = x.detach().clone().requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    y.backward()  # RuntimeError: Trying to backward through the graph a second time ...
    return x.grad
