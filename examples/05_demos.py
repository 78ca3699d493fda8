"""004's demos: why cross-entropy and not MSE on softmax, and why log_softmax.

Run:  python examples/05_demos.py      (a few seconds)
(a) the gradient at the logits as a prediction grows confidently wrong, (b) epochs to reach
90 % accuracy as the network gets deeper, (c) log(softmax(z)) against log_softmax(z),
(d) what applying softmax twice does. The code is in minigrad/lessons/demos.py.
"""
from minigrad.lessons import demos

demos.run_all()
