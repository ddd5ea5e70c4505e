"""scripts/bench.py's train benchmark: the commands it times, the lines it reads back, the per-step arithmetic."""

from __future__ import annotations

import pytest

from ibias.bench.train_runs import CASES, LOOP_LINE, Timing, per_step, report, run_order, variant_commands


def test_every_variant_runs_the_case_at_its_length_and_thread_count(tmp_path):
    commands = variant_commands(CASES["dd40"], 10, tmp_path, threads=1)
    assert list(commands) == ["ibias", "ibias, callbacks off", "plain loop"]
    for cmd in commands.values():
        assert {"experiment=double_descent_mnist1d", "model.width=40", "trainer.max_epochs=10", "threads=1"} <= set(cmd)
    assert commands["ibias"][1].endswith("scripts/train.py")
    assert "+callbacks.loop_timer._target_=callbacks.LoopTimer" in commands["ibias"]
    assert commands["ibias, callbacks off"][-1] == "callbacks.weight_norms=null"
    assert commands["plain loop"][1:3] == ["-m", "ibias.run.plain_loop"]
    assert not any(a.startswith("threads=") for a in variant_commands(CASES["default"], 1000, tmp_path)["ibias"])
    bare = variant_commands(CASES["default"], 1000, tmp_path, floor=True)["ibias, bare Lightning"]
    assert {"~logger", "callbacks=none", "trainer.enable_progress_bar=false"} <= set(bare) and "trainer.max_steps=1000" in bare


def test_the_loop_line_of_the_timer_and_of_the_plain_loop_are_read_back():
    ours = LOOP_LINE.search("...\ntrain loop: 2400 steps, wall 6.500 s, cpu 6.400 s, analysis 0.125 s\n").groups()
    plain = LOOP_LINE.search("train loop: 2400 steps, wall 3.000 s, cpu 2.900 s\n").groups()
    assert ours == ("2400", "6.500", "6.400", "0.125") and plain == ("2400", "3.000", "2.900", None)


def test_per_step_time_is_the_difference_of_two_lengths_over_their_steps():
    t = Timing(steps={0: 1000, 1: 3000})
    t.seconds["wall"] = {0: [20.0, 21.0], 1: [40.0, 45.0]}  # start-up 10 s and 10 ms a step, then 9 s and 12 ms
    assert per_step(t, "wall") == pytest.approx([10.0, 12.0])


def test_the_report_divides_each_variant_by_the_plain_loop_of_the_same_repeat(capsys):
    def timing(short: float, long: float) -> Timing:  # 200 more steps take (long - short) s
        t = Timing(steps={0: 100, 1: 300}, analysis_share=[4.0, 5.0])
        t.seconds = {kind: {0: [short, short], 1: [long, long]} for kind in t.seconds}
        return t

    report({"dd40": CASES["dd40"]}, {"dd40": {"ibias": timing(1, 3), "ibias, callbacks off": timing(1, 2.8),
                                              "ibias, bare Lightning": timing(1, 2.6), "plain loop": timing(1, 2)}}, True)
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| dd40"))
    # ms/step 10, 9, 8 and 5: ratios 2.0 and 1.6, on-minus-off share 10%, own time the median of 4 and 5 %;
    # the long run alone (its seconds / 300 steps): 10, 9.33, 8.67 and 6.67 ms: ratios 1.5 and 1.3, share 6.7%
    assert row == ("| dd40 | 5.00 / 5.00 / 5.00 / 5.00 / 6.67 | 10.00 / 10.00 / 10.00 / 10.00 / 10.00 | "
                   "2.00 / 2.00 / 2.00 / 2.00 / 1.50 | 1.60 / 1.60 / 1.60 / 1.60 / 1.30 | 10 % / 10 % / 10 % / 10 % / 7 % | "
                   "4.5 % of the loop |")


def test_ibias_and_the_plain_loop_run_back_to_back_and_take_turns_going_first():
    variants = ["ibias", "ibias, callbacks off", "ibias, bare Lightning", "plain loop"]
    assert run_order(variants, 0) == ["ibias", "plain loop", "ibias, callbacks off", "ibias, bare Lightning"]
    assert run_order(variants, 1) == ["plain loop", "ibias", "ibias, callbacks off", "ibias, bare Lightning"]


def test_pairs_report_only_the_long_runs_train_loop(capsys):
    def timing(loop_wall: list[float]) -> Timing:  # --pairs: long runs of 2000 steps only, no short ones
        t = Timing(steps={1: 2000})
        t.seconds["loop_wall"][1] = loop_wall
        return t

    ours, plain = timing([24.0, 22.0, 30.0]), timing([20.0, 20.0, 20.0])
    assert per_step(ours, "loop_long") == pytest.approx([12.0, 11.0, 15.0])
    report({"default": CASES["default"]}, {"default": {"ibias": ours, "plain loop": plain}}, True)
    out = capsys.readouterr().out
    assert "ratio 1.20 [1.10, 1.50]" in out and "whole process" not in out.split("default:")[1]
    row = next(line for line in out.splitlines() if line.startswith("| default"))
    assert row == "| default | 10.00 | 12.00 | 1.20 | – | – | – |"
