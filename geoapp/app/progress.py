"""Long waits said in words: which step runs and how far along it is.

Opening a workspace or changing the year may read the layers, re-run stale analysis stages
and read a year's stored results. :func:`wait_steps` lists the steps that will run,
:class:`Progress` turns each into a label such as ``"正在计算：综合评价 (2/4)"`` and a
fraction done, and is also the ``progress`` callback of
:func:`geoapp.pipeline.analyse_workspace` (whose labels are stage names, ``"clusters
(stored)"`` for a result read back).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from geoapp import words

STORED = " (stored)"
"""Suffix of :func:`geoapp.pipeline.analyse_workspace`'s label for a result read back."""


def wait_steps(*, read_layers: bool, stale: Sequence[str], read_results: bool) -> list[str]:
    """The steps of a wait, in order: ``"layers"``, each stale stage, ``"results"``.

    Parameters
    ----------
    read_layers
        The workspace's layers are not loaded yet.
    stale
        Stages whose stored results are missing or out of date (re-run, in this order).
    read_results
        The year's results are not loaded yet.
    """
    return (["layers"] if read_layers else []) + list(stale) + (
        ["results"] if read_results or stale else [])


def step_label(step: str, done: int, total: int, *, year: int, lang: str = "zh") -> str:
    """One step in words, with how far the wait is: ``"正在计算：综合评价 (2/4)"``.

    Parameters
    ----------
    step
        ``"layers"``, ``"results"``, a stage name (computed) or a stage name followed by
        :data:`STORED` (read back).
    done
        1-based number of this step.
    total
        Number of steps of the wait.
    year
        Evaluation year (named by the ``"results"`` step).
    lang
        ``"zh"`` or ``"en"``.
    """
    colon = words.text("colon", lang)
    if step == "layers":
        verb, what = "wait.reading", words.text("wait.layers", lang)
    elif step == "results":
        verb, what = "wait.reading", words.text("wait.results", lang).format(year=year)
    elif step.endswith(STORED):
        verb = "wait.reading"
        what = words.value("analysis_stage", step.removesuffix(STORED), lang)
    else:
        verb, what = "wait.computing", words.value("analysis_stage", step, lang)
    return f"{words.text(verb, lang)}{colon}{what} ({done}/{total})"


@dataclass
class Progress:
    """Report the steps of a wait as they start: ``report(label, fraction_done)``.

    Parameters
    ----------
    steps
        :func:`wait_steps`.
    report
        Called with the label of the step starting (:func:`step_label`) and the fraction of
        the steps already done (0-1).
    year, lang
        As for :func:`step_label`.
    """

    steps: list[str]
    report: Callable[[str, float], None]
    year: int
    lang: str = "zh"
    done: int = field(default=0, init=False)

    def start(self, step: str) -> None:
        """Say that ``step`` starts (a step not planned is said, and counted, all the same)."""
        if step not in self.steps and step.removesuffix(STORED) not in self.steps:
            self.steps.insert(self.done, step)
        self.done += 1
        total = max(len(self.steps), self.done)
        self.report(step_label(step, self.done, total, year=self.year, lang=self.lang),
                    (self.done - 1) / total)

    __call__ = start
    """The pipeline's ``progress`` callback."""
