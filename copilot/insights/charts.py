"""The dashboard's charts: SVG drawn on the server with matplotlib (no script, no CDN, works offline).

Each chart is drawn from the same :class:`~copilot.insights.figures.Figure` rows as its table, with a
title that says what is counted, labelled axes and colours that keep the outcome classes apart.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")  # no display: render to files only
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first
from matplotlib.figure import Figure as Canvas  # noqa: E402

from copilot.insights.figures import Dashboard, Figure  # noqa: E402

CLASS_COLOURS = {"Resolved": "#15803d", "Likely resolved": "#65a30d", "Escalated": "#d97706",
                 "Not resolved": "#b91c1c", "Too early to tell": "#64748b", "Nothing to measure": "#cbd5e1"}
BLUE, DARK = "#2563eb", "#1e3a8a"
_lock = threading.Lock()  # pyplot's state is global: one chart at a time
plt.rcParams.update({"font.size": 11, "axes.titlesize": 13, "axes.titleweight": "bold", "axes.spines.top": False,
                     "axes.spines.right": False, "svg.fonttype": "none"})


def _numbers(figure: Figure, column: int) -> list[float]:
    values = [row[column] for row in figure.rows]
    return [float(v) if isinstance(v, int | float) else 0.0 for v in values]


def _svg(draw: Callable[[Canvas], None], width: float = 8.0, height: float = 3.2) -> bytes:
    with _lock:
        canvas = plt.figure(figsize=(width, height))
        try:
            draw(canvas)
            canvas.tight_layout()
            out = io.BytesIO()
            canvas.savefig(out, format="svg", bbox_inches="tight")  # legends below the axes stay whole
            return out.getvalue()
        finally:
            plt.close(canvas)


def _day_ticks(labels: list[str]) -> tuple[list[int], list[str]]:
    step = max(1, len(labels) // 10)
    positions = list(range(0, len(labels), step))
    return positions, [labels[i][5:] for i in positions]  # MM-DD


def volume(board: Dashboard) -> bytes:
    figure = board.figures["conversations_per_day"]
    days = [str(r[0]) for r in figure.rows]
    total, late = _numbers(figure, 1), _numbers(figure, 2)

    def draw(canvas: Canvas) -> None:
        ax = canvas.add_subplot()
        x = list(range(len(days)))
        ax.bar(x, [t - a for t, a in zip(total, late, strict=True)], color=BLUE, label="office hours")
        ax.bar(x, late, bottom=[t - a for t, a in zip(total, late, strict=True)], color=DARK, label="after hours")
        ax.set_title("Conversations per day")
        ax.set_ylabel("conversations")
        ax.set_xticks(*_day_ticks(days))
        ax.legend(frameon=False, loc="upper left")

    return _svg(draw)


def hours(board: Dashboard) -> bytes:
    figure = board.figures["conversations_per_hour"]
    total, late = _numbers(figure, 1), _numbers(figure, 2)

    def draw(canvas: Canvas) -> None:
        ax = canvas.add_subplot()
        x = list(range(24))
        ax.bar(x, [t - a for t, a in zip(total, late, strict=True)], color=BLUE, label="office hours")
        ax.bar(x, late, bottom=[t - a for t, a in zip(total, late, strict=True)], color=DARK, label="after hours")
        ax.set_title("Conversations by hour of day (UTC)")
        ax.set_xlabel("hour")
        ax.set_ylabel("conversations")
        ax.set_xticks(range(0, 24, 2))
        ax.legend(frameon=False, loc="upper left")

    return _svg(draw)


def outcomes(board: Dashboard) -> bytes:
    figure = board.figures["outcomes_per_day"]
    days = [str(r[0]) for r in figure.rows]

    def draw(canvas: Canvas) -> None:
        ax = canvas.add_subplot()
        for index, name in enumerate(figure.columns[1:], start=1):
            values = _numbers(figure, index)
            if any(values):
                ax.plot(range(len(days)), values, label=name, color=CLASS_COLOURS.get(name, "#000"), linewidth=2)
        ax.set_title("Outcome classes per day (each class on its own line)")
        ax.set_ylabel("conversations")
        ax.set_xticks(*_day_ticks(days))
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, fontsize=10)

    return _svg(draw, width=9.0, height=4.2)


def intents(board: Dashboard) -> bytes:
    figure = board.figures["top_intents"]
    names = [str(r[0]) for r in figure.rows][::-1]
    counts = _numbers(figure, 1)[::-1]

    def draw(canvas: Canvas) -> None:
        ax = canvas.add_subplot()
        ax.barh(names, counts, color=BLUE)
        ax.set_title("Top intents")
        ax.set_xlabel("conversations")

    return _svg(draw, height=max(2.4, 0.4 * len(names) + 1))


def tiers(board: Dashboard) -> bytes:
    figure = board.figures["kb_tiers"]
    names = [str(r[0]) for r in figure.rows]

    def draw(canvas: Canvas) -> None:
        ax = canvas.add_subplot()
        width = 0.27
        x = list(range(len(names)))
        for offset, column, label, colour in ((-width, 1, "conversations", BLUE), (0, 2, "thumbs up", "#15803d"),
                                              (width, 3, "thumbs down", "#b91c1c")):
            ax.bar([i + offset for i in x], _numbers(figure, column), width, label=label, color=colour)
        ax.set_xticks(x, names)
        ax.set_title("Knowledge answers by tier")
        ax.legend(frameon=False)

    return _svg(draw)


CHARTS: dict[str, Callable[[Dashboard], bytes]] = {"volume": volume, "hours": hours, "outcomes": outcomes,
                                                    "intents": intents, "tiers": tiers}
