"""A run as a plain PyTorch script: one file that needs only torch, numpy and scikit-learn, and
reproduces the run as configured (the data with its seed, the networks and their initial weights,
each objective, the optimiser, the batches and the steps), then prints the numbers the page shows.

The script is written for a reader: every objective is a few lines of torch, with
`nn.CrossEntropyLoss(label_smoothing=...)` where PyTorch's own loss is the same thing, and a
comment wherever the playground's conventions differ from PyTorch's. tests/test_export.py runs
scripts in a subprocess and checks their numbers against the engine's."""
from __future__ import annotations

import json
import textwrap

from playground.core.datasets import DEFAULT_GAP, DatasetSpec, is_table
from playground.core.objectives import CONFIDENCE_PENALTY, FOCAL, SMOOTHING, check_objectives
from playground.core.validation import check_int, fail
from playground.engine.engine import TrainConfig

_DATA = {  # how each shape draws its raw points, as datasets._raw does (tests/test_export.py checks)
    "moons": "x, y = datasets.make_moons(N, noise=NOISE, random_state=SEED)",
    "circles": "x, y = datasets.make_circles(N, noise=NOISE, factor=0.5, random_state=SEED)",
    "blobs": "# noise widens the clusters: std 0.5 at noise 0, 2.5 at noise 1\n"
             "x, y = datasets.make_blobs(N, centers=K, cluster_std=0.5 + 2.0 * NOISE, random_state=SEED)",
    "gaussian_quantiles": "x, y = datasets.make_gaussian_quantiles(n_samples=N, n_features=2, n_classes=K,\n"
                          "                                        random_state=SEED)\n"
                          "x = x + rng.normal(0, NOISE, size=x.shape)",
    "xor": "x = rng.uniform(-1, 1, size=(N, 2))\n"
           "x += np.sign(x) * 0.05  # a thin margin around the axes, as TensorFlow Playground keeps\n"
           "y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)\n"
           "x = x + rng.normal(0, NOISE, size=x.shape)",
    "spirals": "y = np.arange(N) % K\n"
               "r = rng.uniform(0.05, 1.0, size=N)\n"
               "theta = 2 * np.pi * y / K + 1.75 * np.pi * r\n"
               "x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)\n"
               "x = x + rng.normal(0, NOISE, size=x.shape)",
    "similar_classes": "# classes 0 and 1 share the top site of a circle, GAP apart; the rest, the others\n"
                       "angles = np.pi / 2 + 2 * np.pi * np.arange(K - 1) / (K - 1)\n"
                       "sites = np.stack([np.cos(angles), np.sin(angles)], axis=1)\n"
                       "pair = sites[0] + np.array([[-GAP / 2, 0.0], [GAP / 2, 0.0]])\n"
                       "centres = np.concatenate([pair, sites[1:]])\n"
                       "y = np.arange(N) % K\n"
                       "x = centres[y] + rng.normal(0, 0.05 + 0.5 * NOISE, size=(N, 2))",
}
_TIGHTNESS = '''

CLASSES = {classes}  # the three classes whose templates span the plane
PER_CLASS = {per_class}  # training points of each, as Mueller, Kornblith & Hinton (2019) project


@torch.no_grad()
def tightness(model, x, y):
    """MKH's picture as one number: in the plane through the three classes' templates (their rows
    of the last layer, bias appended), each point's distance to its class centre over the mean
    distance between centres. Lower is tighter; 0 when each class collapses to a point."""
    keep = torch.cat([torch.nonzero(y == c)[:PER_CLASS, 0] for c in CLASSES])
    h = model[:-1](x[keep]).double()  # the penultimate activations
    h = torch.cat([h, torch.ones(len(h), 1, dtype=h.dtype)], 1)  # the input the bias multiplies
    last = model[-1]
    t = torch.cat([last.weight, last.bias[:, None]], 1).double()[list(CLASSES)]
    d = t[1:] - t[0]
    e1 = d[0] / d[0].norm()
    e2 = d[1] - (d[1] @ e1) * e1
    p = (h - t.mean(0)) @ torch.stack([e1, e2 / e2.norm()]).T  # coordinates in the plane
    labels = y[keep]
    centres = torch.stack([p[labels == c].mean(0) for c in CLASSES])
    within = (p - centres[[CLASSES.index(int(c)) for c in labels]]).norm(dim=-1).mean()
    between = torch.pdist(centres).mean()
    return (within / between).item()
'''
_SMOOTHED = {  # a teacher's smoothing with eps a variable, by convention
    "uniform": "# PyTorch's own: (1 - eps) one-hot + eps / K on every class\n"
               "return nn.functional.cross_entropy(logits, y, label_smoothing=eps)",
    "others": "# eps spread over the K - 1 wrong classes only\n"
              "onehot = nn.functional.one_hot(y, K).to(logits.dtype)\n"
              "target = onehot * (1 - eps) + (1 - onehot) * eps / (K - 1)\n"
              "return -(target * torch.log_softmax(logits, -1)).sum(-1).mean()",
}


