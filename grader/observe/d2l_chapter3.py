"""The book's chapter 3 helpers (linear regression and softmax from scratch), for d2l_standin.

Re-implemented with d2l.torch's names, signatures and behaviour; `train_ch3` and `predict_ch3`
draw through d2l_standin's Animator and show_images, as the book's do.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from grader.observe.d2l_plotting import Animator, show_images


class Timer:
    """Several timed runs: start/stop, then their average, sum and running sum."""

    def __init__(self):
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        self.tik = time.time()

    def stop(self) -> float:
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list[float]:
        return np.cumsum(self.times).tolist()


class Accumulator:
    """Running sums of n quantities (correct predictions, examples…)."""

    def __init__(self, n: int):
        self.data = [0.0] * n

    def add(self, *args) -> None:
        self.data = [total + float(value) for total, value in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, index):
        return self.data[index]


def synthetic_data(w, b, num_examples):
    """Features X ~ N(0, 1) and labels y = Xw + b + N(0, 0.01²) noise, y as a column."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = X @ w + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    return X @ w + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size) -> None:
    """One minibatch step on each parameter, then its gradient zeroed."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def load_array(data_arrays, batch_size, is_train=True):
    dataset = torch.utils.data.TensorDataset(*data_arrays)
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=is_train)


def get_fashion_mnist_labels(labels) -> list[str]:
    names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
             "bag", "ankle boot"]
    return [names[int(i)] for i in labels]


def get_dataloader_workers() -> int:
    """Data loading in the grader's child stays in-process."""
    return 0


def accuracy(y_hat, y) -> float:
    """How many predictions (the argmax of each row, or the values) equal the labels."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    return float((y_hat.type(y.dtype) == y).type(y.dtype).sum())


def evaluate_accuracy(net, data_iter) -> float:
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def evaluate_loss(net, data_iter, loss) -> float:
    metric = Accumulator(2)
    for X, y in data_iter:
        out = net(X)
        losses = loss(out, y.reshape(out.shape))
        metric.add(losses.sum(), losses.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    """One epoch; a torch optimizer steps on the mean loss, the book's own `updater(batch_size)`
    on the summed loss. Returns (mean training loss, training accuracy)."""
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        losses = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            losses.mean().backward()
            updater.step()
        else:
            losses.sum().backward()
            updater(X.shape[0])
        metric.add(float(losses.sum().detach()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train for `num_epochs`, drawing loss and accuracies per epoch (the book's thresholds on
    the final numbers are asserts about Fashion-MNIST, not checked here)."""
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=["train loss", "train acc", "test acc"])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        animator.add(epoch + 1, train_metrics + (evaluate_accuracy(net, test_iter),))


def predict_ch3(net, test_iter, n=6) -> None:
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [true + "\n" + pred for true, pred in zip(trues, preds)]
    show_images(X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])


HELPERS = (Timer, Accumulator, synthetic_data, linreg, squared_loss, sgd, load_array,
              get_fashion_mnist_labels, get_dataloader_workers, accuracy, evaluate_accuracy,
              evaluate_loss, train_epoch_ch3, train_ch3, predict_ch3)
