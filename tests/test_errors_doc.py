"""docs/errors.md stays true: every ```python example there is run, and must raise exactly the
error in the ```text block that follows it (type and message, word for word)."""
import re
from pathlib import Path

import pytest

import minigrad as mg
import minigrad.nn.functional as F

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
EXAMPLE = re.compile(r"```python\n(.*?)```\n```text\n(.*?)\n```", re.S)
EXAMPLES = EXAMPLE.findall(DOC.read_text())


def test_the_doc_has_examples():
    assert len(EXAMPLES) >= 25


@pytest.mark.parametrize("code, expected", EXAMPLES, ids=[c.strip().splitlines()[-1][:60] for c, _ in EXAMPLES])
def test_example_raises_the_documented_error(code, expected):
    kind, _, message = expected.partition(": ")
    with pytest.raises(Exception) as caught:
        exec(code, {"mg": mg, "F": F})
    assert type(caught.value).__name__ == kind
    assert str(caught.value) == message
