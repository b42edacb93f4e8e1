import math
import unittest

import _util  # noqa: F401
import torch

from viva import model as M


class TestPadding(unittest.TestCase):
    def test_pad_tiles_and_roundtrip(self):
        g = torch.Generator().manual_seed(0)
        for (C, H, W) in [(16, 8, 8), (4, 4, 4), (3, 5, 7)]:
            n = C * H * W
            for D in [1, 7, 14, 15, 33, 100, n - 1, n, n + 5]:
                q = torch.rand(3, D, generator=g) * 2 - 1
                f = M.pad_state(q, C, H, W)
                self.assertEqual(tuple(f.shape), (3, C, H, W))
                flat = f.reshape(3, -1)
                j = torch.arange(n)
                self.assertTrue(torch.equal(flat, q[:, j % D]), (C, H, W, D))
                back = M.unpad_state(f, D)
                if D <= n:
                    self.assertTrue(torch.allclose(back, q, atol=1e-6, rtol=0), (C, H, W, D))
                else:  # elements beyond the frame are not covered: 0/0
                    self.assertTrue(torch.allclose(back[:, :n], q[:, :n], atol=1e-6))

    def test_unpad_is_elementwise_copy_average(self):
        g = torch.Generator().manual_seed(1)
        C, H, W, D = 4, 4, 4, 14  # 64 = 4*14 + 8 -> last partial copy covers elements 0..7
        f = torch.randn(2, C, H, W, generator=g)
        flat = f.reshape(2, -1)
        want = torch.zeros(2, D)
        cnt = torch.zeros(D)
        for j in range(C * H * W):
            want[:, j % D] += flat[:, j]
            cnt[j % D] += 1
        want /= cnt
        self.assertEqual(cnt[:8].tolist(), [5.0] * 8)
        self.assertEqual(cnt[8:].tolist(), [4.0] * 6)
        self.assertTrue(torch.allclose(M.unpad_state(f, D), want, atol=1e-6))

    def test_value_broadcast_readout(self):
        v = torch.tensor([-1.0, -0.5, 0.0, 0.3, 1.0])
        f = M.value_frame(v, 16, 8, 8)
        self.assertEqual(tuple(f.shape), (5, 16, 8, 8))
        self.assertTrue(torch.all(f == v[:, None, None, None]))
        self.assertTrue(torch.allclose(M.read_value(f), (v + 1) / 2))
        self.assertEqual(M.read_value(M.value_frame(torch.tensor([3.0, -3.0]), 2, 2, 2)).tolist(), [1.0, 0.0])


class TestNormalization(unittest.TestCase):
    def test_roundtrip_and_clamp(self):
        g = torch.Generator().manual_seed(2)
        smin = torch.randn(14, generator=g) - 2
        smax = smin + torch.rand(14, generator=g) * 3 + 0.1
        s = smin + torch.rand(100, 14, generator=g) * (smax - smin)
        x = M.normalize_state(s, smin, smax)
        self.assertTrue(x.min() >= -1 and x.max() <= 1)
        self.assertTrue(torch.allclose(M.denormalize_state(x, smin, smax), s, atol=1e-5))
        out = torch.stack([smin - 5, smax + 5])
        self.assertTrue(torch.allclose(M.normalize_state(out, smin, smax), torch.stack([-torch.ones(14),
                                                                                        torch.ones(14)]), atol=1e-6))
        self.assertTrue(torch.allclose(M.normalize_state(smin, smin, smax), -torch.ones(14)))


