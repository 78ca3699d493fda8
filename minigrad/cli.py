"""The `minigrad` command: `minigrad train <lesson>` runs a lesson's training end to end."""
import argparse
import sys

TRAININGS = ("binary",)  # more lessons arrive with the lessons issue


def main(argv=None):
    parser = argparse.ArgumentParser(prog="minigrad", description="minigrad: learn how training works.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="run a lesson's training end to end")
    train.add_argument("lesson", choices=TRAININGS + ("all",), help="which training to run")
    train.add_argument("--epochs", type=int, default=100, help="number of epochs (default: the lesson's)")
    train.add_argument("--lr", type=float, default=0.5, help="learning rate (default: the lesson's)")
    train.add_argument("--seed", type=int, default=0, help="random seed for the initial weights")
    args = parser.parse_args(argv)

    from minigrad import lessons  # imported here so `minigrad --help` stays fast

    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.lr <= 0:
        parser.error("--lr must be positive")
    names = TRAININGS if args.lesson == "all" else (args.lesson,)
    for name in names:
        if name == "binary":
            print("== Binary classification: the AND gate, sigmoid + binary cross-entropy ==")
            lessons.and_gate(epochs=args.epochs, lr=args.lr, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