def _objective_lines(kind: str, value: float, convention: str) -> tuple[str, str]:
    """(a short name, the body of `loss(logits, y)`) for one objective."""
    if kind == SMOOTHING and value >= 0 and convention == "uniform":
        return (f"label smoothing eps={value:g}",
                f"# PyTorch's own: the target is (1 - eps) one-hot + eps / K on every class, the true one\n"
                f"return nn.functional.cross_entropy(logits, y, label_smoothing={value!r})")
    if kind == SMOOTHING:
        why = "" if value >= 0 else (
            "# negative smoothing (Wei et al. 2022): eps < 0 pushes the other classes' targets below 0,\n"
            "# which PyTorch's label_smoothing refuses, so the target is written out\n")
        if convention == "uniform":
            q = f"q_true, q_other = 1 - {value!r} + {value!r} / K, {value!r} / K"
        else:
            q = (f"# the 'others' convention: eps is spread over the K - 1 wrong classes only\n"
                 f"q_true, q_other = 1 - {value!r}, {value!r} / (K - 1)")
        name = f"negative smoothing eps={value:g}" if value < 0 else f"label smoothing eps={value:g} (others)"
        return name, (f"{why}{q}\n"
                      "onehot = nn.functional.one_hot(y, K).to(logits.dtype)\n"
                      "target = onehot * q_true + (1 - onehot) * q_other\n"
                      "return -(target * torch.log_softmax(logits, -1)).sum(-1).mean()")
    if kind == CONFIDENCE_PENALTY:
        return (f"confidence penalty beta={value:g}",
                f"# Pereyra et al. 2017: cross-entropy minus beta times the prediction's entropy\n"
                f"logp = torch.log_softmax(logits, -1)\n"
                f"entropy = -(logp.exp() * logp).sum(-1)\n"
                f"return (nn.functional.nll_loss(logp, y, reduction='none') - {value!r} * entropy).mean()")
    if kind == FOCAL:
        return (f"focal loss gamma={value:g}",
                f"# Lin et al. 2017: the cross-entropy of each point weighted by (1 - p_true) ** gamma\n"
                f"log_pt = torch.log_softmax(logits, -1).gather(-1, y[:, None])[:, 0]\n"
                f"return (-(1 - log_pt.exp()) ** {value!r} * log_pt).mean()")
    fail("kind", kind, "must be smoothing, confidence_penalty or focal")


def _data_block(data: DatasetSpec) -> str:
    if data.is_upload:
        rows = json.dumps([list(r) for r in data.points])
        columns = ", ".join(f"x{j + 1}" for j in range(data.features))
        return (f"# your own points, as uploaded: {columns}, label\n"
                f"POINTS = np.array({rows})\n"
                "x, y = POINTS[:, :-1], POINTS[:, -1].astype(np.int64)")
    if is_table(data.name):
        return f"x, y = datasets.load_{data.name}(return_X_y=True)  # bundled with scikit-learn"
    return _DATA[data.name]


def _standardised(data: DatasetSpec) -> bool:
    """Whether the inputs are standardised on the training split (tables, uploads of more than
    two columns) rather than scaled into the box before the split (the 2D shapes and uploads)."""
    return is_table(data.name) or data.features > 2


_AS_FLOATS = "x = np.asarray(x, dtype=np.float64)"
_INTO_BOX = """\
x = np.asarray(x, dtype=np.float64)
centre = (x.max(0) + x.min(0)) / 2  # into the playground's box: the largest |coordinate| is 1
x = (x - centre) / max(float(np.abs(x - centre).max()), 1e-12)
"""
_STANDARDISE = """\
# standardised on the training split only, as sklearn's StandardScaler (a constant input keeps scale 1)
mean, std = x_train.mean(0), x_train.std(0)
std = np.where(std < 10 * np.finfo(np.float64).eps, 1.0, std)
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
"""


