"""The `minigrad` command.

    minigrad train regression|binary|multiclass|svm|all|demos|curvature [--lr --epochs --seed --dtype
                   --optimizer sgd|adam --plot FILE.png --data toy|real --quiet --detect-anomaly]
    minigrad plot losses FILE.png
    minigrad check [--filter NAME --dtype float64|float32|both --seed N --json FILE --order 1|2]
    minigrad graph regression|binary|multiclass|svm --out FILE.png [--renderer auto|graphviz|matplotlib]
"""
import argparse
import sys

LESSONS = ("regression", "binary", "multiclass", "svm")
TITLES = {
    "regression": "Regression: y = 2x with one weight, mean squared error",
    "binary": "Binary classification: the AND gate, sigmoid + binary cross-entropy",
    "multiclass": "Multi-class classification: softmax + cross-entropy",
    "svm": "A linear SVM: hinge loss + 0.01 ||w||^2",
    "curvature": "Curvature: the lessons' second derivatives, and what they predict about training",
}
REAL_TITLES = {
    "regression": "Regression on scikit-learn's diabetes set, MSE",
    "binary": "Logistic regression on scikit-learn's breast cancer set",
    "multiclass": "Softmax regression and an MLP on scikit-learn's digits",
    "svm": "A linear SVM on scikit-learn's breast cancer set",
}


# The function of each lesson's module that prints its worked numbers (MSE/MAE/Huber tables, ...).
WORKED_NUMBERS = {"regression": "loss_tables", "binary": "worked_numbers", "multiclass": "worked_numbers"}


