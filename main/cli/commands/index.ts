import type { Command } from '../command'
import { advantagesCommand } from './advantages'
import { backupCommand } from './backup'
import { demoCommand } from './demo'
import { detectCommand } from './detect'
import { exportCommand } from './export'
import { fixtureCommand } from './fixture'
import { generateCommand } from './generate'
import { importCommand } from './import'
import { inspectCommand } from './inspect'
import { metricsCommand } from './metrics'
import { reattachCommand } from './reattach'
import { renderCommand } from './render'
import { scoreCommand } from './score'
import { serveCommand } from './serve'
import { tensorsCommand } from './tensors'

/** Every `viva` command, in the order `viva --help` lists them. */
export const COMMANDS: readonly Command[] = [
  inspectCommand,
  serveCommand,
  demoCommand,
  exportCommand,
  importCommand,
  tensorsCommand,
  scoreCommand,
  metricsCommand,
  advantagesCommand,
  detectCommand,
  renderCommand,
  reattachCommand,
  backupCommand,
  fixtureCommand,
  generateCommand,
]
