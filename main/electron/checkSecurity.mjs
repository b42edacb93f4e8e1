// `npm run lint:electron`: the Electron security lint of `npm test`.
//
// 1. Electronegativity (Doyensec's Electron security scanner) over
//    - the shell's sources: main/electron/*.ts, main/shell/*.ts (tests left out) and package.json;
//    - the built app: dist/electron/{main,preload}.cjs (scanned as .js: the scanner only reads .js/.ts/.html) and
//      the renderer bundle dist/renderer/index.html + assets/*.js (run `npm run build` first).
//    Every finding of severity MEDIUM or higher fails the run unless main/electron/electronegativity-accepted.json
//    accepts it (same check id, file, and a substring of the flagged code) with a reason. An accepted entry that no
//    longer matches anything fails too, so the file stays true.
// 2. The renderer's Content-Security-Policy, built by main/shell/security.ts at run time (so Electronegativity's own
//    CSP check cannot read it), goes through the same CSP evaluator that check uses; any finding above INFO fails.
//
// Offline: Electronegativity's CLI fetches translations and Electron's release list from the network. We call its
// runner directly with its network client (`got`) replaced by one that answers 503 without a request, and leave out the one check
// that needs the release list (AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK; Electron upgrades are Dependabot's job).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { tsImport } from 'tsx/esm/api'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const ACCEPTED_FILE = path.join(ROOT, 'main', 'electron', 'electronegativity-accepted.json')
const ENEG = path.dirname(require.resolve('@doyensec/electronegativity/package.json'))

// --- offline Electronegativity -------------------------------------------------------------------------------------
// Answers every request with 503 and touches no network; the translation loader then keeps its bundled locale quietly.
const offline = () => Promise.resolve({ statusCode: 503, headers: {}, body: '' })
offline.head = offline
offline.get = offline
for (const user of ['dist/locales/i18n.js', 'dist/finder/checks/GlobalChecks/AvailableSecurityFixesGlobalCheck.js']) {
  const gotPath = createRequire(path.join(ENEG, user)).resolve('got')
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: offline }
}
process.env.LANG = 'en-US' // its bundled locale (messages are looked up by this name)
const runElectronegativity = require(path.join(ENEG, 'dist', 'runner.js'))
const { severity } = require(path.join(ENEG, 'dist', 'finder', 'attributes.js'))
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version

function scan(dir) {
  return runElectronegativity(
    {
      input: dir,
      customScan: [],
      excludeFromScan: ['availablesecurityfixesglobalcheck'],
      electronVersionOverride: electronVersion,
      isRelative: true,
      parserPlugins: [],
    },
    false,
  )
}

// --- what to scan -----------------------------------------------------------------------------------------------
const work = mkdtempSync(path.join(os.tmpdir(), 'viva-electronegativity-'))
function stage(name, entries) {
  const dir = path.join(work, name)
  for (const [from, to] of entries) {
    mkdirSync(path.dirname(path.join(dir, to)), { recursive: true })
    cpSync(from, path.join(dir, to))
  }
  return dir
}
const sourceFiles = (folder) =>
  readdirSync(path.join(ROOT, folder))
    .filter((f) => /\.(ts|mjs)$/.test(f) && !f.endsWith('.test.ts'))
    .map((f) => [path.join(ROOT, folder, f), path.join(folder, f.replace(/\.mjs$/, '.js'))])

const dist = path.join(ROOT, 'dist')
if (!existsSync(path.join(dist, 'electron', 'main.cjs')) || !existsSync(path.join(dist, 'renderer', 'index.html'))) {
  console.error('lint:electron: dist/electron or dist/renderer missing: run `npm run build` first.')
  process.exit(1)
}
const targets = {
  sources: stage('sources', [
    ...sourceFiles('main/electron'),
    ...sourceFiles('main/shell'),
    [path.join(ROOT, 'package.json'), 'package.json'],
  ]),
  bundle: stage('bundle', [
    [path.join(dist, 'electron', 'main.cjs'), 'dist/electron/main.js'],
    [path.join(dist, 'electron', 'preload.cjs'), 'dist/electron/preload.js'],
    [path.join(dist, 'renderer', 'index.html'), 'dist/renderer/index.html'],
    ...readdirSync(path.join(dist, 'renderer', 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => [path.join(dist, 'renderer', 'assets', f), `dist/renderer/assets/${f}`]),
  ]),
}

// --- judge the findings ---------------------------------------------------------------------------------------------
const accepted = JSON.parse(readFileSync(ACCEPTED_FILE, 'utf8')).accepted
for (const a of accepted) {
  if (!a.id || !a.target || !a.file || !a.match || !a.reason) throw new Error(`${ACCEPTED_FILE}: every entry needs id, target, file, match and reason`)
}
const used = new Set()
const failures = []
let total = 0
try {
  for (const [target, dir] of Object.entries(targets)) {
    const result = await scan(dir)
    for (const e of result.errors.filter((err) => !err.tolerable)) failures.push(`[${target}] could not parse ${e.file}: ${e.message}`)
    for (const issue of result.issues) {
      total++
      const file = issue.file === 'N/A' ? 'N/A' : issue.file.split(path.sep).join('/')
      const where = `[${target}] ${issue.id} ${issue.severity.name}/${issue.confidence.name} ${file}:${issue.location.line}:${issue.location.column}`
      const sample = typeof issue.sample === 'string' ? issue.sample : ''
      if (issue.severity.value < severity.MEDIUM.value) {
        console.warn(`info  ${where} — below MEDIUM, reported only`)
        continue
      }
      const ok = accepted.findIndex((a) => a.target === target && a.id === issue.id && a.file === file && sample.includes(a.match))
      if (ok >= 0) {
        used.add(ok)
        console.warn(`ok    ${where} — accepted: ${accepted[ok].reason}`)
      } else {
        failures.push(`${where}\n      ${sample.trim().slice(0, 200)}\n      ${issue.description}`)
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
accepted.forEach((a, i) => {
  if (!used.has(i)) failures.push(`stale entry in electronegativity-accepted.json (matches no finding any more, remove it): ${JSON.stringify(a)}`)
})

// --- the CSP, as built at run time -------------------------------------------------------------------------------
const { contentSecurityPolicy } = await tsImport('../shell/security.ts', import.meta.url)
const { APP_SCHEME, MEDIA_SCHEME } = await tsImport('./channels.ts', import.meta.url)
const csp = require(path.join(path.dirname(require.resolve('@doyensec/csp-evaluator/package.json')), 'csp_evaluator.js'))
const policy = contentSecurityPolicy(APP_SCHEME, MEDIA_SCHEME)
const cspFindings = new csp.CspEvaluator(new csp.CspParser(policy).csp, csp.Version.CSP3)
  .evaluate()
  .filter((f) => f.severity < csp.severities.INFO)
for (const f of cspFindings) failures.push(`CSP ${f.directive}: ${f.description} (evaluator severity ${f.severity})`)

if (failures.length > 0) {
  console.error(`\nlint:electron: ${failures.length} problem(s):\n  ${failures.join('\n  ')}`)
  process.exit(1)
}
console.warn(`lint:electron: ${total} Electronegativity finding(s) in ${Object.keys(targets).join(' + ')}, none unaccepted at MEDIUM or above; CSP clean: ${policy}`)
