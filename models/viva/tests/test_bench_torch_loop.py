"""bench_torch_loop.py benchmarks the *same* model as models/viva-reference: the torch modules rebuilt from the
manifest's config with weights taken from the ONNX initializers reproduce reference.json, also through the
batch-1 per-frame path that the benchmark times."""
import json
import os
import unittest

import _util  # noqa: F401
import numpy as np
import torch

import bench_torch_loop as B
from viva.export import dec_tensor

PKG = B.DEFAULT_PACKAGE

try:
    import onnx  # noqa: F401
    HAVE_ONNX = True
except ImportError:  # pragma: no cover
    HAVE_ONNX = False


@unittest.skipUnless(os.path.exists(os.path.join(PKG, "viva-model.json")), "no shipped ViVa package")
@unittest.skipUnless(HAVE_ONNX, "onnx not installed")
class TestOnnxInitializerWeights(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cfg, cls.enc, cls.dit, cls.smin, cls.smax, cls.info = B.load_model(PKG, "onnx")
        with open(os.path.join(PKG, "reference.json")) as f:
            cls.ref = json.load(f)

    def test_mapping_is_complete(self):
        manifest = B.load_manifest(PKG)
        cfg, enc, dit, _, _ = B.build_modules(manifest)
        for role, mod in (("encoder", enc), ("denoiser", dit)):
            sd, rep = B.onnx_state_dict(os.path.join(PKG, manifest["files"][role]["path"]), mod)
            self.assertEqual(set(sd), set(mod.state_dict()), role)
            self.assertEqual(rep["unused"], [], role)  # every initializer is a parameter or buffer
        # GroupNorm affines (encoder) and 3-D Linear weights (DiT) are the renamed ones
        self.assertGreater(self.info["renamed_initializers"], 0)

    def test_reproduces_reference_json(self):
        self.assertEqual(self.info["weights"], "onnx-initializers")
        ver = self.info["verification"]
        self.assertTrue(ver["ok"], ver)
        tol = self.ref["tolerance"]
        self.assertLessEqual(tol, 1e-4)
        for key in ("latents", "denoiser_velocity", "steps_1.progress", "steps_1.future_state", "steps_4.progress"):
            self.assertLessEqual(ver["max_abs_err"][key], tol, key)

    def test_per_frame_path_matches_reference(self):
        """The benchmark's batch-1 infer_frame gives reference.json's 1-step progress and future state."""
        tol = self.ref["tolerance"]
        for c in self.ref["cases"]:
            noise = torch.from_numpy(dec_tensor(c["inputs"]["noise"]).copy())[None]
            task = torch.tensor([c["inputs"]["task_id"]], dtype=torch.long)
            prog, fut = B.infer_frame(self.cfg, self.enc, self.dit, self.smin, self.smax,
                                      dec_tensor(c["inputs"]["images_u8"]), dec_tensor(c["inputs"]["state"]).copy(),
                                      task, noise, 1)
            self.assertAlmostEqual(prog, c["steps_1"]["progress"], delta=tol)
            np.testing.assert_allclose(fut, dec_tensor(c["steps_1"]["future_state"]), atol=tol)

    def test_run_small(self):
        out = B.run(PKG, frames=3, warmup=1, steps=2, threads=torch.get_num_threads())
        self.assertEqual((out["frames"], out["steps"], out["weights"], out["verified"]), (3, 2, "onnx-initializers", True))
        self.assertGreater(out["framesPerSecond"], 0)
        for k in ("seconds", "threads", "torch", "note"):
            self.assertIn(k, out)


if __name__ == "__main__":
    unittest.main()
