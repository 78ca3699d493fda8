"""Threads: grad mode is per thread. `no_grad` in one thread leaves gradients on in another,
also while both are inside their blocks at the same moment (a Barrier makes sure of it)."""
import threading

import minigrad as mg


def run_in_threads(*targets):
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as error:  # report it to the main thread
                errors.append(error)
        return run

    threads = [threading.Thread(target=guard(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_leaves_the_other_recording():
    barrier = threading.Barrier(2, timeout=10)
    results = {}

    def without_grad():
        x = mg.ones(3, requires_grad=True)
        with mg.no_grad():
            barrier.wait()  # both threads are now inside their blocks
            y = x * 2
            results["no_grad enabled"] = mg.is_grad_enabled()
            barrier.wait()  # ... and stay there until the other has computed too
        results["no_grad y.requires_grad"] = y.requires_grad

    def with_grad():
        x = mg.ones(3, requires_grad=True)
        assert mg.is_grad_enabled()
        with mg.enable_grad():
            barrier.wait()
            results["grad enabled"] = mg.is_grad_enabled()
            y = (x * 2).sum()
            barrier.wait()
        y.backward()
        results["grad y.requires_grad"] = y.requires_grad
        results["grad x.grad"] = x.grad.tolist()

    run_in_threads(without_grad, with_grad)
    assert results["no_grad y.requires_grad"] is False
    assert results["grad y.requires_grad"] is True
    assert results["grad x.grad"] == [2.0, 2.0, 2.0]
    assert results["no_grad enabled"] is False and results["grad enabled"] is True


def test_no_grad_decorator_in_a_thread_does_not_leak_to_the_main_thread():
    inside, done = threading.Event(), threading.Event()

    @mg.no_grad()
    def worker():
        inside.set()
        done.wait(timeout=10)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert inside.wait(timeout=10)
        x = mg.ones(2, requires_grad=True)
        assert (x * 3).requires_grad  # the worker is inside no_grad right now
    finally:
        done.set()
        t.join(timeout=10)


def test_a_new_thread_starts_with_gradients_on_even_under_no_grad():
    seen = {}
    with mg.no_grad():
        def child():
            seen["requires_grad"] = (mg.ones(2, requires_grad=True) * 2).requires_grad
        run_in_threads(child)
    assert seen["requires_grad"] is True