def _loss_defs(slots: list[tuple[str, float]], convention: str) -> list[str]:
    out = []
    for i, (kind, value) in enumerate(slots):
        name, body = _objective_lines(kind, value, convention)
        body = textwrap.indent(body, "    ")
        out.append(f"def loss_{i}(logits, y, rows):\n    \"\"\"{name}\"\"\"\n{body}\n")
    return out


def _network(config: TrainConfig, inputs: int, k: int, steps: int) -> str:
    """A network's and its training's settings, as the script's dict of them."""
    return (f"{{'widths': {[inputs, *config.widths, k]}, 'activation': {config.activation!r}, "
            f"'optimizer': {config.optimizer!r}, 'lr': {float(config.lr)!r},\n"
            f"    'momentum': {float(config.momentum)!r}, 'batch_size': {int(config.batch_size)}, "
            f"'batch_seed': {int(config.seed)}, 'steps': {steps}}}")


def _script(title: str, data: DatasetSpec, k: int, networks: dict[str, str], middle: str, main: str,
            test_half_seed: int | None = None, extra: str = "") -> str:
    """The whole file: the data, the networks (name -> settings), `middle` (objectives and
    constants), the shared training and measuring code, `extra` functions, and `main`."""
    noise_line = "" if data.is_upload or is_table(data.name) else f"NOISE = {float(data.noise)!r}\n"
    gap = DEFAULT_GAP if data.gap is None else data.gap
    gap_line = f"GAP = {float(gap)!r}\n" if data.name == "similar_classes" else ""
    half = "" if test_half_seed is None else textwrap.indent(textwrap.dedent(f"""\
        # half of the held-out points fit the page's temperature scaling; its numbers are on the other half
        stratify = y_test.numpy() if np.bincount(y_test.numpy()).min() >= 2 else None
        _, half = train_test_split(np.arange(len(y_test)), test_size=0.5, random_state={test_half_seed},
                                   stratify=stratify)
        x_test, y_test = x_test[half], y_test[half]
        """), "    ")
    nets = "\n".join(f"{name} = {text}" for name, text in networks.items())
    standardised = _standardised(data)
    scaling = textwrap.indent(_STANDARDISE if standardised else "", "    ")
    return f'''"""Label Smoothing Playground: {title}, as a plain PyTorch script.

Needs only torch, numpy and scikit-learn (for the data); run it with `python this_file.py`. It draws
the same data, starts from the same weights and takes the same steps as the playground did, and
prints the numbers its page shows, measured on the held-out test points.
"""
import math

import numpy as np
import torch
from sklearn import datasets
from sklearn.model_selection import train_test_split
from torch import nn

torch.set_num_threads(1)  # the playground trains with one thread per op too (the same sums, in order)

# ---- the data: {data.name}, {data.size} points of {data.features} inputs, seed {data.seed}
N = {data.size}
K = {k}
SEED = {int(data.seed)}
{noise_line}{gap_line}TEST_FRACTION = {float(data.test_fraction)!r}
LABEL_NOISE = {float(data.label_noise)!r}  # share of training labels moved to another class


def make_data():
    rng = np.random.default_rng(SEED)
{textwrap.indent(_data_block(data), "    ")}
{textwrap.indent(_AS_FLOATS if standardised else _INTO_BOX, "    ").rstrip()}
    x_train, x_test, y_train, y_test = train_test_split(x, np.asarray(y), test_size=TEST_FRACTION,
                                                        random_state=SEED, stratify=y)
{scaling}    if LABEL_NOISE:  # label noise touches the training labels only
        flip = np.random.default_rng(SEED + 1)
        idx = flip.choice(len(y_train), size=round(LABEL_NOISE * len(y_train)), replace=False)
        y_train = y_train.copy()
        y_train[idx] = (y_train[idx] + flip.integers(1, K, size=len(idx))) % K
    f32 = lambda a: torch.tensor(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    i64 = lambda a: torch.tensor(np.ascontiguousarray(a, dtype=np.int64))  # noqa: E731
    return f32(x_train), i64(y_train), f32(x_test), i64(y_test)


# ---- the networks and how they train (batch_size 0: the whole training set every step; SGD
# only uses momentum; every model and seed of a network sees one batch order, from batch_seed)
{nets}
ACTIVATIONS = {{"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}}


def make_model(seed, net, dropout=0.0):
    """nn.Linear's default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn in the playground's order:
    one generator per seed, each layer's weights then its bias (so every objective starts alike)."""
    generator = torch.Generator().manual_seed(seed)
    widths, layers = net["widths"], []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        linear = nn.Linear(fan_in, fan_out)
        bound = 1 / math.sqrt(fan_in)
        with torch.no_grad():  # drawn as [fan_in, fan_out]: nn.Linear keeps the transpose
            linear.weight.copy_(((torch.rand(fan_in, fan_out, generator=generator) * 2 - 1) * bound).T)
            linear.bias.copy_((torch.rand(1, fan_out, generator=generator) * 2 - 1)[0] * bound)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[net["activation"]]())
            if dropout:  # the playground draws its own masks: the same rate, other draws
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)

{middle}

def train(loss, seed, x, y, net, weight_decay=0.0, dropout=0.0):
    """One model from its seed, `net["steps"]` steps of `loss(logits, labels, rows)` (rows: the
    batch's training points); weight decay is L2 added to the gradient, as torch.optim does."""
    torch.manual_seed(seed)  # dropout's masks, if any
    model = make_model(seed, net, dropout)
    if net["optimizer"] == "adam":
        optimiser = torch.optim.Adam(model.parameters(), lr=net["lr"], weight_decay=weight_decay)
    else:
        optimiser = torch.optim.SGD(model.parameters(), lr=net["lr"], momentum=net["momentum"],
                                    weight_decay=weight_decay)
    order = torch.Generator().manual_seed(net["batch_seed"])  # a fresh permutation every epoch
    size, batches = net["batch_size"], []
    for _ in range(net["steps"]):
        rows = slice(None)
        if size and size < len(y):
            if not batches:
                batches = list(torch.randperm(len(y), generator=order).split(size))[::-1]
            rows = batches.pop()
        optimiser.zero_grad()
        value = loss(model(x[rows]), y[rows], rows)
        if not torch.isfinite(value):
            print("  the loss diverged; this model stops here")
            break
        value.backward()
        optimiser.step()
    return model.eval()


@torch.no_grad()
def measure(model, x, y, bins=15):
    """Accuracy, NLL, ECE (Guo et al. 2017: 15 equal bins of confidence) and confidence minus accuracy."""
    logits = model(x)
    probs = torch.softmax(logits, -1)
    confidence, predicted = probs.max(-1)
    correct = (predicted == y).float()
    edges = torch.linspace(0, 1, bins + 1)
    bin_of = torch.bucketize(confidence, edges[1:-1], right=False)  # lo < confidence <= hi
    ece = 0.0
    for b in range(bins):
        inside = bin_of == b
        if inside.any():
            ece += inside.float().mean() * (correct[inside].mean() - confidence[inside].mean()).abs()
    return {{"accuracy": correct.mean().item(), "NLL": nn.functional.cross_entropy(logits, y).item(),
            "ECE": float(ece), "conf - acc": (confidence.mean() - correct.mean()).item()}}


def report(name, seed, numbers):
    print(f"{{name}}, seed {{seed}}: " + ", ".join(f"{{k}} {{v:.4f}}" for k, v in numbers.items()))
{extra}

if __name__ == "__main__":
    x_train, y_train, x_test, y_test = make_data()
{half}    print(f"{{len(y_train)}} training and {{len(y_test)}} test points, K = {{K}}")
{textwrap.indent(main, "    ")}
'''


