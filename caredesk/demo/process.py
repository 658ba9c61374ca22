"""The bulk path's rows made in other processes while this one inserts them.

Making a batch's rows (stories, readings, the lifecycle, the coach) is pure Python and took
nearly all of the bulk path's CPU (inserting them under a tenth). Maker processes make them
(`maker.made`, from the same `Job`, each every n-th batch, so the rows are the same) and send
each batch through a bounded queue of their own, read here in the batches' order, so at most
`AHEAD` batches per maker wait and memory stays flat however large the desk.
A maker is spawned (nothing is shared by forking a process that holds a database
connection): it sets Django up itself, takes the parent's `CAREDESK_*` settings as they stand
(a test may have changed one) and never opens the database. This module imports no model at
its top, because the new process imports it before Django is set up.
"""

from __future__ import annotations

import itertools
import multiprocessing
import pickle
import queue
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from caredesk.demo.maker import Job, Rows

AHEAD = 2  # batches each maker has made and not yet handed over
_DONE = "done"
_FAILED = "failed"


def made_elsewhere(job: Job, *, makers: int = 1) -> Iterator[Rows]:
    """`maker.made(job)`, batch by batch in order, made by `makers` other processes (each
    every `makers`-th batch); an error over there is raised here."""
    context = multiprocessing.get_context("spawn")
    names = [name for name in dir(settings) if name.startswith("CAREDESK_")]
    shared = {name: getattr(settings, name) for name in names}
    payload = pickle.dumps((job, shared), protocol=pickle.HIGHEST_PROTOCOL)
    queues: list[Any] = [context.Queue(maxsize=AHEAD) for _ in range(makers)]
    children = [
        context.Process(
            target=_main, args=(payload, part, makers, out), name=f"caredesk-demo-maker-{part}"
        )
        for part, out in enumerate(queues)
    ]
    for child in children:
        child.start()
    try:
        for index in itertools.count():
            kind, value = _next(queues[index % makers], children[index % makers])
            if kind == _DONE:  # the batch this maker would have made next is not there
                break
            yield value
        for child in children:
            child.join()
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join()


def _next(out: Any, child: Any) -> tuple[str, Any]:
    """The maker's next message; its failure, or its end without a word, raised here."""
    while True:
        try:
            kind, value = out.get(timeout=1.0)
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError(
                    f"The demo's maker process stopped (exit code {child.exitcode})."
                ) from None
            continue
        if kind == _FAILED:
            raise RuntimeError(f"The demo's maker process failed:\n{value}")
        return kind, value


def _main(payload: bytes, part: int, parts: int, out: Any) -> None:
    """A maker process: Django set up, then each of its batches' rows onto its queue."""
    import django

    django.setup()
    from caredesk.demo.maker import made

    try:
        job, shared = pickle.loads(payload)  # noqa: S301 (from the parent process)
        for name, value in shared.items():
            setattr(settings, name, value)
        for rows in made(job, part=part, parts=parts):
            out.put(("rows", rows))
        out.put((_DONE, None))
    except BaseException:  # told to the parent, which raises it
        out.put((_FAILED, traceback.format_exc()))
        raise
