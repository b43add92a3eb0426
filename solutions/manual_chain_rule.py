"""Reference for manual_chain_rule: f'(x) for f(x) = log(x²)·sin(x) + 1/x, by hand.

d/dx log(x²) = 2x / x² = 2/x, so f'(x) = (2/x)·sin x + log(x²)·cos x − 1/x².
"""
import torch


def manual_chain_rule(x):
    return 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x) - 1 / x ** 2