def pytorch_script(data: DatasetSpec, config: TrainConfig, objectives: list[tuple[str, float]],
                   steps: int, seeds: int = 1, title: str = "a run", test_half: bool = False,
                   regularisers: list[tuple[float, float]] | None = None,
                   tightness: tuple[tuple[int, int, int], int] | None = None) -> str:
    """The script of `objectives` (kind, value) trained on `data` with `config` for `steps` steps,
    each with `seeds` seeds (config.seed, config.seed + 1, ...), as the engine trains them.
    test_half: measure on the half of the held-out points the sweep measures on (the other half
    fits its temperature scaling; sweep.split_held_out). regularisers: each objective's own
    (weight decay, dropout), as the Alternatives page's recipes have them; config's by default.
    tightness: (three classes, points per class): also print MKH's cluster tightness on the
    training points of those classes, as the Representations page measures it."""
    config = config.validated()
    slots = check_objectives(objectives)
    steps = check_int("steps", steps, 1, 1_000_000)
    seeds = check_int("seeds", seeds, 1, 100)
    k = data.build().num_classes  # checks every data setting
    own = regularisers or [(config.weight_decay, config.dropout)] * len(slots)
    if len(own) != len(slots):
        fail("regularisers", f"{len(own)} pairs", f"need one (weight decay, dropout) per objective "
             f"({len(slots)})")
    rows = []
    for i, ((kind, value), (decay, rate)) in enumerate(zip(slots, own)):
        name = _objective_lines(kind, value, config.convention)[0]
        name += f" + weight decay {decay:g}" * (decay > 0) + f" + dropout {rate:g}" * (rate > 0)
        rows.append(f"({name!r}, loss_{i}, {float(decay)!r}, {float(rate)!r})")
    table = ",\n    ".join(rows)
    losses = "\n".join(_loss_defs(slots, config.convention))
    middle = (f"\n# ---- the objectives (mean over the batch)\n{losses}"
              f"\nOBJECTIVES = [  # name, loss, weight decay, dropout\n    {table},\n]\n"
              f"SEEDS = {[int(config.seed) + j for j in range(seeds)]}  # each: its own initial weights\n")
    extra, measured = "", "report(name, seed, measure(model, x_test, y_test))"
    if tightness is not None:
        extra = _TIGHTNESS.format(classes=tuple(int(c) for c in tightness[0]), per_class=int(tightness[1]))
        measured = ("report(name, seed, {**measure(model, x_test, y_test),\n"
                    "                    \"tightness\": tightness(model, x_train, y_train)})")
    main = ("for name, loss, weight_decay, dropout in OBJECTIVES:\n"
            "    for seed in SEEDS:\n"
            "        model = train(loss, seed, x_train, y_train, NETWORK, weight_decay, dropout)\n"
            f"        {measured}")
    return _script(title, data, k, {"NETWORK": _network(config, data.features, k, steps)}, middle, main,
                   int(config.seed) if test_half else None, extra)


