#!/usr/bin/python3
"""Reference numbers for the TypeScript metrics and advantages (app/metrics.test.ts, app/advantages.test.ts).

Regenerate (from the repository root; numpy only, no scipy, no torch needed):

    /usr/bin/python3 models/viva/make_metric_fixtures.py              # writes app/testing/fixtures/metrics-reference.json
    /usr/bin/python3 models/viva/make_metric_fixtures.py --out FILE   # somewhere else

The output is deterministic (fixed seed, no timestamps). The metrics come from models/viva/viva/evaluate.py itself
(rankdata, pearson, spearman, voc, event_windows, ers, event_metrics, curve_metrics), so the app and the Python
evaluation agree by construction of this test. Ground-truth progress (1 - G/2 with G of the paper's eq. 2), the
rewards, the K-step advantages, the RECAP thresholds and labels are implemented here independently of
app/advantages.ts, in vectorized numpy (prefix sums instead of the app's loops; np.quantile):

    rewards (reward convention, higher = better; the negated eq. 1):  r(i) = -1/T for i < T-1,
        r(T-1) = 0 for a success, -1 for a failure; so sum_{k>=i} r(k) = -G(i)
    value in the same units:  V(i) = 2 * progress(i) - 2 (= -G for the ground truth), V(j) = 0 for j >= T
    A(t) = sum_{k=t}^{min(t+K,T)-1} r(k) + V(t+K) - V(t)

RECAP labels (RLinf's RECAP pipeline, examples/process/compute_advantages.py: `positive_quantile` = 0.3, the
threshold `np.percentile(advantages, (1 - positive_quantile) * 100)`, positive where `advantage >= threshold`):
    threshold = np.quantile(A, 1 - f) (numpy's default 'linear' method),   positive = A >= threshold
so the top fraction f of the frames (0.3 by default) is "advantage positive". Thresholds pool the frames of one
series per task ('task' scope, the default) or over all tasks ('dataset' scope); `recap` below pools the cases
(one series, three tasks) both ways.

Cases: about 30 random curves of random lengths (1..150) with both outcomes, ties from rounding, constant curves,
curves in (-1, 0), events at the first and last frame (skipped by the ERS) and ERS windows w in {1, 3, 5, 10}.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)

from viva.evaluate import (EPS, curve_metrics, ers, event_metrics, event_windows, pearson, rankdata,  # noqa: E402
                           spearman, voc)

SEED = 20260402
WINDOWS = (1, 3, 5, 10)
TASKS = ('fold the shirt', 'pack the box', 'organize paper rolls')
POOLED_FRACTIONS = (1.0, 0.875, 0.7, 0.5, 0.3, 0.223, 0.01)
DEFAULT_POSITIVE_FRACTION = 0.3


def ground_truth_progress(T: int, success: bool) -> np.ndarray:
    """1 - G/2 with G(i) = (T-1-i)/T (+1 for a failure)."""
    i = np.arange(T, dtype=np.float64)
    g = (T - 1 - i) / T + (0.0 if success else 1.0)
    return 1.0 - g / 2.0


def step_rewards(T: int, success: bool) -> np.ndarray:
    r = np.full(T, -1.0 / T)
    r[-1] = 0.0 if success else -1.0
    return r


def k_step_advantages(progress: np.ndarray, rewards: np.ndarray, K: int) -> np.ndarray:
    T = progress.size
    csum = np.concatenate([[0.0], np.cumsum(rewards)])
    V = np.concatenate([2.0 * progress - 2.0, np.zeros(K)])  # V = 0 past the last frame
    t = np.arange(T)
    end = np.minimum(t + K, T)
    return (csum[end] - csum[t]) + V[t + K] - V[t]


def positive_threshold(advantages: np.ndarray, fraction: float) -> float:
    """The (1 - fraction) quantile, linear interpolation: the top `fraction` of the frames lies at or above it."""
    return float(np.quantile(advantages, 1.0 - fraction))


def labels(advantages: np.ndarray, threshold: float) -> str:
    return ''.join('1' if a >= threshold else '0' for a in advantages)


def make_curve(rng, kind: str, T: int, success: bool) -> np.ndarray:
    truth = ground_truth_progress(T, success)
    if kind == 'truth':
        return truth
    if kind == 'constant':
        return np.full(T, float(rng.choice([0.0, 0.3, 0.75])))
    if kind == 'negative':  # in (-1, 0): the relative ERS divides by a negative V_before
        return np.round(-rng.uniform(0.02, 0.98, T), 6)
    if kind == 'steps':  # piecewise constant with jumps: many ties
        jumps = rng.choice([0.0, 0.0, 0.0, 0.1, -0.05], T)
        return np.round(np.clip(0.2 + np.cumsum(jumps) * 0.3, 0.0, 1.0), 2)
    if kind == 'coarse':  # noisy progress rounded to one decimal: heavy ties
        return np.round(np.clip(truth + rng.normal(0, 0.1, T), 0, 1), 1)
    if kind == 'walk':
        return np.round(0.5 + np.cumsum(rng.normal(0, 0.03, T)), 6)
    # 'noisy': a plausible model curve
    return np.round(np.clip(truth + rng.normal(0, 0.04, T), 0, 1), rng.choice([2, 6]))


def events_for(rng, T: int, edge: bool):
    n_m, n_e = int(rng.integers(0, 5)), int(rng.integers(0, 4))
    ms = sorted(int(x) for x in rng.integers(0, T, n_m))
    es = sorted(int(x) for x in rng.integers(0, T, n_e))
    if edge:  # events at the first and last frame: an empty window, skipped and counted
        ms = [0] + ms + [T - 1]
        es = es + [T - 1]
    return ms, es


def score_events(values, ms, es, w):
    out = []
    for kind, frames, d in (('milestone', ms, 1), ('error', es, -1)):
        for f in frames:
            vb, va = event_windows(values, f, w)
            r = ers(values, f, d, w, EPS)
            out.append({'frame': f, 'kind': kind, 'before': vb, 'after': va,
                        'relative': None if r is None else r[0], 'absolute': None if r is None else r[1]})
    return out


def row(curves, truth, events, w):
    """evaluate.py's numbers as two MetricRow-like dicts (relative, absolute)."""
    c = curve_metrics(curves, truth)
    e = event_metrics(curves, events, w, EPS)
    base = {'episodes': c['episodes'], 'pearson': c['pearson'], 'spearman': c['spearman'], 'voc': c['voc'],
            'nMilestones': e['n_milestone'], 'nErrors': e['n_error'], 'skippedMilestones': e['skipped_milestone'],
            'skippedErrors': e['skipped_error'], 'window': w}
    return {'relative': {**base, 'variant': 'relative', 'MS': e['MS'], 'ES': e['ES'], 'MDR': e['MDR'],
                         'ErrDR': e['ErrDR']},
            'absolute': {**base, 'variant': 'absolute', 'MS': e['MS_abs'], 'ES': e['ES_abs'], 'MDR': e['MDR_abs'],
                         'ErrDR': e['ErrDR_abs']}}


