"""The list of known runs: every run trained, wherever its folder is, so that the app's Past runs
shows runs made with the CLI (./runs, any --out) beside its own."""

from __future__ import annotations

import json

from ganstudio.core.training import known_runs
from ganstudio.core.training.run import TrainingRun


def test_every_run_trained_is_remembered_newest_first(tmp_path, image_folder, tiny_config):
    first, second = tmp_path / "cli" / "runs" / "icons", tmp_path / "elsewhere" / "faces"
    TrainingRun.new(first, tiny_config(kimg=0.016), image_folder).run()
    TrainingRun.new(second, tiny_config(kimg=0.016), image_folder).run()
    assert known_runs.known_runs() == [second, first]

    TrainingRun.resume(first, kimg=0.032).run()  # trained again: first again
    assert known_runs.known_runs() == [first, second]


def test_moved_runs_are_skipped_and_a_damaged_list_starts_afresh(tmp_path):
    kept, moved = tmp_path / "kept", tmp_path / "moved"
    kept.mkdir()
    moved.mkdir()
    known_runs.remember(moved)
    known_runs.remember(kept)
    moved.rmdir()
    assert known_runs.known_runs() == [kept]

    (known_runs.state_dir() / "runs.json").write_text('{"not": "a list"')
    assert known_runs.known_runs() == []
    known_runs.remember(kept)
    assert json.loads((known_runs.state_dir() / "runs.json").read_text()) == [str(kept)]


def test_an_unwritable_state_folder_does_not_stop_a_run(tmp_path, monkeypatch, image_folder, tiny_config):
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("")
    monkeypatch.setenv("GANSTUDIO_STATE_DIR", str(blocker / "state"))
    finished = TrainingRun.new(tmp_path / "run", tiny_config(kimg=0.016), image_folder).run()
    assert finished.reason == "completed"
    assert known_runs.known_runs() == []
