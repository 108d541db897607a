"""Shared figure conventions: a colour-blind-safe palette and labelled, titled axes."""

from __future__ import annotations

# Okabe and Ito (2008): distinguishable with the common forms of colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# Hatches so that bars never rely on colour alone.
HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]


def finish(ax, title: str, xlabel: str, ylabel: str):
    """Give a figure the title and axis labels every figure in the course must have."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.tight_layout()
    return ax
