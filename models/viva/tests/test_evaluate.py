"""Section 4.2 metric functions (viva/evaluate.py) against hand-computed cases."""
import json
import os
import tempfile
import unittest

import _util  # noqa: F401
import numpy as np

from viva import evaluate as V


class TestCorrelation(unittest.TestCase):
    def test_rankdata_ties_average(self):
        np.testing.assert_allclose(V.rankdata([3, 1, 4, 1, 5]), [3, 1.5, 4, 1.5, 5])
        np.testing.assert_allclose(V.rankdata([2, 2, 2]), [2, 2, 2])

    def test_pearson(self):
        # x-2 = [-1,0,1], y-13/3 = [-7/3,-1/3,8/3]: cov 5, |x|^2 2, |y|^2 38/3 -> 5/sqrt(76/3)
        self.assertAlmostEqual(V.pearson([1, 2, 3], [2, 4, 7]), 5 / np.sqrt(76 / 3), places=12)
        self.assertAlmostEqual(V.pearson([1, 2, 3], [3, 2, 1]), -1.0, places=12)
        self.assertEqual(V.pearson([1, 1, 1], [1, 2, 3]), 0.0)
        self.assertEqual(V.pearson([5], [1]), 0.0)

    def test_spearman_with_ties(self):
        # ranks x = [1, 2.5, 2.5, 4], y = [1, 2, 3, 4]: cov 4.5, |x|^2 4.5, |y|^2 5 -> 4.5 / sqrt(22.5)
        self.assertAlmostEqual(V.spearman([1, 2, 2, 3], [1, 2, 3, 4]), 4.5 / np.sqrt(22.5), places=12)
        # monotone but non-linear -> 1
        self.assertAlmostEqual(V.spearman([1, 4, 9, 100], [0, 1, 2, 3]), 1.0, places=12)

    def test_voc(self):
        self.assertEqual(V.voc([0.3] * 7), 0.0)
        self.assertAlmostEqual(V.voc([0.1, 0.2, 0.5, 0.9]), 1.0)
        self.assertAlmostEqual(V.voc([0.9, 0.5, 0.2, 0.1]), -1.0)
        # [1, 2, 2, 3] vs order: same as the tie case above
        self.assertAlmostEqual(V.voc([1, 2, 2, 3]), 4.5 / np.sqrt(22.5), places=12)

    def test_curve_metrics_average_over_episodes(self):
        truth = {0: [0.1, 0.2, 0.3], 1: [0.1, 0.2, 0.3]}
        curves = {0: [0.1, 0.2, 0.3], 1: [0.5, 0.5, 0.5]}
        m = V.curve_metrics(curves, truth)
        self.assertAlmostEqual(m["pearson"], 0.5)
        self.assertAlmostEqual(m["spearman"], 0.5)
        self.assertAlmostEqual(m["voc"], 0.5)


class TestDefaultWindow(unittest.TestCase):
    def test_matches_the_apps_default_window_in_seconds_scaled_by_fps(self):
        # app/timeSpan.ts framesForSeconds(1/6, fps): nearest frame, halves up, at least 1
        for fps, frames in ((10, 2), (30, 5), (15, 3), (50, 8), (1, 1), (60, 10)):
            self.assertEqual(V.default_window(fps), frames, fps)


