"""An example for my_control_flow (there is no single reference): data-dependent while and if."""
import torch


def my_control_flow(a):
    b = a * 3
    while b.abs() < 10:  # how often we scale depends on the value of a
        b = b * 3
    if b > 0:
        return torch.sin(b) + b
    return b * b / 10
