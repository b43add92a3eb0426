"""Reference for square_grad: d/dx sum(x**2) = 2x, the same inputs for every student."""


def square_grad(x):
    x = x.detach().clone().requires_grad_(True)
    (x ** 2).sum().backward()
    return x.grad
