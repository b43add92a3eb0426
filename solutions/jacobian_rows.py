"""Reference for jacobian_rows: the m×n Jacobian, one backward with a one-hot gradient per row."""
import torch


def jacobian_rows(f, x):
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    rows = []
    for i in range(y.numel()):
        e = torch.zeros_like(y)
        e[i] = 1
        if x.grad is not None:
            x.grad.zero_()
        y.backward(gradient=e, retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)


def jacobian_rows_transposed(f, x):
    """The gradients stacked as columns: n×m."""
    return jacobian_rows(f, x).T


def jacobian_rows_accumulating(f, x):
    """No zeroing between rows: row i is the sum of rows 0..i."""
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    rows = []
    for i in range(y.numel()):
        e = torch.zeros_like(y)
        e[i] = 1
        y.backward(gradient=e, retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)
