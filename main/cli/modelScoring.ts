import { existsSync, statSync } from 'node:fs'
import type { CurveInfo } from '../../app/curves'
import { VivaError } from '../../app/errors'
import type { Services } from '../compose'
import type { scoringRequest } from './analysisOptions'

/** A model folder, or the name or id of a listed model (the bundled ones: viva-reference, baseline-reference). */
export async function modelPackage(services: Services, ref: string) {
  if (existsSync(ref) && statSync(ref).isDirectory()) return services.models.load(ref)
  const listed = await services.models.list()
  const hit = listed.find((m) => m.id === ref || m.name === ref)
  if (!hit) throw new VivaError('NOT_FOUND', `--model ${ref}: no such folder, and no listed model has that name or id (${listed.map((m) => m.name).join(', ')})`)
  return services.models.get(hit.id)
}

/**
 * Score every episode of an open dataset with a model through the app's own scoring job (cached and resumable like
 * `viva score`; the results land in the value cache the app shows), reporting progress on stderr. Returns the
 * complete curves of that run.
 */
export async function scoreWithModel(
  services: Services,
  datasetId: string,
  ref: string,
  request: ReturnType<typeof scoringRequest>,
): Promise<{ info: CurveInfo; values: Float32Array }[]> {
  const pkg = await modelPackage(services, ref)
  const job = await services.scoring.start({ datasetId, modelId: pkg.id, episodes: [], ...request })
  let last = 0
  const off = services.events.subscribe((name, payload) => {
    if (name !== 'score.progress') return
    const j = payload as { framesDone: number; framesTotal: number }
    if (performance.now() - last < 5000) return
    last = performance.now()
    process.stderr.write(`scoring ${pkg.manifest.name}: ${j.framesDone}/${j.framesTotal} frames\n`)
  })
  const end = await services.scoring.wait(job.id).finally(off)
  if (end.state !== 'done') throw new VivaError(end.error?.code ?? 'INTERNAL', `scoring with ${pkg.manifest.name} ended ${end.state}: ${end.error?.message ?? ''}`)
  for (const e of end.episodeErrors) process.stderr.write(`viva: episode ${e.episode} not scored: ${e.error.message}\n`)
  return services.curves
    .listDataset(datasetId)
    .filter((c) => c.complete && c.modelId === pkg.id && c.params?.steps === end.steps && c.params.seed === end.seed)
    .map((info) => ({ info, values: services.curves.get(info.id).values }))
}
