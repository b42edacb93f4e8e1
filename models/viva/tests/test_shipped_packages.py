"""The shipped reference packages (models/viva-reference, models/baseline-reference): file hashes and sizes match
the manifests, graphs pass onnx.checker, and the graphs (numpy interpreter) reproduce reference.json."""
import hashlib
import json
import os
import unittest

import _util  # noqa: F401
import numpy as np
import torch

from viva import model as M
from viva import onnx_eval as OE
from viva.export import dec_tensor

MODELS = os.path.abspath(os.path.join(_util.HERE, "..", ".."))
VIVA = os.path.join(MODELS, "viva-reference")
BASE = os.path.join(MODELS, "baseline-reference")


def _manifest(d):
    with open(os.path.join(d, "viva-model.json")) as f:
        return json.load(f)


def _check_files(tc, d, m):
    import onnx
    total = 0
    for role, f in m["files"].items():
        p = os.path.join(d, f["path"])
        with open(p, "rb") as fh:
            tc.assertEqual(hashlib.sha256(fh.read()).hexdigest(), f["sha256"], role)
        tc.assertEqual(os.path.getsize(p), f["bytes"], role)
        total += f["bytes"]
        if p.endswith(".onnx"):
            onnx.checker.check_model(onnx.load(p), full_check=True)
    tc.assertLess(total, 50 * 1024 * 1024)


@unittest.skipUnless(os.path.exists(os.path.join(VIVA, "viva-model.json")), "no shipped ViVa package")
class TestShippedViva(unittest.TestCase):
    def test_files_and_parity(self):
        m = _manifest(VIVA)
        self.assertEqual((m["schema_version"], m["kind"]), (1, "viva-flow"))
        _check_files(self, VIVA, m)
        with open(os.path.join(VIVA, "reference.json")) as f:
            cases = json.load(f)["cases"]
        tol = m["parity"]["tolerance"]
        x = np.stack([dec_tensor(c["image_input"]) for c in cases])
        lat = OE.run(os.path.join(VIVA, "encoder.onnx"), {"image": x.reshape(-1, *x.shape[2:])})["latent"]
        want = np.stack([dec_tensor(c["latents"]) for c in cases])
        np.testing.assert_allclose(lat.reshape(want.shape), want, atol=tol)
        seq = np.stack([dec_tensor(c["denoiser_step"]["input"]) for c in cases])
        task = np.array([c["inputs"]["task_id"] for c in cases], dtype=np.int64)
        v = OE.run(os.path.join(VIVA, "denoiser.onnx"),
                   {"latents": seq, "sigma": np.ones(len(cases), np.float32), "task_id": task})["velocity"]
        np.testing.assert_allclose(v, np.stack([dec_tensor(c["denoiser_step"]["velocity"]) for c in cases]), atol=tol)
        noise = np.stack([dec_tensor(c["inputs"]["noise"]) for c in cases])
        value = M.read_value(torch.from_numpy(noise[:, 1] - v[:, 6])).numpy()
        np.testing.assert_allclose(value, [c["steps_1"]["progress"] for c in cases], atol=tol)


@unittest.skipUnless(os.path.exists(os.path.join(BASE, "viva-model.json")), "no shipped baseline package")
class TestShippedBaseline(unittest.TestCase):
    def test_files_and_parity(self):
        m = _manifest(BASE)
        self.assertEqual((m["schema_version"], m["kind"]), (1, "direct"))
        _check_files(self, BASE, m)
        with open(os.path.join(BASE, "reference.json")) as f:
            bc = json.load(f)["cases"]
        o = OE.run(os.path.join(BASE, "baseline.onnx"),
                   {"images": np.stack([dec_tensor(c["images"]) for c in bc]),
                    "state": np.stack([dec_tensor(c["state_norm"]) for c in bc]),
                    "task_id": np.array([c["inputs"]["task_id"] for c in bc], dtype=np.int64)})
        tol = m["parity"]["tolerance"]
        np.testing.assert_allclose(o["logits"], np.stack([dec_tensor(c["logits"]) for c in bc]), atol=tol)
        np.testing.assert_allclose(o["value"], [c["value"] for c in bc], atol=tol)


if __name__ == "__main__":
    unittest.main()