class TestERS(unittest.TestCase):
    v = [0.1, 0.2, 0.3, 0.5, 0.6, 0.7]

    def test_windows_exclude_event_frame(self):
        vb, va = V.event_windows(self.v, 3, 2)  # before [0.2, 0.3], after [0.6, 0.7]
        self.assertAlmostEqual(vb, 0.25)
        self.assertAlmostEqual(va, 0.65)

    def test_ers_relative_and_absolute(self):
        rel, ab = V.ers(self.v, 3, +1, 2)
        self.assertAlmostEqual(rel, 0.4 / (0.25 + V.EPS), places=12)
        self.assertAlmostEqual(ab, 0.4, places=12)
        rel, ab = V.ers(self.v, 3, -1, 2)
        self.assertAlmostEqual(rel, -0.4 / (0.25 + V.EPS), places=12)
        self.assertAlmostEqual(ab, -0.4, places=12)

    def test_windows_clipped_at_episode_ends(self):
        # frame 2, w = 10: before [0.1, 0.2] -> 0.15, after [0.5, 0.6, 0.7] -> 0.6
        vb, va = V.event_windows(self.v, 2, 10)
        self.assertAlmostEqual(vb, 0.15)
        self.assertAlmostEqual(va, 0.6)
        self.assertAlmostEqual(V.ers(self.v, 2, 1, 10, eps=0.0)[0], 3.0)
        # frame 1, w = 3: before [0.1], after [0.3, 0.5, 0.6]
        vb, va = V.event_windows(self.v, 1, 3)
        self.assertAlmostEqual(vb, 0.1)
        self.assertAlmostEqual(va, 1.4 / 3)

    def test_events_at_first_and_last_frame_are_skipped(self):
        vb, va = V.event_windows(self.v, 0, 3)  # no frame before; after [0.2, 0.3, 0.5]
        self.assertIsNone(vb)
        self.assertAlmostEqual(va, 1.0 / 3)
        self.assertIsNone(V.ers(self.v, 0, 1, 3))
        self.assertIsNone(V.ers(self.v, 5, -1, 3))
        with self.assertRaises(ValueError):
            V.event_windows(self.v, 6, 3)

    def test_eps_guards_zero_before(self):
        rel, ab = V.ers([0.0, 0.0, 0.5, 1.0], 2, 1, 1, eps=1e-6)
        self.assertAlmostEqual(rel, 1.0 / 1e-6)
        self.assertEqual(ab, 1.0)

    def test_event_metrics_aggregate(self):
        curves = {0: [0.1, 0.2, 0.3, 0.5, 0.6, 0.7], 1: [0.5, 0.4, 0.4, 0.2, 0.2, 0.2]}
        events = [
            {"episode": 0, "frame": 3, "direction": 1},   # rises: 0.4/0.25 = 1.6 -> detected
            {"episode": 1, "frame": 3, "direction": 1},   # falls: -0.2/0.4 = -0.5 -> missed
            {"episode": 1, "frame": 2, "direction": -1},  # before 0.45, after 0.2: -(-0.25)/0.45 -> detected
            {"episode": 1, "frame": 0, "direction": -1},  # first frame -> skipped
        ]
        m = V.event_metrics(curves, events, 2, eps=0.0)
        self.assertEqual((m["n_milestone"], m["n_error"], m["skipped_milestone"], m["skipped_error"]), (1 + 1, 1, 0, 1))
        self.assertAlmostEqual(m["MS"], (1.6 - 0.5) / 2)
        self.assertAlmostEqual(m["ES"], 0.25 / 0.45)
        self.assertEqual(m["MDR"], 0.5)
        self.assertEqual(m["ErrDR"], 1.0)
        self.assertAlmostEqual(m["MS_abs"], (0.4 - 0.2) / 2)
        self.assertAlmostEqual(m["ES_abs"], 0.25)
        self.assertEqual(m["MDR_abs"], 0.5)

    def test_constant_curve_detects_nothing(self):
        m = V.event_metrics({0: [0.5] * 10}, [{"episode": 0, "frame": 4, "direction": 1},
                                              {"episode": 0, "frame": 6, "direction": -1}], 3)
        self.assertEqual((m["MS"], m["ES"], m["MDR"], m["ErrDR"]), (0.0, 0.0, 0.0, 0.0))

    def test_no_events_gives_none(self):
        m = V.event_metrics({0: [0.1, 0.2]}, [], 3)
        self.assertIsNone(m["MS"])
        self.assertIsNone(m["ErrDR"])
        self.assertIn("n/a", V.markdown({"viva": {**V.curve_metrics({0: [0.1, 0.2]}, {0: [0.1, 0.2]}), **m}}, 3))


class TestLabels(unittest.TestCase):
    def test_read_labels(self):
        d = {"episodes": [{"episode": 0, "outcome": "failure"}],
             "events": [{"episode": 0, "frame": 4, "kind": "milestone", "direction": 1},
                        {"episode": 0, "frame": 9, "kind": "error"},
                        {"episode": 0, "frame": 2, "kind": "note"}]}
        with tempfile.TemporaryDirectory() as t:
            p = os.path.join(t, "gt.json")
            with open(p, "w") as f:
                json.dump(d, f)
            ev, out = V.read_labels(p)
        self.assertEqual([(e["frame"], e["direction"]) for e in ev], [(4, 1), (9, -1)])
        self.assertEqual(out, {0: "failure"})


if __name__ == "__main__":
    unittest.main()