def distillation_script(data: DatasetSpec, teacher: TrainConfig, student: TrainConfig, eps: list[float],
                        temperatures: list[float], alpha: float, steps: int, seeds: int,
                        title: str = "Distillation") -> str:
    """Teachers at each ε, students that learn from them at each temperature T (Hinton et al.
    2015), and students alone, as the Distillation page trains them, each printed in that order."""
    teacher, student = teacher.validated(), student.validated()
    steps, seeds = check_int("steps", steps, 1, 1_000_000), check_int("seeds", seeds, 1, 100)
    k = data.build().num_classes  # checks every data setting
    middle = (f"""
# ---- the objectives
EPS = {[float(e) for e in eps]}  # the teachers' label smoothing
TEMPERATURES = {[float(t) for t in temperatures]}
ALPHA = {float(alpha)!r}  # the distillation term's weight; 1 - ALPHA weighs the true labels' cross-entropy
TEACHER_SEEDS = {[int(teacher.seed) + j for j in range(seeds)]}
STUDENT_SEEDS = {[int(student.seed) + j for j in range(seeds)]}  # student j learns from teacher j


def smoothed(eps):  # the teachers' label smoothing, {teacher.convention} convention
    def loss(logits, y, rows):
{textwrap.indent(_SMOOTHED[teacher.convention], "        ")}
    return loss


def distilled(q, temperature):
    \"\"\"Hinton et al. 2015: ALPHA T^2 CE(softmax(z/T), q_T) + (1 - ALPHA) CE(z, y), q_T the
    teacher's probabilities at T for the batch's training points.\"\"\"
    def loss(logits, y, rows):
        soft = -(q[rows] * torch.log_softmax(logits / temperature, -1)).sum(-1).mean()
        return ALPHA * temperature ** 2 * soft + (1 - ALPHA) * nn.functional.cross_entropy(logits, y)
    return loss
""")
    main = """teachers = {}
for eps in EPS:
    for seed in TEACHER_SEEDS:
        teachers[eps, seed] = model = train(smoothed(eps), seed, x_train, y_train, TEACHER)
        report(f"teacher eps={eps:g}", seed, measure(model, x_test, y_test))
for temperature in TEMPERATURES:
    for eps in EPS:
        for j, seed in enumerate(STUDENT_SEEDS):
            with torch.no_grad():
                q = torch.softmax(teachers[eps, TEACHER_SEEDS[j]](x_train) / temperature, -1)
            model = train(distilled(q, temperature), seed, x_train, y_train, STUDENT)
            report(f"student of eps={eps:g} at T={temperature:g}", seed, measure(model, x_test, y_test))
for seed in STUDENT_SEEDS:
    model = train(lambda logits, y, rows: nn.functional.cross_entropy(logits, y), seed, x_train, y_train,
                  STUDENT)
    report("student alone", seed, measure(model, x_test, y_test))"""
    networks = {"TEACHER": _network(teacher, data.features, k, steps),
                "STUDENT": _network(student, data.features, k, steps)}
    return _script(title, data, k, networks, middle, main)
