"""The event schema: each logged event writes its own log.jsonl record and reads back the same,
logs written before this schema still read, and the follower of a run in another process hears
the events the run sent (its ETA and its best-checkpoint flags, not ones it guessed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganstudio.core.training import events as ev
from ganstudio.core.training.files import SCHEMA_VERSION
from ganstudio.core.training.follow import RunFollower
from ganstudio.core.training.runfolder import RunFolder

PROGRESS = ev.Progress(40, 0.64, 150.25, 42.5, 0.5, {"g": 1.5, "d": 0.75, "d_real": 0.625, "d_fake": 0.25, "augment_p": 0.125}, 4.25)
METRIC = ev.Metric(40, 0.64, {"swd64": 80.0, "swd": 60.5, "kid": 900.25}, "swd", True)
WARNING = ev.TrainingWarning(40, 0.64, "nan", "losses became NaN", "rolled back")


@pytest.mark.parametrize("event", [PROGRESS, METRIC, WARNING])
def test_each_logged_event_reads_back_from_its_own_record(event):
    assert ev.event_from_record(json.loads(json.dumps(event.to_record()))) == event


def test_a_log_written_before_the_schema_still_reads():
    old_progress = {"step": 10, "kimg": 0.16, "time": 2.0, "img_s": 80.0, "losses": {"g": 1.0, "d": 1.25},
                    "d_real": 0.7, "d_fake": 0.3, "augment_p": 0.1}
    p = ev.event_from_record(old_progress)
    assert p.stats == {"g": 1.0, "d": 1.25, "d_real": 0.7, "d_fake": 0.3, "augment_p": 0.1}
    assert p.eta_seconds is None and p.train_seconds == 2.0 and p.stat("r1") != p.stat("r1")  # NaN: not reported
    upscaler = ev.event_from_record({"step": 5, "kimg": 0.1, "losses": {"l1": 0.02}, "lr": 1e-3})
    assert upscaler.stats == {"l1": 0.02, "lr": 1e-3}
    gan = ev.event_from_record({"step": 10, "kimg": 0.16, "metrics": {"swd64": 90.0, "swd": 70.0, "kid": 1000.0}})
    assert (gan.name, gan.value, gan.is_best) == ("swd", 70.0, False)  # the chart finds the best itself then
    assert ev.event_from_record({"step": 10, "kimg": 0.16, "metrics": {"psnr_gain": 1.5, "psnr": 30.0}}).name == "psnr_gain"
    assert ev.event_from_record({"step": 1, "something": "new"}) is None


def test_the_log_writer_is_a_listener_and_the_reader_skips_damage(tmp_path: Path):
    folder = RunFolder(tmp_path / "run")
    folder.log_event(PROGRESS)  # no run.json yet: nothing to write into
    assert not folder.log.exists()
    folder.path.mkdir()
    folder.run_json.write_text("{}")
    for event in (ev.Preparing(1, 2, "decoding"), PROGRESS, METRIC, WARNING):
        folder.log_event(event)  # Preparing is not kept
    with folder.log.open("a") as f:
        f.write('{"step": 41, "kimg": 0.6, "stats": {"g": "x"}}\n{"step": 42, "kimg": 0.67, "sta')  # damaged, cut short
    events, offset = folder.read_log()
    assert events == [PROGRESS, METRIC, WARNING]
    assert offset < folder.log.stat().st_size  # the line cut short is left for the next read
    with folder.log.open("a") as f:
        f.write('ts": {"g": 2.0}}\n')
    more, _ = folder.read_log(offset)
    assert [e.step for e in more] == [42]


def test_the_follower_hears_the_events_the_run_logged(tmp_path: Path):
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    (folder.path / "samples").mkdir()
    (folder.path / "checkpoints").mkdir()
    folder.run_json.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "config": {"batch": 16}, "dataset": {"images": 24}}))
    follower = RunFollower(folder.path, target_kimg=100.0)
    assert isinstance(follower.poll()[0], ev.Started)
    # The run's own ETA (42.5 s, a minutes budget), not one guessed from the kimg target (~11 min).
    folder.log_event(PROGRESS)
    folder.log_event(METRIC)
    assert follower.poll() == [PROGRESS, METRIC]
    assert (follower.step, follower.kimg) == (40, 0.64)