class TestValueTargets(unittest.TestCase):
    def test_hand_computed(self):
        self.assertTrue(torch.allclose(M.value_targets(4, True), torch.tensor([0.75, 0.5, 0.25, 0.0])))
        self.assertTrue(torch.allclose(M.value_targets(4, False), torch.tensor([1.75, 1.5, 1.25, 1.0])))
        T = 50
        s, f = M.value_targets(T, True), M.value_targets(T, False)
        self.assertAlmostEqual(s[0].item(), (T - 1) / T, places=6)  # t = 1
        self.assertEqual(s[-1].item(), 0.0)  # t = T, success
        self.assertAlmostEqual(f[0].item(), (T - 1) / T + 1, places=6)
        self.assertEqual(f[-1].item(), 1.0)  # t = T, failure
        self.assertTrue(torch.allclose(f - s, torch.ones(T)))  # constant margin 1

    def test_reward_sum_matches_eq2(self):
        T = 7
        for success in (True, False):
            r = [1 / T] * (T - 1) + [0.0 if success else 1.0]  # eq. 1, t = 1..T
            G = [sum(r[k] for k in range(t - 1, T)) for t in range(1, T + 1)]
            self.assertTrue(torch.allclose(M.value_targets(T, success), torch.tensor(G), atol=1e-6))

    def test_mapping(self):
        G = torch.tensor([0.0, 0.5, 0.999, 1.0, 1.5, 1.98])
        p = M.return_to_progress(G)
        self.assertTrue(torch.allclose(p, torch.tensor([1.0, 0.75, 0.5005, 0.5, 0.25, 0.01])))
        self.assertTrue(torch.allclose(M.progress_to_return(p), G, atol=1e-6))
        v = M.return_to_latent(G)
        self.assertTrue(v.min() >= -1 and v.max() <= 1)
        # readout of the broadcast value frame gives progress directly
        self.assertTrue(torch.allclose(M.read_value(M.value_frame(v, 4, 2, 2)), p, atol=1e-6))
        self.assertTrue(torch.allclose(M.latent_to_progress(v), p, atol=1e-6))
        # every failure frame is below every success frame
        self.assertLess(M.return_to_progress(M.value_targets(9, False)).max().item(),
                        M.return_to_progress(M.value_targets(9, True)).min().item())


class TestScheduler(unittest.TestCase):
    def test_shift(self):
        self.assertAlmostEqual(M.shift_sigma(0.5, 5.0), 2.5 / 3.0)
        self.assertEqual(M.shift_sigma(1.0, 5.0), 1.0)
        self.assertEqual(M.shift_sigma(0.0, 5.0), 0.0)
        self.assertAlmostEqual(M.shift_sigma(0.3, 1.0), 0.3)
        self.assertEqual(M.inference_sigmas(1, 5.0), [1.0])
        s4 = M.inference_sigmas(4, 5.0)
        want = [5 * u / (1 + 4 * u) for u in (1.0, 0.75, 0.5, 0.25)]
        for a, b in zip(s4, want):
            self.assertAlmostEqual(a, b, places=12)
        t = M.train_sigmas(1000, 5.0)
        self.assertEqual(t.numel(), 1000)
        self.assertEqual(t[0].item(), 1.0)
        self.assertTrue(torch.all(t[1:] < t[:-1]))
        self.assertAlmostEqual(t[500].item(), 2.5 / 3.0, places=6)

    def _stub(self, fn):
        class Stub(torch.nn.Module):
            def __init__(s):
                super().__init__()
                s.calls = []

            def forward(s, x, sigma, task):
                s.calls.append((x.clone(), sigma.clone()))
                return fn(x, sigma)
        return Stub()

    def test_one_step_euler_is_noise_minus_v(self):
        g = torch.Generator().manual_seed(3)
        prefix = torch.randn(2, 7, 4, 2, 2, generator=g)
        noise = torch.randn(2, 2, 4, 2, 2, generator=g)
        vconst = torch.randn(2, 7, 4, 2, 2, generator=g)
        stub = self._stub(lambda x, s: vconst)
        out = M.sample(stub, prefix, torch.zeros(2, dtype=torch.long), noise, 1, 5.0)
        self.assertTrue(torch.allclose(out[:, 5:], noise - vconst[:, 5:]))
        self.assertTrue(torch.equal(out[:, :5], prefix[:, :5]))
        self.assertEqual(stub.calls[0][1].tolist(), [1.0, 1.0])

    def test_multistep_prefix_clean_and_exact_flow(self):
        # with the exact velocity (noise - clean) any number of steps recovers the clean target
        g = torch.Generator().manual_seed(4)
        prefix = torch.randn(1, 7, 4, 2, 2, generator=g)
        clean = torch.randn(1, 2, 4, 2, 2, generator=g)
        noise = torch.randn(1, 2, 4, 2, 2, generator=g)
        stub = self._stub(lambda x, s: torch.cat([torch.zeros(1, 5, 4, 2, 2), noise - clean], 1))
        out = M.sample(stub, prefix, torch.zeros(1, dtype=torch.long), noise, 4, 5.0)
        self.assertTrue(torch.allclose(out[:, 5:], clean, atol=1e-5))
        sig = M.inference_sigmas(4, 5.0)
        for (x, s), want in zip(stub.calls, sig):
            self.assertTrue(torch.equal(x[:, :5], prefix[:, :5]))
            self.assertAlmostEqual(s.item(), want, places=6)
            self.assertTrue(torch.allclose(x[:, 5:], (1 - want) * clean + want * noise, atol=1e-5))

    def test_loss_only_on_targets(self):
        cfg = M.VivaConfig(image_size=16, latent_channels=4, enc_channels=(8, 8), hidden=32, depth=1, heads=2)
        torch.manual_seed(0)
        dit = M.DiT(cfg)
        torch.nn.init.normal_(dit.out.weight, std=0.1)
        clean = torch.randn(3, 7, 4, 4, 4)
        task = torch.zeros(3, dtype=torch.long)
        table = M.train_sigmas(1000, 5.0)
        g = torch.Generator().manual_seed(5)
        loss, lp, lv = M.flow_matching_loss(dit, clean, task, table, generator=g)
        self.assertAlmostEqual(loss.item(), 0.5 * lp.item() + 1.0 * lv.item(), places=5)
        # zero velocity output -> loss = E|noise - clean|^2 on the targets only
        stub = self._stub(lambda x, s: torch.zeros_like(x))
        g = torch.Generator().manual_seed(5)
        idx = torch.randint(0, 1000, (3,), generator=g)
        noise = torch.randn(3, 2, 4, 4, 4, generator=g)
        g = torch.Generator().manual_seed(5)
        _, lp0, lv0 = M.flow_matching_loss(stub, clean, task, table, generator=g)
        self.assertAlmostEqual(lp0.item(), ((noise[:, 0] - clean[:, 5]) ** 2).mean().item(), places=5)
        self.assertAlmostEqual(lv0.item(), ((noise[:, 1] - clean[:, 6]) ** 2).mean().item(), places=5)
        x, s = stub.calls[0]
        self.assertTrue(torch.equal(x[:, :5], clean[:, :5]))
        self.assertTrue(torch.allclose(s, table[idx]))


