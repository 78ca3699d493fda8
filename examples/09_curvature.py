"""The curvature lesson: the lessons' second derivatives, and what they predict.

Run:  python examples/09_curvature.py [FILE.png]
The regression loss curves by H = d^2L/dw^2 = 22 at every w, so gradient descent multiplies
w - 2 by 1 - 22 lr each step: stable only for lr < 2/22 = 0.0909 (the lesson's 0.1 is past
it). Newton's step w - g/H lands on w = 2 at once; the softmax + cross-entropy Hessian is
singular along the all-ones direction; Newton's method (IRLS) fits the AND gate in a few
steps. Every number is a minigrad Hessian (mg.autograd.functional.hessian); the code is in
minigrad/lessons/curvature.py. With a file name, it also draws the loss surface and the
stable-lr band (needs matplotlib).
"""
import sys

from minigrad.lessons import curvature

result = curvature.curvature()
if len(sys.argv) > 1:
    from minigrad import plot
    print(f"Wrote {plot.curvature_figure(result, sys.argv[1])}")