def build() -> dict:
    rng = np.random.default_rng(SEED)
    plan = [  # (kind, length, success, events at the edges)
        ('constant', 1, True, True), ('noisy', 2, False, True), ('constant', 40, True, False),
        ('constant', 20, False, True), ('negative', 60, True, False), ('negative', 33, False, True),
        ('truth', 50, True, False), ('truth', 37, False, True), ('coarse', 80, True, True),
        ('steps', 120, False, False), ('walk', 3, True, True),
    ]
    kinds = ('noisy', 'noisy', 'coarse', 'steps', 'walk', 'negative', 'truth')
    while len(plan) < 30:
        plan.append((str(rng.choice(kinds)), int(rng.integers(4, 151)), bool(rng.integers(0, 2)),
                     bool(rng.integers(0, 3) == 0)))

    cases = []
    for ep, (kind, T, success, edge) in enumerate(plan):
        values = make_curve(rng, kind, T, success)
        truth = ground_truth_progress(T, success)
        ms, es = events_for(rng, T, edge)
        w = int(rng.choice(WINDOWS))
        K = int(rng.choice([1, 3, 10, 50, T, T + 5]))
        frac = DEFAULT_POSITIVE_FRACTION if ep % 4 == 0 else float(np.round(rng.uniform(0.001, 1.0), 3))
        rewards = step_rewards(T, success)
        assert abs(np.cumsum(rewards[::-1])[::-1] - (2 * truth - 2)).max() < 1e-12  # sum_{k>=i} r = -G(i)
        adv = k_step_advantages(values, rewards, K)
        thr = positive_threshold(adv, frac)
        ev = [{'episode': ep, 'frame': f, 'direction': 1} for f in ms] + \
             [{'episode': ep, 'frame': f, 'direction': -1} for f in es]
        c = {
            'episode': ep, 'task': TASKS[ep % len(TASKS)], 'kind': kind,
            'outcome': 'success' if success else 'failure', 'values': values.tolist(),
            'milestones': ms, 'errors': es, 'window': w,
            'groundTruth': truth.tolist(), 'ranks': rankdata(values).tolist(),
            'pearson': pearson(values, truth), 'spearman': spearman(values, truth), 'voc': voc(values),
            'events': score_events(values, ms, es, w),
            'row': row({ep: values}, {ep: truth}, ev, w),
            'k': K, 'rewards': rewards.tolist(), 'advantages': adv.tolist(),
            'positiveFraction': frac, 'threshold': thr, 'indicators': labels(adv, thr),
        }
        if kind == 'constant':
            assert c['pearson'] == 0.0 and c['spearman'] == 0.0 and c['voc'] == 0.0
        if kind == 'truth':
            assert abs(adv).max() < 1e-12
        cases.append(c)

    curves = {c['episode']: c['values'] for c in cases}
    truths = {c['episode']: c['groundTruth'] for c in cases}
    events = [{'episode': c['episode'], 'frame': e['frame'], 'direction': 1 if e['kind'] == 'milestone' else -1}
              for c in cases for e in c['events']]
    aggregates = {str(w): row(curves, truths, events, w) for w in WINDOWS}
    by_task = {}
    for task in sorted(TASKS):
        eps_ = [c['episode'] for c in cases if c['task'] == task]
        by_task[task] = row({e: curves[e] for e in eps_}, {e: truths[e] for e in eps_},
                            [e for e in events if e['episode'] in eps_], 5)
    pool = [np.asarray(c['advantages']) for c in cases]
    pooled = [{'positiveFraction': f, 'threshold': positive_threshold(np.concatenate(pool), f)}
              for f in POOLED_FRACTIONS]
    # RECAP labels of all cases as one series: per task (the default scope) and over the whole dataset.
    recap = {'positiveFraction': DEFAULT_POSITIVE_FRACTION, 'task': {}, 'dataset': None}
    for task in sorted(TASKS):
        adv = np.concatenate([np.asarray(c['advantages']) for c in cases if c['task'] == task])
        thr = positive_threshold(adv, DEFAULT_POSITIVE_FRACTION)
        recap['task'][task] = {'threshold': thr, 'frames': int(adv.size), 'positives': int((adv >= thr).sum())}
    adv = np.concatenate(pool)
    thr = positive_threshold(adv, DEFAULT_POSITIVE_FRACTION)
    recap['dataset'] = {'threshold': thr, 'frames': int(adv.size), 'positives': int((adv >= thr).sum())}
    return {
        'generator': 'models/viva/make_metric_fixtures.py', 'seed': SEED, 'eps': EPS,
        'cases': cases, 'aggregates': aggregates, 'byTaskWindow': 5, 'byTask': by_task, 'pooledThresholds': pooled,
        'recap': recap,
    }


def cross_check_torch(doc: dict) -> None:
    """Ground truth against model.py's value_targets / return_to_progress, where torch is installed."""
    try:
        import torch
        from viva.model import return_to_progress, value_targets
    except ImportError:
        print('torch not available: ground truth not cross-checked against viva.model', file=sys.stderr)
        return
    for c in doc['cases']:
        T = len(c['values'])
        p = return_to_progress(value_targets(T, c['outcome'] == 'success').double()).numpy()
        assert abs(p - np.asarray(c['groundTruth'])).max() < 1e-6, c['episode']  # value_targets is float32
    del torch


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=os.path.join(REPO, 'app', 'testing', 'fixtures', 'metrics-reference.json'))
    a = ap.parse_args(argv)
    doc = build()
    cross_check_torch(doc)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    text = json.dumps(doc, allow_nan=False, separators=(',', ':'))
    with open(a.out, 'w') as f:
        f.write(text + '\n')
    print(f'{a.out}: {len(doc["cases"])} cases, {len(text)} bytes')


if __name__ == '__main__':
    main()