class TestNetworks(unittest.TestCase):
    def test_shapes(self):
        cfg = M.VivaConfig(image_size=32, latent_channels=4, enc_channels=(8, 16, 16), hidden=32, depth=2, heads=4,
                           num_tasks=3, state_dim=14)
        self.assertEqual(cfg.latent_shape, (4, 4, 4))
        enc, dec = M.ImageEncoder(cfg), M.ImageDecoder(cfg)
        x = torch.rand(5, 3, 32, 32) * 2 - 1
        z = enc(x)
        self.assertEqual(tuple(z.shape), (5, 4, 4, 4))
        self.assertEqual(tuple(dec(z).shape), (5, 3, 32, 32))
        dit = M.DiT(cfg)
        p = torch.randn(2, 7, 4, 4, 4)
        self.assertTrue(torch.equal(dit.unpatchify(dit.patchify(p)), p))
        seq = M.build_sequence(torch.randn(2, 3, 4, 4, 4), torch.rand(2, 14), cfg, torch.rand(2, 14),
                               torch.tensor([0.2, -0.4]))
        self.assertTrue(torch.all(seq[:, 0] == 0))
        self.assertTrue(torch.all(seq[1, 6] == -0.4))
        v = dit(seq, torch.tensor([1.0, 0.3]), torch.tensor([0, 2]))
        self.assertEqual(tuple(v.shape), (2, 7, 4, 4, 4))
        bl = M.DiscriminativeBaseline(cfg)
        logits, val = bl(torch.rand(2, 3, 3, 32, 32), torch.rand(2, 14), torch.tensor([1, 2]))
        self.assertEqual(tuple(logits.shape), (2, 201))
        self.assertTrue(torch.all((val >= 0) & (val <= 1)))
        self.assertEqual(bl.progress_to_bin(torch.tensor([0.0, 0.5, 1.0])).tolist(), [0, 100, 200])


class TestTimeCap(unittest.TestCase):
    def test_phase_time_cap(self):
        import time
        from viva.train import _out_of_time
        msgs = []
        now = time.time()
        self.assertFalse(_out_of_time(now - 100, 0, 5, 10, "x", msgs.append))      # no cap
        self.assertFalse(_out_of_time(now - 100, 10, 1, 10, "x", msgs.append))     # always run step 1
        self.assertFalse(_out_of_time(now, 10, 5, 10, "x", msgs.append))           # within the cap
        self.assertTrue(_out_of_time(now - 100, 10, 5, 10, "x", msgs.append))      # past it: stop after 4 steps
        self.assertEqual(len(msgs), 1)
        self.assertIn("4/10", msgs[0])


if __name__ == "__main__":
    unittest.main()
