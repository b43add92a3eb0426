"""The d2l stand-in's helpers behave as the book's d2l.torch does (chapters 2–3, devices)."""
from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from conftest import exercise, write_notebook  # noqa: E402
from grader.observe import d2l_standin  # noqa: E402

d2l = d2l_standin.module()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_device_helpers_return_the_machines_devices():
    """CPU devices where there is no GPU (as here and in CI); the book's CUDA devices where there is."""
    gpus = torch.cuda.device_count()
    cuda = [torch.device(f"cuda:{i}") for i in range(gpus)]
    assert d2l.cpu() == torch.device("cpu")
    assert d2l.num_gpus() == gpus
    assert d2l.try_all_gpus() == (cuda or [torch.device("cpu")])
    assert d2l.try_gpu() == (cuda[0] if gpus else torch.device("cpu"))
    assert d2l.try_gpu(gpus) == torch.device("cpu") and d2l.gpu(gpus) == torch.device("cpu")
    assert torch.ones(2).to(d2l.try_gpu()).device.type == ("cuda" if gpus else "cpu")


def test_timer_measures_and_sums():
    timer = d2l.Timer()
    time.sleep(0.01)
    first = timer.stop()
    timer.start()
    second = timer.stop()
    assert first >= 0.01 and timer.sum() == pytest.approx(first + second)
    assert timer.avg() == pytest.approx((first + second) / 2)
    assert timer.cumsum() == pytest.approx([first, first + second])


def test_accumulator_adds_resets_and_indexes():
    metric = d2l.Accumulator(3)
    metric.add(1, torch.tensor(2.0), 3.5)
    metric.add(1, 1, 1)
    assert metric[0] == 2.0 and metric[1] == 3.0 and metric[2] == 4.5 and metric[0:2] == [2.0, 3.0]
    metric.reset()
    assert metric.data == [0.0, 0.0, 0.0]


