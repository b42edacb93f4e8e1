"""Tiny end-to-end run on a synthetic cache: data reader, training (encoder, DiT, baseline), export, manifest."""
import json
import os
import shutil
import tempfile
import unittest
import warnings

import _util  # noqa: F401
import numpy as np
import torch

from viva import model as M
from viva.data import read_cache, VivaDataset
from viva.make_synthetic_cache import make_cache
from viva import train as T
from viva import export as E


class TestReadoutOption(unittest.TestCase):
    def test_parse_readout(self):
        """export --readout -> scheduler.readout as main/inference/manifest.ts reads it."""
        self.assertIsNone(E.parse_readout("sample"))
        self.assertEqual(E.parse_readout("zero"), {"noise": "zero"})
        self.assertEqual(E.parse_readout("mean:8"), {"noise": "sample", "samples": 8})
        self.assertEqual(E.parse_readout("episode:4"), {"noise": "episode", "samples": 4})
        self.assertEqual(E.parse_readout("antithetic:4"), {"noise": "antithetic", "samples": 4})
        for bad in ("mean:0", "mean:65", "mean:x", "average", "episode:0", "episode", "antithetic:3", "antithetic:0",
                    "antithetic:66"):
            with self.assertRaises(SystemExit):
                E.parse_readout(bad)


class TestTrainingSchedule(unittest.TestCase):
    def test_lr_factor(self):
        """Linear warm-up, then constant or a cosine decay that reaches 0 at the last step."""
        self.assertAlmostEqual(T.lr_factor(0, 100, 10, "cosine"), 0.1)
        self.assertAlmostEqual(T.lr_factor(9, 100, 10, "cosine"), 1.0)
        self.assertEqual(T.lr_factor(99, 100, 10, "constant"), 1.0)
        mid = T.lr_factor(54, 100, 10, "cosine")
        self.assertAlmostEqual(mid, 0.5, places=6)
        self.assertAlmostEqual(T.lr_factor(99, 100, 10, "cosine"), 0.0, places=9)
        decay = [T.lr_factor(k, 100, 10, "cosine") for k in range(10, 100)]
        self.assertTrue(all(a >= b for a, b in zip(decay, decay[1:])))
        self.assertAlmostEqual(T.lr_factor(0, 50, 0, "cosine"), 0.5 * (1 + np.cos(np.pi / 50)))

    def test_ema(self):
        """The shadow is decay * shadow + (1 - decay) * weights after each update; decay 0 leaves the module as is."""
        def averaged(decay, start, now):
            m = torch.nn.Linear(2, 1)
            with torch.no_grad():
                m.weight.fill_(start)
            ema = T.Ema(m, decay)
            with torch.no_grad():
                m.weight.fill_(now)
            ema.update(m)
            ema.copy_to(m)
            return m.weight
        self.assertTrue(torch.allclose(averaged(0.5, 1.0, 3.0), torch.full((1, 2), 2.0)))
        self.assertTrue(torch.allclose(averaged(0.9, 1.0, 11.0), torch.full((1, 2), 2.0)))
        self.assertTrue(torch.allclose(averaged(0.0, 1.0, 7.0), torch.full((1, 2), 7.0)))


class TestEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="viva-test-")
        cls.cache_dir = os.path.join(cls.tmp, "cache")
        cls.meta = make_cache(cls.cache_dir, episodes=4, length=16, size=32, K=5, fail_every=2, num_tasks=2, seed=0,
                              jitter=3)
        cls.run_dir = os.path.join(cls.tmp, "run")
        cls.pkg = os.path.join(cls.tmp, "pkg")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls.info = T.main(["--cache", cls.cache_dir, "--out", cls.run_dir, "--steps", "6", "--batch", "4",
                               "--encoder-steps", "3", "--encoder-batch", "4", "--baseline", "--baseline-steps", "2",
                               "--enc-channels", "8,16,16", "--latent-channels", "4", "--hidden", "32",
                               "--depth", "2", "--heads", "4", "--val-episodes", "1"])
            cls.manifest = E.export(os.path.join(cls.run_dir, "checkpoint.pt"), cls.pkg, "test")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_reader(self):
        c = read_cache(self.cache_dir)
        lengths = [e["length"] for e in self.meta["episodes"]]
        self.assertEqual(c.N, sum(lengths))
        self.assertEqual(c.D, 14)
        # returns per episode follow value_targets; future index clamps to the episode end
        off = 0
        for e in self.meta["episodes"]:
            L = e["length"]
            want = M.value_targets(L, e["outcome"] == "success").numpy()
            np.testing.assert_allclose(c.G[off:off + L], want, atol=1e-7)
            fi = c.future_index(np.arange(off, off + L), 5)
            np.testing.assert_array_equal(fi, np.minimum(np.arange(off, off + L) + 5, off + L - 1))
            off += L
        ds = VivaDataset(c)
        imgs, q, qf, G, task = ds[lengths[0] - 2]
        self.assertEqual(tuple(imgs.shape), (3, 3, 32, 32))
        self.assertTrue(imgs.min() >= -1 and imgs.max() <= 1)
        self.assertTrue(torch.equal(qf, torch.from_numpy(c.state[lengths[0] - 1])))  # clamped
        self.assertAlmostEqual(G.item(), 1 / lengths[0] + (0 if self.meta["episodes"][0]["outcome"] == "success"
                                                           else 1), places=6)
        self.assertEqual(task.item(), 0)

    def test_training_outputs(self):
        self.assertTrue(os.path.exists(os.path.join(self.run_dir, "checkpoint.pt")))
        for k in ("encoder_train", "dit_train", "baseline_train"):
            self.assertGreater(self.info[k]["steps_per_s"], 0)
        self.assertEqual(len(self.info["state_min"]), 14)
        self.assertIsNotNone(self.info["metrics"]["val"])

    def test_onnx_and_manifest(self):
        import onnx
        for sub in ("", "baseline"):
            d = os.path.join(self.pkg, sub)
            with open(os.path.join(d, "viva-model.json")) as f:
                man = json.load(f)
            self.assertEqual(man["kind"], "direct" if sub else "viva-flow")
            self.assertEqual([c["name"] for c in man["cameras"]], M.CAMERAS)
            # The training frames' size before resizing, from the cache's source.frame_size (the app checks aspect).
            self.assertEqual(man["image"]["source"], {"width": 32, "height": 32})
            for entry in man["files"].values():
                p = os.path.join(d, entry["path"])
                self.assertEqual(E.sha256(p), entry["sha256"], p)
                self.assertEqual(os.path.getsize(p), entry["bytes"])
                if p.endswith(".onnx"):
                    m = onnx.load(p)
                    onnx.checker.check_model(m, full_check=True)
                    self.assertEqual(m.opset_import[0].version, 17)
                    self.assertEqual([i.name for i in m.graph.input], [i["name"] for i in entry["inputs"]])
                    for i in m.graph.input:
                        self.assertEqual(i.type.tensor_type.shape.dim[0].dim_param, "batch")
        man = self.manifest
        self.assertEqual(man["latent"]["frame_order"], M.FRAME_ORDER)
        self.assertEqual((man["latent"]["channels"], man["latent"]["height"]), (4, 4))
        self.assertEqual(man["scheduler"]["shift"], 5.0)
        self.assertEqual(man["scheduler"]["num_train_timesteps"], 1000)
        self.assertNotIn("readout", man["scheduler"])  # default: one seeded noise draw (the app's behaviour without it)
        self.assertEqual(man["tasks"], {"synthetic task 0": 0, "synthetic task 1": 1})

    def test_reference_reproducible(self):
        """Recompute the reference vectors from the decoded inputs with the checkpoint; they must match."""
        info, cfg, enc, dit, bl = E.load_checkpoint(os.path.join(self.run_dir, "checkpoint.pt"))
        smin, smax = torch.tensor(info["state_min"]), torch.tensor(info["state_max"])
        with open(os.path.join(self.pkg, "reference.json")) as f:
            ref = json.load(f)
        self.assertEqual(len(ref["cases"]), 2)
        for c in ref["cases"]:
            imgs = E.dec_tensor(c["inputs"]["images_u8"])
            self.assertEqual(imgs.shape, (3, 32, 32, 3))
            x = torch.from_numpy(imgs.astype(np.float32) / 127.5 - 1).permute(0, 3, 1, 2)
            np.testing.assert_allclose(x.numpy(), E.dec_tensor(c["image_input"]), atol=1e-6)
            with torch.no_grad():
                lat = enc(x)
                np.testing.assert_allclose(lat.numpy(), E.dec_tensor(c["latents"]), atol=2e-5)
                q = M.normalize_state(torch.from_numpy(E.dec_tensor(c["inputs"]["state"]).copy()), smin, smax)
                self.assertTrue(q.abs().max() <= 1.0)
                noise = torch.from_numpy(E.dec_tensor(c["inputs"]["noise"]).copy())[None]
                task = torch.tensor([c["inputs"]["task_id"]])
                prefix = M.build_sequence(lat[None], q[None], cfg)
                seq0 = torch.cat([prefix[:, :5], noise], 1)
                np.testing.assert_allclose(seq0[0].numpy(), E.dec_tensor(c["denoiser_step"]["input"]), atol=2e-5)
                v = dit(seq0, torch.ones(1), task)
                np.testing.assert_allclose(v[0].numpy(), E.dec_tensor(c["denoiser_step"]["velocity"]), atol=1e-4)
                one = c["steps_1"]
                np.testing.assert_allclose(E.dec_tensor(one["target_frames"]), (noise - v[:, 5:])[0].numpy(),
                                           atol=1e-5)
                for steps in (1, 4):
                    r = c[f"steps_{steps}"]
                    out = M.sample(dit, prefix, task, noise, steps, cfg.shift)
                    prog, fut = M.readout(out, cfg.state_dim, smin, smax)
                    self.assertAlmostEqual(prog.item(), r["progress"], places=5)
                    self.assertAlmostEqual(M.latent_to_progress(torch.tensor(r["value_latent_mean"])).item(),
                                           r["progress"], places=5)
                    np.testing.assert_allclose(fut[0].numpy(), E.dec_tensor(r["future_state"]), atol=1e-4)
                    self.assertEqual(len(r["sigmas"]), steps)


    def test_onnx_graphs_match_reference(self):
        """Run the exported graphs with the numpy interpreter (viva.onnx_eval) at batch 3 (traced at 2) and check
        them against reference.json within the manifest's tolerance, including a full 1-step prediction."""
        from viva import onnx_eval as OE
        with open(os.path.join(self.pkg, "reference.json")) as f:
            cases = json.load(f)["cases"]
        cases = cases + cases[:1]
        tol = self.manifest["parity"]["tolerance"]
        x = np.stack([E.dec_tensor(c["image_input"]) for c in cases])  # [3, cams, 3, H, W]
        lat = OE.run(os.path.join(self.pkg, "encoder.onnx"), {"image": x.reshape(-1, *x.shape[2:])})["latent"]
        want = np.stack([E.dec_tensor(c["latents"]) for c in cases])
        np.testing.assert_allclose(lat.reshape(want.shape), want, atol=tol)
        seq = np.stack([E.dec_tensor(c["denoiser_step"]["input"]) for c in cases])
        task = np.array([c["inputs"]["task_id"] for c in cases], dtype=np.int64)
        v = OE.run(os.path.join(self.pkg, "denoiser.onnx"),
                   {"latents": seq, "sigma": np.ones(3, np.float32), "task_id": task})["velocity"]
        np.testing.assert_allclose(v, np.stack([E.dec_tensor(c["denoiser_step"]["velocity"]) for c in cases]),
                                   atol=tol)
        noise = np.stack([E.dec_tensor(c["inputs"]["noise"]) for c in cases])
        value = M.read_value(torch.from_numpy(noise[:, 1] - v[:, 6])).numpy()
        np.testing.assert_allclose(value, [c["steps_1"]["progress"] for c in cases], atol=tol)
        b = os.path.join(self.pkg, "baseline")
        with open(os.path.join(b, "reference.json")) as f:
            bc = json.load(f)["cases"]
        o = OE.run(os.path.join(b, "baseline.onnx"),
                   {"images": np.stack([E.dec_tensor(c["images"]) for c in bc]),
                    "state": np.stack([E.dec_tensor(c["state_norm"]) for c in bc]),
                    "task_id": np.array([c["inputs"]["task_id"] for c in bc], dtype=np.int64)})
        np.testing.assert_allclose(o["logits"], np.stack([E.dec_tensor(c["logits"]) for c in bc]), atol=tol)
        np.testing.assert_allclose(o["value"], [c["value"] for c in bc], atol=tol)

    def test_evaluate_cli(self):
        """viva.evaluate on the tiny run: curves for every frame, metrics JSON + markdown with both rows."""
        from viva import evaluate as EV
        meta = json.load(open(os.path.join(self.cache_dir, "meta.json")))
        events, outs = [], []
        for e in meta["episodes"]:
            L, ep = int(e["length"]), int(e["index"])
            outs.append({"episode": ep, "outcome": e["outcome"]})
            events.append({"episode": ep, "frame": L // 2, "kind": "milestone", "direction": 1})
            events.append({"episode": ep, "frame": L - 1, "kind": "error", "direction": -1})  # last frame: skipped
            events.append({"episode": ep, "frame": 3, "kind": "error", "direction": -1})
        labels = os.path.join(self.tmp, "labels.json")
        with open(labels, "w") as f:
            json.dump({"episodes": outs, "events": events}, f)
        out = os.path.join(self.tmp, "eval")
        ck = os.path.join(self.run_dir, "checkpoint.pt")
        rep = EV.main(["--checkpoint", ck, "--baseline-checkpoint", ck, "--cache", self.cache_dir, "--labels",
                       labels, "--out", out, "--window", "2", "--extra-windows", "1"])
        n_eps = len(meta["episodes"])
        for k in ("viva", "baseline", "truth"):
            r = rep["results"][k]
            self.assertEqual(r["episodes"], n_eps)
            self.assertEqual((r["n_milestone"], r["n_error"], r["skipped_error"]), (n_eps, n_eps, n_eps))
            self.assertTrue(0.0 <= r["MDR"] <= 1.0 and 0.0 <= r["ErrDR"] <= 1.0)
        t = rep["results"]["truth"]  # ground-truth progress rises linearly in every episode
        self.assertAlmostEqual(t["pearson"], 1.0, places=5)
        self.assertAlmostEqual(t["voc"], 1.0, places=5)
        self.assertEqual((t["MDR"], t["ErrDR"]), (1.0, 0.0))
        vals = json.load(open(os.path.join(out, "values.json")))
        self.assertEqual(sum(len(v) for v in vals["viva"].values()), meta["num_frames"] if "num_frames" in meta
                         else sum(int(e["length"]) for e in meta["episodes"]))
        md = open(os.path.join(out, "metrics.md")).read()
        self.assertIn("| ViVa", md)
        self.assertIn("| Discriminative baseline", md)

    def test_evaluate_default_window_and_readouts(self):
        """No --window: the app's 1/6 s at the cache's fps. --readout zero: the same curve for every noise seed."""
        from viva import evaluate as EV
        meta = json.load(open(os.path.join(self.cache_dir, "meta.json")))
        labels = os.path.join(self.tmp, "labels-empty.json")
        with open(labels, "w") as f:
            json.dump({"episodes": [{"episode": int(e["index"]), "outcome": e["outcome"]} for e in meta["episodes"]],
                       "events": []}, f)
        ck = os.path.join(self.run_dir, "checkpoint.pt")
        curves = {}
        for seed, readout in ((0, "zero"), (1, "zero"), (0, "sample"), (1, "sample")):
            out = os.path.join(self.tmp, f"eval-{readout}-{seed}")
            rep = EV.main(["--checkpoint", ck, "--cache", self.cache_dir, "--labels", labels, "--out", out,
                           "--seed", str(seed), "--readout", readout, "--extra-windows", ""])
            self.assertEqual(rep["window"], EV.default_window(meta["fps"]))
            curves[(readout, seed)] = json.load(open(os.path.join(out, "values.json")))["viva"]
        self.assertEqual(curves[("zero", 0)], curves[("zero", 1)])
        self.assertNotEqual(curves[("sample", 0)], curves[("sample", 1)])

    def test_init_checkpoint_continues_the_dit_with_the_same_encoder(self):
        """--init-checkpoint: the encoder and state range are the checkpoint's, the DiT starts from its weights."""
        ck_path = os.path.join(self.run_dir, "checkpoint.pt")
        out = os.path.join(self.tmp, "run-continued")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = T.main(["--cache", self.cache_dir, "--out", out, "--init-checkpoint", ck_path, "--steps", "3",
                           "--batch", "4", "--lr-schedule", "cosine", "--ema", "0.9", "--warmup", "1",
                           "--val-episodes", "1"])
        before, after = torch.load(ck_path), torch.load(os.path.join(out, "checkpoint.pt"))
        for k, v in before["encoder"].items():
            self.assertTrue(torch.equal(v, after["encoder"][k]), k)
        self.assertEqual(info["state_min"], before["info"]["state_min"])
        self.assertEqual(info["config"], before["info"]["config"])
        self.assertTrue(any(not torch.equal(v, after["dit"][k]) for k, v in before["dit"].items()))
        self.assertEqual((info["dit_train"]["lr_schedule"], info["dit_train"]["ema"]), ("cosine", 0.9))
        self.assertEqual(info["dit_train"]["previous"]["steps"], before["info"]["dit_train"]["steps"])
        self.assertEqual(info["encoder_train"]["from"], os.path.abspath(ck_path))

    def test_evaluate_antithetic_readout_pairs_each_draw_with_its_negation(self):
        """--readout antithetic:4: draws 1 and 3 are the negations of draws 0 and 2, and the curve is their mean."""
        from viva import evaluate as EV
        from viva import model as MM
        ck = os.path.join(self.run_dir, "checkpoint.pt")
        seen = []
        real = MM.sample

        def spy(dit, seq, task, noise, steps, shift):
            seen.append(noise.clone())
            return real(dit, seq, task, noise, steps, shift)
        MM.sample = spy
        try:
            curves, _ = EV.predict(ck, self.cache_dir, seed=3, baseline=False, batch=1024,
                                   value_readout=E.parse_readout("antithetic:4"))
        finally:
            MM.sample = real
        self.assertEqual(len(seen), 4)
        self.assertTrue(torch.equal(seen[1], -seen[0]) and torch.equal(seen[3], -seen[2]))
        self.assertFalse(torch.equal(seen[2], seen[0]))
        independent, _ = EV.predict(ck, self.cache_dir, seed=3, baseline=False, batch=1024,
                                    value_readout=E.parse_readout("mean:4"))
        self.assertNotEqual(curves["viva"], independent["viva"])


if __name__ == "__main__":
    unittest.main()