def lessons_module(name):
    import importlib
    return importlib.import_module(f"minigrad.lessons.{name}")


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def build_parser():
    parser = argparse.ArgumentParser(prog="minigrad", description="minigrad: learn how training works.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="run a lesson's training end to end")
    train.add_argument("lesson", choices=LESSONS + ("all", "demos", "curvature"),
                       help="which training to run (all = the four lessons; demos = 004's slower demos; "
                            "curvature = the Hessians of the lessons' losses: stable learning rates, Newton's method)")
    train.add_argument("--epochs", type=_positive(int), default=None,
                       help="number of epochs (default: the lesson's; the SVM trains until separated)")
    train.add_argument("--lr", type=_positive(float), default=None, help="learning rate (default: the lesson's)")
    train.add_argument("--seed", type=int, default=0, help="random seed for the initial weights")
    train.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    train.add_argument("--optimizer", choices=("sgd", "adam"), default=None,
                       help="default: sgd as the lessons write it (adam for --data real)")
    train.add_argument("--plot", metavar="FILE.png", default=None,
                       help="draw the loss curve (and the decision boundary for 2-D data) into FILE.png")
    train.add_argument("--data", choices=("toy", "real"), default="toy",
                       help="the lesson's toy data (default) or scikit-learn's bundled real data")
    train.add_argument("--quiet", action="store_true", help="print only the one-line verdicts")
    train.add_argument("--detect-anomaly", action="store_true",
                       help="train in anomaly mode: stop at the first backward that returns NaN and show the line "
                            "that created its op (minigrad.autograd.detect_anomaly)")
    plot = commands.add_parser("plot", help="draw a lesson's diagram")
    plot.add_argument("figure", choices=("losses",), help="losses: hinge, CE and MSE-on-sigmoid against the logit")
    plot.add_argument("file", metavar="FILE.png")
    check = commands.add_parser("check", help="every op and loss against PyTorch and finite differences")
    check.add_argument("--filter", metavar="NAME", default=None,
                       help="only the cases named NAME (e.g. cross_entropy), else those whose name contains it (e.g. loss)")
    check.add_argument("--dtype", choices=("float64", "float32", "both"), default="both",
                       help="the dtypes compared with PyTorch (default both); float64 also runs the finite differences")
    check.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    check.add_argument("--json", metavar="FILE", default=None, help="also write every row to FILE as JSON")
    check.add_argument("--order", type=int, choices=(1, 2), default=1,
                       help="1: values and gradients (default); 2: second derivatives, Hessian-vector products "
                            "against PyTorch and gradgradcheck against finite differences")
    graph = commands.add_parser("graph", help="draw the graph of one training step of a lesson, after backward")
    graph.add_argument("lesson", choices=LESSONS, help="the lesson whose training step to draw")
    graph.add_argument("--out", metavar="FILE.png", required=True, help="the picture: .png, .svg, .pdf or .dot")
    graph.add_argument("--renderer", choices=("auto", "graphviz", "matplotlib"), default="auto",
                       help="auto: Graphviz's dot if installed, else the built-in matplotlib layout")
    return parser


# Each lesson's toy data set (minigrad.lessons.datasets.toy) and the name its target gets in the drawing.
STEP_DATA = {"regression": ("regression", "y"), "binary": ("and", "y"), "multiclass": ("multiclass", "target"),
             "svm": ("svm", "y")}


def _step_loss(lesson, model, x, y):
    """The loss of one training step, as the lesson's training writes it."""
    from minigrad.lessons import svm
    from minigrad.nn import functional as F
    if lesson == "regression":
        return F.mse_loss(model(x), y)
    if lesson == "binary":
        return F.binary_cross_entropy(model(x).sigmoid(), y)
    if lesson == "multiclass":
        return F.cross_entropy(model(x), y)
    return svm.svm_loss(model(x).reshape(-1), y, model.weight)


def graph(args, out=print):
    """Draw one training step of a lesson: its model at the lesson's starting weights, the
    lesson's loss on its data, after backward (so the parameters show their gradients)."""
    from minigrad import lessons, viz
    from minigrad.lessons._common import quiet
    from minigrad.lessons.datasets import toy

    result = lessons.TRAININGS[args.lesson](epochs=1, out=quiet)  # the lesson builds its model...
    model = result.model
    model.load_state_dict(result.initial)                          # ...and we go back to its start
    model.zero_grad()                                              # (that epoch left its gradient behind)
    data_name, target_name = STEP_DATA[args.lesson]
    x, y = toy(data_name, dtype=model.weight.dtype)
    loss = _step_loss(args.lesson, model, x, y)
    loss.backward()
    names = {"x": x, target_name: y, **dict(model.named_parameters())}
    drawing = viz.draw_graph(loss, params=names, renderer=args.renderer)
    drawing.save(args.out)
    out(f"Wrote {args.out}: {len(drawing.nodes)} tensors, loss = {loss.item():.4g}")
    return drawing


def _runs(name, args):
    """The (title, keyword arguments) of each run `minigrad train NAME` makes.

    Without --lr, regression first replays the lesson's lr = 0.1 (it diverges, and says why)
    and then trains with a rate that converges. Without --epochs, the SVM first replays the
    lesson's 100 epochs (not yet separated) and then trains until it separates the data.
    """
    from minigrad.lessons import regression, svm
    common = dict(seed=args.seed, dtype=args.dtype)
    if args.optimizer is not None:
        common["optimizer"] = args.optimizer
    if args.epochs is not None:
        common["epochs"] = args.epochs
    if args.lr is not None:
        common["lr"] = args.lr
    if args.data == "real":
        if name == "multiclass":     # softmax regression, then an MLP
            return [("softmax regression", common), ("an MLP, one hidden layer of 64 ReLU units",
                                                     {**common, "hidden": 64})]
        return [("", common)]
    if name == "regression" and args.lr is None and args.optimizer in (None, "sgd"):
        return [(f"the lesson's lr = {regression.LESSON_LR}", {**common, "lr": regression.LESSON_LR}),
                (f"lr = {regression.DEFAULT_LR}, inside the stable range", common)]
    if name == "svm" and args.epochs is None:
        return [(f"the lesson's {svm.LESSON_EPOCHS} epochs", {**common, "epochs": svm.LESSON_EPOCHS}),
                ("until every sample is on its side", common)]
    return [("", common)]


def train(args, out=print):
    from minigrad import lessons  # imported here so `minigrad --help` stays fast
    from minigrad.lessons._common import quiet

    if args.lesson == "demos":
        from minigrad.lessons import demos
        if not args.quiet:
            out("== 004's demos: why cross-entropy, not MSE, on softmax; and why log_softmax ==")
        result = demos.run_all(out=quiet if args.quiet else out)
        if args.quiet:
            out(result.verdict)
        return [result]
    if args.lesson == "curvature":
        return _curvature(args, out)
    names = LESSONS if args.lesson == "all" else (args.lesson,)
    results = []
    for name in names:
        if not args.quiet:
            out(f"== {(TITLES if args.data == 'toy' else REAL_TITLES)[name]} ==")
        worked = WORKED_NUMBERS.get(name)
        if worked and not args.quiet and args.data == "toy":
            out("-- the lesson's worked numbers, recomputed --")
            getattr(lessons_module(name), worked)(out=out)
        for title, kwargs in _runs(name, args):
            if title and not args.quiet:
                out(f"-- {title} --")
            train_fn = lessons.TRAININGS[name] if args.data == "toy" else lessons_module(name).real_data
            try:
                with _anomaly_mode(args.detect_anomaly):
                    result = train_fn(**kwargs, out=quiet if args.quiet else out)
            except RuntimeError as error:
                if not args.detect_anomaly:
                    raise
                _explain_anomaly(error, out)
                return None
            if args.quiet:
                out(result.verdict)
            results.append(result)
        if not args.quiet:
            out("")
    if args.plot:
        from minigrad import plot
        plot.training_figure(results, args.plot)
        out(f"Wrote {args.plot}")
    return results


def _curvature(args, out):
    """`minigrad train curvature`: --lr adds a learning rate to its stability table, --epochs is
    the length of each training there, --seed the AND gate's starting draw."""
    from minigrad.lessons import curvature
    from minigrad.lessons._common import quiet
    if not args.quiet:
        out(f"== {TITLES['curvature']} ==")
    options = dict(lr=args.lr, seed=args.seed, dtype=args.dtype)
    if args.epochs is not None:
        options["epochs"] = args.epochs
    with _anomaly_mode(args.detect_anomaly):
        result = curvature.curvature(**options, out=quiet if args.quiet else out)
    if args.quiet:
        out(result.verdict)
    if args.plot:
        from minigrad import plot
        plot.curvature_figure(result, args.plot)
        out(f"Wrote {args.plot}")
    return [result]


def _anomaly_mode(on):
    """Anomaly mode around a training (--detect-anomaly), or nothing."""
    import contextlib
    import warnings

    from minigrad import autograd
    if not on:
        return contextlib.nullcontext()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "it slows every op" warning: asked for on the command line
        return autograd.detect_anomaly()


def _explain_anomaly(error, out):
    out(f"Anomaly mode stopped the training: {error}")
    for note in getattr(error, "__notes__", ()):
        out(f"  {note}")
    out("That op's backward is the first that produced NaN. Its own formula is rarely the culprit: a NaN or an "
        "infinity flowed into that line (print the tensors it uses, or check them with .isfinite()), and the "
        "forward values before it say from where. A training that diverges overflows to inf, and then inf - inf "
        "or 0 * inf gives NaN.")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        if args.lesson == "demos" and (args.data == "real" or args.plot):
            parser.error("the demos take no --data or --plot (they print tables)")
        if args.lesson == "curvature" and (args.data == "real" or args.optimizer == "adam"):
            parser.error("curvature takes no --data real or --optimizer adam (it predicts plain gradient descent "
                         "on the lessons' own data)")
        if args.data == "real":
            from minigrad.lessons.datasets import require_sklearn
            try:
                require_sklearn()
            except ImportError as error:
                parser.exit(1, f"minigrad: error: {error}\n")
        if train(args) is None:
            return 1  # stopped by anomaly mode
    elif args.command == "plot":
        from minigrad import plot
        plot.losses_figure(args.file)
        print(f"Wrote {args.file}")
    elif args.command == "check":
        from minigrad import check
        return check.main(args.filter, args.dtype, args.seed, args.json, order=args.order)
    elif args.command == "graph":
        try:
            graph(args)
        except (ImportError, ValueError) as error:   # no renderer installed, or an unknown file ending
            parser.exit(1, f"minigrad: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
