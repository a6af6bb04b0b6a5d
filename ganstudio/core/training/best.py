"""Which measured checkpoint is the best, the one export takes.

A run scores a checkpoint now and then (SWD, KID, or the upscaler's PSNR gain) and keeps the best
in checkpoints/best.json. A score measured on few samples is noisy: the live KID (64 samples)
wanders by s.d. ~4% between checkpoints of the same quality, so "lowest KID" stops meaning
"best" once training only creeps forward, and a long run kept a checkpoint from a third of the
way in (docs/DESIGN.md, the 30- and 60-minute runs). With a tie-break, checkpoints whose score is
within that noise of the best seen so far count as tied on it, and the tie-break score decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BestRule:
    metric: str  # the score that marks the best checkpoint
    lower_is_better: bool = True
    tie_break: str | None = None  # lower is better
    noise: float = 0.0  # relative: scores within this fraction of the best seen are tied

    def judge(self, record: dict[str, Any] | None, step: int, kimg: float, values: dict[str, float]) -> tuple[bool, dict[str, Any]]:
        """(is this checkpoint the new best, the best.json record to keep) for its `values`.

        `record` is best.json as it stands (None at the start). One written when another score
        marked the best does not count: the first measurement under this rule is the best.
        """
        value = float(values[self.metric])
        mine = {"step": step, "kimg": kimg, "metric": self.metric, "value": value}
        if self.tie_break is not None:
            mine["tie_break"] = self.tie_break
            mine["tie_break_value"] = float(values[self.tie_break])
        if record is None or record.get("metric", "swd") != self.metric:
            return True, {**mine, "best_seen": value}
        lower = self.lower_is_better
        best_seen = (min if lower else max)(float(record.get("best_seen", record["value"])), value)
        margin = self.noise * abs(best_seen)

        def tied(v: float) -> bool:  # within the noise of the best seen
            return v <= best_seen + margin if lower else v >= best_seen - margin

        old = float(record["value"])
        if not self.noise or self.tie_break is None or record.get("tie_break") != self.tie_break:
            # (a record from before the tie-break has no tie-break score to compare with)
            is_best = value < old if lower else value > old
        elif not tied(old):
            is_best = True  # this one moved the best seen out of the old best's reach
        else:
            is_best = tied(value) and mine["tie_break_value"] < float(record["tie_break_value"])
        return is_best, {**(mine if is_best else record), "best_seen": best_seen}
