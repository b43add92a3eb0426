"""Reference for hessian: H[i] = gradient of g[i], g = ∇f computed with create_graph=True."""
import torch


def hessian(f, x):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(x.numel())]
    return torch.stack(rows)


def hessian_diagonal_only(f, x):
    """Only ∂²f/∂x_i², off-diagonal entries left at zero."""
    return torch.diag(torch.diagonal(hessian(f, x)))


def hessian_rows_accumulating(f, x):
    """x.grad not zeroed between rows: row i is the sum of rows 0..i."""
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    rows = []
    for i in range(x.numel()):
        g[i].backward(retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)
