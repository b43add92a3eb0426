"""Reference for grad_of_dot: the gradient of y = 2·xᵀx, by autograd (4x)."""
import torch


def grad_of_dot(x):
    x = x.detach().clone()
    if not torch.is_floating_point(x):
        x = x.float()  # like d2l's torch.arange(4.0): only floats can require grad
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    return x.grad
