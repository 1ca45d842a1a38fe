"""The progress chart: minutes stretched per day over the last four weeks as bars, and how
each day's sessions felt (0-10) as dots on a second axis. A small PNG (640 x 320 px) that
the web page shows and Telegram and Slack send as a picture. matplotlib (in requirements.lock)
draws it off screen with the Agg backend; it is imported only when a chart is asked for.
"""

from __future__ import annotations

import io

from coach.progress import Progress

WIDTH_PX, HEIGHT_PX, DPI = 640, 320, 100


def render_png(progress: Progress, title: str, minutes_label: str, rating_label: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in a server

    days = list(progress.daily_minutes)
    minutes = [progress.daily_minutes[d] for d in days]
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    positions = list(range(len(days)))
    ax.bar(positions, minutes, color="#3b7d6e", width=0.7)
    ax.set_ylabel(minutes_label)
    ax.set_ylim(0, max(5.0, max(minutes) * 1.2))
    ticks = [i for i, d in enumerate(days) if d.weekday() == 0] or [0]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{days[i]:%d %b}" for i in ticks], fontsize=8)
    ax.spines[["top"]].set_visible(False)
    rated = [(i, progress.daily_rating[d]) for i, d in enumerate(days) if d in progress.daily_rating]
    if rated:
        ax2 = ax.twinx()
        ax2.plot([i for i, _ in rated], [r for _, r in rated], "o-", color="#d17a22", markersize=4)
        ax2.set_ylim(0, 10.5)
        ax2.set_ylabel(rating_label)
        ax2.spines[["top"]].set_visible(False)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
