/**
 * Success/failure separation: does a value curve tell the episodes that succeed from those that fail? The paper's
 * metrics (Pearson, VOC, ERS) judge each curve's shape within its episode, so a failure whose curve rises steadily
 * through the success band still scores Pearson ≈ 0.93. These judge the level a curve sits at across episodes.
 *
 * AUROC of a per-episode score by annotated outcome, success the positive class: the probability that a success
 * episode picked at random scores higher than a failure episode picked at random, a tie counting one half (the
 * Mann–Whitney U statistic divided by n_success · n_failure). 1 = every success above every failure, 0.5 = no
 * separation (or all tied), 0 = inverted. This is the usual rank form of the ROC AUC, equal to sklearn's
 * roc_auc_score (mid-ranks for ties; e.g. R Metrics::auc, https://search.r-project.org/CRAN/refmans/Metrics/html/auc.html,
 * "the probability that a randomly chosen positive observation has a higher predicted value than a randomly chosen
 * negative value ... the Mann-Whitney U statistic"). Null when either outcome has no episode. Scores, in the progress
 * convention (higher = closer to success):
 * - mean level: the mean of the episode's curve over its frames;
 * - final value: the curve's value at the episode's last frame.
 * Episodes with an unknown outcome take no part. The ground-truth progress scores 1 on both (failures run from
 * about 0 to 1/2, successes from about 1/2 to 1).
 */

export interface OutcomeSeparation {
  /** AUROC of the mean value over the episode; null without both outcomes. */
  meanLevel: number | null
  /** AUROC of the value at the last frame; null without both outcomes. */
  finalValue: number | null
  nSuccess: number
  nFailure: number
}

/**
 * P(a positive scores above a negative) + ½·P(tie), by sorting once: O((p + n) log(p + n)). Null when either list is
 * empty. Scores must be finite.
 */
export function auroc(positives: readonly number[], negatives: readonly number[]): number | null {
  if (positives.length === 0 || negatives.length === 0) return null
  const all = [...positives.map((v) => ({ v, pos: true })), ...negatives.map((v) => ({ v, pos: false }))].sort((a, b) => a.v - b.v)
  // Sum of the positives' ranks (1-based, ties sharing their mean rank), then U = R − p(p+1)/2.
  let rankSum = 0
  for (let i = 0; i < all.length; ) {
    let j = i
    while (j + 1 < all.length && (all[j + 1] as { v: number }).v === (all[i] as { v: number }).v) j++
    const mean = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if ((all[k] as { pos: boolean }).pos) rankSum += mean
    i = j + 1
  }
  const p = positives.length
  return (rankSum - (p * (p + 1)) / 2) / (p * negatives.length)
}

/** The separation of a set of episodes' curves (display convention, finite values) by their outcome. */
export function outcomeSeparation(curves: readonly { outcome: 'success' | 'failure'; values: ArrayLike<number> }[]): OutcomeSeparation {
  const mean: Record<'success' | 'failure', number[]> = { success: [], failure: [] }
  const last: Record<'success' | 'failure', number[]> = { success: [], failure: [] }
  for (const c of curves) {
    const n = c.values.length
    if (n === 0) continue
    let sum = 0
    for (let i = 0; i < n; i++) sum += c.values[i] as number
    mean[c.outcome].push(sum / n)
    last[c.outcome].push(c.values[n - 1] as number)
  }
  return {
    meanLevel: auroc(mean.success, mean.failure),
    finalValue: auroc(last.success, last.failure),
    nSuccess: mean.success.length,
    nFailure: mean.failure.length,
  }
}
