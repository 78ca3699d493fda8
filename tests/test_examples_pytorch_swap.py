"""examples/08_pytorch_swap.py: one PyTorch training script, run by torch and by minigrad
imported as torch, reaches the same held-out accuracy on the digits within 1 point; without
torch it trains with minigrad alone and says so."""
import ast
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "08_pytorch_swap.py"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


# As on a machine without torch: `import torch` raises ImportError (an import hook, so that
# torch is not in sys.modules at all, which scipy, under scikit-learn, would trip over).
NO_TORCH = """
import sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, NoTorch())
"""


def run(args, tmp_path, prelude=None):
    command = [sys.executable, str(SCRIPT), *args]
    if prelude:  # run the script after some setup in the same interpreter
        command = [sys.executable, "-c", f"{prelude}\nimport runpy\nsys.argv = {[str(SCRIPT), *args]!r}\n"
                                         f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=ENV)


def accuracies(stdout):
    return {name: float(value) for name, value in re.findall(r"^accuracy (\w+): ([\d.]+)%", stdout, re.M)}


def test_torch_and_minigrad_reach_the_same_accuracy_within_one_point(torch, tmp_path):
    result = run([], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    found = accuracies(result.stdout)
    assert set(found) == {"torch", "minigrad"}, result.stdout
    assert found["minigrad"] > 94.0 and found["torch"] > 94.0, found  # both really learned the digits
    assert abs(found["torch"] - found["minigrad"]) <= 1.0, found
    assert "Verdict: the same script, one import changed: the same accuracy" in result.stdout


def test_the_script_names_no_framework_in_its_training_function():
    """`train(torch)` is written once: nothing in it may refer to minigrad, or to torch other
    than through its argument (so the swap is really only the import)."""
    train = next(node for node in ast.parse(SCRIPT.read_text()).body
                 if isinstance(node, ast.FunctionDef) and node.name == "train")
    assert train.args.args[0].arg == "torch"
    nodes = list(ast.walk(train))
    assert not [n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {n.id for n in nodes if isinstance(n, ast.Name)}
    assert not names & {"minigrad", "mg", "np", "numpy"}, names  # only the module it was given
    calls = {ast.unparse(n.func) for n in nodes if isinstance(n, ast.Call)}
    for used in ("nn.BatchNorm1d", "nn.Dropout", "optim.AdamW", "optim.lr_scheduler.CosineAnnealingLR",
                 "nn.utils.clip_grad_norm_", "DataLoader", "TensorDataset", "torch.no_grad"):
        assert used in calls, (used, calls)


def test_without_torch_it_trains_minigrad_alone_and_says_so(tmp_path):
    result = run(["--seeds", "1"], tmp_path, prelude=NO_TORCH)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "torch is not installed" in result.stdout and "running minigrad alone" in result.stdout
    found = accuracies(result.stdout)
    assert set(found) == {"minigrad"} and found["minigrad"] > 94.0, result.stdout
    assert "Verdict: the script trained with minigrad alone" in result.stdout