def test_synthetic_data_follows_the_linear_model():
    torch.manual_seed(0)
    w, b = torch.tensor([2.0, -3.4]), 4.2
    X, y = d2l.synthetic_data(w, b, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    assert (y - (X @ w + b).reshape(-1, 1)).abs().max() < 0.06


def test_linreg_squared_loss_and_sgd_train_a_line():
    torch.manual_seed(0)
    X, y = d2l.synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 200)
    w = torch.zeros(2, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    assert d2l.squared_loss(torch.tensor([[3.0]]), torch.tensor([1.0])).item() == 2.0
    for _ in range(200):
        d2l.squared_loss(d2l.linreg(X, w, b), y).sum().backward()
        d2l.sgd([w, b], 0.1, len(X))
        assert w.grad.abs().sum() == 0
    assert torch.allclose(w.detach().reshape(-1), torch.tensor([2.0, -3.4]), atol=0.05)
    assert abs(b.item() - 4.2) < 0.05


def test_load_array_batches_and_shuffles_only_for_training():
    features, labels = torch.arange(10.0).reshape(5, 2), torch.arange(5.0)
    batches = list(d2l.load_array((features, labels), 2, is_train=False))
    assert [len(y) for _, y in batches] == [2, 2, 1]
    assert torch.equal(batches[0][1], torch.tensor([0.0, 1.0]))
    torch.manual_seed(1)
    shuffled = torch.cat([y for _, y in d2l.load_array((features, labels), 5)])
    assert sorted(shuffled.tolist()) == labels.tolist()


def test_fashion_mnist_labels_and_workers():
    assert d2l.get_fashion_mnist_labels(torch.tensor([0, 9, 3])) == ["t-shirt", "ankle boot", "dress"]
    assert d2l.get_dataloader_workers() == 0


def test_accuracy_and_evaluate_accuracy():
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = torch.tensor([0, 2])
    assert d2l.accuracy(y_hat, y) == 1.0
    data = [(torch.eye(3), torch.tensor([0, 1, 1]))]
    assert d2l.evaluate_accuracy(lambda X: X, data) == pytest.approx(2 / 3)


def test_evaluate_loss_averages_over_examples():
    data = [(torch.ones(2, 1), torch.zeros(2)), (torch.ones(1, 1), torch.ones(1))]
    assert d2l.evaluate_loss(lambda X: X, data, d2l.squared_loss) == pytest.approx(1 / 3)


def _softmax_problem():
    torch.manual_seed(0)
    X = torch.randn(64, 4)
    y = (X[:, 0] > 0).long()
    return d2l.load_array((X, y), 16), torch.nn.Sequential(torch.nn.Linear(4, 2))


def test_train_epoch_ch3_with_a_torch_optimizer_and_with_the_books_updater():
    data, net = _softmax_problem()
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    first = d2l.train_epoch_ch3(net, data, loss, optimizer)
    for _ in range(5):
        last = d2l.train_epoch_ch3(net, data, loss, optimizer)
    assert last[0] < first[0] and 0 <= last[1] <= 1
    params = list(net.parameters())
    d2l.train_epoch_ch3(net, data, loss, lambda batch_size: d2l.sgd(params, 0.1, batch_size))
    assert all(p.grad.abs().sum() == 0 for p in params)


def test_animator_and_train_ch3_draw_their_curves():
    data, net = _softmax_problem()
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    d2l.train_ch3(net, data, data, loss, 3, torch.optim.SGD(net.parameters(), lr=0.5))
    lines = plt.gcf().axes[0].get_lines()
    assert len(lines) == 3 and all(len(line.get_xdata()) == 3 for line in lines)
    animator = d2l.Animator(legend=["a"])
    animator.add(1, torch.tensor(0.5))
    animator.add(2, 0.25)
    assert list(animator.axes[0].get_lines()[0].get_ydata()) == [0.5, 0.25]


def test_show_images_and_predict_ch3():
    axes = d2l.show_images(torch.rand(2, 28, 28), 1, 2, titles=["a", "b"])
    assert [ax.get_title() for ax in axes] == ["a", "b"]
    net = lambda X: torch.nn.functional.one_hot(torch.zeros(len(X), dtype=torch.long), 10).float()  # noqa: E731
    d2l.predict_ch3(net, [(torch.rand(6, 1, 28, 28), torch.tensor([0, 1, 2, 3, 4, 5]))], n=3)
    assert [ax.get_title() for ax in plt.gcf().axes] == ["t-shirt\nt-shirt", "trouser\nt-shirt",
                                                        "pullover\nt-shirt"]


def test_plot_set_axes_and_figsize():
    d2l.set_figsize((4, 3))
    assert tuple(plt.rcParams["figure.figsize"]) == (4, 3)
    x = torch.arange(0.0, 3.0, 1.0)
    d2l.plot(x, [x * 2, x ** 2], "x", "f(x)", legend=["2x", "x²"], xlim=[0, 2])
    axes = plt.gca()
    assert [list(line.get_ydata()) for line in axes.get_lines()] == [[0, 2, 4], [0, 1, 4]]
    assert axes.get_xlabel() == "x" and axes.get_xlim() == (0, 2)
    assert d2l.use_svg_display() is None


def test_tensor_one_liners():
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    assert d2l.size(x) == 4 and d2l.reshape(x, (4,)).shape == (4,)
    assert d2l.reduce_sum(x).item() == 11 and d2l.reduce_mean(x).item() == 2.75
    assert d2l.argmax(x, axis=1).tolist() == [1, 0] and d2l.transpose(x)[0, 1].item() == 3
    assert d2l.numpy(x).tolist() == [[1, 5], [3, 2]] and d2l.astype(x, torch.int64).dtype == torch.int64
    assert d2l.concat([x, x]).shape == (4, 2) and d2l.to(x, torch.float64).dtype == torch.float64


def test_a_chapter_3_notebook_runs_in_the_child(grader, tmp_path):
    cells = [
        "import torch\nfrom d2l import torch as d2l\ntimer = d2l.Timer()",
        "true_w, true_b = torch.tensor([2, -3.4]), 4.2\n"
        "features, labels = d2l.synthetic_data(true_w, true_b, 100)\n"
        "w = torch.zeros((2, 1), requires_grad=True)\nb = torch.zeros(1, requires_grad=True)\n"
        "for X, y in d2l.load_array((features, labels), 10):\n"
        "    d2l.squared_loss(d2l.linreg(X, w, b), y).sum().backward()\n"
        "    d2l.sgd([w, b], 0.03, 10)\n"
        "print('device', d2l.try_gpu(), 'took', timer.stop() >= 0)",
    ]
    report = grader.grade_file(write_notebook(tmp_path / "ch3.ipynb", cells))
    assert [cell.status for cell in report.cells] == ["ok", "ok"]
    assert "device cpu took True" in report.output
    assert exercise(report, "grad_of_dot").status == "missing"
